"""A learner's progress across the modules, computed in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, update

from app.extensions import db
from app.models import ExtraAttempt, Lesson, LessonProgress, Module, Quiz, QuizAttempt, utcnow
from app.models.types import dialect_insert
from app.models.learning import ATTEMPT_OPEN
from app.services import completion, summaries


@dataclass
class ModuleProgress:
    """Where one learner stands on one module."""

    module: Module
    quiz: Quiz | None
    lessons_total: int
    lessons_done: int
    attempts_used: int
    best_score: float | None
    has_open_attempt: bool
    quiz_passed: bool = False  # any attempt reached the pass mark frozen on it (app.services.completion)
    extra_attempts: int = 0
    lesson_minutes: int = 0
    activity_minutes: int = 0

    @property
    def quiz_minutes(self) -> int:
        return self.quiz.estimated_minutes if self.quiz else 0

    @property
    def attempts_allowed(self) -> int | None:
        """The quiz's attempt limit plus the extra attempts granted to this learner (None: no limit)."""
        if self.quiz is None or not self.quiz.max_attempts:
            return None
        return self.quiz.max_attempts + self.extra_attempts

    @property
    def out_of_attempts(self) -> bool:
        """Every allowed attempt used without passing: the learner needs someone to grant one more."""
        return self.attempts_left == 0 and not self.passed and not self.has_open_attempt

    @property
    def passed(self) -> bool:
        return self.quiz is not None and self.quiz_passed

    @property
    def counts(self) -> bool:
        """Whether this module is part of the training (it has lessons)."""
        return completion.module_counts(self.lessons_total)

    @property
    def completed(self) -> bool:
        return completion.module_complete(self.lessons_total, self.lessons_done, self.quiz is not None, self.passed)

    @property
    def started(self) -> bool:
        return self.lessons_done > 0 or self.attempts_used > 0

    @property
    def attempts_left(self) -> int | None:
        if self.attempts_allowed is None:
            return None
        return max(self.attempts_allowed - self.attempts_used, 0)

    @property
    def percent(self) -> int:
        """Share of the module's steps done: each lesson is one step and the passed quiz one more."""
        steps = self.lessons_total + (1 if self.quiz else 0)
        done = self.lessons_done + (1 if self.passed else 0)
        return round(100 * done / steps) if steps else 0


def training_complete(progress: list[ModuleProgress]) -> bool:
    """The training rule (app.services.completion) applied to a learner's progress."""
    counted = [p for p in progress if p.counts]
    return completion.training_complete(sum(p.completed for p in counted), len(counted))


def learner_progress(user_id: int) -> list[ModuleProgress]:
    """Progress on every active module for one learner, in catalogue order (four queries)."""
    modules = list(db.session.scalars(select(Module).where(Module.active).order_by(Module.position)))
    # Lessons per module with their minutes, and how many of them this learner completed: one query.
    lesson_rows = db.session.execute(
        select(
            Lesson.module_id,
            func.count(Lesson.id),
            func.sum(Lesson.minutes),
            func.sum(Lesson.activity_minutes),
            func.count(LessonProgress.completed_at),
        )
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.active)
        .group_by(Lesson.module_id)
    ).all()
    lesson_counts = {row[0]: row[1:4] for row in lesson_rows}
    done_counts = {row[0]: row[4] for row in lesson_rows if row[4]}
    extras = dict(
        db.session.execute(
            select(ExtraAttempt.quiz_id, func.count(ExtraAttempt.id))
            .where(ExtraAttempt.user_id == user_id)
            .group_by(ExtraAttempt.quiz_id)
        ).all()
    )
    quiz_rows = db.session.execute(
        select(
            Quiz,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.score),
            func.sum(case((QuizAttempt.status == ATTEMPT_OPEN, 1), else_=0)),
            completion.quiz_passed_sql(QuizAttempt.score, QuizAttempt.pass_mark),
        )
        .outerjoin(QuizAttempt, and_(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.user_id == user_id))
        .group_by(Quiz.id)
    ).all()
    quizzes = {
        quiz.module_id: (quiz, used, best, open_count or 0, bool(passed))
        for quiz, used, best, open_count, passed in quiz_rows
    }
    progress = []
    for module in modules:
        quiz, used, best, open_count, passed = quizzes.get(module.id, (None, 0, None, 0, False))
        total, minutes, activity_minutes = lesson_counts.get(module.id, (0, 0, 0))
        progress.append(
            ModuleProgress(
                module=module,
                quiz=quiz,
                lessons_total=total,
                lessons_done=done_counts.get(module.id, 0),
                attempts_used=used,
                best_score=best,
                has_open_attempt=open_count > 0,
                quiz_passed=passed,
                extra_attempts=extras.get(quiz.id, 0) if quiz else 0,
                lesson_minutes=minutes or 0,
                activity_minutes=activity_minutes or 0,
            )
        )
    return progress


def lesson_states(user_id: int, module_id: int) -> dict[int, LessonProgress]:
    """The learner's progress rows for a module's lessons, by lesson id."""
    rows = db.session.scalars(
        select(LessonProgress)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.module_id == module_id, LessonProgress.user_id == user_id)
    )
    return {row.lesson_id: row for row in rows}


def module_for_reading(user_id: int, module_key: str) -> tuple[Module | None, list[Lesson], dict[int, LessonProgress]]:
    """An active module, its active lessons in order and the learner's progress on each, in one query
    (the lesson page's whole read). (None, [], {}) for an unknown module or one without lessons."""
    rows = db.session.execute(
        select(Module, Lesson, LessonProgress)
        .join(Lesson, and_(Lesson.module_id == Module.id, Lesson.active))
        .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Module.key == module_key, Module.active)
        .order_by(Lesson.position)
    ).all()
    if not rows:
        return None, [], {}
    return rows[0][0], [lesson for _, lesson, _ in rows], {p.lesson_id: p for _, _, p in rows if p is not None}


def lesson_state(user_id: int, lesson_id: int) -> LessonProgress | None:
    """The learner's progress row for one lesson, or None if they never opened it."""
    return db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
    )


def record_lesson_view(user_id: int, lesson_id: int) -> LessonProgress:
    """Note that a learner opened a lesson (the first time only). An upsert: two simultaneous first
    views of the same lesson store one row and neither fails. Callers on a read path check
    `lesson_state` first, so a lesson already opened costs no write and no commit."""
    inserted = db.session.execute(
        dialect_insert(LessonProgress)
        .values(user_id=user_id, lesson_id=lesson_id, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
        .returning(LessonProgress.id)  # a row back only when this view inserted it (rowcount is -1 here)
    ).scalar()
    if inserted is not None:
        summaries.refresh_lesson(user_id, lesson_id)
    return db.session.scalar(
        select(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    )


def complete_lesson(user_id: int, lesson_id: int, now) -> LessonProgress:
    """Mark a lesson complete for a learner (keeping the first completion time, whoever writes first)."""
    record_lesson_view(user_id, lesson_id)
    completed = db.session.execute(
        update(LessonProgress)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.lesson_id == lesson_id,
            LessonProgress.completed_at.is_(None),
        )
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    if completed.rowcount == 1:
        summaries.refresh_lesson(user_id, lesson_id)
    return db.session.scalar(
        select(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    )
