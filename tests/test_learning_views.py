"""Learning pages: catalogue, lessons, the quiz form, results, and privacy of attempts."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AttemptQuestion, Choice, LessonProgress, QuizAttempt
from tests.conftest import submit_attempt


def _start(client, module="basico"):
    response = client.post(f"/modules/{module}/quiz")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _item_ids(html):
    return [int(x) for x in re.findall(r'name="asked" value="(\d+)"', html)]


def _correct_answers(in_app, attempt_id):
    from app.services.quiz import drawn_questions

    def collect():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return {dq.item.id: sorted(dq.correct_ids) for dq in drawn_questions(attempt)}

    return in_app(collect)


def test_pages_need_login(client, content):
    for path in ("/modules", "/my-progress", "/modules/basico", "/modules/basico/lessons/leccion-1"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_catalogue_lists_modules_with_progress(client, make_user, login):
    login(make_user())
    html = client.get("/modules").get_data(as_text=True)
    assert "Módulo básico" in html and "Módulo avanzado" in html
    assert "0 de 2 lecciones completadas" in html


def test_lesson_is_rendered_safely_with_navigation(client, make_user, login):
    login(make_user())
    html = client.get("/modules/basico/lessons/leccion-1").get_data(as_text=True)
    assert "<strong>negrita</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert 'rel="next" href="/modules/basico/lessons/leccion-2"' in html
    assert "Lección 1 de 2" in html
    assert client.get("/modules/basico/lessons/no-existe").status_code == 404
    assert client.get("/modules/no-existe").status_code == 404


def test_completing_lessons_moves_on_and_counts(client, make_user, login, in_app):
    user = login(make_user())
    response = client.post("/modules/basico/lessons/leccion-1/complete")
    assert response.headers["Location"].endswith("/modules/basico/lessons/leccion-2")
    response = client.post("/modules/basico/lessons/leccion-2/complete")
    assert response.headers["Location"].endswith("/modules/basico#quiz")
    client.post("/modules/basico/lessons/leccion-2/complete")  # twice: still one row
    rows = in_app(lambda: db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user.id)).all())
    assert len(rows) == 2 and all(r.completed_at for r in rows)
    assert "2 de 2 lecciones completadas" in client.get("/modules").get_data(as_text=True)


def test_quiz_page_never_reveals_the_right_answers(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    client.get(f"/attempts/{attempt_id}")  # consumes the login notice
    before = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "is_correct" not in before and "data-correct" not in before

    def flip():  # swap which choices are right; the page must not change at all
        for choice in db.session.scalars(select(Choice)):
            choice.is_correct = not choice.is_correct

    in_app(flip)
    after = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    token = re.compile(r'name="csrf_token" value="[^"]+"')  # signed with a timestamp: differs across seconds
    assert token.sub("", before) == token.sub("", after)


def test_full_quiz_flow_save_resume_submit_and_review(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    items = _item_ids(html)
    assert len(items) == 4
    correct = _correct_answers(in_app, attempt_id)
    first = items[0]
    response = client.post(
        f"/attempts/{attempt_id}", data={"action": "save", "asked": items, f"q{first}": correct[first]}
    )
    assert response.status_code == 302
    # reopening the quiz resumes the same attempt with the saved answer checked
    assert _start(client) == attempt_id
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'id="c{first}-{correct[first][0]}"' in html
    assert re.search(rf'id="c{first}-{correct[first][0]}"[^>]*checked', html)
    data = {"action": "submit", "asked": items}
    for item in items:
        data[f"q{item}"] = correct[item]
    submit_attempt(client, attempt_id, data)
    result = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "100,0" in result and "Aprobado" in result
    assert "Explicación:" in result, "passed: explanations are shown"
    assert any(text in result for text in ("Porque sí.", "A y B.", "Es verdad.", "Es falso.", "Cinco."))
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).score) == 100.0


def test_double_submit_is_recorded_once(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    items = _item_ids(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    correct = _correct_answers(in_app, attempt_id)
    good = {"action": "submit", "asked": items, **{f"q{i}": correct[i] for i in items}}
    submit_attempt(client, attempt_id, good)
    response = submit_attempt(client, attempt_id, {"asked": items})
    assert response.status_code == 302
    attempts = in_app(lambda: db.session.scalars(select(QuizAttempt)).all())
    assert len(attempts) == 1 and attempts[0].score == 100.0


def test_attempts_past_the_limit_are_refused_with_a_message(client, make_user, login, in_app):
    login(make_user())
    for _ in range(3):
        attempt_id = _start(client)
        submit_attempt(client, attempt_id)
    response = client.post("/modules/basico/quiz", follow_redirects=True)
    assert "Ya usó los 3 intentos permitidos para esta evaluación." in response.get_data(as_text=True)
    assert in_app(lambda: len(db.session.scalars(select(QuizAttempt)).all())) == 3


def test_autosave_keeps_answers_and_answers_json(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    items = _item_ids(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    correct = _correct_answers(in_app, attempt_id)
    response = client.post(
        f"/attempts/{attempt_id}/autosave", data={"asked": items, f"q{items[1]}": correct[items[1]], "revision": "1"}
    )
    assert response.status_code == 200 and response.get_json()["saved"] is True
    submit_attempt(client, attempt_id)
    response = client.post(f"/attempts/{attempt_id}/autosave", data={"asked": items, "revision": "2"})
    assert response.status_code == 409 and response.get_json()["reason"] == "closed"


def _selections(in_app, attempt_id):
    return in_app(
        lambda: {
            row.id: row.selected
            for row in db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id))
        }
    )


def test_autosave_accepts_only_the_documented_form_format(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    items = _item_ids(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    correct = _correct_answers(in_app, attempt_id)
    url = f"/attempts/{attempt_id}/autosave"
    response = client.post(url, json={"asked": items, f"q{items[0]}": correct[items[0]], "revision": 1})
    assert response.status_code == 415
    assert client.post(url, data="q1=2", content_type="text/plain").status_code == 415
    assert client.post(url, data={"asked": items}).status_code == 400, "revision is required"
    assert all(not picks for picks in _selections(in_app, attempt_id).values()), "nothing stored"
    response = client.post(
        url,
        data={"asked": items, f"q{items[0]}": correct[items[0]], "revision": "1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.get_json()["revision"] == 1
    assert _selections(in_app, attempt_id)[items[0]] == correct[items[0]]


def test_answer_values_that_are_not_choices_of_the_question_are_a_400(client, make_user, login, in_app):
    login(make_user())
    attempt_id = _start(client)
    items = _item_ids(client.get(f"/attempts/{attempt_id}").get_data(as_text=True))
    correct = _correct_answers(in_app, attempt_id)
    foreign = correct[items[1]][0]
    for value in ("²", "9" * 5000, str(foreign), "2147483648"):
        for action in ("save", "submit"):
            response = client.post(
                f"/attempts/{attempt_id}", data={"action": action, "asked": items, f"q{items[0]}": value}
            )
            assert response.status_code == 400, (value[:10], action)
        response = client.post(
            f"/attempts/{attempt_id}/autosave", data={"asked": items, f"q{items[0]}": value, "revision": "3"}
        )
        assert response.status_code == 400
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open"
    assert all(not picks for picks in _selections(in_app, attempt_id).values())


def test_a_participant_cannot_see_or_touch_anothers_attempt(app, client, make_user, login, in_app):
    owner, other = make_user(), make_user()
    login(owner)
    attempt_id = _start(client)
    client.post("/auth/logout")
    login(other)
    assert client.get(f"/attempts/{attempt_id}").status_code == 404
    assert submit_attempt(client, attempt_id).status_code == 404
    assert client.post(f"/attempts/{attempt_id}", data={"action": "review"}).status_code == 404
    assert client.get(f"/attempts/{attempt_id}/review").status_code == 404
    assert client.post(f"/attempts/{attempt_id}/autosave", data={}).status_code == 404
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open"


def test_my_progress_is_personal(client, make_user, login):
    login(make_user())
    html = client.get("/my-progress").get_data(as_text=True)
    assert "Completó 0 de 2 módulos." in html
    assert "Mujer" not in html and "paridad" not in html.lower()


def test_error_pages_are_friendly(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "No encontramos esta página" in response.get_data(as_text=True)


def test_landing_page_explains_the_programme(client):
    html = client.get("/").get_data(as_text=True)
    assert "MigraCiudades" in html and "Organización Internacional para las Migraciones" in html
    assert 'lang="es"' in html and 'href="#main"' in html


def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
