"""Taking a quiz (review page before submitting), what a graded attempt reveals, extra attempts, hours."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, ExtraAttempt, Municipality, Quiz, QuizAttempt, User
from app.services import quiz as quiz_service
from app.services.permissions import can_grant_extra_attempt
from tests.conftest import submit_attempt


def _start(client, module="basico"):
    response = client.post(f"/modules/{module}/quiz")
    assert response.status_code == 302, response.headers.get("Location")
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _item_ids(html):
    return [int(x) for x in re.findall(r'name="asked" value="(\d+)"', html)]


def _answers(in_app, attempt_id, right=True):
    """Form fields answering every question of the attempt, all right or all wrong."""

    def collect():
        attempt = db.session.get(QuizAttempt, attempt_id)
        out = {"asked": []}
        for dq in quiz_service.drawn_questions(attempt):
            out["asked"].append(dq.item.id)
            wrong = [c.id for c in dq.choices if not c.is_correct]
            out[f"q{dq.item.id}"] = sorted(dq.correct_ids) if right else wrong[:1]
        return out

    return in_app(collect)


def _status(in_app, attempt_id):
    return in_app(lambda: db.session.get(QuizAttempt, attempt_id).status)


def _fail_attempts(client, in_app, n, module="basico"):
    for _ in range(n):
        attempt_id = _start(client, module)
        submit_attempt(client, attempt_id, _answers(in_app, attempt_id, right=False))
    return attempt_id


# --------------------------------------------------------------------------- submitting goes through review


def test_the_quiz_form_cannot_be_submitted_by_pressing_enter(client, make_user, login):
    """Enter clicks a form's first submit button (its default button): here a hidden 'save'."""
    login(make_user())
    html = client.get(f"/attempts/{_start(client)}").get_data(as_text=True)
    form = html[html.index('<form method="post" id="quiz-form"') :]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first_button and 'value="save"' in first_button and "hidden" in first_button
    assert 'value="submit"' not in form, "no button on the question page submits the attempt"


def test_review_saves_answers_lists_unanswered_questions_and_does_not_submit(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    answers = _answers(in_app, attempt_id)
    first = answers["asked"][0]
    response = client.post(
        f"/attempts/{attempt_id}",
        data={"action": "review", "asked": answers["asked"], f"q{first}": answers[f"q{first}"]},
    )
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
    assert _status(in_app, attempt_id) == "open"
    html = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Respondió 1 de 4 preguntas." in html
    assert "3 preguntas no tienen respuesta y cuentan como incorrectas." in html
    assert html.count("Sin responder</span>") == 3 and html.count("Respondida</span>") == 1
    assert f'href="/attempts/{attempt_id}#q-{answers["asked"][1]}"' in html
    assert f'action="/attempts/{attempt_id}/submit"' in html
    assert _status(in_app, attempt_id) == "open", "looking at the review page submits nothing"


def test_an_old_submit_button_only_leads_to_the_review_page(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    response = client.post(f"/attempts/{attempt_id}", data={**_answers(in_app, attempt_id), "action": "submit"})
    assert response.headers["Location"].endswith("/review")
    assert _status(in_app, attempt_id) == "open"


def test_confirming_on_the_review_page_grades_the_saved_answers(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    client.post(f"/attempts/{attempt_id}", data={**_answers(in_app, attempt_id), "action": "review"})
    response = client.post(f"/attempts/{attempt_id}/submit")
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}")
    attempt = in_app(lambda: db.session.get(QuizAttempt, attempt_id))
    assert (attempt.status, attempt.score) == ("submitted", 100.0)
    assert client.get(f"/attempts/{attempt_id}/review").headers["Location"].endswith(f"/attempts/{attempt_id}")


def test_timed_attempts_carry_a_countdown_for_the_script(client, make_user, login):
    login(make_user())
    attempt_id = _start(client, "avanzado")
    for path in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/review"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'id="deadline" data-deadline="[^"]+" data-now="[^"]+"', html)
        assert 'id="countdown" role="timer"' in html and "Tiempo restante: {time}" in html
    untimed = client.get(f"/attempts/{_start(client)}").get_data(as_text=True)
    assert 'id="countdown"' not in untimed


# --------------------------------------------------------------------------- review policy


def _quiz(policy, max_attempts=3):
    return SimpleNamespace(reveal_answers=policy, max_attempts=max_attempts)


def _attempt(passed=False, status="submitted"):
    return SimpleNamespace(passed=passed, status=status)


@pytest.mark.parametrize(
    "policy, attempts, extra, expected",
    [
        ("after_pass_or_last_attempt", [_attempt()], 0, False),
        ("after_pass_or_last_attempt", [_attempt(), _attempt()], 0, False),
        ("after_pass_or_last_attempt", [_attempt(), _attempt(passed=True)], 0, True),
        ("after_pass_or_last_attempt", [_attempt()] * 3, 0, True),
        ("after_pass_or_last_attempt", [_attempt()] * 3, 1, False),  # an extra attempt is still to come
        ("after_pass_or_last_attempt", [_attempt()] * 4, 1, True),
        ("after_pass_or_last_attempt", [_attempt(), _attempt(), _attempt(status="open")], 0, False),
        ("after_each_attempt", [_attempt()], 0, True),
        ("never", [_attempt(passed=True)], 0, False),
        ("never", [_attempt()] * 3, 0, False),
    ],
)
def test_answers_are_revealed_by_policy_and_attempt_state(policy, attempts, extra, expected):
    assert quiz_service.answers_revealed(_quiz(policy), attempts, extra) is expected


def test_unlimited_quiz_reveals_after_a_pass_only():
    quiz = _quiz("after_pass_or_last_attempt", max_attempts=0)
    assert quiz_service.answers_revealed(quiz, [_attempt()] * 10) is False
    assert quiz_service.answers_revealed(quiz, [_attempt(passed=True)]) is True


def test_a_failed_first_attempt_shows_what_was_wrong_but_not_the_right_options(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _fail_attempts(client, in_app, 1)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "0,0" in html and "No aprobado" in html
    assert html.count("Incorrecta</p>") == 4
    assert "(su respuesta)" in html
    assert "respuesta correcta" not in html and "Explicación:" not in html
    assert "Las respuestas correctas y las explicaciones se muestran cuando apruebe" in html
    assert 'href="/modules/basico/lessons/leccion-1"' in html


def test_the_right_options_are_revealed_once_the_attempts_are_used_up(client, make_user, login, in_app):
    login(make_user())
    first = _fail_attempts(client, in_app, 1)
    last = _fail_attempts(client, in_app, 2)
    for attempt_id in (first, last):
        html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        assert "(respuesta correcta)" in html and "Explicación:" in html


def test_a_quiz_set_to_reveal_after_each_attempt_shows_them_at_once(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _fail_attempts(client, in_app, 1, module="avanzado")
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "(respuesta correcta)" in html and "Explicación:" in html


def test_a_quiz_set_to_never_reveal_shows_only_right_and_wrong(client, make_user, login, in_app):
    in_app(lambda: setattr(db.session.scalar(select(Quiz).where(Quiz.max_attempts == 0)), "reveal_answers", "never"))
    login(make_user())
    attempt_id = _fail_attempts(client, in_app, 1, module="avanzado")
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Incorrecta</p>" in html
    assert "respuesta correcta" not in html and "Explicación:" not in html
    assert "no las respuestas correctas" in html


# --------------------------------------------------------------------------- no dead ends: extra attempts


@pytest.fixture
def staff(make_user, in_app):
    """A coordinator of Córdoba, one of Rosario, and an IOM officer."""

    def coordinator(email, municipality):
        person = make_user(role="coordinator", municipality=None, area=None, email=email, name=f"Coord {municipality}")

        def scope():
            user = db.session.get(User, person.id)
            user.scope = [db.session.scalar(select(Municipality).where(Municipality.key == municipality))]

        in_app(scope)
        return person

    return SimpleNamespace(
        cordoba=coordinator("coord.cordoba@example.org", "cordoba"),
        rosario=coordinator("coord.rosario@example.org", "rosario"),
        iom=make_user(role="iom_officer", municipality=None, area=None, email="oim@example.org", name="Oficial OIM"),
    )


def test_module_page_says_plainly_when_attempts_are_used_up_and_who_can_help(client, make_user, login, in_app, staff):
    login(make_user(municipality="cordoba"))
    _fail_attempts(client, in_app, 3)
    html = client.get("/modules/basico").get_data(as_text=True)
    assert 'id="out-of-attempts"' in html
    assert "Usó todos sus intentos y todavía no aprobó esta evaluación." in html
    assert "coord.cordoba@example.org" in html, "the coordinator of the learner's municipality"
    assert "coord.rosario@example.org" not in html


def test_who_can_help_falls_back_to_iom_officers(session, make_user, staff):
    learner = session.get(User, make_user(municipality="rosario").id)
    assert [u.email for u in quiz_service.who_can_help(learner)] == ["coord.rosario@example.org"]
    session.get(User, staff.rosario.id).scope = []
    session.flush()
    assert [u.email for u in quiz_service.who_can_help(learner)] == ["oim@example.org"]


def test_who_may_grant_an_extra_attempt(session, make_user, staff):
    learner = session.get(User, make_user(municipality="cordoba").id)
    other = session.get(User, make_user(municipality="cordoba").id)
    iom, cordoba, rosario = (session.get(User, p.id) for p in (staff.iom, staff.cordoba, staff.rosario))
    assert can_grant_extra_attempt(iom, learner) and can_grant_extra_attempt(cordoba, learner)
    assert not can_grant_extra_attempt(rosario, learner), "coordinator out of scope"
    assert not can_grant_extra_attempt(other, learner), "officials cannot"
    assert not can_grant_extra_attempt(iom, iom), "nobody grants themselves"
    assert not can_grant_extra_attempt(cordoba, rosario), "coordinators grant officials only"


def _grant(client, learner_id, in_app, reason="Repasó las lecciones con el punto focal."):
    quiz_id = in_app(lambda: db.session.scalar(select(Quiz.id).where(Quiz.max_attempts == 3)))
    return client.post(f"/monitoring/officials/{learner_id}/extra-attempt", data={"module": quiz_id, "reason": reason})


def test_a_coordinator_in_scope_grants_an_extra_attempt_recorded_in_the_audit_log(
    app, client, make_user, login, in_app, staff
):
    learner = make_user(municipality="cordoba")
    login(learner)
    _fail_attempts(client, in_app, 3)
    client.post("/auth/logout")
    login(staff.cordoba)
    page = client.get(f"/monitoring/officials/{learner.id}").get_data(as_text=True)
    assert f'href="/monitoring/officials/{learner.id}/extra-attempt"' in page
    response = _grant(client, learner.id, in_app)
    assert response.status_code == 302
    grants = in_app(lambda: db.session.scalars(select(ExtraAttempt)).all())
    assert [(g.user_id, g.granted_by_id, g.reason) for g in grants] == [
        (learner.id, staff.cordoba.id, "Repasó las lecciones con el punto focal.")
    ]
    events = in_app(
        lambda: db.session.scalars(select(AuditEvent).where(AuditEvent.action == "quiz_extra_attempt")).all()
    )
    assert [(e.actor_id, e.target_user_id, e.details) for e in events] == [
        (staff.cordoba.id, learner.id, {"module": "basico", "reason": "Repasó las lecciones con el punto focal."})
    ]
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "Intento adicional para Persona" in audit and "Repasó las lecciones con el punto focal." in audit
    # The learner sees it, and may try once more (and only once).
    client.post("/auth/logout")
    login(learner)
    html = client.get("/modules/basico").get_data(as_text=True)
    assert "le concedió un intento adicional" in html and "Coord cordoba" in html
    assert 'id="out-of-attempts"' not in html
    fourth = _start(client)
    assert in_app(lambda: db.session.get(QuizAttempt, fourth).number) == 4
    submit_attempt(client, fourth, _answers(in_app, fourth, right=False))
    assert client.post("/modules/basico/quiz").headers["Location"].endswith("/modules/basico#quiz")


def test_an_extra_attempt_needs_a_reason_and_someone_out_of_attempts(client, make_user, login, in_app, staff):
    learner = make_user(municipality="cordoba")
    login(staff.iom)
    assert "no necesita un intento adicional" in client.get(
        f"/monitoring/officials/{learner.id}/extra-attempt"
    ).get_data(as_text=True)
    client.post("/auth/logout")
    login(learner)
    _fail_attempts(client, in_app, 3)
    client.post("/auth/logout")
    login(staff.iom)
    html = _grant(client, learner.id, in_app, reason="  ").get_data(as_text=True)
    assert "Escriba el motivo" in html and 'class="error-summary"' in html
    assert in_app(lambda: db.session.scalars(select(ExtraAttempt)).all()) == []


def test_an_extra_attempt_cannot_be_granted_out_of_scope_or_by_an_official(client, make_user, login, in_app, staff):
    learner = make_user(municipality="cordoba")
    login(learner)
    _fail_attempts(client, in_app, 3)
    client.post("/auth/logout")
    login(staff.rosario)
    assert _grant(client, learner.id, in_app).status_code == 404
    client.post("/auth/logout")
    login(make_user(municipality="cordoba", is_focal_point=True))
    assert _grant(client, learner.id, in_app).status_code == 403
    assert in_app(lambda: db.session.scalars(select(ExtraAttempt)).all()) == []


# --------------------------------------------------------------------------- hours


def test_catalogue_and_module_page_show_hours_and_their_breakdown(client, make_user, login):
    login(make_user())
    breakdown = "2 horas\n  (lecciones: 20 min; actividades: 60 min; evaluación: 30 min)"
    assert breakdown in client.get("/modules").get_data(as_text=True)
    html = client.get("/modules/basico").get_data(as_text=True)
    assert breakdown in html and "actividad: 60 minutos" in html


def test_a_second_grant_for_the_same_used_up_attempts_is_refused(session, make_user, staff, client, login, in_app):
    learner = make_user(municipality="cordoba")
    login(learner)
    _fail_attempts(client, in_app, 3)
    quiz = session.scalar(select(Quiz).where(Quiz.max_attempts == 3))
    iom, person = session.get(User, staff.iom.id), session.get(User, learner.id)
    quiz_service.grant_extra_attempt(iom, person, quiz, "Primera vez.")
    with pytest.raises(quiz_service.QuizError) as refused:
        quiz_service.grant_extra_attempt(session.get(User, staff.cordoba.id), person, quiz, "Otra vez.")
    assert refused.value.code == "not_needed"
    assert [g.after_attempts for g in session.scalars(select(ExtraAttempt))] == [3]


def test_two_simultaneous_grants_record_one(app, make_user, staff, client, login, in_app):
    if in_app(lambda: db.engine.dialect.name) != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    from tests.test_workbook import _at_once

    learner = make_user(municipality="cordoba")
    login(learner)
    _fail_attempts(client, in_app, 3)
    quiz_id = in_app(lambda: db.session.scalar(select(Quiz.id).where(Quiz.max_attempts == 3)))
    granters = (staff.iom.id, staff.cordoba.id)
    results = _at_once(
        app,
        lambda i: quiz_service.grant_extra_attempt(
            db.session.get(User, granters[i]),
            db.session.get(User, learner.id),
            db.session.get(Quiz, quiz_id),
            "Motivo.",
        ).id,
    )
    assert sum(isinstance(r, int) for r in results) == 1
    assert [r.code for r in results if isinstance(r, quiz_service.QuizError)] == ["not_needed"]
    assert len(in_app(lambda: db.session.scalars(select(ExtraAttempt)).all())) == 1
    assert (
        len(
            in_app(
                lambda: db.session.scalars(select(AuditEvent).where(AuditEvent.action == "quiz_extra_attempt")).all()
            )
        )
        == 1
    )
