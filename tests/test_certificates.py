"""Training certificates end to end: issuing at completion, frozen claims, re-issue, revocation,
public verification, the stored PDF (text, fingerprint, QR code) and the served credentials."""

import hashlib
import io
import json
import random

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from app.credentials import integrity, keys, statuslist
from app.credentials.codes import grouped
from app.extensions import db
from app.models import AuditEvent, Certificate, Lesson, Module, Quiz, User
from app.services import certificates as service
from app.services import progress as progress_service
from app.services import quiz as quiz_service
from tests.conftest import csrf_token_from, fixture_officer
from tests.test_credentials import dropped_terms, schema_errors


def _lessons():
    return db.session.scalars(
        select(Lesson).join(Module).where(Lesson.active).order_by(Module.position, Lesson.position)
    ).all()


def _pass_quiz(user_id, module_key):
    quiz = db.session.scalar(select(Quiz).join(Module).where(Module.key == module_key))
    attempt = quiz_service.start_or_resume(user_id, quiz, rng=random.Random(3))
    answers = {dq.item.id: sorted(dq.correct_ids) for dq in quiz_service.drawn_questions(attempt)}
    quiz_service.submit(attempt, answers)


def finish_training(user_id, leave_last_lesson=False):
    """Complete every lesson and pass every quiz (optionally leave the very last lesson undone)."""
    lessons = _lessons()
    for lesson in lessons[:-1] if leave_last_lesson else lessons:
        progress_service.complete_lesson(user_id, lesson.id, service.utcnow())
    for key in ("basico", "avanzado"):
        _pass_quiz(user_id, key)
    db.session.flush()
    return lessons[-1]


@pytest.fixture
def holder(make_user):
    return make_user(name="María José Peña Ibáñez", locale="es")


@pytest.fixture
def issued(in_app, holder):
    """A holder with a training certificate; returns its code."""

    def run():
        finish_training(holder.id)
        return service.issue_training_if_complete(db.session.get(User, holder.id)).code

    return in_app(run)


def _count(session, kind="training"):
    return session.scalar(select(func.count(Certificate.id)).where(Certificate.kind == kind))


# --------------------------------------------------------------------------- issuing


def test_certificate_is_issued_by_the_request_that_completes_the_training_and_not_before(client, login, in_app, holder):
    last = in_app(lambda: finish_training(holder.id, leave_last_lesson=True))
    assert in_app(lambda: _count(db.session)) == 0, "one lesson left: no certificate yet"
    login(holder)
    module_key = in_app(lambda: db.session.get(Module, last.module_id).key)
    response = client.post(f"/modules/{module_key}/lessons/{last.key}/complete")
    assert response.status_code == 302
    certificate = in_app(lambda: db.session.scalar(select(Certificate)))
    assert certificate is not None and certificate.holder_id == holder.id
    page = client.get("/my-progress").get_data(as_text=True)
    assert grouped(certificate.code) in page
    assert f"/certificates/{grouped(certificate.code)}.pdf" in page


def test_no_second_certificate_on_a_second_completion(session, issued, holder):
    user = session.get(User, holder.id)
    assert service.issue_training_if_complete(user) is None
    _pass_quiz(holder.id, "basico")  # another attempt after completing
    assert service.issue_training_if_complete(user) is None
    assert _count(session) == 1


def test_claims_stay_frozen_after_name_and_pass_mark_changes(session, issued, holder):
    certificate = service.find_by_code(issued)
    before = (
        json.dumps(certificate.claims, sort_keys=True),
        certificate.pdf_sha256,
        json.dumps(certificate.credential, sort_keys=True),
    )
    session.get(User, holder.id).name = "Otra Persona"
    for quiz in session.scalars(select(Quiz)):
        quiz.pass_mark = 100
    session.flush()
    session.expire_all()
    certificate = service.find_by_code(issued)
    assert (
        json.dumps(certificate.claims, sort_keys=True),
        certificate.pdf_sha256,
        json.dumps(certificate.credential, sort_keys=True),
    ) == before
    assert certificate.claims["holder"]["name"] == "María José Peña Ibáñez"


def test_claims_record_holder_municipality_area_modules_hours_and_scores(session, issued):
    claims = service.find_by_code(issued).claims
    assert claims["holder"] == {"name": "María José Peña Ibáñez", "area": claims["holder"]["area"]}
    assert claims["holder"]["area"]
    assert claims["municipality"]["name"]
    assert [m["key"] for m in claims["modules"]] == ["basico", "avanzado"]
    declared = sum(session.scalars(select(Module.hours).where(Module.active)))
    assert claims["total_hours"] == sum(m["hours"] for m in claims["modules"]) == declared > 0
    assert all(m["best_score"] == 100.0 for m in claims["modules"])
    assert claims["issuer"]["name"]


def test_an_inactive_account_is_not_eligible(session, make_user):
    person = make_user()
    finish_training(person.id)
    user = session.get(User, person.id)
    user.active = False
    assert not service.eligible(user, progress_service.learner_progress(person.id))
    assert service.issue_training_if_complete(user) is None


def test_production_without_a_key_refuses_to_issue_but_keeps_progress(make_app, make_user):
    person = make_user()
    production = make_app(
        APP_ENV="production", SECRET_KEY="p" * 48, CREDENTIAL_SIGNING_KEY=None, CREDENTIAL_KEY_FILE=None
    )
    with production.app_context():
        finish_training(person.id)
        with pytest.raises(keys.KeyNotConfigured):
            service.issue_training_if_complete(db.session.get(User, person.id))
        db.session.rollback()


def test_completing_without_a_key_saves_the_lesson_and_explains(make_app, make_user):
    person = make_user()
    production = make_app(
        APP_ENV="production", SECRET_KEY="p" * 48, CREDENTIAL_SIGNING_KEY=None, CREDENTIAL_KEY_FILE=None
    )
    with production.app_context():
        last = finish_training(person.id, leave_last_lesson=True)
        module_key, lesson_key = db.session.get(Module, last.module_id).key, last.key
        db.session.commit()
    client = production.test_client()
    client.post("/auth/login", data={"email": person.email, "password": person.password})
    response = client.post(f"/modules/{module_key}/lessons/{lesson_key}/complete", follow_redirects=True)
    assert response.status_code == 200
    assert "firma digital" in response.get_data(as_text=True)
    with production.app_context():
        assert progress_service.training_complete(progress_service.learner_progress(person.id))
        assert db.session.scalar(select(func.count(Certificate.id))) == 0


# --------------------------------------------------------------------------- the PDF


def test_every_download_returns_the_same_bytes_whose_fingerprint_the_verify_page_shows(client, login, holder, issued):
    login(holder)
    first = client.get(f"/certificates/{issued.lower()}.pdf")
    second = client.get(f"/certificates/{grouped(issued)}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data
    page = client.get(f"/verify/{grouped(issued)}").get_data(as_text=True)
    assert hashlib.sha256(first.data).hexdigest() in page


def test_pdf_text_has_the_name_with_accents_the_code_and_metadata(in_app, issued):
    certificate = in_app(service.find_by_code, issued)
    reader = PdfReader(io.BytesIO(certificate.pdf))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height, "A4 landscape"
    text = page.extract_text()
    assert "María José Peña Ibáñez" in text
    assert grouped(issued) in text
    assert "Certificado de capacitación" in text
    assert "María José Peña Ibáñez" in reader.metadata.title
    assert reader.metadata.author
    assert reader.trailer["/Root"]["/Lang"] == "es"


def test_the_qr_code_in_the_pdf_decodes_to_the_absolute_verify_url(in_app, issued):
    certificate = in_app(service.find_by_code, issued)
    images = PdfReader(io.BytesIO(certificate.pdf)).pages[0].images
    assert len(images) == 1
    image = Image.open(io.BytesIO(images[0].data)).convert("L")
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [f"https://campus.example.org/verify/{grouped(issued)}"]


def test_the_pdf_is_in_the_holders_language(in_app, make_user):
    person = make_user(name="João Conceição", locale="pt")

    def run():
        finish_training(person.id)
        return service.issue_training_if_complete(db.session.get(User, person.id))

    certificate = in_app(run)
    text = PdfReader(io.BytesIO(certificate.pdf)).pages[0].extract_text()
    assert certificate.language == "pt"
    assert "Certificado de capacitação" in text and "João Conceição" in text
    assert certificate.credential["credentialSubject"]["achievement"]["inLanguage"] == "pt"


def test_others_cannot_download_a_certificate_outside_their_scope(client, login, make_user, issued):
    login(make_user())
    assert client.get(f"/certificates/{grouped(issued)}.pdf").status_code == 404
    client.post("/auth/logout")
    outside = make_user(role="coordinator", municipality=None, area=None)
    login(outside)
    assert client.get(f"/certificates/{grouped(issued)}.pdf").status_code == 404


def test_iom_officers_download_any_certificate(client, login, make_user, issued):
    login(make_user(role="iom_officer", municipality=None, area=None))
    assert client.get(f"/certificates/{grouped(issued)}.pdf").status_code == 200


# --------------------------------------------------------------------------- verification


def test_verify_page_shows_every_claim_and_status_without_login(client, in_app, issued):
    response = client.get(f"/verify/{issued.lower()}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    certificate = in_app(service.find_by_code, issued)
    for text in (
        "María José Peña Ibáñez",
        certificate.claims["municipality"]["name"],
        "Módulo básico",
        "Módulo avanzado",
        certificate.pdf_sha256,
        "Válido",
        certificate.claims["issuer"]["name"],
    ):
        assert text in html, text
    assert "/auth/login" not in response.headers.get("Location", "")


def test_unknown_codes_answer_404_and_reveal_nothing(client, issued):
    for code in ("AAAA-BBBB-CCCC-DDDD", "nonsense", issued[:-1] + ("0" if issued[-1] != "0" else "1")):
        response = client.get(f"/verify/{code}")
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Peña" not in html and "No hay ningún certificado con ese código" in html
    assert client.get("/verify/AAAA-BBBB-CCCC-DDDD/credential.json").status_code == 404


def test_the_verify_form_takes_a_typed_code(client, issued):
    response = client.get("/verify", query_string={"code": " " + issued.lower() + " "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{grouped(issued)}")
    assert client.get("/verify", query_string={"code": "XYZ"}).status_code == 404
    assert client.get("/verify").status_code == 200


def test_verification_is_rate_limited(make_app, issued):
    limited = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [client.get(f"/verify/{grouped(issued)}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


# --------------------------------------------------------------------------- revocation and re-issue


def _iom(make_user):
    return make_user(role="iom_officer", municipality=None, area=None, name="Oficial OIM")


def test_only_iom_officers_revoke_and_a_reason_is_required(client, login, make_user, in_app, issued):
    coordinator = make_user(role="coordinator", municipality=None, area=None)
    in_app(lambda: setattr(db.session.get(User, coordinator.id), "all_municipalities", True))
    login(coordinator)
    assert client.post(f"/certificates/{grouped(issued)}/revoke", data={"revoke-reason": "x"}).status_code == 403
    client.post("/auth/logout")
    login(_iom(make_user))
    response = client.post(f"/certificates/{grouped(issued)}/revoke", data={"revoke-reason": "  "})
    assert response.status_code == 400 and "Escriba el motivo de la revocación." in response.get_data(as_text=True)
    assert in_app(service.find_by_code, issued).revoked_at is None


def test_revocation_is_immediate_on_the_verify_page_the_status_list_and_the_audit_log(
    client, login, make_user, in_app, issued
):
    certificate = in_app(service.find_by_code, issued)
    list_url = certificate.credential["credentialStatus"]["statusListCredential"]
    index = int(certificate.credential["credentialStatus"]["statusListIndex"])
    path = "/status/revocation/" + list_url.rsplit("/", 1)[1]
    before = client.get(path).get_json()
    assert integrity.verify(before).verified
    assert not statuslist.is_set(before["credentialSubject"]["encodedList"], index)
    login(_iom(make_user))
    response = client.post(f"/certificates/{grouped(issued)}/revoke", data={"revoke-reason": "Emitido por error."})
    assert response.status_code == 302
    after = client.get(path).get_json()
    assert integrity.verify(after).verified
    assert statuslist.is_set(after["credentialSubject"]["encodedList"], index)
    assert len(statuslist.decode(after["credentialSubject"]["encodedList"])) * 8 >= 131_072
    html = client.get(f"/verify/{grouped(issued)}").get_data(as_text=True)
    assert "Revocado" in html and "Emitido por error." in html
    event = in_app(lambda: db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate_revoked")))
    assert event.details["reason"] == "Emitido por error." and event.details["code"] == issued
    assert in_app(lambda: _count(db.session)) == 1, "never deleted"


def test_reissue_supersedes_the_old_certificate_and_both_stay_verifiable(
    client, login, make_user, in_app, issued, holder
):
    officer = _iom(make_user)
    login(officer)
    page = client.get(f"/certificates/{grouped(issued)}")
    assert page.status_code == 200 and "María José Peña Ibáñez" in page.get_data(as_text=True)
    response = client.post(
        f"/certificates/{grouped(issued)}/reissue",
        data={"reissue-name": "María Josefa Peña Ibáñez", "reissue-reason": "Nombre mal escrito."},
    )
    assert response.status_code == 302
    old = in_app(service.find_by_code, issued)
    new = in_app(lambda: db.session.get(Certificate, old.superseded_by_id))
    assert new.code != old.code and new.holder_id == holder.id
    assert new.claims["holder"]["name"] == "María Josefa Peña Ibáñez"
    assert new.claims["modules"] == old.claims["modules"]
    assert "María Josefa Peña Ibáñez" in PdfReader(io.BytesIO(new.pdf)).pages[0].extract_text()
    old_page = client.get(f"/verify/{grouped(old.code)}").get_data(as_text=True)
    assert "Reemplazado" in old_page and grouped(new.code) in old_page
    assert "Válido" in client.get(f"/verify/{grouped(new.code)}").get_data(as_text=True)
    assert integrity.verify(client.get(f"/verify/{grouped(old.code)}/credential.json").get_json()).verified
    event = in_app(lambda: db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate_reissued")))
    assert event.actor_id == officer.id and event.details["reason"] == "Nombre mal escrito."
    assert event.details["name"] == ["María José Peña Ibáñez", "María Josefa Peña Ibáñez"]
    assert in_app(lambda: service.training_certificate_of(holder.id).code) == new.code


def test_revoke_needs_a_csrf_token_when_csrf_is_on(make_app, make_user, issued):
    officer = _iom(make_user)
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    client.post(
        "/auth/login",
        data={"email": officer.email, "password": officer.password, "csrf_token": csrf_token_from(login_page)},
    )
    assert client.post(f"/certificates/{grouped(issued)}/revoke", data={"revoke-reason": "x"}).status_code == 400
    page = client.get(f"/certificates/{grouped(issued)}").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(
        f"/certificates/{grouped(issued)}/revoke", data={"revoke-reason": "Duplicado.", "revoke-csrf_token": token}
    )
    assert response.status_code == 302


# --------------------------------------------------------------------------- served credentials


def test_served_credential_validates_verifies_and_defines_every_term(client, in_app, issued, holder):
    credential = client.get(f"/verify/{grouped(issued)}/credential.json").get_json()
    assert schema_errors(credential) == []
    assert integrity.verify(credential).verified
    assert dropped_terms(credential) == []
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert isinstance(status["statusListIndex"], str) and status["statusListIndex"].isdigit()
    assert credential["id"] == f"https://campus.example.org/verify/{grouped(issued)}/credential.json"
    subject = credential["credentialSubject"]
    assert subject["achievement"]["criteria"]["narrative"]
    hours = in_app(lambda: sum(db.session.scalars(select(Module.hours).where(Module.active))))
    assert subject["achievement"]["creditsAvailable"] == float(hours) > 0
    assert holder.email not in json.dumps(credential), "no plain e-mail address"


def test_the_achievement_and_issuer_ids_resolve_here(client, issued):
    credential = client.get(f"/verify/{grouped(issued)}/credential.json").get_json()
    base = "https://campus.example.org"
    for ident in (credential["credentialSubject"]["achievement"]["id"], credential["issuer"]["id"]):
        assert ident.startswith(base + "/")
        response = client.get(ident[len(base) :])
        assert response.status_code == 200 and response.get_json()["id"] == ident
    assert client.get("/credentials/achievements/nothing").status_code == 404
    assert client.get("/status/revocation/nothing").status_code == 404


def test_the_progress_page_shows_the_current_certificate_as_its_record_stands(client, login, in_app, holder, issued):
    """The progress page reads only what it shows of the certificate (not its PDF): the current one,
    its status by the model's own rule, a revocation with its reason, a reissued copy's new code."""
    login(holder)
    assert grouped(issued) in client.get("/my-progress").get_data(as_text=True)

    def shown_and_model():
        shown = service.training_certificate_shown(holder.id)
        model = service.training_certificate_of(holder.id)
        return (shown.code, shown.issued_at, shown.status), (model.code, model.issued_at, model.status)

    shown, model = in_app(shown_and_model)
    assert shown == model and shown[2] == "valid"

    def reissue():
        return service.reissue(
            fixture_officer(), service.find_by_code(issued), name="María José Peña", reason="Nombre"
        ).code

    new_code = in_app(reissue)
    page = client.get("/my-progress").get_data(as_text=True)
    assert grouped(new_code) in page and grouped(issued) not in page
    shown, model = in_app(shown_and_model)
    assert shown == model and shown[0] == new_code

    in_app(lambda: service.revoke(fixture_officer(), service.find_by_code(new_code), "Emitido por error."))
    page = client.get("/my-progress").get_data(as_text=True)
    assert "fue revocado" in page and "Emitido por error." in page
    shown, model = in_app(shown_and_model)
    assert shown == model and shown[2] == "revoked"
