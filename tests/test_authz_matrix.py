"""Every URL rule of the app, requested as every kind of viewer: who gets in, who is refused.

The matrix below has one entry per (endpoint, method); a route added without an entry fails the test.
Each entry names, for each viewer, what must happen:

- ``OK``: let in (any answer but 401/403/404/405, a server error or a redirect to the sign-in page; an
  empty POST may well answer 400 or re-show its form, which still means the viewer was let in);
- ``LOGIN``: a redirect to the sign-in page;
- ``NO``: refused, with 403 (may see the place, may not do this) or 404 (may not know it exists);
- ``403`` / ``404``: refused with exactly that status.

Viewers: anonymous; an official of Córdoba; an official of Rosario; Córdoba's focal point (this year's
cycle); a coordinator of Córdoba; a coordinator of Rosario; a coordinator of every municipality; an IOM
officer. The records requested belong to Córdoba (its cycle, workshop, plan, the official's attempt,
workbook entry and certificate).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Certificate, Lesson, Module, Municipality, PlanAction, Priority, Quiz, Stage, User, Workshop
from app.services import certificates as certificate_service
from app.services import quiz as quiz_service
from app.services import workbook as workbook_service
from tests.authz import url_rules
from tests.conftest import PASSWORD

OK, LOGIN, NO = "ok", "login", "no"
VIEWERS = (
    "anonymous",
    "official",
    "other_official",
    "focal",
    "coordinator_in",
    "coordinator_out",
    "coordinator_all",
    "iom",
)


def row(anonymous, official, other_official, focal, coordinator_in, coordinator_out, coordinator_all, iom):
    """One matrix entry, viewers in the order of VIEWERS."""
    return dict(
        zip(
            VIEWERS,
            (anonymous, official, other_official, focal, coordinator_in, coordinator_out, coordinator_all, iom),
            strict=True,
        )
    )


PUBLIC = row(OK, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK, OK)
OWN = row(LOGIN, OK, 404, 404, 404, 404, 404, 404)  # the official's own attempt, workbook entry
MONITOR = row(LOGIN, 403, 403, OK, OK, OK, OK, OK)  # monitoring pages (each sees its own scope)
MONITOR_PLACE = row(LOGIN, 403, 403, OK, OK, NO, OK, OK)  # Córdoba's monitoring page
PERSON = row(LOGIN, 403, 403, 403, OK, NO, OK, OK)  # one official of Córdoba, staff in scope only
STAFF = row(LOGIN, 403, 403, 403, OK, OK, OK, OK)
STAFF_PERSON = row(LOGIN, 403, 403, 403, OK, NO, OK, OK)  # administering Córdoba's official
IOM_ONLY = row(LOGIN, 403, 403, 403, 403, 403, 403, OK)
VIEW_CYCLE = row(LOGIN, NO, NO, OK, OK, NO, OK, OK)  # Córdoba's cycle: see it
EDIT_CYCLE = row(LOGIN, NO, NO, OK, 403, NO, 403, 403)  # Córdoba's records: change them
DESIGNATE = row(LOGIN, NO, NO, 403, OK, NO, OK, OK)
AWARD = row(LOGIN, NO, NO, 403, 403, NO, 403, OK)
MY_MUNICIPALITY = row(LOGIN, 404, 404, OK, 404, 404, 404, 404)
CERTIFICATE_FILE = row(LOGIN, OK, NO, NO, OK, NO, OK, OK)  # the official's certificate PDF
CERTIFICATE_PAGE = row(LOGIN, NO, NO, NO, OK, NO, OK, OK)  # staff in scope see it; IOM acts on it
CERTIFICATE_ADMIN = row(LOGIN, NO, NO, NO, NO, NO, NO, OK)

EXPECTED = {
    ("public.index", "GET"): PUBLIC,
    ("public.privacy", "GET"): PUBLIC,
    ("public.set_language", "POST"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.register", "GET"): PUBLIC,
    ("auth.register", "POST"): PUBLIC,
    ("auth.forgot_password", "GET"): PUBLIC,
    ("auth.forgot_password", "POST"): PUBLIC,
    ("auth.check_email", "GET"): PUBLIC,
    ("auth.reset_password", "GET"): PUBLIC,
    ("auth.reset_password", "POST"): PUBLIC,
    ("auth.verify_email", "GET"): PUBLIC,
    ("verify.form", "GET"): PUBLIC,
    ("verify.certificate", "GET"): PUBLIC,
    ("verify.credential", "GET"): PUBLIC,
    ("verify.achievement", "GET"): PUBLIC,
    ("verify.issuer", "GET"): PUBLIC,
    ("verify.status_list", "GET"): PUBLIC,
    ("auth.logout", "POST"): PUBLIC,  # signing out when signed out just goes home
    ("auth.settings", "GET"): SIGNED_IN,
    ("auth.settings", "POST"): SIGNED_IN,
    ("auth.change_password", "GET"): SIGNED_IN,
    ("auth.change_password", "POST"): SIGNED_IN,
    ("auth.resend_verification", "POST"): SIGNED_IN,
    ("learning.catalogue", "GET"): SIGNED_IN,
    ("learning.module", "GET"): SIGNED_IN,
    ("learning.lesson", "GET"): SIGNED_IN,
    ("learning.complete_lesson", "POST"): SIGNED_IN,
    ("learning.start_quiz", "POST"): SIGNED_IN,
    ("learning.my_progress", "GET"): SIGNED_IN,
    ("learning.workbook", "GET"): SIGNED_IN,
    ("learning.workbook_download", "GET"): SIGNED_IN,
    ("learning.workbook_write", "GET"): SIGNED_IN,
    ("learning.workbook_write", "POST"): SIGNED_IN,
    ("learning.workbook_autosave", "POST"): SIGNED_IN,
    ("learning.workbook_entry", "GET"): OWN,
    ("learning.attempt", "GET"): OWN,
    ("learning.attempt", "POST"): OWN,
    ("learning.autosave", "POST"): OWN,
    ("learning.review", "GET"): OWN,
    ("learning.submit", "POST"): OWN,
    ("monitoring.overview", "GET"): MONITOR,
    ("monitoring.gender", "GET"): MONITOR,
    ("monitoring.module", "GET"): MONITOR,
    ("monitoring.certificates", "GET"): MONITOR,
    ("monitoring.municipality", "GET"): MONITOR_PLACE,
    ("monitoring.official", "GET"): PERSON,
    ("monitoring.extra_attempt", "GET"): PERSON,
    ("monitoring.extra_attempt", "POST"): PERSON,
    ("admin.users", "GET"): STAFF,
    ("admin.audit", "GET"): STAFF,
    ("admin.user", "GET"): STAFF_PERSON,
    ("admin.user", "POST"): STAFF_PERSON,
    ("admin.municipalities", "GET"): IOM_ONLY,
    ("admin.municipality", "GET"): IOM_ONLY,
    ("admin.municipality", "POST"): IOM_ONLY,
    ("municipal.cycles", "GET"): STAFF,
    ("municipal.cycles", "POST"): IOM_ONLY,
    ("municipal.cycle", "GET"): STAFF,
    ("municipal.cycle", "POST"): IOM_ONLY,
    ("municipal.my_municipality", "GET"): MY_MUNICIPALITY,
    ("municipal.cycle_page", "GET"): VIEW_CYCLE,
    ("municipal.designations", "POST"): DESIGNATE,
    ("municipal.application", "GET"): VIEW_CYCLE,
    ("municipal.application", "POST"): VIEW_CYCLE,  # an empty post changes nothing; actions check more
    ("municipal.letter", "GET"): VIEW_CYCLE,
    ("diagnostic.diagnostic", "GET"): VIEW_CYCLE,
    ("diagnostic.diagnostic", "POST"): VIEW_CYCLE,  # likewise
    ("diagnostic.dimension", "GET"): VIEW_CYCLE,
    ("diagnostic.dimension", "POST"): EDIT_CYCLE,
    ("diagnostic.autosave", "POST"): EDIT_CYCLE,
    ("diagnostic.report", "GET"): VIEW_CYCLE,
    ("diagnostic.workshops", "GET"): VIEW_CYCLE,
    ("diagnostic.workshop", "GET"): VIEW_CYCLE,
    ("diagnostic.workshop_form", "GET"): EDIT_CYCLE,
    ("diagnostic.workshop_form", "POST"): EDIT_CYCLE,
    ("diagnostic.workshop_delete", "POST"): EDIT_CYCLE,
    ("diagnostic.plan", "GET"): VIEW_CYCLE,
    ("diagnostic.plan", "POST"): VIEW_CYCLE,  # an empty post is refused as a bad request
    ("diagnostic.action_add", "POST"): EDIT_CYCLE,
    ("diagnostic.action_delete", "POST"): EDIT_CYCLE,
    ("diagnostic.action_progress", "POST"): EDIT_CYCLE,
    ("diagnostic.priority_delete", "POST"): EDIT_CYCLE,
    ("stages.programme", "GET"): STAFF,
    ("stages.log", "GET"): IOM_ONLY,
    ("stages.page", "GET"): VIEW_CYCLE,
    ("stages.award", "POST"): AWARD,
    ("stages.revoke", "POST"): AWARD,
    ("certification.download", "GET"): CERTIFICATE_FILE,
    ("certification.manage", "GET"): CERTIFICATE_PAGE,
    ("certification.revoke", "POST"): CERTIFICATE_ADMIN,
    ("certification.reissue", "POST"): CERTIFICATE_ADMIN,
}


@pytest.fixture
def world(app, make_user, in_app):
    """Córdoba's cycle with every record, an official with an attempt, a workbook entry and a certificate."""
    from tests.test_stages import _ready

    official = make_user(email="official@example.org", gender="man")
    other_official = make_user(municipality="rosario", email="other@example.org")
    coordinator_in = make_user(role="coordinator", municipality=None, email="cin@example.org")
    coordinator_out = make_user(role="coordinator", municipality=None, email="cout@example.org")
    coordinator_all = make_user(role="coordinator", municipality=None, email="call@example.org")
    iom = make_user(role="iom_officer", municipality=None, email="iom@example.org")

    def build():
        places = {m.key: m for m in db.session.scalars(select(Municipality))}
        db.session.get(User, coordinator_in.id).scope = [places["cordoba"]]
        db.session.get(User, coordinator_out.id).scope = [places["rosario"]]
        db.session.get(User, coordinator_all.id).all_municipalities = True
        mc, focal, _officer = _ready()
        focal.email = "focal@example.org"
        person = db.session.get(User, official.id)
        lessons = db.session.scalars(select(Lesson).where(Lesson.active).order_by(Lesson.id)).all()
        entry = workbook_service.save_entry(person.id, lessons[0], "Mapa de servicios del barrio.")
        quiz = db.session.scalar(select(Quiz).join(Module).order_by(Module.position).limit(1))
        attempt = quiz_service.start_or_resume(person.id, quiz)
        from tests.test_stages import _certify

        holder = make_holder(places["cordoba"])
        _certify(holder)
        certificate = db.session.scalar(select(Certificate).where(Certificate.holder_id == holder.id))
        from app.services import application as application_service
        from tests.test_municipal import pdf_bytes

        letter = application_service.application_of(mc)
        letter.letter_stored_name = letter.letter_stored_name or "0" * 32 + ".pdf"
        (application_service.upload_dir() / letter.letter_stored_name).write_bytes(pdf_bytes())
        workshop = db.session.scalar(select(Workshop).where(Workshop.municipal_cycle_id == mc.id))
        priority = db.session.scalar(select(Priority).where(Priority.municipal_cycle_id == mc.id))
        action = db.session.scalar(select(PlanAction).where(PlanAction.priority_id == priority.id))
        stage = db.session.scalar(select(Stage).order_by(Stage.position).limit(1))
        module = db.session.scalar(select(Module).order_by(Module.position).limit(1))
        return {
            "mc_id": mc.id,
            "cycle_id": mc.cycle_id,
            "municipality_id": places["cordoba"].id,
            "user_id": person.id,
            "attempt_id": attempt.id,
            "entry_id": entry.id,
            "workshop_id": workshop.id,
            "priority_id": priority.id,
            "action_id": action.id,
            "stage_key": stage.key,
            "module_id": module.id,
            "module_key": module.key,
            "lesson_key": lessons[0].key,
            "dimension_key": "salud",
            "code": certificate.code,
            "holder_id": holder.id,
        }

    def make_holder(municipality):
        from app.services.accounts import create_user

        return create_user(
            name="Titular",
            email="holder@example.org",
            password=PASSWORD,
            municipality_id=municipality.id,
            gender="woman",
        )

    values = in_app(build)
    people = {
        "official": official.email,
        "other_official": other_official.email,
        "focal": "focal@example.org",
        "coordinator_in": coordinator_in.email,
        "coordinator_out": coordinator_out.email,
        "coordinator_all": coordinator_all.email,
        "iom": iom.email,
    }
    # The signed-in official is made the certificate's holder: the matrix downloads their own PDF.
    in_app(lambda: _swap_holder(values))
    return values, people


def _swap_holder(values):
    """Make the signed-in official the holder of the certificate (its own PDF)."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == values["code"]))
    certificate.holder_id = values["user_id"]


def _url(app, endpoint: str, rule: str, values: dict) -> str:
    """The rule's URL, its arguments filled from the world (names differ between blueprints)."""
    by_endpoint = {
        "verify.achievement": {"key": certificate_service.TRAINING_ACHIEVEMENT},
        "verify.status_list": {"key": certificate_service.DEFAULT_LIST},
        "auth.reset_password": {"token": "not-a-valid-token"},
        "auth.verify_email": {"token": "not-a-valid-token"},
    }
    names = {"key": values["module_key"], "module_id": values["module_id"], **values, **by_endpoint.get(endpoint, {})}
    adapter = app.url_map.bind("localhost")
    for candidate in app.url_map.iter_rules():
        if candidate.rule == rule:
            return adapter.build(endpoint, {name: names[name] for name in candidate.arguments})
    raise LookupError(rule)


def _matches(expected, response) -> bool:
    status = response.status_code
    to_login = status in (301, 302, 303) and "/auth/login" in response.headers.get("Location", "")
    if expected == LOGIN:
        return to_login
    if expected == NO:
        return status in (403, 404)
    if expected == OK:
        return status < 500 and status not in (401, 403, 404, 405) and not to_login
    return status == expected


def test_every_route_has_an_entry_in_the_matrix(app):
    missing = [
        f"{method} {rule} ({endpoint})"
        for endpoint, method, rule in url_rules(app)
        if (endpoint, method) not in EXPECTED
    ]
    stale = [key for key in EXPECTED if key not in {(e, m) for e, m, _r in url_rules(app)}]
    assert missing == [], "add these routes to EXPECTED"
    assert stale == [], "these entries name routes that no longer exist"


def test_every_route_answers_every_viewer_as_the_matrix_says(app, world):
    values, people = world
    clients = {"anonymous": app.test_client()}
    for viewer, email in people.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, viewer
        clients[viewer] = client
    problems = []
    # Destructive routes last (logout ends the session; revoke and delete change the world).
    order = {
        "auth.logout": 3,
        "certification.revoke": 2,
        "stages.revoke": 2,
        "diagnostic.workshop_delete": 2,
        "diagnostic.priority_delete": 2,
        "diagnostic.action_delete": 1,
    }
    rules = sorted(url_rules(app), key=lambda r: (order.get(r[0], 0), r))
    for endpoint, method, rule in rules:
        url = _url(app, endpoint, rule, values)
        for viewer in VIEWERS:
            expected = EXPECTED[(endpoint, method)][viewer]
            response = clients[viewer].open(url, method=method, data={})
            if not _matches(expected, response):
                problems.append(f"{viewer} {method} {url}: {response.status_code}, expected {expected}")
            response.close()
    assert problems == [], "\n".join(problems)
