"""Certificates in monitoring (scope, suppression, holders), the generic issuing verb, the CLI and the demo."""

import io
import pathlib

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.credentials import integrity
from app.extensions import db
from app.models import Certificate, User
from app.seed import DEMO_DOMAIN, seed_demo
from app.services import certificates as service
from app.services.content import load_content, sync_content
from tests.test_certificates import finish_training
from tests.test_credentials import schema_errors
from tests.test_monitoring import QueryCounter


def _certify(user_id):
    finish_training(user_id)
    return service.issue_training_if_complete(db.session.get(User, user_id))


@pytest.fixture
def holders(make_user, in_app):
    """Córdoba: six women certified and one man whose certificate was revoked; Rosario: one woman."""
    cordoba = [make_user(municipality="cordoba", gender="woman", name=f"Titular Córdoba {i}") for i in range(6)]
    man = make_user(municipality="cordoba", gender="man", name="Titular Revocado")
    rosario = make_user(municipality="rosario", gender="woman", name="Titular Rosario")
    iom = make_user(role="iom_officer", municipality=None, area=None, email="iom@example.org")

    def run():
        for person in cordoba + [rosario]:
            _certify(person.id)
        service.revoke(db.session.get(User, iom.id), _certify(man.id), "Prueba de revocación.")

    in_app(run)
    return {"cordoba": cordoba, "man": man, "rosario": rosario, "iom": iom}


def test_counts_by_municipality_and_gender_with_suppression_and_scope(client, login, make_user, in_app, holders):
    coordinator = make_user(role="coordinator", municipality=None, area=None, email="coord@example.org")

    def scope():
        from app.models import Municipality

        db.session.get(User, coordinator.id).scope = [
            db.session.scalar(select(Municipality).where(Municipality.key == "cordoba"))
        ]

    in_app(scope)
    login(coordinator)
    page = client.get("/monitoring/certificates").get_data(as_text=True)
    assert "Titular Córdoba 0" in page and "Titular Revocado" in page, "coordinators see the holders"
    assert "Titular Rosario" not in page and "Rosario" not in page, "nothing of another municipality"
    csv = client.get("/monitoring/certificates?format=csv&table=certificates").get_data(as_text=True)
    row = next(line for line in csv.splitlines() if line.startswith("Córdoba"))
    cells = row.split(",")
    assert cells[2] == "6", "six valid certificates"
    assert cells[3] == "1", "one revoked: shown to staff, who see the holders' list anyway (disclosure rules)"
    assert cells[4] == "6" and cells[5] == "0", "women and men among valid certificates"


def test_focal_points_see_figures_but_not_the_holders(client, login, make_user, holders):
    focal = make_user(municipality="rosario", is_focal_point=True, email="focal@example.org")
    login(focal)
    page = client.get("/monitoring/certificates").get_data(as_text=True)
    assert "Titular Rosario" not in page
    assert "oculto" in page, "focal points do not see small counts"
    assert "Titulares" not in page


def test_officials_cannot_open_the_certificates_monitoring_page(client, login, make_user):
    login(make_user())
    assert client.get("/monitoring/certificates").status_code == 403


def test_certificates_page_keeps_a_constant_number_of_queries(client, login, holders, make_user, in_app):
    login(holders["iom"])

    def measure():
        with client.application.app_context():
            engine = db.engine
        client.get("/monitoring/certificates")
        with QueryCounter(engine) as counter:
            assert client.get("/monitoring/certificates").status_code == 200
        return counter.count

    small = measure()
    more = [make_user(municipality="salta" if i % 2 else "cordoba", gender="man") for i in range(4)]
    in_app(lambda: [_certify(p.id) for p in more])
    assert measure() == small


def test_issue_certificate_renders_any_kind_from_a_title_and_lines(session, holders):
    claims = {
        "heading": "Programa MigraCiudades · OIM",
        "title": "Certificación municipal 2027",
        "subject": "Municipalidad de Córdoba",
        "statement": "La Municipalidad de Córdoba completó las seis etapas del ciclo 2027.",
        "lines": [
            "Adhesión",
            "Capacitación",
            "Diagnóstico",
            "Taller de diagnóstico",
            "Plan de trabajo",
            "Certificación",
        ],
        "issuer": {"name": "OIM, programa MigraCiudades"},
        "achievement": {
            "key": "municipal-2027",
            "name": "Certificación municipal MigraCiudades 2027",
            "description": "Ciclo anual de certificación.",
            "criteria": "Las seis etapas.",
            "hours": None,
        },
        "municipality": {"name": "Córdoba", "province": "Córdoba"},
        "cycle": "2027",
    }
    certificate = service.issue_certificate(kind="municipal", claims=claims, language="es")
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    assert "Municipalidad de Córdoba" in text and "Taller de diagnóstico" in text
    assert certificate.holder_id is None
    assert schema_errors(certificate.credential) == []
    assert integrity.verify(certificate.credential).verified


def test_keygen_writes_a_private_key_once(app, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "signing.pem"
    result = runner.invoke(args=["credentials", "keygen", "--out", str(target)])
    assert result.exit_code == 0 and "did:key:z6Mk" in result.output
    assert target.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    again = runner.invoke(args=["credentials", "keygen", "--out", str(target)])
    assert again.exit_code != 0 and "never overwritten" in again.output


def test_demo_data_has_a_certified_focal_point_and_a_revoked_certificate(make_app):
    demo = make_app(CONTENT_DIR=str(pathlib.Path(__file__).parent.parent / "content"))
    with demo.app_context():
        bundle, report = load_content(demo.config["CONTENT_DIR"])
        sync_content(bundle)
        db.session.commit()
    runner = demo.test_cli_runner()
    assert runner.invoke(seed_demo).exit_code == 0
    with demo.app_context():
        focal = db.session.scalar(select(User).where(User.email == f"referente@{DEMO_DOMAIN}"))
        certificate = service.training_certificate_of(focal.id)
        assert certificate is not None and certificate.status == "valid"
        revoked = db.session.scalars(select(Certificate).where(Certificate.revoked_at.is_not(None))).all()
        assert len(revoked) == 1 and revoked[0].revoked_reason
        total = db.session.scalar(select(func.count(Certificate.id)))
        # the demo's progress went through the services that keep the summaries, so the certificate's
        # quick check on them (summaries.training_complete) missed nobody the full rule certifies
        from app.services import progress as progress_service
        from app.services import summaries

        assert summaries.drift() == (0, [])
        owed = {
            user.id
            for user in db.session.scalars(select(User))
            if service.eligible(user, progress_service.learner_progress(user.id))
        }
        holders = set(db.session.scalars(select(Certificate.holder_id).where(Certificate.kind == "training")))
        assert owed and owed <= holders
    assert runner.invoke(seed_demo).exit_code == 0
    with demo.app_context():
        assert db.session.scalar(select(func.count(Certificate.id))) == total, "idempotent"
