"""Inputs that never break a page: arbitrary text, numbers and unicode posted to every form, JSON
endpoint and query parameter. No answer is a 500, and a refused request writes nothing.

The causes found by fuzzing, each fixed at its root (and pinned by an example below):
NUL bytes in any field (refused before any view: 400); ids beyond the database's integer in routes
and query strings (bounded converter: 404; bounded query integers); page numbers too large for
OFFSET (bounded); registration dates like 9999-12-31 (bounded DateField); an unknown export format
(400); non-ASCII digits and huge numbers in quiz answers (strict parsing: 400); municipality names
longer than the key column (slug cut to fit); control characters in names (refused by the forms and
stripped from XLSX exports)."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from app.extensions import db
from app.models import Area, Lesson, Module, Municipality, Quiz, QuizAttempt, User
from app.services import admin as admin_service
from app.services import quiz as quiz_service
from tests.conftest import PASSWORD

NASTY = [
    "\x00",
    "a\x00b",
    "²",
    "٣",
    "9" * 5000,
    "2147483648",
    "99999999999999999999",
    "-1",
    "0",
    "",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "pdf",
    "<script>alert(1)</script>",
    "\u202e\u0007x",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "😀" * 50,
    "x" * 300,
    " ",
    "\t\n",
    "1e309",
    "NaN",
]
values = st.one_of(st.sampled_from(NASTY), st.text(max_size=80), st.integers(-(2**70), 2**70).map(str))
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a refused request must not change (last_seen_at and session tokens move by design).
FINGERPRINT_SQL = {
    "user": "SELECT id, email, name, role, active, password_hash, municipality_id, area_id, gender, locale, "
    'timezone, all_municipalities, email_verified_at FROM "user" ORDER BY id',
    "municipality": "SELECT id, key, name, province, country FROM municipality ORDER BY id",
    "coordinator_municipality": "SELECT * FROM coordinator_municipality ORDER BY 1, 2",
    "quiz_attempt": "SELECT id, status, revision, score FROM quiz_attempt ORDER BY id",
    "attempt_question": "SELECT id, selected, is_correct FROM attempt_question ORDER BY id",
    "lesson_progress": "SELECT id, completed_at FROM lesson_progress ORDER BY id",
    "audit_event": "SELECT count(*) FROM audit_event",
    "account_token": "SELECT count(*) FROM account_token",
}


def fingerprint(app) -> str:
    with app.app_context():
        rows = {
            name: [list(map(str, r)) for r in db.session.execute(text(sql))] for name, sql in FINGERPRINT_SQL.items()
        }
        db.session.rollback()
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@pytest.fixture
def world(app, make_user, in_app):
    """An official with an open attempt, a coordinator of Córdoba, an IOM officer; a client for each."""
    official = make_user(email="oficial@example.org")
    coordinator = make_user(role="coordinator", municipality=None, email="coord@example.org")
    iom = make_user(role="iom_officer", municipality=None, email="oim@example.org")

    def setup():
        cordoba = db.session.scalar(select(Municipality).where(Municipality.key == "cordoba"))
        actor = db.session.get(User, iom.id)
        admin_service.set_scope(
            actor, db.session.get(User, coordinator.id), all_municipalities=False, municipality_ids={cordoba.id}
        )
        module = db.session.scalar(select(Module).where(Module.key == "basico"))
        quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
        attempt = quiz_service.start_or_resume(official.id, quiz)
        lesson = db.session.scalar(select(Lesson).where(Lesson.module_id == module.id))
        drawn = quiz_service.drawn_questions(attempt)
        return {
            "municipality": cordoba.id,
            "module": module.id,
            "attempt": attempt.id,
            "lesson": lesson.key,
            "items": [dq.item.id for dq in drawn],
            "choices": [dq.item.choice_order for dq in drawn],
        }

    ids = in_app(setup)
    clients = {}
    for name, user in (("official", official), ("coordinator", coordinator), ("iom", iom)):
        clients[name] = app.test_client()
        assert clients[name].post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    clients["anonymous"] = app.test_client()
    return {"ids": ids, "clients": clients, "users": {"official": official, "coordinator": coordinator, "iom": iom}}


def check(app, response, before: str, *, writes_allowed: bool = False) -> None:
    """Never a 500; a refused request (anything but a redirect after success) leaves the data as it was."""
    assert response.status_code < 500, response.status_code
    if response.status_code not in (302, 303) and not writes_allowed:
        assert fingerprint(app) == before, f"partial write by a {response.status_code} answer"


def post(app, world, who, url, data, **kwargs):
    before = fingerprint(app)
    response = world["clients"][who].post(url, data=data, **kwargs)
    check(app, response, before)
    return response


def get(app, world, who, url, params=None, writes_allowed=False):
    before = fingerprint(app)
    response = world["clients"][who].get(url, query_string=params)
    check(app, response, before, writes_allowed=writes_allowed)
    return response


@FUZZ
@given(email=values, password=values, name=values, municipality=values, area=values, gender=values)
@example(
    email="ana@example.org", password="clave-larga-1", name="Ana\x07Pérez", municipality="1", area="1", gender="woman"
)
@example(email="a\x00@example.org", password="x", name="x", municipality="99999999999", area="²", gender="man")
def test_account_forms_never_fail(app, world, email, password, name, municipality, area, gender):
    post(app, world, "anonymous", "/auth/login", {"email": email, "password": password, "remember": name})
    post(app, world, "anonymous", "/auth/forgot", {"email": email})
    response = post(
        app,
        world,
        "anonymous",
        "/auth/register",
        {
            "name": name,
            "email": email,
            "password": password,
            "password2": password,
            "municipality": municipality,
            "area": area,
            "gender": gender,
            "consent": "y",
        },
    )
    if response.status_code == 302:  # a valid registration: log the new client out again
        world["clients"]["anonymous"] = app.test_client()
    get(app, world, "anonymous", f"/auth/reset/{email}")
    get(app, world, "anonymous", f"/auth/verify/{email}")
    post(app, world, "anonymous", "/language", {"lang": gender, "next": email})
    post(app, world, "official", "/auth/password", {"current": password, "password": name, "password2": name})
    post(app, world, "official", "/auth/settings", {"locale": gender, "timezone": email})


@FUZZ
@given(action=values, item=values, choice=values, revision=values, key=values)
@example(action="save", item="", choice="²", revision="1", key="basico")
@example(action="submit", item="", choice="9" * 5000, revision="2147483648", key="basico")
def test_quiz_and_lesson_inputs_never_fail(app, world, action, item, choice, revision, key):
    ids = world["ids"]
    item_field = f"q{item}" if item else f"q{ids['items'][0]}"
    data = {"asked": [str(i) for i in ids["items"]], item_field: choice, "revision": revision}
    post(app, world, "official", f"/attempts/{ids['attempt']}/autosave", data)
    post(app, world, "official", f"/attempts/{ids['attempt']}/autosave", None, json={item_field: choice})
    if action == "submit":
        # a submission that is accepted closes the attempt; keep the fuzzing on an open one
        response = post(app, world, "official", f"/attempts/{ids['attempt']}", {**data, "action": action})
        if response.status_code == 302:
            with app.app_context():
                attempt = db.session.get(QuizAttempt, ids["attempt"])
                if attempt.status != "open":
                    attempt.status = "open"
                    db.session.commit()
    else:
        post(app, world, "official", f"/attempts/{ids['attempt']}", {**data, "action": action})
    get(app, world, "official", f"/modules/{key}", writes_allowed=True)
    get(app, world, "official", f"/modules/basico/lessons/{key}", writes_allowed=True)
    get(app, world, "official", f"/attempts/{choice}")


MONITORING_PARAMS = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        (
            "province",
            "area",
            "registered_from",
            "registered_to",
            "sort",
            "dir",
            "format",
            "table",
            "q",
            "page",
            "level",
        ),
        values,
    ),
)


@FUZZ
@given(params=MONITORING_PARAMS, who=st.sampled_from(["coordinator", "iom"]), number=values)
@example(params={"registered_to": "9999-12-31"}, who="iom", number="1")
@example(params={"format": "pdf"}, who="iom", number="1")
@example(params={"page": "99999999999999999999"}, who="coordinator", number="1")
@example(params={"format": "xlsx", "table": "officials"}, who="iom", number="2147483648")
def test_monitoring_query_parameters_never_fail(app, world, params, who, number):
    ids = world["ids"]
    for url in (
        "/monitoring/",
        f"/monitoring/municipalities/{ids['municipality']}",
        f"/monitoring/modules/{ids['module']}",
        "/monitoring/gender",
        f"/monitoring/officials/{number}",
        f"/monitoring/municipalities/{number}",
    ):
        get(app, world, who, url, params)


@FUZZ
@given(
    params=st.fixed_dictionaries({}, optional=dict.fromkeys(("q", "role", "municipality", "page"), values)),
    name=values,
    province=values,
    country=values,
    field=values,
)
@example(
    params={"page": "99999999999999999999", "municipality": "99999999999"},
    name="N" * 160,
    province="Neuquén",
    country="AR",
    field="1",
)
@example(params={}, name="San\x0bMartín", province="P", country="AR", field="0")
def test_admin_forms_and_lists_never_fail(app, world, params, name, province, country, field):
    official_id = world["users"]["official"].id
    for who in ("coordinator", "iom"):
        get(app, world, who, "/admin/users", params)
        get(app, world, who, "/admin/audit", params)
    post(
        app,
        world,
        "iom",
        "/admin/municipalities/new",
        {"action": "save", "m-name": name, "m-province": province, "m-country": country},
    )
    post(
        app, world, "iom", f"/admin/municipalities/{world['ids']['municipality']}", {"action": "focal", "f-user": field}
    )
    post(
        app,
        world,
        "iom",
        f"/admin/users/{official_id}",
        {"action": "profile", "profile-role": name, "profile-municipality": field, "profile-area": country},
    )
    post(
        app,
        world,
        "iom",
        f"/admin/users/{world['users']['coordinator'].id}",
        {"action": "scope", "scope-all_municipalities": name, "scope-municipalities": [field, country]},
    )
    post(app, world, "coordinator", f"/admin/users/{official_id}", {"action": name})


def test_a_name_with_a_control_character_never_breaks_an_xlsx_export(app, world, in_app):
    def sneak_in():  # an account stored before names were checked
        db.session.get(User, world["users"]["official"].id).name = "Ana\x07\x1bPérez"

    in_app(sneak_in)
    response = world["clients"]["iom"].get(
        f"/monitoring/municipalities/{world['ids']['municipality']}",
        query_string={"format": "xlsx", "table": "officials"},
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")


def test_control_characters_in_a_registered_name_are_refused(app, content, in_app):
    municipality, area_id = in_app(
        lambda: (
            db.session.scalar(select(Municipality.id).where(Municipality.key == "cordoba")),
            db.session.scalar(select(Area.id).where(Area.key == "salud")),
        )
    )
    client = app.test_client()
    response = client.post(
        "/auth/register",
        data={
            "name": "Ana\x1b[31mPérez",
            "email": "ana@example.org",
            "password": "clave-larga-1",
            "password2": "clave-larga-1",
            "municipality": str(municipality),
            "area": str(area_id),
            "gender": "woman",
            "consent": "y",
        },
    )
    assert response.status_code == 200
    assert "Use solo letras" in response.get_data(as_text=True)
    assert in_app(lambda: db.session.scalar(select(User.id))) is None


def test_a_municipality_name_as_long_as_its_column_gets_a_key_that_fits(world, app, in_app):
    name = "Municipalidad de " + "N" * 143
    response = world["clients"]["iom"].post(
        "/admin/municipalities/new", data={"action": "save", "m-name": name, "m-province": "Neuquén", "m-country": "AR"}
    )
    assert response.status_code == 302
    key = in_app(lambda: db.session.scalar(select(Municipality.key).where(Municipality.name == name)))
    assert len(key) <= 80
