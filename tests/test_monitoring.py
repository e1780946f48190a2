"""Monitoring: figures computed right, scope respected everywhere, constant query counts, exports."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from app.extensions import db
from app.models import Area, Lesson, Module, Municipality, Quiz, User, utcnow
from app.services import monitoring as M
from app.services import progress as progress_service
from app.services import quiz as quiz_service
from app.services.scope import visible_municipality_ids


def _progress(user_id, modules=("basico",), passing=True):
    """Complete every lesson of the given modules and sit their quiz (all right, or all wrong)."""
    for key in modules:
        module = db.session.scalar(select(Module).where(Module.key == key))
        for lesson in db.session.scalars(select(Lesson).where(Lesson.module_id == module.id)):
            progress_service.complete_lesson(user_id, lesson.id, utcnow())
        quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
        attempt = quiz_service.start_or_resume(user_id, quiz)
        answers = {
            dq.item.id: (sorted(dq.correct_ids) if passing else [next(c.id for c in dq.choices if not c.is_correct)])
            for dq in quiz_service.drawn_questions(attempt)
        }
        quiz_service.submit(attempt, answers)


@pytest.fixture
def people(make_user, in_app):
    """Córdoba: 6 women and 3 men, some with progress; Rosario: 2 women. Staff of every kind."""
    cordoba = [
        make_user(municipality="cordoba", gender="woman", area="salud", name=f"Córdoba Mujer {i}") for i in range(6)
    ]
    cordoba += [
        make_user(municipality="cordoba", gender="man", area="educacion", name=f"Córdoba Varón {i}") for i in range(3)
    ]
    rosario = [
        make_user(municipality="rosario", gender="woman", name=f"Rosario Persona {i}", email=f"rosario{i}@example.org")
        for i in range(2)
    ]
    in_app(lambda: [_progress(u.id, ("basico", "avanzado")) for u in cordoba[:2]])
    in_app(lambda: _progress(cordoba[6].id, ("basico",), passing=False))
    in_app(lambda: _progress(rosario[0].id, ("basico",)))
    coordinator = make_user(role="coordinator", municipality=None, area=None, gender="man", email="coord@example.org")

    def scope():
        user = db.session.get(User, coordinator.id)
        user.scope = [db.session.scalar(select(Municipality).where(Municipality.key == "cordoba"))]

    in_app(scope)
    iom = make_user(role="iom_officer", municipality=None, area=None, email="iom@example.org")
    focal = make_user(municipality="rosario", is_focal_point=True, email="focal@example.org", name="Rosario Focal")
    ids = in_app(lambda: {m.key: m.id for m in db.session.scalars(select(Municipality))})
    return {"cordoba": cordoba, "rosario": rosario, "coordinator": coordinator, "iom": iom, "focal": focal, "ids": ids}


def test_overview_figures(client, login, people):
    login(people["iom"])
    html = client.get("/monitoring/").get_data(as_text=True)
    assert "Córdoba" in html and "Rosario" in html
    from app.services.monitoring import Filters, overview
    from tests.conftest import FixtureConfig  # noqa: F401

    with client.application.app_context():
        rows = {r.name: r for r in overview(None, Filters())}
    cordoba = rows["Córdoba"]
    assert cordoba.registered == 9
    assert cordoba.modules_completed == 4  # two officials x two modules
    assert cordoba.all_modules == 2
    assert cordoba.genders == {"woman": 6, "man": 3, "nonbinary": 0, "undisclosed": 0}
    assert cordoba.avg_score == pytest.approx((100 * 4 + 0) / 5, abs=0.1)
    assert rows["Rosario"].registered == 3  # two officials and the focal point


def test_coordinator_sees_only_their_municipalities_everywhere(client, login, people):
    login(people["coordinator"])
    rosario_id, cordoba_id = people["ids"]["rosario"], people["ids"]["cordoba"]
    overview = client.get("/monitoring/").get_data(as_text=True)
    assert "Córdoba" in overview and "Rosario" not in overview
    assert client.get(f"/monitoring/municipalities/{rosario_id}").status_code == 404
    assert client.get(f"/monitoring/municipalities/{cordoba_id}").status_code == 200
    assert client.get(f"/monitoring/officials/{people['rosario'][0].id}").status_code == 404
    assert client.get(f"/monitoring/officials/{people['cordoba'][0].id}").status_code == 200
    for path in (
        "/monitoring/?format=csv",
        "/monitoring/gender?level=municipality&format=csv",
        "/monitoring/?province=Santa+Fe&format=csv",
        f"/monitoring/modules/{_module_id(client)}?format=csv&table=scores",
        f"/monitoring/municipalities/{cordoba_id}?format=csv&table=officials",
    ):
        body = client.get(path).get_data(as_text=True)
        assert "Rosario" not in body and "rosario" not in body, path
    gender = client.get("/monitoring/gender?level=municipality").get_data(as_text=True)
    assert "Rosario" not in gender
    users = client.get("/admin/users").get_data(as_text=True)
    assert "Córdoba Mujer 0" in users and "Rosario Persona" not in users
    assert client.get(f"/admin/users/{people['rosario'][0].id}").status_code == 404


def _module_id(client):
    with client.application.app_context():
        return db.session.scalar(select(Module.id).where(Module.key == "basico"))


def test_officials_cannot_monitor_and_focal_points_see_only_their_figures(client, login, people):
    login(people["cordoba"][0])
    assert client.get("/monitoring/").status_code == 403
    assert client.get(f"/monitoring/municipalities/{people['ids']['cordoba']}").status_code == 403
    assert client.get("/admin/users").status_code == 403
    client.post("/auth/logout")
    login(people["focal"])
    assert client.get(f"/monitoring/municipalities/{people['ids']['rosario']}").status_code == 200
    page = client.get(f"/monitoring/municipalities/{people['ids']['rosario']}").get_data(as_text=True)
    assert "rosario0@example.org" not in page, "focal points see figures, not the list of people"
    assert client.get(f"/monitoring/municipalities/{people['ids']['cordoba']}").status_code == 404
    assert client.get(f"/monitoring/officials/{people['rosario'][0].id}").status_code == 403
    assert "Córdoba" not in client.get("/monitoring/").get_data(as_text=True)


def test_scope_rule(in_app, people):
    def check():
        coordinator = db.session.get(User, people["coordinator"].id)
        assert visible_municipality_ids(coordinator) == {people["ids"]["cordoba"]}
        assert visible_municipality_ids(db.session.get(User, people["iom"].id)) is None
        assert visible_municipality_ids(db.session.get(User, people["cordoba"][0].id)) == set()
        coordinator.all_municipalities = True
        assert visible_municipality_ids(coordinator) is None

    in_app(check)


def test_small_cells_are_suppressed_in_page_and_export_alike(client, login, people):
    """Córdoba 6 women and 3 men, Rosario 3 women: the 3s are hidden, and so is what would give them away."""
    login(people["iom"])
    html = client.get("/monitoring/").get_data(as_text=True)
    assert "oculto" in html and "&lt;5" not in html, "every hidden figure reads the same"
    rows = list(csv.reader(io.StringIO(client.get("/monitoring/?format=csv").get_data(as_text=True).lstrip("\ufeff"))))
    header_index = next(i for i, r in enumerate(rows) if r and r[0] == "Municipio")
    header = rows[header_index]
    cordoba = next(r for r in rows[header_index + 1 :] if r and r[0] == "Córdoba")
    assert cordoba[header.index("Varones")] == "oculto"
    assert cordoba[header.index("Inscriptas/os")] == "9", "headcounts stay: the people list shows them anyway"
    hidden = [c for c in ("Mujeres", "Otra identidad o sin declarar") if cordoba[header.index(c)] == "oculto"]
    assert hidden, "men alone hidden would be 9 - women - others"
    assert cordoba[header.index("Paridad")] == "Por encima", "6 of 9 is above the band: the flag names no one"
    rosario = next(r for r in rows[header_index + 1 :] if r and r[0] == "Rosario")
    assert rosario[header.index("Mujeres")] == "oculto"
    assert rosario[header.index("Paridad")] == "", "fewer than five women and men: no flag"
    total = rows[-1]
    assert total[0] == "Total" and total[header.index("Inscriptas/os")] == "12"
    assert total[header.index("Varones")] == "oculto"
    assert any("Cómo leer estas cifras" in r[0] for r in rows[:header_index] if r), (
        "the reading note travels with the file"
    )


def test_exports_carry_title_date_scope_and_localised_headers(client, login, people):
    login(people["coordinator"])
    response = client.get("/monitoring/?format=csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [r[0] if r else "" for r in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))]
    assert lines[0] == "Municipios"
    assert lines[1].startswith("Extraído el ")
    assert lines[2] == "Alcance: Córdoba"
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get("/monitoring/?format=xlsx")
    sheet = load_workbook(io.BytesIO(english.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][0].startswith("Extracted on"), values[1][0]
    header = next(r for r in values if r and r[0] in ("Municipality", "Municipio"))
    assert header[0] == "Municipality"
    assert any(r[0] == "Córdoba" for r in values)


def test_municipality_page_shows_funnel_modules_areas_and_people(client, login, people):
    login(people["iom"])
    html = client.get(f"/monitoring/municipalities/{people['ids']['cordoba']}").get_data(as_text=True)
    assert "Embudo de avance" in html and 'id="chart-funnel"' in html and 'class="bar-fill"' in html
    assert "Córdoba Mujer 0" in html
    searched = client.get(f"/monitoring/municipalities/{people['ids']['cordoba']}?q=var%C3%B3n").get_data(as_text=True)
    assert "Córdoba Varón 1" in searched and "Córdoba Mujer 0" not in searched
    from app.services.monitoring import Filters, funnel

    with client.application.app_context():
        result = funnel(None, Filters(municipality_id=people["ids"]["cordoba"]))
    assert (result.registered, result.started, result.lessons, result.passed, result.all_modules) == (9, 3, 3, 2, 2)


def test_module_page_lists_most_missed_questions(client, login, people, in_app):
    extra = [people["cordoba"][i] for i in (3, 4, 5)]
    in_app(lambda: [_progress(u.id, ("basico",), passing=False) for u in extra])
    login(people["iom"])
    html = client.get(f"/monitoring/modules/{_module_id(client)}").get_data(as_text=True)
    assert "Preguntas con más respuestas incorrectas" in html
    assert "b-0" in html


def test_gender_page_at_every_level(client, login, people):
    login(people["iom"])
    for level in ("programme", "municipality", "module", "area"):
        response = client.get(f"/monitoring/gender?level={level}")
        assert response.status_code == 200, level
        assert "Mujeres" in response.get_data(as_text=True)
    assert client.get("/monitoring/gender?level=nope").status_code == 404


def test_filters_are_validated_and_applied(client, login, people):
    login(people["iom"])
    bad = client.get("/monitoring/?registered_from=2026-05-01&registered_to=2026-04-01").get_data(as_text=True)
    assert "La fecha final debe ser igual o posterior a la inicial." in bad
    body = client.get("/monitoring/?province=Santa+Fe&format=csv").get_data(as_text=True)
    assert "Rosario" in body and "Córdoba" not in body


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, *args):
        self.count += 1


def test_query_count_does_not_grow_with_data(client, login, people, make_user, in_app):
    login(people["iom"])
    cordoba = people["ids"]["cordoba"]
    module_id = _module_id(client)
    paths = [
        "/monitoring/",
        f"/monitoring/municipalities/{cordoba}",
        f"/monitoring/modules/{module_id}",
        "/monitoring/gender?level=municipality",
        "/monitoring/gender?level=module",
        "/monitoring/?format=xlsx",
        f"/monitoring/municipalities/{cordoba}?format=csv&table=officials",
        "/admin/users",
        "/admin/audit",
    ]

    def measure():
        counts = []
        with client.application.app_context():
            engine = db.engine
        for path in paths:
            client.get(path)  # warm-up (last_seen write, caches)
            with QueryCounter(engine) as counter:
                assert client.get(path).status_code == 200, path
            counts.append(counter.count)
        return counts

    small = measure()
    more = [
        make_user(municipality=m, gender=g, area=a)
        for m in ("cordoba", "rosario")
        for g in ("woman", "man", "nonbinary")
        for a in ("salud", "empleo")
        for _ in range(3)
    ]
    in_app(lambda: [_progress(u.id, ("basico",), passing=i % 2 == 0) for i, u in enumerate(more[:20])])
    large = measure()
    assert small == large, dict(zip(paths, zip(small, large, strict=False), strict=False))


def test_gender_groups_are_shown_a_page_at_a_time_and_every_table_still_exports(client, login, people, monkeypatch):
    from app.monitoring import routes

    monkeypatch.setattr(routes, "PER_PAGE", 1)
    login(people["iom"])
    first = client.get("/monitoring/gender?level=municipality").get_data(as_text=True)
    second = client.get("/monitoring/gender?level=municipality&page=2").get_data(as_text=True)
    assert "Página 1 de 2" in first and "Página 2 de 2" in second
    headings = [re.findall(r'<h2 id="g-\d+">([^<]*)</h2>', page) for page in (first, second)]
    assert sorted(headings[0] + headings[1]) == ["Córdoba", "Rosario"], "each municipality on one page, once"
    beyond = client.get("/monitoring/gender?level=municipality&page=99").get_data(as_text=True)
    assert "Página 2 de 2" in beyond, "a page past the end shows the last one"
    # whichever page shows it, each group's table downloads (from any page)
    rosario_table = f"gender-{people['ids']['rosario']}"
    assert f'id="table-{rosario_table}"' in first + second
    download = client.get(f"/monitoring/gender?level=municipality&page=1&format=csv&table={rosario_table}")
    assert download.status_code == 200 and download.mimetype == "text/csv"


def test_per_module_figures_agree_with_the_person_module_rows(in_app, people):
    """`by_module` aggregates the summary rows that exist; the definition is one row per official and
    counting module (`per_official_module`). Both give the same figures, for every scope and filter."""
    from app.services.gender import CATEGORIES

    def expected(scope, filters):
        um = M.per_official_module(M.officials(scope, filters))
        result = {}
        for r in db.session.execute(select(um)):
            row = result.setdefault(
                r.module_id,
                {"people": 0, "started": 0, "lessons_done": 0, "passed": 0, "completed": 0, "best": [], "tries": []},
            )
            row["people"] += 1
            for name in ("started", "lessons_done", "passed", "completed"):
                row[name] += getattr(r, name)
            if r.best is not None:
                row["best"].append(r.best)
            if r.attempts:
                row["tries"].append(r.attempts)
            row.setdefault("genders", dict.fromkeys(CATEGORIES, 0))
            if r.started:
                row["genders"][r.gender] += 1
        return result

    def check():
        areas = [a.id for a in db.session.scalars(select(Area))]
        cases = [
            (None, M.Filters()),
            ({people["ids"]["cordoba"]}, M.Filters()),
            ({people["ids"]["rosario"]}, M.Filters()),
        ]
        cases += [(None, M.Filters(area_id=a)) for a in areas]
        for scope, filters in cases:
            want = expected(scope, filters)
            got = {row.id: row for row in M.by_module(scope, filters)}
            assert set(got) == set(want)
            for module_id, w in want.items():
                g = got[module_id]
                assert (g.people, g.started, g.lessons_done, g.passed, g.completed) == (
                    w["people"],
                    w["started"],
                    w["lessons_done"],
                    w["passed"],
                    w["completed"],
                )
                assert g.scored == len(w["best"]) and g.attempted == len(w["tries"])
                assert g.avg_score == (round(sum(w["best"]) / len(w["best"]), 1) if w["best"] else None)
                assert g.genders == w["genders"]
        return len(cases)

    assert in_app(check) >= 3


def test_module_distributions_agree_with_the_person_module_rows(in_app, people):
    """Scores and attempts come from one pass; each equals a count over the official x module rows."""
    extra = [people["cordoba"][i] for i in (3, 4)]
    in_app(lambda: [_progress(u.id, ("basico",), passing=False) for u in extra])
    in_app(lambda: _progress(extra[0].id, ("basico",), passing=True))  # a second attempt

    def check():
        for module in db.session.scalars(select(Module)):
            for scope in (None, {people["ids"]["cordoba"]}, {people["ids"]["rosario"]}):
                um = M.per_official_module(M.officials(scope, M.Filters()))
                rows = [r for r in db.session.execute(select(um)) if r.module_id == module.id]
                bests = [min(int(r.best // 10) * 10, 90) for r in rows if r.best is not None]
                scores = [(b, bests.count(b)) for b in M.SCORE_BUCKETS]
                tries = sorted({r.attempts for r in rows if r.attempts})
                attempts = [(t, sum(1 for r in rows if r.attempts == t)) for t in tries]
                assert M.module_distributions(scope, M.Filters(), module.id) == (scores, attempts)
        basico = db.session.scalar(select(Module.id).where(Module.key == "basico"))
        by_score, by_attempts = M.module_distributions(None, M.Filters(), basico)
        assert sum(n for _b, n in by_score) == 6 and dict(by_attempts) == {1: 5, 2: 1}

    in_app(check)
