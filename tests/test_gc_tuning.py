"""The WSGI entry points set the start-up objects aside from the garbage collector (app/gc_tuning.py)."""

import gc
import pathlib

from app.gc_tuning import freeze_startup_objects

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_freezing_sets_every_live_object_aside_and_later_ones_are_collected_as_usual():
    try:
        frozen = freeze_startup_objects()
        assert frozen > 1000 and gc.get_freeze_count() == frozen
        cycle = []
        cycle.append(cycle)  # garbage made after the freeze: still collected
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_both_wsgi_entry_points_freeze_after_building_the_app():
    for path in ("wsgi.py", "tools/bench/wsgi_bench.py"):
        source = (ROOT / path).read_text()
        assert source.index("freeze_startup_objects()") > source.index("create_app("), path
