"""Per main page and export: the SQL statements it runs and its server time (median and p95).

The requests go through Flask's test client in this process, so the time is the server's (routing,
session, views, database, templates) without any network; the statement count is every statement the
engine executes during the request.
"""

from __future__ import annotations

import re
import statistics
import time

from tools.bench.generate import IOM_EMAIL, LEARNERS, PASSWORD, learner_email, official_email

FIELD = re.compile(r'name="(q\d+)"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="(q\d+)"')
ASKED = re.compile(r'name="asked"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="asked"')


class Counter:
    """Counts the statements the engine executes."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args) -> None:
        self.n += 1


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _form(html: str) -> dict:
    """The quiz form's answers: the first choice of every question, and every drawn item as asked."""
    data: dict[str, list[str]] = {"asked": []}
    for match in ASKED.finditer(html):
        data["asked"].append(match.group(1) or match.group(2))
    for match in FIELD.finditer(html):
        name = match.group(1) or match.group(4)
        value = match.group(2) or match.group(3)
        data.setdefault(name, [value])
    return data


class Recorder:
    def __init__(self, counter: Counter):
        self.counter = counter
        self.samples: dict[str, dict] = {}

    def call(self, label: str, fn, expect=(200,)):
        self.counter.n = 0
        start = time.perf_counter()
        response = fn()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code in expect, (label, response.status_code, response.headers.get("Location"))
        entry = self.samples.setdefault(label, {"ms": [], "queries": [], "bytes": 0})
        entry["ms"].append(elapsed)
        entry["queries"].append(self.counter.n)
        entry["bytes"] = len(response.data)
        return response

    def summary(self) -> dict:
        return {
            label: {
                "median_ms": round(statistics.median(s["ms"]), 1),
                "p95_ms": round(_p95(s["ms"]), 1),
                "queries": max(s["queries"]),
                "queries_min": min(s["queries"]),
                "kib": round(s["bytes"] / 1024, 1),
                "runs": len(s["ms"]),
            }
            for label, s in self.samples.items()
        }


def _login(app, email: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, (email, response.status_code)
    return client


def _quiz_path(recorder: Recorder, client, module_key: str) -> None:
    """Start an attempt, view it, save it (a form save and two autosaves), review, submit, see the result."""
    start = recorder.call("quiz start", lambda: client.post(f"/modules/{module_key}/quiz"), expect=(302,))
    url = start.headers["Location"]
    page = recorder.call("quiz view", lambda: client.get(url))
    answers = _form(page.get_data(as_text=True))
    assert answers["asked"], "no questions found on the attempt page"
    recorder.call("quiz save (form)", lambda: client.post(url, data={**answers, "action": "save"}), expect=(302,))
    for revision in (100, 101):
        recorder.call(
            "quiz autosave",
            lambda revision=revision: client.post(f"{url}/autosave", data={**answers, "revision": str(revision)}),
        )
    recorder.call("quiz review", lambda: client.get(f"{url}/review"))
    recorder.call("quiz submit", lambda: client.post(f"{url}/submit"), expect=(302,))
    recorder.call("quiz result", lambda: client.get(url))


def measure(app, runs: int) -> dict:
    """Time every page `runs` times (after one warm-up request each); returns {page: figures}."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Lesson, Module, Municipality
    from app.services import figures_cache
    from app.models.municipal import MunicipalCycle

    with app.app_context():
        municipality = db.session.scalar(select(Municipality.id).order_by(Municipality.id))
        module = db.session.scalars(select(Module).order_by(Module.position)).first()
        module_id, module_key = module.id, module.key
        lesson_key = db.session.scalar(
            select(Lesson.key).where(Lesson.module_id == module.id).order_by(Lesson.position).offset(1)
        )
        mc_id = db.session.scalar(select(MunicipalCycle.id).order_by(MunicipalCycle.id.desc()))
        counter = Counter(db.engine)
    recorder = Recorder(counter)

    learner_pages = {
        "catalogue": "/modules",
        "module page": f"/modules/{module_key}",
        "lesson": f"/modules/{module_key}/lessons/{lesson_key}",
        "my progress": "/my-progress",
    }
    official = _login(app, official_email(1))
    for label, url in learner_pages.items():
        official.get(url)
        for _ in range(runs):
            recorder.call(label, lambda url=url: official.get(url))

    # The quiz path: one fresh learner per run (three attempts allowed per quiz).
    for i in range(min(runs, LEARNERS)):
        _quiz_path(recorder, _login(app, learner_email(i)), module_key)

    staff_pages = {
        "monitoring overview": "/monitoring/",
        "monitoring municipality": f"/monitoring/municipalities/{municipality}",
        "monitoring module": f"/monitoring/modules/{module_id}",
        "monitoring gender (municipality)": "/monitoring/gender?level=municipality",
        "monitoring gender (area)": "/monitoring/gender?level=area",
        "monitoring certificates": "/monitoring/certificates",
        "export overview xlsx": "/monitoring/?format=xlsx",
        "export officials csv": f"/monitoring/municipalities/{municipality}?format=csv&table=officials",
        "municipal cycle page": f"/municipal/{mc_id}",
        "certification programme": "/certification/",
        "certification municipality": f"/certification/municipal/{mc_id}",
    }
    iom = _login(app, IOM_EMAIL)
    kept_seconds = app.config["FIGURES_CACHE_SECONDS"]
    # Monitoring figures are kept a while (app/services/figures_cache.py): each monitoring page is measured
    # computing its figures on every request ("computed": the first view after they expire) and, under
    # its own label, reading them kept (every other view).
    app.config["FIGURES_CACHE_SECONDS"] = 0
    for label, url in staff_pages.items():
        iom.get(url)
        for _ in range(runs):
            recorder.call(label, lambda url=url: iom.get(url))
    if kept_seconds > 0:
        app.config["FIGURES_CACHE_SECONDS"] = kept_seconds
        with app.app_context():
            figures_cache.cache.clear()
        for label, url in staff_pages.items():
            if not label.startswith(("monitoring", "export")):
                continue
            iom.get(url)
            for _ in range(runs):
                recorder.call(f"{label} (figures kept)", lambda url=url: iom.get(url))
    return recorder.summary()
