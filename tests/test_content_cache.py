"""Content kept in each worker's memory is dropped as soon as the content version in the database moves
(app.services.content_cache): after a content sync, the next request of every worker shows the new text."""

import shutil

from sqlalchemy import select, text, update

from app.extensions import db
from app.models import ContentVersion, Lesson, Question
from app.services import content_cache
from app.services.content import load_content, sync_content
from tests.conftest import FIXTURE_CONTENT, PASSWORD

LESSON = "/modules/basico/lessons/leccion-1"
OLD = "Texto de la lección 1 en es"


def _edited_content(tmp_path, new_text: str):
    """A copy of the fixture content whose first lesson says `new_text` instead of its usual text."""
    tree = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, tree)
    lesson = tree / "modules" / "01-basico" / "lessons" / "01-leccion-1.es.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace(OLD, new_text), encoding="utf-8")
    return tree


def _sync(app, tree) -> None:
    with app.app_context():
        bundle, report = load_content(tree)
        assert not report.errors, report.errors
        sync_content(bundle)
        db.session.commit()


def _version(app):
    with app.app_context():
        return db.session.scalar(select(ContentVersion.value))


def test_content_sync_of_a_changed_lesson_shows_the_new_text_on_the_next_request(
    app, client, make_user, login, tmp_path
):
    login(make_user())
    assert OLD in client.get(LESSON).get_data(as_text=True)  # now in this worker's memory
    before = _version(app)
    _sync(app, _edited_content(tmp_path, "Texto renovado por la sincronización"))
    assert _version(app) != before
    html = client.get(LESSON).get_data(as_text=True)
    assert "Texto renovado por la sincronización" in html
    assert OLD not in html


def test_a_content_sync_that_changes_nothing_keeps_the_version(app, content):
    before = _version(app)
    _sync(app, FIXTURE_CONTENT)
    assert _version(app) == before


def test_every_worker_drops_its_copy_when_the_content_changes_elsewhere(app, make_app, make_user, tmp_path):
    """Two apps stand for two workers (or hosts): each keeps its own copy; a sync run by neither of them
    reaches both through the version in the database."""
    user = make_user()
    workers = [app.test_client(), make_app().test_client()]
    for worker in workers:
        assert worker.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        assert OLD in worker.get(LESSON).get_data(as_text=True)
    _sync(app, _edited_content(tmp_path, "Texto visto por todos los procesos"))
    for worker in workers:
        assert "Texto visto por todos los procesos" in worker.get(LESSON).get_data(as_text=True)


def test_the_copy_is_kept_while_the_version_holds_and_dropped_when_it_moves(app, client, make_user, login):
    """A change that bypasses the ORM (plain SQL) is not seen until the version moves: the page really
    comes from memory, and `bump()` is what every worker watches."""
    login(make_user())
    assert OLD in client.get(LESSON).get_data(as_text=True)
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
        body = dict(lesson.body_html, es="<p>Cambiado sin pasar por el ORM</p>")
        db.session.execute(update(Lesson.__table__).where(Lesson.__table__.c.id == lesson.id).values(body_html=body))
        db.session.commit()
    assert OLD in client.get(LESSON).get_data(as_text=True)
    with app.app_context():
        content_cache.bump()
        db.session.commit()
    html = client.get(LESSON).get_data(as_text=True)
    assert "Cambiado sin pasar por el ORM" in html and OLD not in html


def test_an_orm_change_to_a_question_moves_the_version_in_the_same_transaction(app, content):
    before = _version(app)
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == "b-01"))
        question.text = dict(question.text, es="¿Uno, de nuevo?")
        db.session.flush()
        inside = db.session.scalar(select(ContentVersion.value))
        db.session.rollback()
    assert inside != before  # written by the flush that changed the question
    assert _version(app) == before  # and rolled back with it


def test_without_a_version_row_nothing_is_kept(app, client, make_user, login):
    login(make_user())
    with app.app_context():
        db.session.execute(text("DELETE FROM content_version"))
        db.session.commit()
    assert OLD in client.get(LESSON).get_data(as_text=True)
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
        body = dict(lesson.body_html, es="<p>Sin versión: leído cada vez</p>")
        db.session.execute(update(Lesson.__table__).where(Lesson.__table__.c.id == lesson.id).values(body_html=body))
        db.session.commit()
    assert "Sin versión: leído cada vez" in client.get(LESSON).get_data(as_text=True)
