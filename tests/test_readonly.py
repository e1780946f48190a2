"""Learner pages that only read run without a transaction on PostgreSQL; every write still runs in one
(app/readonly.py, issue 12)."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update

from app.extensions import db
from app.models import LessonProgress, QuizAttempt, utcnow
from app.readonly import WriteWhileReadingOnly, reads_only


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no round trips to save: pages keep their transaction there")


class Seen:
    """(first word of the statement, whether the connection was in autocommit) for every statement."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[tuple[str, bool]] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, *args):
        self.statements.append(
            (statement.lstrip().split(None, 1)[0].upper(), conn.connection.driver_connection.autocommit)
        )

    @property
    def writes(self) -> list[tuple[str, bool]]:
        return [s for s in self.statements if s[0] != "SELECT"]


def test_learner_pages_read_without_a_transaction(app, client, make_user, login):
    login(make_user())
    client.get("/modules/basico/lessons/leccion-1")  # first view: writes (below)
    for url in ("/modules", "/my-progress", "/modules/basico", "/modules/basico/lessons/leccion-1"):
        with Seen(app) as seen:
            assert client.get(url).status_code == 200
        assert seen.statements and all(autocommit for _verb, autocommit in seen.statements), (url, seen.statements)


def test_the_first_view_of_a_lesson_writes_in_a_transaction(app, client, make_user, login, in_app):
    user = login(make_user())
    client.get("/modules")
    with Seen(app) as seen:
        assert client.get("/modules/basico/lessons/leccion-1").status_code == 200
    assert [verb for verb, _ in seen.writes] == ["INSERT", "INSERT", "INSERT", "UPDATE"]
    assert not any(autocommit for _verb, autocommit in seen.writes), "every write inside a transaction"
    assert in_app(lambda: db.session.scalar(select(LessonProgress.id).where(LessonProgress.user_id == user.id)))


def test_viewing_an_attempt_whose_time_ran_out_grades_it_in_a_transaction(app, client, make_user, login, in_app):
    user = login(make_user())
    response = client.post("/modules/avanzado/quiz")  # a 10-minute limit
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    past = utcnow() - timedelta(minutes=30)
    in_app(
        lambda: db.session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.id == attempt_id)
            .values(started_at=past, deadline_at=past + timedelta(minutes=10))
        )
    )
    with Seen(app) as seen:
        assert client.get(f"/attempts/{attempt_id}").status_code == 200
    assert seen.writes and not any(autocommit for _verb, autocommit in seen.writes)
    status = in_app(lambda: db.session.scalar(select(QuizAttempt.status).where(QuizAttempt.id == attempt_id)))
    assert status == "expired"
    assert user


def _rename(user_id: int, name: str) -> None:
    db.session.execute(text('UPDATE "user" SET name = :name WHERE id = :id'), {"name": name, "id": user_id})
    db.session.commit()


def test_a_write_on_a_read_only_request_is_refused_before_it_reaches_the_database(make_app, make_user, in_app):
    from app.readonly import begin_writing

    user = make_user()
    other = make_app()

    @other.route("/_test/sloppy")
    @reads_only
    def sloppy():
        _rename(user.id, "cambiado")
        return "written"

    @other.route("/_test/careful")
    @reads_only
    def careful():
        db.session.execute(text("SELECT 1"))
        begin_writing()
        _rename(user.id, "con cuidado")
        return "written"

    @other.route("/_test/locking")
    @reads_only
    def locking():
        db.session.execute(text('SELECT id FROM "user" WHERE id = :id FOR UPDATE'), {"id": user.id})
        return "locked"

    def name():
        return in_app(
            lambda: db.session.execute(text('SELECT name FROM "user" WHERE id = :id'), {"id": user.id}).scalar()
        )

    client = other.test_client()
    with pytest.raises(WriteWhileReadingOnly):
        client.get("/_test/locking")
    with pytest.raises(WriteWhileReadingOnly):
        client.get("/_test/sloppy")
    assert name()
    assert name() != "cambiado"
    assert client.get("/_test/careful").get_data(as_text=True) == "written"
    assert name() == "con cuidado"


def test_posts_to_a_marked_view_keep_their_transaction(app, client, make_user, login):
    login(make_user())
    response = client.post("/modules/basico/quiz")
    url = response.headers["Location"]
    with Seen(app) as seen:
        client.post(url, data={"action": "save"})
    assert seen.statements and not any(autocommit for _verb, autocommit in seen.statements)


def test_autocommit_work_outside_a_read_only_request_is_not_refused(app):
    """The guard watches the read-only requests' connections only: a migration that builds an index
    CONCURRENTLY (which PostgreSQL allows only outside a transaction) runs in autocommit too."""
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE INDEX CONCURRENTLY ix_readonly_probe ON municipality (name)"))
            conn.execute(text("DROP INDEX CONCURRENTLY ix_readonly_probe"))
