"""Monitoring figures kept for a short while (app/services/figures_cache.py): per exact inputs (scope,
filters, content version), shared through Redis by every worker, and never a reason for a page to fail."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from flask import g
from sqlalchemy import event

from app.extensions import db
from app.services import figures_cache
from app.services import monitoring as M
from tests import test_monitoring

people = test_monitoring.people  # the fixture, shared


@pytest.fixture
def keeping(app):
    """Turn the cache on for the shared test app, empty before and after."""
    app.config["FIGURES_CACHE_SECONDS"] = 60
    with app.app_context():
        figures_cache.cache.clear()
    yield app
    app.config["FIGURES_CACHE_SECONDS"] = 0
    with app.app_context():
        figures_cache.cache.clear()


def _registered(app, scope_ids=None, filters=None, uncached=False):
    fn = M.overview.uncached if uncached else M.overview
    with app.test_request_context():
        return {row.name: row.registered for row in fn(scope_ids, filters or M.Filters())}


def test_figures_are_kept_under_their_exact_inputs(keeping, people, make_user):
    app = keeping
    assert _registered(app)["Córdoba"] == 9
    make_user(municipality="cordoba", gender="woman", name="Recién llegada")
    assert _registered(app)["Córdoba"] == 9, "kept: the figure of a moment ago"
    assert _registered(app, uncached=True)["Córdoba"] == 10, "the live figure has moved"
    # another scope or other filters are other figures, computed afresh: never someone else's rows
    cordoba = people["ids"]["cordoba"]
    assert _registered(app, {cordoba}) == {"Córdoba": 10}
    assert _registered(app, None, M.Filters(province="Santa Fe")) == _registered(
        app, None, M.Filters(province="Santa Fe"), uncached=True
    )
    with app.app_context():
        figures_cache.cache.clear()
    assert _registered(app)["Córdoba"] == 10


def test_a_content_change_changes_every_key(keeping):
    with keeping.test_request_context():
        g.content_version = "v1"
        first = figures_cache.key_for("overview", None, (M.Filters(),), {})
        assert figures_cache.key_for("overview", None, (M.Filters(),), {}) == first
        assert figures_cache.key_for("overview", {1}, (M.Filters(),), {}) != first
        assert figures_cache.key_for("overview", None, (M.Filters(area_id=1),), {}) != first
        g.content_version = "v2"
        assert figures_cache.key_for("overview", None, (M.Filters(),), {}) != first


def test_a_warm_page_runs_fewer_statements_and_says_when_its_figures_were_computed(keeping, client, login, people):
    login(people["iom"])
    counts = []

    def count(*args):
        counts[-1] += 1

    with keeping.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(2):
            counts.append(0)
            html = client.get("/monitoring/").get_data(as_text=True)
            assert "Cifras calculadas el" in html
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[1] < counts[0]
    export = client.get("/monitoring/?format=csv").get_data(as_text=True)
    assert "Cifras calculadas el" in export


def test_without_the_cache_pages_say_nothing_about_it(client, login, people):
    login(people["iom"])
    assert "Cifras calculadas" not in client.get("/monitoring/").get_data(as_text=True)


def _redis():
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/14")
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return client


def test_workers_share_figures_through_redis(make_app, people, make_user):
    store = _redis()
    store.flushdb()
    try:
        first = make_app(REDIS_URL="redis://127.0.0.1:6379/14", FIGURES_CACHE_SECONDS=60)
        second = make_app(REDIS_URL="redis://127.0.0.1:6379/14", FIGURES_CACHE_SECONDS=60)
        assert _registered(first)["Córdoba"] == 9
        assert any(key.startswith(figures_cache.KEY_PREFIX.encode()) for key in store.keys("*"))
        make_user(municipality="cordoba", gender="woman", name="Recién llegada")
        assert _registered(second)["Córdoba"] == 9, "the second worker reads what the first computed"
        store.flushdb()
        assert _registered(second)["Córdoba"] == 10
    finally:
        store.flushdb()


def test_unreachable_redis_means_live_figures_and_a_warning(make_app, people, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    figures_cache._quiet_until = 0.0
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{port}/0", FIGURES_CACHE_SECONDS=60)
    with caplog.at_level(logging.WARNING, logger="app.services.figures_cache"):
        assert _registered(app)["Córdoba"] == 9
    assert any("unreachable" in record.getMessage() for record in caplog.records)


def _later(monkeypatch, seconds: float) -> None:
    """The figures' clock moved `seconds` ahead (the store's own expiry is not involved)."""
    from datetime import timedelta

    now = figures_cache._clock()
    monkeypatch.setattr(figures_cache, "_clock", lambda: now + timedelta(seconds=seconds))


def test_old_figures_are_shown_at_once_and_refreshed_after_the_response(
    keeping, client, login, people, make_user, monkeypatch
):
    """Past FIGURES_CACHE_SECONDS the kept figures are still shown, with the time they were computed,
    and the view that found them old computes fresh ones once its response has gone out."""
    login(people["iom"])
    overview = "/monitoring/?sort=name"

    def registered(html):  # the first figure of Córdoba's row
        row = re.search(r">Córdoba</a></th>(.*?)</tr>", html, re.S).group(1)
        return re.findall(r'<td class="num">(\d+)</td>', row)[0]

    first = client.get(overview)
    assert registered(first.get_data(as_text=True)) == "9"
    first.close()
    make_user(municipality="cordoba", gender="woman", name="Recién llegada")
    _later(monkeypatch, 30)
    within = client.get(overview)
    assert registered(within.get_data(as_text=True)) == "9"
    within.close()
    assert registered(client.get(overview).get_data(as_text=True)) == "9", "young figures: no refresh"
    _later(monkeypatch, 61)
    stale = client.get(overview)
    assert registered(stale.get_data(as_text=True)) == "9", "old figures are shown at once"
    stale.close()  # the response has gone out: the refresh runs now
    assert registered(client.get(overview).get_data(as_text=True)) == "10"


def test_one_view_refreshes_old_figures_and_a_failed_refresh_keeps_them(keeping, monkeypatch, caplog):
    from flask import Response

    calls = []

    @figures_cache.kept
    def sample(scope_ids, x):
        calls.append(x)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return len(calls)

    def view():
        with keeping.test_request_context():
            value = sample(None, "x")
            response = keeping.process_response(Response())
        return value, response

    assert view()[0] == 1 and calls == ["x"]
    _later(monkeypatch, 61)
    value, first = view()
    value2, second = view()  # a second view while the first one's refresh is pending
    assert (value, value2) == (1, 1)
    second.close()
    assert calls == ["x"], "the second view left the refresh to the first"
    first.close()
    assert calls == ["x", "x"] and view()[0] == 2
    _later(monkeypatch, 130)
    value, third = view()
    with caplog.at_level(logging.ERROR, logger="app.services.figures_cache"):
        third.close()  # this refresh fails
    assert value == 2 and any("refresh failed" in r.getMessage() for r in caplog.records)
    value, fourth = view()
    assert value == 2, "the old figures stay"
    fourth.close()  # and a later view tries again
    assert view()[0] == 4
