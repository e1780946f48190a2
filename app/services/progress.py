"""A learner's progress across the modules, computed in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, bindparam, case, func, select, update

from app.extensions import db
from app.models import ExtraAttempt, Lesson, LessonProgress, Quiz, QuizAttempt, User, WorkbookEntry, utcnow
from app.models.learning import ATTEMPT_OPEN
from app.models.types import dialect_insert
from app.services import compiled, completion, content_cache, summaries
from app.services.content_cache import ModuleInfo, QuizInfo


@dataclass
class ModuleProgress:
    """Where one learner stands on one module."""

    module: ModuleInfo
    quiz: QuizInfo | None
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


def _completed_lessons():
    """The ids of the lessons a learner completed (bound: the user id); run compiled once
    (app.services.compiled), as is `_quiz_figures`."""
    return select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == bindparam("user_id", type_=Integer), LessonProgress.completed_at.is_not(None)
    )


def _quiz_figures():
    """Per quiz: the learner's attempts, best score, open attempts, whether one passed and the extra
    attempts granted (bound: the user id)."""
    user_id = bindparam("user_id", type_=Integer)
    extras = (
        select(func.count(ExtraAttempt.id))
        .where(ExtraAttempt.user_id == user_id, ExtraAttempt.quiz_id == Quiz.id)
        .scalar_subquery()
    )
    return (
        select(
            Quiz.id,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.score),
            func.sum(case((QuizAttempt.status == ATTEMPT_OPEN, 1), else_=0)),
            completion.quiz_passed_sql(QuizAttempt.score, QuizAttempt.pass_mark),
            extras,
        )
        .outerjoin(QuizAttempt, and_(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.user_id == user_id))
        .group_by(Quiz.id)
    )


def learner_progress(user_id: int) -> list[ModuleProgress]:
    """Progress on every active module for one learner, in catalogue order: the modules, lessons and
    quizzes from app.services.content_cache, the learner's figures in two queries."""
    catalogue = content_cache.current()
    params = {"user_id": user_id}
    completed = set(compiled.execute(_completed_lessons, params).scalars())
    figures = {quiz_id: rest for quiz_id, *rest in compiled.execute(_quiz_figures, params)}
    progress = []
    for module in catalogue.modules:
        lessons = catalogue.lessons_of(module.id)
        quiz = catalogue.quiz_by_module.get(module.id)
        used, best, open_count, passed, extra = figures.get(quiz.id, (0, None, 0, 0, 0)) if quiz else (0, None, 0, 0, 0)
        progress.append(
            ModuleProgress(
                module=module,
                quiz=quiz,
                lessons_total=len(lessons),
                lessons_done=sum(1 for lesson in lessons if lesson.id in completed),
                attempts_used=used,
                best_score=best,
                has_open_attempt=(open_count or 0) > 0,
                quiz_passed=bool(passed),
                extra_attempts=extra or 0,
                lesson_minutes=sum(lesson.minutes or 0 for lesson in lessons),
                activity_minutes=sum(lesson.activity_minutes or 0 for lesson in lessons),
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


@dataclass(frozen=True)
class LessonReading:
    """The learner's progress on a lesson, as the lesson page shows it."""

    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class EntryReading:
    """The learner's workbook answer to a lesson's activity, as the lesson page shows it."""

    text: str
    updated_at: datetime | None


def _reading_statement():
    """The lesson page's read of the learner's state (bound: user and lesson), run compiled once
    (app.services.compiled): the progress row and the workbook answer, each present or not."""
    user_id, lesson_id = bindparam("user_id", type_=Integer), bindparam("lesson_id", type_=Integer)
    return (
        select(
            LessonProgress.id.label("progress_id"),
            LessonProgress.started_at,
            LessonProgress.completed_at,
            WorkbookEntry.id.label("entry_id"),
            WorkbookEntry.text,
            WorkbookEntry.updated_at,
        )
        .select_from(User)
        .outerjoin(LessonProgress, and_(LessonProgress.user_id == User.id, LessonProgress.lesson_id == lesson_id))
        .outerjoin(WorkbookEntry, and_(WorkbookEntry.user_id == User.id, WorkbookEntry.lesson_id == lesson_id))
        .where(User.id == user_id)
    )


def lesson_reading(user_id: int, lesson_id: int) -> tuple[LessonReading | None, EntryReading | None]:
    """What the lesson page reads about the learner, in one query: their progress on the lesson (None if
    they never opened it) and their workbook answer to its activity (None if they wrote none)."""
    row = compiled.execute(_reading_statement, {"user_id": user_id, "lesson_id": lesson_id}).first()
    if row is None:
        return None, None
    state = LessonReading(row.started_at, row.completed_at) if row.progress_id is not None else None
    entry = EntryReading(row.text or "", row.updated_at) if row.entry_id is not None else None
    return state, entry


def _first_view_statement():
    """The upsert of a first view (bound: user, lesson, time), run compiled once (app.services.compiled:
    SQLAlchemy keeps no compiled form of an INSERT ... ON CONFLICT)."""
    return (
        dialect_insert(LessonProgress.__table__)
        .values(
            user_id=bindparam("b_user_id", type_=Integer),
            lesson_id=bindparam("b_lesson_id", type_=Integer),
            started_at=bindparam("b_started_at", type_=LessonProgress.__table__.c.started_at.type),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
        .returning(LessonProgress.__table__.c.id)  # a row back only when this view inserted it (rowcount is -1 here)
    )


def record_lesson_view(user_id: int, lesson_id: int) -> LessonProgress:
    """Note that a learner opened a lesson (the first time only). An upsert: two simultaneous first
    views of the same lesson store one row and neither fails. Callers on a read path check
    `lesson_reading` first, so a lesson already opened costs no write and no commit."""
    inserted = compiled.execute(
        _first_view_statement, {"b_user_id": user_id, "b_lesson_id": lesson_id, "b_started_at": utcnow()}
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
