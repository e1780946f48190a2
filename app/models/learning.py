"""Training content (modules, lessons, quizzes) and what learners do with it."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

QUESTION_SINGLE = "single"
QUESTION_MULTIPLE = "multiple"
QUESTION_TRUE_FALSE = "true_false"
QUESTION_TYPES = (QUESTION_SINGLE, QUESTION_MULTIPLE, QUESTION_TRUE_FALSE)

ATTEMPT_OPEN = "open"
ATTEMPT_SUBMITTED = "submitted"
ATTEMPT_EXPIRED = "expired"  # graded automatically when its time limit ran out

# When a learner sees the correct options and explanations of a graded attempt (quiz setting).
REVEAL_AFTER_EACH = "after_each_attempt"
REVEAL_AFTER_PASS_OR_LAST = "after_pass_or_last_attempt"
REVEAL_NEVER = "never"
REVEAL_POLICIES = (REVEAL_AFTER_EACH, REVEAL_AFTER_PASS_OR_LAST, REVEAL_NEVER)


class Module(db.Model):
    """One of the training modules, loaded from content/."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    hours: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    objectives: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module", order_by="Lesson.position", lazy="raise_on_sql"
    )
    quiz: Mapped[Optional["Quiz"]] = relationship(back_populates="module", lazy="raise_on_sql")


class Lesson(db.Model):
    """A lesson of a module; its body is stored rendered and sanitised, per language."""

    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    body_html: Mapped[dict] = mapped_column(JSON)
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The practical activity that closes the lesson, answered in the learner's workbook (none: 0 and null).
    activity_minutes: Mapped[int] = mapped_column(default=0)
    activity_title: Mapped[Optional[dict]] = mapped_column(JSON)
    activity_prompt_html: Mapped[Optional[dict]] = mapped_column(JSON)

    module: Mapped[Module] = relationship(back_populates="lessons")

    @property
    def has_activity(self) -> bool:
        return bool(self.activity_title)


class Quiz(db.Model):
    """The graded quiz of a module and its rules."""

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), unique=True)
    pass_mark: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=3)
    questions_per_attempt: Mapped[int] = mapped_column(default=8)
    time_limit_minutes: Mapped[Optional[int]]
    # Time one attempt takes (counted in the module's hours) and when correct options are shown.
    estimated_minutes: Mapped[int] = mapped_column(default=0)
    reveal_answers: Mapped[str] = mapped_column(String(30), default=REVEAL_AFTER_PASS_OR_LAST)

    module: Mapped[Module] = relationship(back_populates="quiz")


class Question(db.Model):
    """A question of a quiz's bank; retired (inactive) rather than deleted so attempts stay readable."""

    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[dict] = mapped_column(JSON)
    explanation: Mapped[dict] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)

    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", order_by="Choice.position", lazy="raise_on_sql"
    )


class Choice(db.Model):
    """A possible answer to a question."""

    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[dict] = mapped_column(JSON)
    is_correct: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    question: Mapped[Question] = relationship(back_populates="choices")


class LessonProgress(db.Model):
    """A learner's progress on one lesson: first opened, and completed."""

    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One sitting of a quiz by a learner, with the questions drawn for it."""

    __table_args__ = (UniqueConstraint("user_id", "quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=ATTEMPT_OPEN)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    saved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    score: Mapped[Optional[float]]
    passed: Mapped[Optional[bool]]
    pass_mark: Mapped[int] = mapped_column(default=70)
    # The client's number of the last save stored; an older save arriving late is refused.
    revision: Mapped[int] = mapped_column(default=0)

    questions: Mapped[list["AttemptQuestion"]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", lazy="raise_on_sql"
    )


class AttemptQuestion(db.Model):
    """A question as drawn in an attempt: its place, its choice order and the learner's answer."""

    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id"),
        # The most-missed questions count answers per question from this index alone (issue 12); it
        # also serves every lookup by attempt, as the unique constraint's index does.
        Index("ix_attempt_question_tally", "attempt_id", "question_id", "is_correct"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    position: Mapped[int]
    choice_order: Mapped[list] = mapped_column(JSON)
    selected: Mapped[list] = mapped_column(JSON, default=list)
    is_correct: Mapped[Optional[bool]]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship(lazy="raise_on_sql")


class ProgressSummary(db.Model):
    """One learner's figures on one module, kept up to date by `app.services.summaries` in the same
    transaction as the lesson or attempt that changes them; what the monitoring pages aggregate.

    Derived data: `flask progress rebuild` recomputes every row from the lesson progress and the
    attempts, and `flask progress check` reports rows that differ from that recomputation.
    """

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True, index=True)
    lessons_opened: Mapped[int] = mapped_column(default=0)  # active lessons of the module opened
    lessons_done: Mapped[int] = mapped_column(default=0)  # active lessons of the module completed
    attempts: Mapped[int] = mapped_column(default=0)  # attempts at the module's quiz, open ones included
    best_score: Mapped[Optional[float]]  # best graded score at the module's quiz
    passed: Mapped[bool] = mapped_column(default=False)  # app.services.completion.quiz_passed


class TrainingSummary(db.Model):
    """One learner's figures over the modules that count (app.services.completion), rolled up from
    their `ProgressSummary` rows in the same transaction: the per-person line of the dashboards."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    modules_started: Mapped[int] = mapped_column(default=0)
    modules_lessons_done: Mapped[int] = mapped_column(default=0)  # modules with every lesson complete
    modules_passed: Mapped[int] = mapped_column(default=0)  # modules whose quiz is passed
    modules_completed: Mapped[int] = mapped_column(default=0)  # app.services.completion.module_complete
    best_sum: Mapped[float] = mapped_column(default=0.0)  # sum of the best scores, for averages
    best_n: Mapped[int] = mapped_column(default=0)  # modules with a best score
    attempts: Mapped[int] = mapped_column(default=0)


class ExtraAttempt(db.Model):
    """One attempt beyond a quiz's limit, granted to a learner by a coordinator or IOM officer.

    `after_attempts` is how many attempts the learner had used when it was granted: unique per learner
    and quiz, so two people granting at the same moment record one grant, not two.
    """

    __table_args__ = (UniqueConstraint("user_id", "quiz_id", "after_attempts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id"), index=True)
    granted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    after_attempts: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkbookEntry(db.Model):
    """A learner's written answer to a lesson's activity: private to its author."""

    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentSync(db.Model):
    """A record of each `flask content sync` run that changed something."""

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")


class ContentVersion(db.Model):
    """One row whose `value` changes in the same transaction as any change to modules, lessons, quizzes,
    questions or choices (app.services.content_cache): each worker compares it with the version of
    what it keeps in memory, so every worker on every host drops a stale copy on its next request."""

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
