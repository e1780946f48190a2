"""The progress summaries the monitoring pages read: kept equal to a recomputation from lessons and
attempts whatever learners do (property test), rebuilt by content sync, backfilled by the migration,
checked and rebuilt from the command line."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.extensions import db
from app.models import Lesson, Module, ProgressSummary, Quiz, TrainingSummary, utcnow
from app.services import monitoring as M
from app.services import progress as progress_service
from app.services import quiz as quiz_service
from app.services import summaries
from app.services.quiz import QuizError

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(("view", "complete", "start", "submit", "expire", "retire", "restore")),
        st.integers(0, 2),  # which learner
        st.integers(0, 20),  # which lesson or quiz (modulo how many there are)
        st.integers(0, 2**16),  # seed for the answers
    ),
    min_size=1,
    max_size=25,
)


def _figures(rows):
    """Pair -> figures, leaving out pairs with nothing to show (a lesson opened, then retired)."""
    figures = {
        (r.user_id, r.module_id): (r.lessons_opened, r.lessons_done, r.attempts, r.best_score, bool(r.passed))
        for r in rows
    }
    return {pair: f for pair, f in figures.items() if f != (0, 0, 0, None, False)}


def _stored():
    return _figures(db.session.scalars(select(ProgressSummary)))


def _recomputed():
    return _figures(db.session.execute(summaries.source()))


def _apply(operation, learners, lessons, quizzes):
    kind, who, which, seed = operation
    user_id = learners[who % len(learners)]
    lesson = lessons[which % len(lessons)]
    quiz = quizzes[which % len(quizzes)]
    now = utcnow()
    if kind == "view":
        progress_service.record_lesson_view(user_id, lesson.id)
    elif kind == "complete":
        progress_service.complete_lesson(user_id, lesson.id, now)
    elif kind in ("start", "submit", "expire"):
        try:
            attempt = quiz_service.start_or_resume(user_id, quiz, now, rng=random.Random(seed))
        except QuizError:
            return  # out of attempts
        if kind == "start":
            return
        rng = random.Random(seed)
        answers = {}
        for drawn in quiz_service.drawn_questions(attempt):
            order = list(drawn.item.choice_order)
            answers[drawn.item.id] = [rng.choice(order)] if order and rng.random() < 0.8 else []
        if kind == "submit":
            quiz_service.submit(attempt, answers, now)
        else:  # graded when its time ran out, with what was saved
            quiz_service.save_answers(attempt, answers, now)
            attempt.deadline_at = now
            quiz_service.expire_if_due(attempt, now + quiz_service._grace() * 2)
    elif kind in ("retire", "restore"):  # what a content sync that retires or restores a lesson does
        db.session.execute(update(Lesson).where(Lesson.id == lesson.id).values(active=(kind == "restore")))
        summaries.rebuild()
    db.session.flush()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_summaries_equal_a_recomputation_whatever_learners_do(session, make_user, operations):
    learners = [make_user().id for _ in range(3)]
    lessons = list(session.scalars(select(Lesson).order_by(Lesson.module_id, Lesson.position)))
    quizzes = list(session.scalars(select(Quiz).order_by(Quiz.id)))
    try:
        for operation in operations:
            _apply(operation, learners, lessons, quizzes)
            session.commit()  # as each request does (and examples share the database)
            assert _stored() == _recomputed(), operation
        assert summaries.drift() == (0, [])
    finally:
        session.rollback()
        session.execute(update(Lesson).values(active=True))
        summaries.rebuild()
        session.commit()


def test_drift_reports_a_tampered_row_and_rebuild_mends_it(session, make_user):
    user = make_user()
    lesson = session.scalar(select(Lesson).order_by(Lesson.position).limit(1))
    progress_service.complete_lesson(user.id, lesson.id, utcnow())
    assert summaries.drift() == (0, [])
    row = session.get(ProgressSummary, (user.id, lesson.module_id))
    assert (row.lessons_opened, row.lessons_done, row.attempts, row.passed) == (1, 1, 0, False)
    row.lessons_done = 0
    session.flush()
    count, rows = summaries.drift()
    assert count == 1 and rows[0]["stored_lessons_done"] == 0 and rows[0]["fresh_lessons_done"] == 1
    session.delete(row)
    session.flush()
    # a learner with progress and no module row is drift, and so is their learner row (no longer rolled up)
    assert summaries.drift()[0] == 2
    summaries.rebuild()
    assert summaries.drift() == (0, [])
    learner = session.get(TrainingSummary, user.id)
    assert (learner.modules_started, learner.modules_lessons_done, learner.attempts) == (1, 0, 0)
    learner.modules_started = 0
    session.flush()
    count, rows = summaries.drift()
    assert count == 1 and rows[0]["level"] == "learner" and rows[0]["user_id"] == user.id


def test_monitoring_reads_the_summaries(session, make_user):
    """The dashboards count what the summaries say (a tampered summary shows), so they are the source."""
    user = make_user()
    module = session.scalar(select(Module).where(Module.key == "basico"))
    for lesson in session.scalars(select(Lesson).where(Lesson.module_id == module.id, Lesson.active)):
        progress_service.complete_lesson(user.id, lesson.id, utcnow())
    rows = {r.id: r for r in M.by_module(None, M.Filters())}
    assert rows[module.id].started == 1 and rows[module.id].lessons_done == 1
    funnel = M.funnel(None, M.Filters())
    assert (funnel.started, funnel.lessons) == (1, 1)
    session.execute(update(ProgressSummary).values(lessons_done=0, lessons_opened=0))
    rows = {r.id: r for r in M.by_module(None, M.Filters())}
    assert rows[module.id].started == 0 and rows[module.id].lessons_done == 0
    session.execute(update(TrainingSummary).values(modules_started=0, modules_lessons_done=0))
    funnel = M.funnel(None, M.Filters())
    assert (funnel.started, funnel.lessons) == (0, 0)


def test_content_sync_that_retires_a_lesson_rebuilds_the_summaries(session, make_user, tmp_path):
    import shutil

    from tests.conftest import FIXTURE_CONTENT

    from app.services.content import load_content, sync_content

    user = make_user()
    lessons = list(session.scalars(select(Lesson).join(Module).where(Module.key == "basico").order_by(Lesson.position)))
    for lesson in lessons:
        progress_service.complete_lesson(user.id, lesson.id, utcnow())
    before = session.get(ProgressSummary, (user.id, lessons[0].module_id)).lessons_done
    tree = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, tree)
    last = sorted((tree / "modules/01-basico/lessons").glob(f"*{lessons[-1].key}*"))
    assert last, "the fixture's last lesson has files"
    for path in last:
        path.unlink()
    bundle, report = load_content(tree)
    assert not report.errors
    sync_content(bundle)
    session.expire_all()
    assert session.get(ProgressSummary, (user.id, lessons[0].module_id)).lessons_done == before - 1
    assert summaries.drift() == (0, [])


def test_progress_commands_check_and_rebuild(app, make_user, in_app):
    def tamper():
        user = make_user()
        lesson = db.session.scalar(select(Lesson).order_by(Lesson.position).limit(1))
        progress_service.complete_lesson(user.id, lesson.id, utcnow())
        db.session.execute(update(ProgressSummary).values(lessons_done=5))

    in_app(tamper)
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["progress", "check"])
    # the module row, and the learner row that no longer matches its roll-up (5 lessons >= the total)
    assert checked.exit_code == 1 and "2 summaries differ" in checked.output
    rebuilt = runner.invoke(args=["progress", "rebuild"])
    assert rebuilt.exit_code == 0 and "1 summaries" in rebuilt.output
    assert runner.invoke(args=["progress", "check"]).exit_code == 0


def test_the_migration_backfill_sql_agrees_with_the_summary_definition(session, make_user):
    """The migration fills the summaries with its own SQL (a migration must not import app code that
    changes later); run on real progress, it must give what `summaries.source` and the roll-up give."""
    import importlib.util
    import pathlib

    from sqlalchemy import delete, text

    path = pathlib.Path(__file__).parent.parent / "migrations" / "versions" / "ab5081bd1adb_progress_summary.py"
    spec = importlib.util.spec_from_file_location("progress_summary_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    learners = [make_user().id for _ in range(3)]
    lessons = list(session.scalars(select(Lesson).order_by(Lesson.module_id, Lesson.position)))
    quizzes = list(session.scalars(select(Quiz).order_by(Quiz.id)))
    for operation in [
        ("complete", 0, 0, 1),
        ("view", 0, 1, 2),
        ("submit", 0, 0, 3),
        ("start", 1, 1, 4),
        ("complete", 2, 2, 5),
    ] + [("submit", 2, 1, 6), ("expire", 1, 0, 7), ("complete", 1, 3, 8), ("submit", 0, 0, 9)]:
        _apply(operation, learners, lessons, quizzes)
    session.execute(update(Lesson).where(Lesson.id == lessons[-1].id).values(active=False))
    session.flush()
    summaries.rebuild()
    expected_modules, expected_learners = (
        _stored(),
        {
            r.user_id: tuple(getattr(r, c) for c in summaries.TRAINING_COLUMNS)
            for r in session.scalars(select(TrainingSummary))
        },
    )
    assert expected_modules and expected_learners
    session.execute(delete(TrainingSummary))
    session.execute(delete(ProgressSummary))
    session.execute(text(migration.BACKFILL))
    session.execute(text(migration.ROLLUP))
    session.expire_all()
    assert _stored() == expected_modules
    assert {
        r.user_id: tuple(getattr(r, c) for c in summaries.TRAINING_COLUMNS)
        for r in session.scalars(select(TrainingSummary))
    } == expected_learners
    assert summaries.drift() == (0, [])
