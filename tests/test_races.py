"""Simultaneous requests on PostgreSQL: every "create if missing" is an upsert or handles the conflict,
and quiz saves and submissions decide under the attempt's row lock.

Each test runs a first operation in one transaction and holds it open while a second one, in another
connection, runs the same or a conflicting operation; the second must wait and then do the right thing
(never fail, never overwrite). SQLite serialises writers for the whole file, so these run on PostgreSQL."""

import threading
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AttemptQuestion, Lesson, LessonProgress, Module, ProgressSummary, Quiz, QuizAttempt, User, utcnow
from app.services import accounts, summaries
from app.services import progress as progress_service
from app.services import quiz as quiz_service

HOLD_SECONDS = 0.6


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks and concurrent transactions: PostgreSQL only")


def overlap(app, first, second, hold=HOLD_SECONDS):
    """Run `first` and keep its transaction open for `hold` seconds; meanwhile run `second` in another
    connection. Returns (first's result, second's result, seconds the second took); an exception
    raised by either is returned as its result."""
    results = {}
    first_done = threading.Event()

    def run(name, fn, wait_for=None, keep_open=0.0):
        if wait_for is not None:
            wait_for.wait(10)
        with app.app_context():
            started = time.monotonic()
            try:
                results[name] = fn()
                if name == "first":
                    first_done.set()
                time.sleep(keep_open)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (the test inspects it)
                db.session.rollback()
                results[name] = error
                first_done.set()
            results[name + "_seconds"] = time.monotonic() - started

    threads = [
        threading.Thread(target=run, args=("first", first), kwargs={"keep_open": hold}),
        threading.Thread(target=run, args=("second", second), kwargs={"wait_for": first_done}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results["first"], results["second"], results["second_seconds"]


def _lesson_id():
    return db.session.scalar(select(Lesson.id).order_by(Lesson.position).limit(1))


def _quiz():
    module = db.session.scalar(select(Module).where(Module.key == "basico"))
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))


def test_two_simultaneous_first_views_of_a_lesson_store_one_row(app, make_user, in_app):
    user = make_user()
    lesson_id = in_app(_lesson_id)

    def view():
        return progress_service.record_lesson_view(user.id, lesson_id).id

    first, second, waited = overlap(app, view, view)
    assert not isinstance(second, Exception), second
    assert first == second
    assert waited >= HOLD_SECONDS / 2, "the second view really overlapped the first"
    assert in_app(lambda: db.session.scalar(select(func.count(LessonProgress.id)))) == 1


def test_two_simultaneous_completions_of_a_lesson_keep_one_row_and_the_first_time(app, make_user, in_app):
    user = make_user()
    lesson_id = in_app(_lesson_id)

    def complete():
        return progress_service.complete_lesson(user.id, lesson_id, utcnow()).completed_at

    first, second, _ = overlap(app, complete, complete)
    assert not isinstance(second, Exception), second
    assert first == second
    assert in_app(lambda: db.session.scalar(select(func.count(LessonProgress.id)))) == 1


def test_two_lessons_completed_at_once_both_count_in_the_progress_summary(app, make_user, in_app):
    """Two requests of one learner complete two lessons of a module at once: the second waits on the
    summary row and recomputes with the first one's lesson (neither overwrites the other's count)."""
    user = make_user()
    module_id, first_lesson, second_lesson = in_app(
        lambda: (
            lambda module: (
                module.id,
                *db.session.scalars(
                    select(Lesson.id).where(Lesson.module_id == module.id, Lesson.active).order_by(Lesson.position)
                ).all()[:2],
            )
        )(db.session.scalar(select(Module).where(Module.key == "basico")))
    )

    def complete(lesson_id):
        return lambda: progress_service.complete_lesson(user.id, lesson_id, utcnow()).id

    first, second, waited = overlap(app, complete(first_lesson), complete(second_lesson))
    assert not isinstance(second, Exception), second
    assert waited >= HOLD_SECONDS / 2, "the second completion waited for the first one's summary row"
    done = in_app(lambda: db.session.get(ProgressSummary, (user.id, module_id)).lessons_done)
    assert done == 2
    assert in_app(summaries.drift) == (0, [])


def test_two_simultaneous_quiz_starts_resume_one_attempt(app, make_user, in_app):
    user = make_user()

    def start():
        return quiz_service.start_or_resume(user.id, _quiz()).id

    first, second, _ = overlap(app, start, start)
    assert not isinstance(second, Exception), second
    assert first == second
    assert in_app(lambda: db.session.scalar(select(func.count(QuizAttempt.id)))) == 1


def test_simultaneous_requests_note_last_seen_once(app, make_user, in_app):
    user = make_user()

    def touch():
        accounts.touch_last_seen(db.session.get(User, user.id))
        return db.session.get(User, user.id).last_seen_at

    first, second, _ = overlap(app, touch, touch)
    assert not isinstance(second, Exception), second
    assert in_app(lambda: db.session.get(User, user.id).last_seen_at) is not None


def _answers(attempt_id, right):
    attempt = db.session.get(QuizAttempt, attempt_id)
    out = {}
    for dq in quiz_service.drawn_questions(attempt):
        out[dq.item.id] = sorted(dq.correct_ids) if right else [next(c.id for c in dq.choices if not c.is_correct)]
    return out


def _stored(in_app, attempt_id):
    return in_app(
        lambda: {
            row.id: row.selected
            for row in db.session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id))
        }
    )


def _new_attempt(in_app, user):
    return in_app(lambda: quiz_service.start_or_resume(user.id, _quiz()).id)


def test_a_save_overlapping_a_submission_is_refused_and_the_graded_answers_stay(app, make_user, in_app):
    user = make_user()
    attempt_id = _new_attempt(in_app, user)
    right, wrong = in_app(_answers, attempt_id, True), in_app(_answers, attempt_id, False)

    def submit():
        return quiz_service.submit(db.session.get(QuizAttempt, attempt_id), right)

    def save():
        return quiz_service.save_answers(db.session.get(QuizAttempt, attempt_id), wrong, revision=7)

    first, second, _ = overlap(app, submit, save)
    assert first is True
    assert isinstance(second, quiz_service.QuizError) and second.code == "closed"
    assert _stored(in_app, attempt_id) == right
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).score) == 100.0


def test_a_submission_overlapping_a_save_grades_the_saved_answers(app, make_user, in_app):
    user = make_user()
    attempt_id = _new_attempt(in_app, user)
    wrong = in_app(_answers, attempt_id, False)

    def save():
        return quiz_service.save_answers(db.session.get(QuizAttempt, attempt_id), wrong, revision=1)

    def submit_keeping_saved():
        return quiz_service.submit(db.session.get(QuizAttempt, attempt_id), {})

    first, second, _ = overlap(app, save, submit_keeping_saved)
    assert first == 1 and second is True
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).score) == 0.0, "graded what was saved"


@pytest.mark.parametrize("revisions,winner", [((2, 1), "first"), ((1, 2), "second")])
def test_two_overlapping_saves_store_one_of_them_whole_never_a_mix(app, make_user, in_app, revisions, winner):
    user = make_user()
    attempt_id = _new_attempt(in_app, user)
    right, wrong = in_app(_answers, attempt_id, True), in_app(_answers, attempt_id, False)

    def save(answers, revision):
        return lambda: quiz_service.save_answers(db.session.get(QuizAttempt, attempt_id), answers, revision=revision)

    first, second, _ = overlap(app, save(right, revisions[0]), save(wrong, revisions[1]))
    stored = _stored(in_app, attempt_id)
    if winner == "first":
        assert isinstance(second, quiz_service.QuizError) and second.code == "stale"
        assert stored == right
    else:
        assert second == 2
        assert stored == wrong
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).revision) == max(revisions)
