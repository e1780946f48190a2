"""Quiz attempts: drawing questions, saving answers as the learner goes, submitting once, time limits."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import (
    AttemptQuestion,
    Choice,
    Question,
    Quiz,
    QuizAttempt,
    utcnow,
)
from app.models.learning import ATTEMPT_EXPIRED, ATTEMPT_OPEN, ATTEMPT_SUBMITTED
from app.services.grading import grade

SINGLE_ANSWER_KINDS = ("single", "true_false")


class QuizError(Exception):
    """A quiz action that cannot be done; `code` names the reason for the view to explain."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class DrawnQuestion:
    """A question as shown in an attempt: text and choices in the attempt's order."""

    item: AttemptQuestion
    question: Question
    choices: list[Choice]

    @property
    def correct_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("QUIZ_SUBMIT_GRACE_SECONDS", 30))


def attempts_for(user_id: int, quiz_id: int) -> list[QuizAttempt]:
    """All attempts of a learner at a quiz, oldest first."""
    return list(db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
        .order_by(QuizAttempt.number)
    ))


def is_past_deadline(attempt: QuizAttempt, now: datetime) -> bool:
    """True when a timed attempt's deadline (plus a short grace for the network) has passed."""
    return attempt.deadline_at is not None and now > attempt.deadline_at + _grace()


def start_or_resume(user_id: int, quiz: Quiz, now: datetime | None = None,
                    rng: random.Random | None = None) -> QuizAttempt:
    """Return the learner's open attempt, or draw a new one; refuse past the attempt limit."""
    now = now or utcnow()
    attempts = attempts_for(user_id, quiz.id)
    for attempt in attempts:
        if attempt.status == ATTEMPT_OPEN:
            if not expire_if_due(attempt, now):
                return attempt
    if quiz.max_attempts and len(attempts) >= quiz.max_attempts:
        raise QuizError("limit")
    rng = rng or random.SystemRandom()
    question_ids = list(db.session.scalars(
        select(Question.id).where(Question.quiz_id == quiz.id, Question.active).order_by(Question.position)
    ))
    if not question_ids:
        raise QuizError("empty")
    drawn = rng.sample(question_ids, k=min(quiz.questions_per_attempt, len(question_ids)))
    choice_rows = db.session.execute(
        select(Choice.question_id, Choice.id).where(Choice.question_id.in_(drawn), Choice.active)
        .order_by(Choice.position)
    ).all()
    choices_by_question: dict[int, list[int]] = {}
    for question_id, choice_id in choice_rows:
        choices_by_question.setdefault(question_id, []).append(choice_id)
    attempt = QuizAttempt(
        user_id=user_id, quiz_id=quiz.id, number=len(attempts) + 1, status=ATTEMPT_OPEN,
        started_at=now, pass_mark=quiz.pass_mark,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
    )
    db.session.add(attempt)
    db.session.flush()
    for position, question_id in enumerate(drawn, start=1):
        order = choices_by_question.get(question_id, [])
        rng.shuffle(order)
        db.session.add(AttemptQuestion(
            attempt_id=attempt.id, question_id=question_id, position=position, choice_order=order, selected=[],
        ))
    db.session.flush()
    return attempt


def drawn_questions(attempt: QuizAttempt) -> list[DrawnQuestion]:
    """The attempt's questions with their choices in the attempt's order (three queries in all)."""
    rows = db.session.execute(
        select(AttemptQuestion, Question).join(Question, AttemptQuestion.question_id == Question.id)
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    choice_ids = {cid for item, _ in rows for cid in item.choice_order}
    choices = {c.id: c for c in db.session.scalars(select(Choice).where(Choice.id.in_(choice_ids)))} if choice_ids else {}
    return [
        DrawnQuestion(item, question, [choices[cid] for cid in item.choice_order if cid in choices])
        for item, question in rows
    ]


def _apply_answers(drawn: list[DrawnQuestion], answers: dict[int, list[int]]) -> None:
    """Store the learner's selections, keeping only choices that belong to each question."""
    for dq in drawn:
        if dq.item.id not in answers:
            continue
        allowed = set(dq.item.choice_order)
        picked = [cid for cid in dict.fromkeys(answers[dq.item.id]) if cid in allowed]
        if dq.question.kind in SINGLE_ANSWER_KINDS:
            picked = picked[:1]
        dq.item.selected = picked


def save_answers(attempt: QuizAttempt, answers: dict[int, list[int]], now: datetime | None = None) -> None:
    """Keep the answers of an open attempt on the server; a timed-out attempt is graded instead."""
    now = now or utcnow()
    if attempt.status != ATTEMPT_OPEN:
        raise QuizError("closed")
    if expire_if_due(attempt, now):
        raise QuizError("time_up")
    _apply_answers(drawn_questions(attempt), answers)
    attempt.saved_at = now
    db.session.flush()


def _claim(attempt: QuizAttempt, status: str, now: datetime) -> bool:
    """Atomically move an open attempt to a closed status; False when someone else already closed it."""
    result = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == ATTEMPT_OPEN)
        .values(status=status, submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    return result.rowcount == 1


def _grade_attempt(attempt: QuizAttempt, drawn: list[DrawnQuestion]) -> None:
    outcome = grade([(set(dq.item.selected), dq.correct_ids) for dq in drawn], attempt.pass_mark)
    for dq, graded in zip(drawn, outcome.questions):
        dq.item.is_correct = graded.correct
    attempt.score = outcome.score
    attempt.passed = outcome.passed
    db.session.flush()


def submit(attempt: QuizAttempt, answers: dict[int, list[int]], now: datetime | None = None) -> bool:
    """Grade an attempt once. Returns False when it had already been submitted (a double post)."""
    now = now or utcnow()
    late = is_past_deadline(attempt, now)
    if not _claim(attempt, ATTEMPT_EXPIRED if late else ATTEMPT_SUBMITTED, now):
        return False
    drawn = drawn_questions(attempt)
    if not late:  # answers sent after the deadline are not taken; what was saved in time counts
        _apply_answers(drawn, answers)
    _grade_attempt(attempt, drawn)
    return True


def expire_if_due(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Grade an open attempt whose time ran out with the answers saved in time. True if it did."""
    now = now or utcnow()
    if attempt.status != ATTEMPT_OPEN or not is_past_deadline(attempt, now):
        return False
    if _claim(attempt, ATTEMPT_EXPIRED, now):
        _grade_attempt(attempt, drawn_questions(attempt))
    return True


def attempt_count(user_id: int, quiz_id: int) -> int:
    """How many attempts a learner has used at a quiz."""
    return db.session.scalar(
        select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
    ) or 0
