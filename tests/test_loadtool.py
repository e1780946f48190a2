"""The load tool's own arithmetic and parsing (tools/bench/load.py, memory.py, report.py): no server runs."""

import os

import pytest

from tools.bench import report
from tools.bench.load import ServerConfig, add_ratios, combine, parse_configs
from tools.bench.memory import children, read_process, summarise


def test_configurations_parse_and_become_gunicorn_flags():
    configs = parse_configs(["2 sync, 3sync", "4 gthread x2", "2 gthread"])
    assert [c.label for c in configs] == ["2 sync", "3 sync", "4 gthread x2", "2 gthread x1"]
    assert configs[0].flags() == ["-w", "2", "-k", "sync"]
    assert configs[2].flags() == ["-w", "4", "-k", "gthread", "--threads", "2"]


@pytest.mark.parametrize("text", ["2 gevent", "sync", "2 sync x4", "two sync"])
def test_configurations_that_gunicorn_would_not_run_as_written_are_refused(text):
    with pytest.raises(ValueError):
        parse_configs([text])


def memory_of(rows_by_pid: dict) -> dict:
    return {"interval_s": 2, "series": [{"pid": pid, "samples": rows} for pid, rows in rows_by_pid.items()]}


def test_memory_growth_counts_from_warm_up_and_ignores_a_one_sample_spike():
    mib = 1024
    rows = [[t, (100 + t // 10) * mib, 80 * mib, 1] for t in range(0, 101, 2)]
    rows[-1][1] = 140 * mib  # a sign-in's scrypt caught by the very last sample
    (worker,) = summarise(memory_of({7: rows}), 0, 100, warmup=30)
    assert worker["from_s"] == 30
    assert worker["rss"]["start_mib"] == 103.0  # median of the first samples after warm-up
    assert worker["rss"]["end_mib"] == 109.0  # median of the last ones: the spike does not count
    assert worker["rss"]["max_mib"] == 140.0
    assert worker["rss"]["growth_mib"] == 6.0
    assert worker["rss"]["growth_pct"] == pytest.approx(5.8)
    assert worker["uss"]["growth_mib"] == 0


def test_a_worker_replaced_during_the_window_is_its_own_series():
    memory = memory_of({1: [[0, 1024, None, 1], [2, 1024, None, 1]], 2: [[4, 2048, None, 1], [6, 2048, None, 1]]})
    workers = summarise(memory, 0, 6, warmup=0)
    assert [w["pid"] for w in workers] == [1, 2]
    assert workers[1]["uss"] is None


def test_proc_readers_see_this_process_and_its_children():
    rss, uss, threads = read_process(os.getpid())
    assert rss > 0 and threads >= 1 and (uss is None or uss <= rss)
    assert read_process(2**22 + 12345) is None
    assert isinstance(children(os.getpid()), list)


def run(hello: float, lesson: float) -> dict:
    row = {"failures": 0, "median_ms": 10.0, "p95_ms": 20.0}
    scenarios = {
        "Hello": {"bare Flask hello": {**row, "rps": hello}, "Aggregated": {**row, "rps": hello}},
        "LessonReader": {"lesson": {**row, "rps": lesson}, "sign in": {**row, "rps": 0}},
    }
    add_ratios(scenarios)
    return {"scenarios": scenarios}


def test_repeated_runs_give_mean_range_and_coefficient_of_variation_of_rate_and_share():
    combined = combine([run(1000, 100), run(1000, 120), run(1000, 110)])
    assert set(combined) == {"Hello", "LessonReader"}
    assert set(combined["LessonReader"]) == {"lesson"}  # sign-ins and single-kind totals left out
    lesson = combined["LessonReader"]["lesson"]
    assert lesson["rps"] == {"mean": 110.0, "min": 100.0, "max": 120.0, "cv": pytest.approx(0.091, abs=1e-3)}
    assert lesson["ratio_to_hello"]["mean"] == pytest.approx(0.11)
    assert combine([run(1000, 100)])["LessonReader"]["lesson"]["rps"]["cv"] is None


def test_report_renders_compare_and_repeat_tables():
    entry = {
        **ServerConfig(2, "gthread", 4).__dict__,
        "label": "2 gthread x4",
        "summary": combine([run(900, 90), run(1100, 99)]),
        "checks": [{"log_worker_class": "gthread", "threads_max": {"1": 5}, "workers_booted": 2}],
        "memory": {"worker_rss_max_mib": 210.5, "workers_rss_end_mib": 290.0},
    }
    compare = report.compare({"configs": [entry], "repeat": 2, "clients": 100, "duration_s": 30})
    assert "| 2 gthread x4 | lesson | 94.5 | 9.5% |" in compare
    assert "| 2 gthread x4 | gthread | 2 | 5 | 210.5 | 290.0 |" in compare
    repeat = report.repeat({"variation": entry["summary"], "repeat": 2, "duration_s": 30, "clients": 100})
    assert "| LessonReader | lesson | 2 | 94.5 | 90.0 | 99.0 |" in repeat
