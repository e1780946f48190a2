"""The learner's hot paths stay cheap: no write on a read, few statements (issue 12; docs/performance.md)."""

from sqlalchemy import event, select

from app.extensions import db
from app.models import LessonProgress


class Statements:
    """Every SQL statement the engine runs inside the block."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, *args):
        self.seen.append(statement.lstrip().split(None, 1)[0].upper())

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s in ("INSERT", "UPDATE", "DELETE")]


def test_first_lesson_view_records_started_and_later_views_write_nothing(app, client, make_user, login, in_app):
    user = login(make_user())
    client.get("/modules")  # the sign-in's "last seen" note is behind us
    with Statements(app) as first:
        assert client.get("/modules/basico/lessons/leccion-1").status_code == 200
    # the lesson's "started" row, then the summaries: the learner's row (created and locked), the
    # module row (recomputed) and the learner's row (rolled up)
    assert first.writes == ["INSERT", "INSERT", "INSERT", "UPDATE"]
    started = in_app(
        lambda: db.session.scalar(select(LessonProgress.started_at).where(LessonProgress.user_id == user.id))
    )
    assert started is not None
    with Statements(app) as again:
        html = client.get("/modules/basico/lessons/leccion-1").get_data(as_text=True)
    assert again.writes == []
    assert "Lección 1 de 2" in html
    assert (
        in_app(lambda: db.session.scalar(select(LessonProgress.started_at).where(LessonProgress.user_id == user.id)))
        == started
    )


def test_lesson_page_reads_module_lessons_and_progress_in_one_query(app, client, make_user, login):
    login(make_user())
    client.get("/modules/basico/lessons/leccion-2")
    with Statements(app) as statements:
        assert client.get("/modules/basico/lessons/leccion-2").status_code == 200
    # the signed-in user, the module with its lessons and the learner's progress, the designation
    # check of the navigation (and the workbook entry when the lesson has an activity)
    assert len(statements.seen) <= 4, statements.seen


def test_catalogue_and_my_progress_take_a_fixed_small_number_of_statements(app, client, make_user, login):
    login(make_user())
    for path, most in (("/modules", 6), ("/my-progress", 7)):
        client.get(path)
        with Statements(app) as statements:
            assert client.get(path).status_code == 200
        assert len(statements.seen) <= most, (path, statements.seen)
        assert statements.writes == []
