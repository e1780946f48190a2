"""The municipal cycle: cycles, designations, application and letter, diagnostic, workshops, work plan.

Each state transition and each permission is exercised through the pages, including the substitute
focal point and a focal point of another municipality.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfWriter
from sqlalchemy import func, select

from app.services.cycles import today as utc_today
from app.extensions import db
from app.models import (
    Application,
    Area,
    AuditEvent,
    Cycle,
    Diagnostic,
    DiagnosticAnswer,
    DiagnosticDimension,
    DiagnosticIndicator,
    Municipality,
    MunicipalCycle,
    PlanAction,
    Priority,
    ReviewEvent,
    User,
    WorkPlan,
    Workshop,
)
from app.services import cycles as cycle_service
from app.services import diagnostic as diagnostic_service
from tests.conftest import fixture_officer
from tests.test_monitoring import QueryCounter


def pdf_bytes(pages: int = 1) -> bytes:
    """A small, valid PDF."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def cycle_world(make_user, in_app):
    """This year's cycle with Córdoba and Rosario admitted; focal points, a substitute, staff."""
    iom = make_user(role="iom_officer", municipality=None, email="iom@example.org")
    coordinator = make_user(role="coordinator", municipality=None, email="coord@example.org")
    outsider_coordinator = make_user(role="coordinator", municipality=None, email="coord2@example.org")
    focal = make_user(is_focal_point=True, email="focal@example.org", name="Focal Córdoba")
    substitute = make_user(substitute=True, email="sub@example.org", name="Suplente Córdoba")
    official = make_user(email="official@example.org", area="empleo", gender="man")
    other_focal = make_user(municipality="rosario", is_focal_point=True, email="focal.rosario@example.org")

    def ids():
        by_key = {m.key: m for m in db.session.scalars(select(Municipality))}
        coordinator_user = db.session.get(User, coordinator.id)
        coordinator_user.scope = [by_key["cordoba"]]
        db.session.get(User, outsider_coordinator.id).scope = [by_key["rosario"]]
        mcs = {mc.municipality_id: mc.id for mc in db.session.scalars(select(MunicipalCycle))}
        return {
            "cordoba": mcs[by_key["cordoba"].id],
            "rosario": mcs[by_key["rosario"].id],
            "cordoba_id": by_key["cordoba"].id,
            "cycle": db.session.scalar(select(Cycle.id)),
        }

    return {
        "iom": iom,
        "coordinator": coordinator,
        "outsider_coordinator": outsider_coordinator,
        "focal": focal,
        "substitute": substitute,
        "official": official,
        "other_focal": other_focal,
        **in_app(ids),
    }


def _count(in_app, model, **where):
    return in_app(lambda: db.session.scalar(select(func.count()).select_from(model).filter_by(**where)))


# --------------------------------------------------------------------------- cycles and designations


def test_only_iom_opens_cycles_and_admits_municipalities(client, login, cycle_world, in_app):
    login(cycle_world["coordinator"])
    assert client.get("/cycles").status_code == 200
    denied = client.post(
        "/cycles", data={"c-year": 2031, "c-name": "2031", "c-starts_on": "2031-01-01", "c-ends_on": "2031-12-31"}
    )
    assert denied.status_code == 403
    client.post("/auth/logout")
    login(cycle_world["iom"])
    bad = client.post(
        "/cycles", data={"c-year": 2031, "c-name": "2031", "c-starts_on": "2031-12-31", "c-ends_on": "2031-01-01"}
    )
    assert bad.status_code == 200 and "posterior" in bad.get_data(as_text=True)
    created = client.post(
        "/cycles",
        data={"c-year": 2031, "c-name": "MigraCiudades 2031", "c-starts_on": "2031-01-01", "c-ends_on": "2031-12-31"},
    )
    assert created.status_code == 302
    cycle_id = in_app(lambda: db.session.scalar(select(Cycle.id).where(Cycle.year == 2031)))
    client.post(f"/cycles/{cycle_id}", data={"a-municipality": cycle_world["cordoba_id"]})
    assert _count(in_app, MunicipalCycle, cycle_id=cycle_id) == 1
    assert _count(in_app, AuditEvent, action="municipality_admitted", actor_id=cycle_world["iom"].id) == 1


def test_focal_point_and_substitute_are_designated_per_cycle_by_staff_in_scope(
    client, login, cycle_world, in_app, make_user
):
    newcomer = make_user(email="new@example.org")
    mc = cycle_world["cordoba"]
    login(cycle_world["outsider_coordinator"])
    assert client.get(f"/municipal/{mc}").status_code == 404
    assert client.post(f"/municipal/{mc}/designations", data={"d-focal_point": newcomer.id}).status_code == 404
    client.post("/auth/logout")
    login(cycle_world["coordinator"])
    response = client.post(
        f"/municipal/{mc}/designations",
        data={"d-focal_point": newcomer.id, "d-substitute": cycle_world["substitute"].id},
    )
    assert response.status_code == 302
    row = in_app(lambda: db.session.get(MunicipalCycle, mc))
    assert (row.focal_point_id, row.substitute_id) == (newcomer.id, cycle_world["substitute"].id)
    # Swapping the two people works; someone of another municipality is refused.
    client.post(
        f"/municipal/{mc}/designations",
        data={"d-focal_point": cycle_world["substitute"].id, "d-substitute": newcomer.id},
    )
    row = in_app(lambda: db.session.get(MunicipalCycle, mc))
    assert (row.focal_point_id, row.substitute_id) == (cycle_world["substitute"].id, newcomer.id)
    client.post(
        f"/municipal/{mc}/designations", data={"d-focal_point": cycle_world["other_focal"].id, "d-substitute": 0}
    )
    assert in_app(lambda: db.session.get(MunicipalCycle, mc)).focal_point_id == cycle_world["substitute"].id
    # The previous focal point lost their powers; their records stay with the municipality.
    client.post("/auth/logout")
    login(cycle_world["focal"])
    assert client.get(f"/municipal/{mc}").status_code == 404
    assert client.get("/monitoring/").status_code == 403


def test_designation_follows_the_current_cycle(in_app, cycle_world):
    def check():
        focal = db.session.get(User, cycle_world["focal"].id)
        assert cycle_service.is_focal_point(focal)
        this_year = db.session.get(Cycle, cycle_world["cycle"])
        next_year = cycle_service.create_cycle(
            fixture_officer(),
            year=this_year.year + 1,
            name="next",
            starts_on=this_year.ends_on + timedelta(days=1),
            ends_on=this_year.ends_on + timedelta(days=366),
        )
        later = next_year.starts_on + timedelta(days=1)
        assert cycle_service.current_cycle(later).id == next_year.id
        assert not cycle_service.is_focal_point(focal, later)  # a new cycle needs a new designation
        assert cycle_service.is_focal_point(focal, this_year.ends_on)

    in_app(check)


# --------------------------------------------------------------------------- application and letter


APPLICATION = {
    "app-population": "1500000",
    "app-migrant_population": "45000",
    "app-main_origins": "Bolivia, Perú, Paraguay",
    "app-has_migration_office": "yes",
    "app-migration_office_details": "Oficina de Migrantes desde 2019",
    "app-contact_name": "Focal Córdoba",
    "app-contact_email": "focal@example.org",
    "app-contact_phone": "351 000",
    "measure-salud": "Mediadoras interculturales en dos centros de salud",
}


def test_focal_point_and_substitute_fill_in_the_application_others_cannot(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["substitute"])
    assert client.post(f"/municipal/{mc}/application", data={**APPLICATION, "action": "save"}).status_code == 302
    saved = in_app(lambda: db.session.scalar(select(Application)))
    assert saved.population == 1500000 and saved.measures == {
        "salud": "Mediadoras interculturales en dos centros de salud"
    }
    client.post("/auth/logout")
    login(cycle_world["other_focal"])
    assert client.get(f"/municipal/{mc}/application").status_code == 404
    assert client.post(f"/municipal/{mc}/application", data={**APPLICATION, "action": "save"}).status_code == 404
    client.post("/auth/logout")
    login(cycle_world["coordinator"])
    assert client.get(f"/municipal/{mc}/application").status_code == 200
    assert client.post(f"/municipal/{mc}/application", data={**APPLICATION, "action": "save"}).status_code == 403
    client.post("/auth/logout")
    login(cycle_world["official"])
    assert client.get(f"/municipal/{mc}/application").status_code == 404


def test_letter_must_be_a_real_pdf_within_the_size_limit_and_is_served_as_attachment(
    client, login, cycle_world, in_app, app
):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])

    def upload(content, name="carta.pdf"):
        return client.post(
            f"/municipal/{mc}/application",
            data={"action": "letter", "letter-letter": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
        )

    assert "no es un PDF válido" in upload(b"MZ\x90\x00 not a pdf at all").get_data(as_text=True)
    assert "no es un PDF válido" in upload(b"%PDF-1.7\nbroken").get_data(as_text=True)
    limit = app.config["LETTER_MAX_BYTES"]
    app.config["LETTER_MAX_BYTES"] = 4000  # a small limit keeps the upload in memory
    try:
        assert "demasiado grande" in upload(pdf_bytes() + b"\n%" + b"x" * 4000).get_data(as_text=True)
    finally:
        app.config["LETTER_MAX_BYTES"] = limit
    assert in_app(lambda: db.session.scalar(select(Application.letter_stored_name))) is None
    assert upload(pdf_bytes(), name="../../etc/carta mayor.exe").status_code == 302
    stored = in_app(lambda: db.session.scalar(select(Application)))
    assert stored.letter_filename == "carta mayor.exe" and len(stored.letter_stored_name) == 36
    download = client.get(f"/municipal/{mc}/application/letter")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Cache-Control"] == "no-store"
    download.close()
    client.post("/auth/logout")
    login(cycle_world["outsider_coordinator"])
    assert client.get(f"/municipal/{mc}/application/letter").status_code == 404
    # Not reachable under /static either.
    assert client.get(f"/static/{stored.letter_stored_name}").status_code == 404


def test_application_submit_review_return_resubmit_accept(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])
    incomplete = client.post(
        f"/municipal/{mc}/application", data={**APPLICATION, "action": "submit"}, follow_redirects=True
    )
    assert "Falta" in incomplete.get_data(as_text=True)
    assert in_app(lambda: db.session.scalar(select(Application.state))) == "draft"
    client.post(
        f"/municipal/{mc}/application",
        data={"action": "letter", "letter-letter": (io.BytesIO(pdf_bytes()), "c.pdf")},
        content_type="multipart/form-data",
    )
    assert client.post(f"/municipal/{mc}/application", data={**APPLICATION, "action": "submit"}).status_code == 302
    assert in_app(lambda: db.session.scalar(select(Application.state))) == "submitted"
    # Locked while under review; the focal point cannot review.
    client.post(f"/municipal/{mc}/application", data={**APPLICATION, "app-population": "7", "action": "save"})
    assert in_app(lambda: db.session.scalar(select(Application.population))) == 1500000
    assert (
        client.post(f"/municipal/{mc}/application", data={"action": "review", "review-decision": "accept"}).status_code
        == 403
    )
    client.post("/auth/logout")
    login(cycle_world["iom"])
    no_comment = client.post(f"/municipal/{mc}/application", data={"action": "review", "review-decision": "return"})
    assert "Explique qué hay que corregir" in no_comment.get_data(as_text=True)
    client.post(
        f"/municipal/{mc}/application",
        data={"action": "review", "review-decision": "return", "review-comment": "Falta la firma en la carta"},
    )
    assert in_app(lambda: db.session.scalar(select(Application.state))) == "returned"
    client.post("/auth/logout")
    login(cycle_world["substitute"])
    assert "Falta la firma en la carta" in client.get(f"/municipal/{mc}/application").get_data(as_text=True)
    client.post(f"/municipal/{mc}/application", data={**APPLICATION, "action": "submit"})
    client.post("/auth/logout")
    login(cycle_world["iom"])
    client.post(f"/municipal/{mc}/application", data={"action": "review", "review-decision": "accept"})
    events = in_app(
        lambda: [
            (e.from_state, e.to_state, e.actor_id)
            for e in db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id))
        ]
    )
    assert events == [
        ("draft", "submitted", cycle_world["focal"].id),
        ("submitted", "returned", cycle_world["iom"].id),
        ("returned", "submitted", cycle_world["substitute"].id),
        ("submitted", "accepted", cycle_world["iom"].id),
    ]
    assert _count(in_app, AuditEvent, action="application_accepted") == 1


# --------------------------------------------------------------------------- diagnostic


def _answer_all(client, mc, in_app, level_of=lambda position: 2):
    keys = in_app(lambda: db.session.execute(select(DiagnosticIndicator.id, DiagnosticIndicator.dimension_id)).all())
    dims = in_app(lambda: {d.id: d.key for d in db.session.scalars(select(DiagnosticDimension))})
    for dim_id, dim_key in dims.items():
        data = {"action": "save"}
        for position, (ind, d) in enumerate(keys):
            if d == dim_id:
                data[f"level-{ind}"] = str(level_of(position))
                data[f"note-{ind}"] = "Ordenanza 123/2024"
        assert client.post(f"/municipal/{mc}/diagnostic/{dim_key}", data=data).status_code == 302


def test_diagnostic_autosave_validates_and_submission_needs_every_indicator(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])
    first = in_app(lambda: db.session.scalar(select(DiagnosticIndicator).order_by(DiagnosticIndicator.id)))
    dim_key = in_app(
        lambda: db.session.scalar(select(DiagnosticDimension.key).where(DiagnosticDimension.id == first.dimension_id))
    )
    url = f"/municipal/{mc}/diagnostic/{dim_key}/autosave"
    ok = client.post(url, data={f"level-{first.id}": "1", f"note-{first.id}": "Decreto 5/2023"})
    assert ok.status_code == 200 and ok.get_json() == {"saved": True}
    assert client.post(url, json={f"level-{first.id}": "2"}).status_code == 415
    for bad in ("3", "²", "-1", "9" * 500):
        response = client.post(url, data={f"level-{first.id}": bad})
        assert response.status_code == 400 and response.get_json()["saved"] is False
    assert (
        client.post(url, data={f"level-{first.id}": "2", f"link-{first.id}": "javascript:alert(1)"}).status_code == 400
    )
    answer = in_app(lambda: db.session.scalar(select(DiagnosticAnswer)))
    assert (answer.level, answer.evidence_note, answer.link) == (1, "Decreto 5/2023", "")
    client.post(f"/municipal/{mc}/diagnostic", data={"action": "submit"})
    assert in_app(lambda: db.session.scalar(select(Diagnostic.state))) == "draft"
    _answer_all(client, mc, in_app)
    client.post(f"/municipal/{mc}/diagnostic", data={"action": "submit"})
    assert in_app(lambda: db.session.scalar(select(Diagnostic.state))) == "submitted"
    locked = client.post(url, data={f"level-{first.id}": "0"})
    assert locked.status_code == 409
    client.post("/auth/logout")
    login(cycle_world["other_focal"])
    assert client.post(url, data={f"level-{first.id}": "0"}).status_code == 404


def test_diagnostic_returned_with_comments_per_dimension_then_validated(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])
    _answer_all(client, mc, in_app)
    client.post(f"/municipal/{mc}/diagnostic", data={"action": "submit"})
    client.post("/auth/logout")
    login(cycle_world["coordinator"])
    assert (
        client.post(f"/municipal/{mc}/diagnostic", data={"action": "review", "review-decision": "validate"}).status_code
        == 403
    )
    client.post("/auth/logout")
    login(cycle_world["iom"])
    client.post(
        f"/municipal/{mc}/diagnostic",
        data={
            "action": "review",
            "review-decision": "return",
            "review-comment": "Revisar la evidencia",
            "dim-salud": "Falta el protocolo",
        },
    )
    event = in_app(lambda: db.session.scalar(select(ReviewEvent).where(ReviewEvent.to_state == "returned")))
    assert event.details == {"salud": "Falta el protocolo"}
    client.post("/auth/logout")
    login(cycle_world["focal"])
    assert "Falta el protocolo" in client.get(f"/municipal/{mc}/diagnostic/salud").get_data(as_text=True)
    client.post(f"/municipal/{mc}/diagnostic", data={"action": "submit"})
    client.post("/auth/logout")
    login(cycle_world["iom"])
    client.post(f"/municipal/{mc}/diagnostic", data={"action": "review", "review-decision": "validate"})
    assert in_app(lambda: db.session.scalar(select(Diagnostic.state))) == "validated"
    page = client.get(f"/municipal/{mc}/diagnostic").get_data(as_text=True)
    assert "100" in page and "<svg" in page
    assert client.get(f"/municipal/{mc}/diagnostic/report").status_code == 200


def test_scores_per_dimension_and_comparison_with_previous_cycle(session, make_user):
    from tests.conftest import current_municipal_cycle

    cordoba = session.scalar(select(Municipality).where(Municipality.key == "cordoba"))
    focal = session.get(User, make_user(is_focal_point=True).id)
    mc = current_municipal_cycle(cordoba)
    indicators = session.scalars(select(DiagnosticIndicator).order_by(DiagnosticIndicator.id)).all()
    levels = [0, 1, 2, 2] + [1] * (len(indicators) - 4)
    diagnostic_service.save_answers(
        focal,
        mc,
        [diagnostic_service.AnswerInput(i.id, level, "", "") for i, level in zip(indicators, levels, strict=False)],
    )
    current = diagnostic_service.view(mc)
    first = current.dimensions[0]
    assert (first.answered, first.points, first.score) == (4, 5, 62.5)
    assert [i.key for i in first.fully] == [indicators[2].key, indicators[3].key]
    assert [i.key for i in first.absent] == [indicators[0].key]
    assert current.complete and current.lowest(1)[0].score == 50.0
    assert diagnostic_service.score_levels([0, None, 2]) == 50.0
    assert diagnostic_service.comparison(mc, current) is None
    # Next year's cycle starts from a clean slate and compares with this one once submitted.
    later = cycle_service.create_cycle(
        fixture_officer(),
        year=mc.cycle.year + 1,
        name="next",
        starts_on=mc.cycle.ends_on + timedelta(days=1),
        ends_on=mc.cycle.ends_on + timedelta(days=365),
    )
    mc_next = cycle_service.admit(fixture_officer(), later, cordoba)
    assert diagnostic_service.view(mc_next).answered == 0
    diagnostic_service.diagnostic_of(mc).state = "validated"
    previous = diagnostic_service.comparison(mc_next, diagnostic_service.view(mc_next))
    assert previous[first.dimension.id] == 62.5


# --------------------------------------------------------------------------- workshops


def test_workshop_attendance_by_area_and_gender_with_guests(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])
    areas = in_app(lambda: {a.key: a.id for a in db.session.scalars(select(Area))})
    today = utc_today().isoformat()
    data = {
        "w-held_on": today,
        "w-modality": "in_person",
        "w-place": "Palacio municipal",
        "w-areas": [areas["salud"], areas["empleo"]],
        "w-officials": [cycle_world["focal"].id, cycle_world["official"].id],
        "guest-count": "3",
        "guest-0-name": "Ana Quispe",
        "guest-0-organisation": "Asociación de migrantes",
        "guest-0-area": "",
        "guest-0-gender": "woman",
        "guest-1-name": "Luis Paz",
        "guest-1-area": str(areas["educacion"]),
        "guest-1-gender": "man",
        "guest-2-name": "",
        "w-good_practices": "Mesa de atención en la terminal",
    }
    outsider = {**data, "w-officials": [cycle_world["other_focal"].id]}
    client.post(f"/municipal/{mc}/workshops/new", data=outsider)
    assert _count(in_app, Workshop) == 0
    response = client.post(f"/municipal/{mc}/workshops/new", data=data)
    assert response.status_code == 302
    workshop = in_app(lambda: db.session.scalar(select(Workshop)))
    page = client.get(f"/municipal/{mc}/workshops/{workshop.id}").get_data(as_text=True)
    assert "4 personas asistieron, de 3 áreas" in page and "Ana Quispe" in page
    assert "Dentro de la banda" in page and "50" in page  # 2 women and 2 men, exact for the municipality's staff
    client.post("/auth/logout")
    login(cycle_world["coordinator"])
    page = client.get(f"/municipal/{mc}/workshops/{workshop.id}").get_data(as_text=True)
    assert "oculto" in page  # counts under five are hidden outside the municipality
    assert client.post(f"/municipal/{mc}/workshops/{workshop.id}/delete").status_code == 403


# --------------------------------------------------------------------------- priorities and plan


def _validated(in_app, mc_id, levels_by_position=None):
    def run():
        mc = db.session.get(MunicipalCycle, mc_id)
        focal = db.session.get(User, mc.focal_point_id)
        indicators = db.session.scalars(select(DiagnosticIndicator).order_by(DiagnosticIndicator.id)).all()
        diagnostic_service.save_answers(
            focal,
            mc,
            [
                diagnostic_service.AnswerInput(i.id, (levels_by_position or {}).get(n, 2), "", "")
                for n, i in enumerate(indicators)
            ],
        )
        db.session.execute(Diagnostic.__table__.update().values(state="validated"))

    in_app(run)


def test_plan_needs_validated_diagnostic_complete_actions_and_iom_approval(client, login, cycle_world, in_app):
    mc = cycle_world["cordoba"]
    login(cycle_world["focal"])
    dim = in_app(lambda: db.session.scalar(select(DiagnosticDimension.id).order_by(DiagnosticDimension.position)))
    client.post(f"/municipal/{mc}/plan", data={"action": "priority", "p-dimension": dim, "p-title": "Mesa de atención"})
    assert _count(in_app, Priority) == 0  # diagnostic not validated yet
    _validated(in_app, mc, {0: 0, 1: 0})
    assert "Dónde conviene empezar" in client.get(f"/municipal/{mc}/plan").get_data(as_text=True)
    client.post(f"/municipal/{mc}/plan", data={"action": "priority", "p-dimension": dim, "p-title": "Mesa de atención"})
    priority = in_app(lambda: db.session.scalar(select(Priority)))
    area = in_app(lambda: db.session.scalar(select(Area.id)))
    prefix = f"a{priority.id}-"
    invalid = client.post(
        f"/municipal/{mc}/plan/priorities/{priority.id}/actions",
        data={f"{prefix}description": "", f"{prefix}indicator": "Mesas abiertas", f"{prefix}due_on": "2026-13-40"},
    )
    page = invalid.get_data(as_text=True)
    assert invalid.status_code == 200 and "error-summary" in page and "Describa la acción." in page
    assert 'value="Mesas abiertas"' in page, "the input is kept after an error"
    assert in_app(lambda: db.session.scalar(select(PlanAction.id))) is None
    client.post(
        f"/municipal/{mc}/plan/priorities/{priority.id}/actions",
        data={f"{prefix}description": "Abrir la mesa", f"{prefix}area": 0, f"{prefix}indicator": ""},
    )
    client.post(f"/municipal/{mc}/plan", data={"action": "submit"})
    assert (
        in_app(lambda: db.session.scalar(select(WorkPlan.state))) == "draft"
    )  # the action lacks area, date, indicator
    past = (utc_today() - timedelta(days=3)).isoformat()
    client.post(
        f"/municipal/{mc}/plan/priorities/{priority.id}/actions",
        data={
            f"{prefix}description": "Capacitar a la ventanilla",
            f"{prefix}area": area,
            f"{prefix}due_on": past,
            f"{prefix}indicator": "Personas atendidas por mes",
            f"{prefix}target": "100",
        },
    )
    client.post(f"/municipal/{mc}/plan", data={"action": "submit"})
    assert in_app(lambda: db.session.scalar(select(WorkPlan.state))) == "submitted"
    client.post("/auth/logout")
    login(cycle_world["iom"])
    client.post(f"/municipal/{mc}/plan", data={"action": "review", "review-decision": "approve"})
    assert in_app(lambda: db.session.scalar(select(WorkPlan.state))) == "approved"
    client.post("/auth/logout")
    login(cycle_world["substitute"])
    action = in_app(lambda: db.session.scalar(select(PlanAction).where(PlanAction.indicator != "")))
    page = client.get(f"/municipal/{mc}/plan").get_data(as_text=True)
    assert "Vencida" in page
    client.post(
        f"/municipal/{mc}/plan/actions/{action.id}/progress",
        data={f"g{action.id}-state": "done", f"g{action.id}-text": "Mesa abierta el lunes"},
    )
    done = in_app(lambda: db.session.get(PlanAction, action.id))
    assert done.state == "done"
    page = client.get(f"/municipal/{mc}/plan").get_data(as_text=True)
    assert "Mesa abierta el lunes" in page and "Vencida" not in page
    # Priorities cannot change after approval.
    client.post(f"/municipal/{mc}/plan/priorities/{priority.id}/delete")
    assert _count(in_app, Priority) == 1


# --------------------------------------------------------------------------- pages at scale


def test_cycle_table_and_cycle_page_keep_a_constant_number_of_queries(client, login, cycle_world, make_user, in_app):
    login(cycle_world["iom"])
    mc_id = cycle_world["cordoba"]
    paths = [
        f"/cycles/{cycle_world['cycle']}",
        f"/municipal/{mc_id}",
        f"/municipal/{mc_id}/diagnostic",
        f"/municipal/{mc_id}/plan",
        f"/municipal/{mc_id}/workshops",
    ]
    _validated(in_app, mc_id)

    def add_plan(n):
        from app.models import ActionNote, DiagnosticDimension

        dims = db.session.scalars(select(DiagnosticDimension.id)).all()
        for k in range(n):
            priority = Priority(municipal_cycle_id=mc_id, dimension_id=dims[k % len(dims)], title=f"P{k}")
            db.session.add(priority)
            db.session.flush()
            for j in range(2):
                action = PlanAction(priority_id=priority.id, description=f"A{k}.{j}", indicator="x", due_on=utc_today())
                db.session.add(action)
                db.session.flush()
                db.session.add(ActionNote(action_id=action.id, noted_on=utc_today(), text="avance"))
            db.session.add(Workshop(municipal_cycle_id=mc_id, held_on=utc_today()))

    def measure():
        counts = []
        with client.application.app_context():
            engine = db.engine
        for path in paths:
            client.get(path)
            with QueryCounter(engine) as counter:
                assert client.get(path).status_code == 200, path
            counts.append(counter.count)
        return counts

    in_app(lambda: add_plan(1))
    small = measure()

    def grow():
        cycle = db.session.get(Cycle, cycle_world["cycle"])
        for m in db.session.scalars(select(Municipality)):
            cycle_service.admit(fixture_officer(), cycle, m)
        add_plan(6)

    in_app(grow)
    large = measure()
    assert small == large, dict(zip(paths, zip(small, large, strict=False), strict=False))
