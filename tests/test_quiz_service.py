"""Quiz attempts at the service level: drawing, resuming, limits, double submits, time limits."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AttemptQuestion, Lesson, Module, Quiz, QuizAttempt, User, utcnow
from app.services import progress as progress_service
from app.services import quiz as quiz_service


def _quiz(key="basico"):
    module = db.session.scalar(select(Module).where(Module.key == key))
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))


def _answers(attempt, right=True):
    """Answers for every drawn question: all right, or all wrong."""
    out = {}
    for dq in quiz_service.drawn_questions(attempt):
        if right:
            out[dq.item.id] = sorted(dq.correct_ids)
        else:
            out[dq.item.id] = [next(c.id for c in dq.choices if not c.is_correct)]
    return out


@pytest.fixture
def learner(make_user):
    return make_user()


def test_attempt_draws_the_configured_number_of_distinct_questions(session, learner):
    quiz = _quiz()
    attempt = quiz_service.start_or_resume(learner.id, quiz, rng=random.Random(1))
    drawn = quiz_service.drawn_questions(attempt)
    assert len(drawn) == quiz.questions_per_attempt == 4
    assert len({dq.question.id for dq in drawn}) == 4
    for dq in drawn:
        assert sorted(dq.item.choice_order) == sorted(c.id for c in dq.choices)


def test_draws_differ_between_attempts_and_choices_are_shuffled(session, learner):
    quiz = _quiz()
    seen_orders = set()
    seen_sets = set()
    for seed in range(12):
        attempt = quiz_service.start_or_resume(learner.id, quiz, rng=random.Random(seed))
        drawn = quiz_service.drawn_questions(attempt)
        seen_sets.add(frozenset(dq.question.id for dq in drawn))
        seen_orders.update(tuple(dq.item.choice_order) for dq in drawn if dq.question.kind == "single")
        for dq in drawn:
            session.delete(dq.item)
        session.delete(attempt)
        session.flush()
    assert len(seen_sets) > 1
    assert len(seen_orders) > 2


def test_reopening_resumes_the_same_attempt_with_the_same_questions(session, learner):
    quiz = _quiz()
    first = quiz_service.start_or_resume(learner.id, quiz)
    questions = [dq.question.id for dq in quiz_service.drawn_questions(first)]
    quiz_service.save_answers(first, _answers(first))
    again = quiz_service.start_or_resume(learner.id, quiz)
    assert again.id == first.id
    assert [dq.question.id for dq in quiz_service.drawn_questions(again)] == questions
    assert all(dq.item.selected for dq in quiz_service.drawn_questions(again)), "saved answers are kept"


def test_saving_refuses_choices_of_other_questions_extra_picks_and_unknown_items(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    drawn = quiz_service.drawn_questions(attempt)
    single = next(dq for dq in drawn if dq.question.kind in ("single", "true_false"))
    other = next(dq for dq in drawn if dq is not single)
    quiz_service.save_answers(attempt, {single.item.id: [single.item.choice_order[0]]})
    for bad in (
        {single.item.id: [other.item.choice_order[0]]},  # a choice of another question
        {single.item.id: single.item.choice_order[:2]},  # two answers to a one-answer question
        {10**6: []},
    ):  # an item of no drawn question
        with pytest.raises(quiz_service.QuizError) as error:
            quiz_service.save_answers(attempt, bad)
        assert error.value.code == "invalid"
    assert [dq.item.selected for dq in quiz_service.drawn_questions(attempt) if dq.item.id == single.item.id] == [
        [single.item.choice_order[0]]
    ], "nothing written by a refused save"
    assert attempt.revision == 1


def test_each_save_replaces_the_whole_answer_set(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    everything = _answers(attempt)
    quiz_service.save_answers(attempt, everything)
    first_item = next(iter(everything))
    quiz_service.save_answers(attempt, {first_item: everything[first_item]})
    selected = {dq.item.id: dq.item.selected for dq in quiz_service.drawn_questions(attempt)}
    assert selected[first_item] == everything[first_item]
    assert all(not picks for item, picks in selected.items() if item != first_item)


def test_an_older_save_arriving_late_never_overwrites_a_newer_one(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    quiz_service.save_answers(attempt, _answers(attempt, right=True), revision=5)
    with pytest.raises(quiz_service.QuizError) as error:
        quiz_service.save_answers(attempt, _answers(attempt, right=False), revision=4)
    assert error.value.code == "stale"
    assert attempt.revision == 5
    assert all(set(dq.item.selected) == dq.correct_ids for dq in quiz_service.drawn_questions(attempt))


def test_a_save_after_the_submission_is_refused_and_changes_nothing(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    quiz_service.submit(attempt, _answers(attempt, right=True))
    with pytest.raises(quiz_service.QuizError) as error:
        quiz_service.save_answers(attempt, _answers(attempt, right=False), revision=99)
    assert error.value.code == "closed"
    assert all(set(dq.item.selected) == dq.correct_ids for dq in quiz_service.drawn_questions(attempt))


@pytest.mark.parametrize("raw", ["²", "٣", "1" * 5000, "-1", "0", "2147483648", "1e3", " 1", ""])
def test_answer_fields_must_be_plain_ids_in_range(raw):
    from werkzeug.datastructures import MultiDict

    for form in (MultiDict([("q1", raw)]), MultiDict([("asked", raw)]), MultiDict([(f"q{raw}", "1")])):
        with pytest.raises(quiz_service.QuizError):
            quiz_service.answers_from_form(form)
    with pytest.raises(quiz_service.QuizError):
        quiz_service.revision_from_form(MultiDict([("revision", raw or "x")]), required=True)


def test_all_right_answers_pass_and_all_wrong_fail(session, learner):
    quiz = _quiz()
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    assert quiz_service.submit(attempt, _answers(attempt, right=False))
    assert attempt.score == 0.0 and attempt.passed is False
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    assert quiz_service.submit(attempt, _answers(attempt, right=True))
    assert attempt.score == 100.0 and attempt.passed is True


def test_submitting_twice_is_graded_once(session, learner):
    quiz = _quiz()
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    good = _answers(attempt, right=True)
    assert quiz_service.submit(attempt, good) is True
    assert quiz_service.submit(attempt, _answers(attempt, right=False)) is False
    assert attempt.score == 100.0, "the second post changed nothing"
    assert session.scalar(select(func.count(QuizAttempt.id))) == 1


def test_attempt_limit_is_enforced(session, learner):
    quiz = _quiz()
    for _ in range(quiz.max_attempts):
        attempt = quiz_service.start_or_resume(learner.id, quiz)
        quiz_service.submit(attempt, _answers(attempt, right=False))
    with pytest.raises(quiz_service.QuizError) as error:
        quiz_service.start_or_resume(learner.id, quiz)
    assert error.value.code == "limit"
    assert quiz_service.attempt_count(learner.id, quiz.id) == quiz.max_attempts


def test_unlimited_attempts_when_max_is_zero(session, learner):
    quiz = _quiz("avanzado")
    assert quiz.max_attempts == 0
    for _ in range(5):
        attempt = quiz_service.start_or_resume(learner.id, quiz)
        quiz_service.submit(attempt, {})
    assert quiz_service.attempt_count(learner.id, quiz.id) == 5


def test_best_attempt_counts(session, learner):
    quiz = _quiz()
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    quiz_service.submit(attempt, _answers(attempt, right=True))
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    quiz_service.submit(attempt, _answers(attempt, right=False))
    summary = next(p for p in progress_service.learner_progress(learner.id) if p.module.key == "basico")
    assert summary.best_score == 100.0
    assert summary.passed
    assert summary.attempts_used == 2


def test_time_limit_grades_saved_answers_and_ignores_late_ones(session, learner):
    quiz = _quiz("avanzado")  # 10-minute limit, one true/false question
    start = utcnow() - timedelta(minutes=30)
    attempt = quiz_service.start_or_resume(learner.id, quiz, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=10)
    quiz_service.save_answers(attempt, _answers(attempt, right=False), now=start + timedelta(minutes=5))
    late = start + timedelta(minutes=20)
    assert quiz_service.submit(attempt, _answers(attempt, right=True), now=late)
    assert attempt.status == "expired"
    assert attempt.score == 0.0, "answers sent after the deadline do not count"


def test_saving_after_the_deadline_is_refused_and_the_attempt_graded(session, learner):
    quiz = _quiz("avanzado")
    start = utcnow() - timedelta(minutes=30)
    attempt = quiz_service.start_or_resume(learner.id, quiz, now=start)
    quiz_service.save_answers(attempt, _answers(attempt, right=True), now=start + timedelta(minutes=1))
    with pytest.raises(quiz_service.QuizError) as error:
        quiz_service.save_answers(attempt, _answers(attempt, right=False), now=start + timedelta(minutes=11))
    assert error.value.code == "time_up"
    assert attempt.status == "expired" and attempt.score == 100.0


def test_an_expired_open_attempt_is_graded_when_a_new_one_starts(session, learner):
    quiz = _quiz("avanzado")
    start = utcnow() - timedelta(hours=2)
    first = quiz_service.start_or_resume(learner.id, quiz, now=start)
    second = quiz_service.start_or_resume(learner.id, quiz)
    assert second.id != first.id
    assert first.status == "expired" and first.score == 0.0


def test_submission_just_inside_the_grace_period_counts(session, learner):
    quiz = _quiz("avanzado")
    start = utcnow() - timedelta(minutes=10, seconds=10)
    attempt = quiz_service.start_or_resume(learner.id, quiz, now=start)
    quiz_service.submit(attempt, _answers(attempt, right=True), now=start + timedelta(minutes=10, seconds=10))
    assert attempt.status == "submitted" and attempt.score == 100.0


def test_module_is_complete_only_with_every_lesson_and_a_pass(session, learner):
    quiz = _quiz()
    module = session.get(Module, quiz.module_id)
    lessons = session.scalars(select(Lesson).where(Lesson.module_id == module.id)).all()
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    quiz_service.submit(attempt, _answers(attempt, right=True))
    summary = next(p for p in progress_service.learner_progress(learner.id) if p.module.key == "basico")
    assert summary.passed and not summary.completed
    for lesson in lessons:
        progress_service.complete_lesson(learner.id, lesson.id, utcnow())
    summary = next(p for p in progress_service.learner_progress(learner.id) if p.module.key == "basico")
    assert summary.completed and summary.percent == 100


def test_attempt_questions_are_stored_per_attempt(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    assert session.scalar(select(func.count(AttemptQuestion.id)).where(AttemptQuestion.attempt_id == attempt.id)) == 4
    assert db.session is session


def test_what_a_save_reads_as_plain_data_agrees_with_the_orm(session, learner):
    attempt = quiz_service.start_or_resume(learner.id, _quiz("avanzado"))
    session.commit()
    plain, items = quiz_service.attempt_for_saving(attempt.id)
    orm, orm_items = quiz_service.attempt_with_items(attempt.id)
    assert (plain.id, plain.user_id, plain.quiz_id, plain.status, plain.deadline_at) == (
        orm.id,
        orm.user_id,
        orm.quiz_id,
        orm.status,
        orm.deadline_at,
    )
    assert [(i.id, i.question_id, i.choice_order) for i in items] == [
        (i.id, i.question_id, i.choice_order) for i in orm_items
    ]
    assert quiz_service.attempt_for_saving(attempt.id + 1000) == (None, [])


def _plain_save(attempt_id, answers, **kwargs):
    plain, items = quiz_service.attempt_for_saving(attempt_id)
    return quiz_service.save_answers(plain, answers, drawn=quiz_service.drawn_questions(plain, items), **kwargs)


def test_a_save_from_plain_data_stores_and_refuses_as_one_from_the_orm(session, learner):
    quiz = _quiz("avanzado")
    start = utcnow() - timedelta(minutes=30)
    attempt = quiz_service.start_or_resume(learner.id, quiz, now=start)
    right, wrong = _answers(attempt, right=True), _answers(attempt, right=False)
    session.commit()
    assert _plain_save(attempt.id, right, revision=5, now=start + timedelta(minutes=1)) == 5
    session.commit()
    with pytest.raises(quiz_service.QuizError) as error:
        _plain_save(attempt.id, wrong, revision=4, now=start + timedelta(minutes=2))
    assert error.value.code == "stale"
    with pytest.raises(quiz_service.QuizError) as error:
        _plain_save(attempt.id, wrong, revision=6, now=start + timedelta(minutes=11))
    assert error.value.code == "time_up"
    session.commit()
    stored = session.get(QuizAttempt, attempt.id, populate_existing=True)
    assert stored.status == "expired" and stored.score == 100.0, "graded with the answers saved in time"
    with pytest.raises(quiz_service.QuizError) as error:
        _plain_save(attempt.id, wrong, revision=7, now=start + timedelta(minutes=12))
    assert error.value.code == "closed"
    assert all(set(dq.item.selected) == dq.correct_ids for dq in quiz_service.drawn_questions(stored))


def test_only_the_learner_who_started_an_attempt_reaches_it_whatever_was_read(session, learner, make_user):
    from app.services import permissions

    attempt = quiz_service.start_or_resume(learner.id, _quiz())
    session.commit()
    plain, _items = quiz_service.attempt_for_saving(attempt.id)
    owner, other = session.get(User, learner.id), session.get(User, make_user().id)
    for read in (attempt, plain):
        assert permissions.can_take_attempt(owner, read)
        assert not permissions.can_take_attempt(other, read)
    assert not permissions.can_take_attempt(owner, None)
