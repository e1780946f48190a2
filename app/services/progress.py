"""A learner's progress across the modules, computed in a constant number of queries."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, update

from app.extensions import db
from app.models import Lesson, LessonProgress, Module, Quiz, QuizAttempt, utcnow
from app.models.learning import ATTEMPT_OPEN


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

    @property
    def passed(self) -> bool:
        return self.quiz is not None and self.best_score is not None and self.best_score >= self.quiz.pass_mark

    @property
    def completed(self) -> bool:
        return module_completed(self.lessons_total, self.lessons_done, self.quiz is not None, self.passed)

    @property
    def started(self) -> bool:
        return self.lessons_done > 0 or self.attempts_used > 0

    @property
    def attempts_left(self) -> int | None:
        if self.quiz is None or not self.quiz.max_attempts:
            return None
        return max(self.quiz.max_attempts - self.attempts_used, 0)

    @property
    def percent(self) -> int:
        """Share of the module's steps done: each lesson is one step and the passed quiz one more."""
        steps = self.lessons_total + (1 if self.quiz else 0)
        done = self.lessons_done + (1 if self.passed else 0)
        return round(100 * done / steps) if steps else 0


def module_completed(lessons_total: int, lessons_done: int, has_quiz: bool, quiz_passed: bool) -> bool:
    """A module is complete when every lesson is complete and its quiz (if any) is passed."""
    return lessons_total > 0 and lessons_done >= lessons_total and (quiz_passed or not has_quiz)


def learner_progress(user_id: int) -> list[ModuleProgress]:
    """Progress on every active module for one learner, in catalogue order (four queries)."""
    modules = list(db.session.scalars(select(Module).where(Module.active).order_by(Module.position)))
    lesson_counts = dict(db.session.execute(
        select(Lesson.module_id, func.count(Lesson.id)).where(Lesson.active).group_by(Lesson.module_id)
    ).all())
    done_counts = dict(db.session.execute(
        select(Lesson.module_id, func.count(LessonProgress.id))
        .join(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id))
        .where(Lesson.active, LessonProgress.completed_at.is_not(None))
        .group_by(Lesson.module_id)
    ).all())
    quiz_rows = db.session.execute(
        select(
            Quiz,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.score),
            func.sum(case((QuizAttempt.status == ATTEMPT_OPEN, 1), else_=0)),
        )
        .outerjoin(QuizAttempt, and_(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.user_id == user_id))
        .group_by(Quiz.id)
    ).all()
    quizzes = {quiz.module_id: (quiz, used, best, open_count or 0) for quiz, used, best, open_count in quiz_rows}
    progress = []
    for module in modules:
        quiz, used, best, open_count = quizzes.get(module.id, (None, 0, None, 0))
        progress.append(ModuleProgress(
            module=module, quiz=quiz, lessons_total=lesson_counts.get(module.id, 0),
            lessons_done=done_counts.get(module.id, 0), attempts_used=used, best_score=best,
            has_open_attempt=open_count > 0,
        ))
    return progress


def lesson_states(user_id: int, module_id: int) -> dict[int, LessonProgress]:
    """The learner's progress rows for a module's lessons, by lesson id."""
    rows = db.session.scalars(
        select(LessonProgress).join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.module_id == module_id, LessonProgress.user_id == user_id)
    )
    return {row.lesson_id: row for row in rows}


def _insert(model):
    """INSERT ... ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def record_lesson_view(user_id: int, lesson_id: int) -> LessonProgress:
    """Note that a learner opened a lesson (the first time only). An upsert: two simultaneous first
    views of the same lesson store one row and neither fails."""
    db.session.execute(
        _insert(LessonProgress).values(user_id=user_id, lesson_id=lesson_id, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
    )
    return db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    )


def complete_lesson(user_id: int, lesson_id: int, now) -> LessonProgress:
    """Mark a lesson complete for a learner (keeping the first completion time, whoever writes first)."""
    record_lesson_view(user_id, lesson_id)
    db.session.execute(
        update(LessonProgress)
        .where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id,
               LessonProgress.completed_at.is_(None))
        .values(completed_at=now).execution_options(synchronize_session=False)
    )
    return db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id)
        .execution_options(populate_existing=True)
    )
