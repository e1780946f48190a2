"""The learner's workbook: answers to the lessons' activities, private to their author."""

from sqlalchemy import select

from app.extensions import db
from app.models import Lesson, WorkbookEntry
from app.services import workbook as workbook_service

WRITE = "/modules/basico/lessons/leccion-1/workbook"


def _entries(in_app):
    return in_app(
        lambda: [(e.user_id, e.text) for e in db.session.scalars(select(WorkbookEntry).order_by(WorkbookEntry.id))]
    )


def test_lesson_page_shows_the_activity_and_links_to_the_workbook(client, make_user, login):
    login(make_user())
    html = client.get("/modules/basico/lessons/leccion-1").get_data(as_text=True)
    assert "Actividad: Servicios de mi municipio" in html and "<strong>tres servicios</strong>" in html
    assert f'href="{WRITE}"' in html and "Responder en mi cuaderno" in html
    assert "Actividad:" not in client.get("/modules/basico/lessons/leccion-2").get_data(as_text=True)
    assert client.get("/modules/basico/lessons/leccion-2/workbook").status_code == 404, "no activity, no entry"


def test_my_progress_links_to_the_workbook(client, make_user, login):
    login(make_user())
    assert 'href="/workbook"' in client.get("/my-progress").get_data(as_text=True)


def test_the_save_button_works_without_javascript_and_keeps_the_text(client, make_user, login, in_app):
    user = login(make_user())
    response = client.post(WRITE, data={"text": "Centro de salud Nº 3: atiende sin DNI.\r\nEscuela 12."})
    assert response.status_code == 302 and response.headers["Location"].endswith(WRITE)
    assert _entries(in_app) == [(user.id, "Centro de salud Nº 3: atiende sin DNI.\nEscuela 12.")]
    html = client.get(WRITE).get_data(as_text=True)
    assert "Centro de salud Nº 3: atiende sin DNI." in html and "Guardado por última vez" in html
    client.post(WRITE, data={"text": "Versión corregida."})
    assert _entries(in_app) == [(user.id, "Versión corregida.")], "one entry per lesson, replaced"


def test_autosave_stores_the_answer_and_answers_json(client, make_user, login, in_app):
    user = login(make_user())
    assert client.post(f"{WRITE}/autosave", data={"text": "Borrador\x00 con un NUL"}).status_code == 400
    assert _entries(in_app) == [], "a NUL byte is refused and nothing is written"
    response = client.post(f"{WRITE}/autosave", data={"text": "Borrador con un NUL"})
    assert response.status_code == 200 and response.get_json()["saved"] is True
    assert _entries(in_app) == [(user.id, "Borrador con un NUL")]
    html = client.get(WRITE).get_data(as_text=True)
    assert f'data-autosave="{WRITE}/autosave"' in html and "js/autosave.js" in html
    assert client.post(f"{WRITE}/autosave", json={"text": "x"}).status_code == 415
    too_long = client.post(f"{WRITE}/autosave", data={"text": "x" * (workbook_service.MAX_TEXT + 1)})
    assert too_long.status_code == 400 and too_long.get_json()["saved"] is False
    assert _entries(in_app) == [(user.id, "Borrador con un NUL")]


def test_nobody_else_can_read_an_entry_not_even_iom(client, make_user, login, in_app):
    author = login(make_user())
    client.post(WRITE, data={"text": "Mi respuesta privada sobre el municipio."})
    entry_id = in_app(lambda: db.session.scalar(select(WorkbookEntry.id)))
    assert client.get(f"/workbook/entries/{entry_id}").status_code == 200
    client.post("/auth/logout")
    for other in (
        make_user(),
        make_user(role="coordinator", municipality=None, area=None),
        make_user(role="iom_officer", municipality=None, area=None),
    ):
        login(other)
        assert client.get(f"/workbook/entries/{entry_id}").status_code == 404
        for path in ("/workbook", WRITE, "/workbook/download"):
            assert "Mi respuesta privada" not in client.get(path).get_data(as_text=True)
        client.post(f"{WRITE}/autosave", data={"text": "Otra persona"})
        client.post("/auth/logout")
    texts = dict(_entries(in_app))
    assert texts[author.id] == "Mi respuesta privada sobre el municipio.", "others wrote their own entries only"


def test_workbook_page_is_printable_and_downloadable(client, make_user, login):
    login(make_user(name="Ana Pérez"))
    client.post(WRITE, data={"text": "1. Centro de salud.\n2. Registro civil."})
    page = client.get("/workbook")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "1. Centro de salud." in html and "1 de 1 actividades con respuesta" in html
    assert "Todavía sin respuesta." in html, "the advanced module's activity is not answered yet"
    download = client.get("/workbook/download")
    assert download.mimetype == "text/markdown" and download.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="cuaderno-')
    text = download.get_data(as_text=True)
    assert text.startswith("# Mi cuaderno de actividades\n\nAna Pérez\n")
    assert "## Módulo básico" in text and "**Actividad: Servicios de mi municipio**" in text
    assert "1. Liste tres servicios" in text and "1. Centro de salud.\n2. Registro civil." in text


def test_saving_twice_at_once_keeps_one_entry(session, make_user):
    user = make_user()
    lesson = session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
    workbook_service.save_entry(user.id, lesson, "primero")
    workbook_service.save_entry(user.id, lesson, "segundo")
    rows = session.scalars(select(WorkbookEntry)).all()
    assert [(r.user_id, r.text) for r in rows] == [(user.id, "segundo")]


def _at_once(app, fn, n=2):
    """Run fn(i) in n threads, each in its own application context, released together; return results."""
    import threading

    barrier, results = threading.Barrier(n), [None] * n

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = fn(i)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (reported to the test)
                db.session.rollback()
                results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_simultaneous_first_saves_keep_one_entry_without_an_error(app, make_user, in_app):
    if in_app(lambda: db.engine.dialect.name) != "postgresql":
        import pytest

        pytest.skip("needs concurrent writers (PostgreSQL)")
    user = make_user()
    lesson_id = in_app(lambda: db.session.scalar(select(Lesson.id).where(Lesson.key == "leccion-1")))
    results = _at_once(
        app, lambda i: workbook_service.save_entry(user.id, db.session.get(Lesson, lesson_id), f"texto {i}").id
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert len(_entries(in_app)) == 1
