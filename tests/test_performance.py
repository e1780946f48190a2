"""The learner's hot paths stay cheap: no write on a read, few statements (issue 12; docs/performance.md)."""

import re
from datetime import timedelta

from sqlalchemy import event, select, update

from app.extensions import db
from app.models import LessonProgress, User, utcnow


class Statements:
    """Every SQL statement the engine runs inside the block."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

        self.commits = 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._hit)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._hit)
        event.remove(self.engine, "commit", self._commit)

    def _hit(self, conn, cursor, statement, *args):
        self.seen.append(statement.lstrip().split(None, 1)[0].upper())

    def _commit(self, conn):
        self.commits += 1

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s in ("INSERT", "UPDATE", "DELETE")]


def test_first_lesson_view_records_started_and_later_views_write_nothing(app, client, make_user, login, in_app):
    user = login(make_user())
    client.get("/modules")  # the sign-in's "last seen" note is behind us
    with Statements(app) as first:
        assert client.get("/modules/basico/lessons/leccion-1").status_code == 200
    # the lesson's "started" row, then the summaries: the learner's row (created and locked), the
    # module row (recomputed) and the learner's row (rolled up: read, then written)
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
    # the signed-in user with the content version and the navigation's designation; the learner's
    # progress on the lesson with their workbook entry (the module and its lessons come from memory)
    assert len(statements.seen) <= 2, statements.seen
    assert statements.writes == [] and statements.commits == 0


def test_catalogue_and_my_progress_take_a_fixed_small_number_of_statements(app, client, make_user, login):
    login(make_user())
    # the signed-in user (with the content version and the designation), completed lessons, quiz figures
    # (and on my progress the certificate)
    for path, most in (("/modules", 3), ("/my-progress", 4)):
        client.get(path)
        with Statements(app) as statements:
            assert client.get(path).status_code == 200
        assert len(statements.seen) <= most, (path, statements.seen)
        assert statements.writes == []


def _start(client, module="basico"):
    response = client.post(f"/modules/{module}/quiz")
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _answers(html: str) -> dict:
    """The first choice of every question of the quiz form, and every drawn item as asked."""
    asked = re.findall(r'name="asked" value="(\d+)"', html)
    data = {"asked": asked}
    for item in asked:
        choice = re.search(rf'name="q{item}" value="(\d+)"', html)
        data[f"q{item}"] = [choice.group(1)]
    return data


def test_quiz_save_autosave_and_submit_take_a_fixed_small_number_of_statements(app, client, make_user, login):
    login(make_user())
    attempt_id = _start(client)
    url = f"/attempts/{attempt_id}"
    with Statements(app) as view:
        html = client.get(url).get_data(as_text=True)
    # the signed-in user, the attempt with its drawn items (questions and choices come from memory)
    assert len(view.seen) <= 2, view.seen
    answers = _answers(html)
    with Statements(app) as save:
        assert client.post(url, data={**answers, "action": "save"}).status_code == 302
    # user, attempt with items, the conditional UPDATE of the attempt, one UPDATE of every item
    assert len(save.seen) <= 4, save.seen
    assert save.writes == ["UPDATE", "UPDATE"] and save.commits == 1
    with Statements(app) as autosave:
        assert client.post(f"{url}/autosave", data={**answers, "revision": "7"}).status_code == 200
    assert len(autosave.seen) <= 4, autosave.seen
    assert autosave.writes == ["UPDATE", "UPDATE"] and autosave.commits == 1
    with Statements(app) as submit:
        assert client.post(f"{url}/submit").status_code == 302
    # user, attempt, the claim, items, score, correctness of each item, the progress summaries (the
    # learner's summary locked, the module row recomputed, the learner row rolled up: read, then
    # written), then the certificate check (the learner's row locked, their certificate, completed
    # lessons, quiz figures)
    assert len(submit.seen) <= 14, submit.seen
    assert submit.commits == 1


def test_last_seen_is_written_at_most_every_ten_minutes_and_never_as_a_second_commit_on_a_read(
    app, client, make_user, login, in_app
):
    user = login(make_user())
    client.get("/modules")
    with Statements(app) as fresh:
        client.get("/modules")
    assert fresh.writes == [] and fresh.commits == 0  # noted moments ago: nothing to write
    long_ago = utcnow() - timedelta(minutes=11)
    in_app(lambda: db.session.execute(update(User).where(User.id == user.id).values(last_seen_at=long_ago)))
    with Statements(app) as due:
        assert client.get("/modules").status_code == 200
    assert due.writes == ["UPDATE"] and due.commits == 1  # the read path's only commit
    seen = in_app(lambda: db.session.scalar(select(User.last_seen_at).where(User.id == user.id)))
    assert seen > long_ago
    with Statements(app) as again:
        client.get("/modules")
    assert again.writes == [] and again.commits == 0


def _nav_link(html: str):
    match = re.search(r'<a href="/municipal/(\d+)"[^>]*>Mi municipio</a>', html)
    return int(match.group(1)) if match else None


def test_the_my_municipality_link_is_read_with_the_account_and_follows_designations_at_once(
    app, client, make_user, login, in_app
):
    from app.models import Municipality, MunicipalCycle
    from app.services.cycles import FOCAL, designate
    from tests.conftest import current_municipal_cycle, fixture_officer

    user = login(make_user())
    client.get("/modules")
    assert _nav_link(client.get("/modules").get_data(as_text=True)) is None  # not designated

    def make_focal_point():
        cordoba = db.session.scalar(select(Municipality).where(Municipality.key == "cordoba"))
        mc = current_municipal_cycle(cordoba)
        designate(fixture_officer(), mc, FOCAL, db.session.get(User, user.id))
        return mc.id

    mc_id = in_app(make_focal_point)
    with Statements(app) as statements:
        html = client.get("/modules").get_data(as_text=True)
    assert _nav_link(html) == mc_id  # the very next page, in the same statements as before
    assert len(statements.seen) <= 3, statements.seen

    def clear():
        designate(fixture_officer(), db.session.get(MunicipalCycle, mc_id), FOCAL, None)

    in_app(clear)
    assert _nav_link(client.get("/modules").get_data(as_text=True)) is None


def test_a_learner_s_path_compiles_no_sql_once_the_worker_is_warm(app, client, make_user, login, monkeypatch):
    """Every statement of the learner's path comes from SQLAlchemy's statement cache or is compiled once
    per process: the upserts SQLAlchemy cannot cache (INSERT ... ON CONFLICT) included, which cost
    1.5-1.8 ms to compile on every lesson start, completion, quiz start and submission."""
    from sqlalchemy.sql import compiler

    def path():
        client.get("/modules/basico/lessons/leccion-1")  # first view: the started row and summaries
        client.post("/modules/basico/lessons/leccion-1/complete")
        attempt_id = _start(client)
        url = f"/attempts/{attempt_id}"
        answers = _answers(client.get(url).get_data(as_text=True))
        assert client.post(url, data={**answers, "action": "save"}).status_code == 302
        assert client.post(f"{url}/submit").status_code == 302
        assert client.get(url).status_code == 200

    login(make_user(email="first@example.org"))
    path()  # warms the worker
    client.post("/auth/logout")
    login(make_user(email="second@example.org"))
    client.get("/modules")
    compiled = []
    original = compiler.SQLCompiler.__init__

    def counting(self, *args, **kwargs):
        original(self, *args, **kwargs)
        compiled.append(self.string.split(None, 1)[0] if self.string else "")

    monkeypatch.setattr(compiler.SQLCompiler, "__init__", counting)
    path()
    assert [verb for verb in compiled if verb not in ("SAVEPOINT", "RELEASE")] == []  # those two: trivial
