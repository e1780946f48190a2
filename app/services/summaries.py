"""Per-learner, per-module progress summaries (`ProgressSummary`): what the monitoring pages read.

Recomputing every official's progress from all lesson rows and attempts on every dashboard view made
the monitoring pages grow with the data (issue 12). Instead each (learner, module) pair keeps one
summary row, changed in the same transaction as the lesson view, lesson completion, attempt start or
grading that changes it; the dashboards aggregate those rows.

Two levels: `ProgressSummary` (learner x module: lessons opened and done, attempts, best score, quiz
passed) and `TrainingSummary` (learner: how many counting modules are started, lessons-done, passed and
complete, best-score sum and count, attempts), the second rolled up from the first with the module
totals and app.services.completion's rule.

One definition each: `source()` computes the module level from the lesson progress and the attempts,
`_rollup` the learner level from the module level; `refresh` applies both to one learner and module,
`rebuild` to everyone (after a content sync, which can retire or add lessons, or a bulk load), and
`drift` lists the rows that differ from a recomputation (`flask progress check`).

Concurrency: `refresh` first locks the learner's `TrainingSummary` row (an upsert that touches it),
then recomputes. Under PostgreSQL's READ COMMITTED each statement sees what was committed before it
started, so two requests of the same learner serialise on that row and the second recomputes with the
first one's changes.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)

from app.extensions import db
from app.models import Lesson, LessonProgress, Module, ProgressSummary, Quiz, QuizAttempt, TrainingSummary
from app.models.types import dialect_insert
from app.services import compiled, completion

COLUMNS = ("lessons_opened", "lessons_done", "attempts", "best_score", "passed")
TRAINING_COLUMNS = (
    "modules_started",
    "modules_lessons_done",
    "modules_passed",
    "modules_completed",
    "best_sum",
    "best_n",
    "attempts",
)


def module_totals():
    """Subquery: the modules that count for the training (active, with active lessons; see
    app.services.completion), their number of active lessons and whether they have a quiz."""
    return (
        select(
            Lesson.module_id.label("module_id"),
            func.count(Lesson.id).label("total"),
            func.count(func.distinct(Quiz.id)).label("quizzes"),
        )
        .join(Module, Module.id == Lesson.module_id)
        .outerjoin(Quiz, Quiz.module_id == Module.id)
        .where(Lesson.active, Module.active)
        .group_by(Lesson.module_id)
        .subquery("t")
    )


def module_flags(totals, summary):
    """SQL (started, lessons_done, passed, completed) of one learner on one counting module, from the
    module totals and the learner's summary row (which may be missing: an outer join)."""
    done = func.coalesce(summary.lessons_done, 0)
    has_quiz = totals.c.quizzes > 0
    passed = and_(has_quiz, summary.passed.is_(True))
    return (
        or_(summary.lessons_opened > 0, summary.attempts > 0),
        done >= totals.c.total,
        passed,
        completion.module_complete_sql(totals.c.total, done, has_quiz, passed),
    )


def _one(condition):
    return case((condition, 1), else_=0)


def _rollup(user_id=None):
    """The learner level from the module level: one row per learner with summary rows."""
    totals = module_totals()
    s = ProgressSummary
    started, lessons_done, passed, complete = module_flags(totals, s)
    query = (
        select(
            s.user_id.label("user_id"),
            func.sum(_one(started)).label("modules_started"),
            func.sum(_one(lessons_done)).label("modules_lessons_done"),
            func.sum(_one(passed)).label("modules_passed"),
            func.sum(_one(complete)).label("modules_completed"),
            func.coalesce(func.sum(s.best_score), 0.0).label("best_sum"),
            func.count(s.best_score).label("best_n"),
            func.coalesce(func.sum(s.attempts), 0).label("attempts"),
        )
        .join(totals, totals.c.module_id == s.module_id)
        .group_by(s.user_id)
    )
    return query.where(s.user_id == user_id) if user_id is not None else query


def _parts(user_id=None, module_id=None):
    """The lesson part and the attempt part of the summaries, as one UNION ALL subquery with the
    columns user_id, module_id, opened, done, attempts, best, passed (0/1)."""
    zero = literal_column("0")
    lessons = (
        select(
            LessonProgress.user_id.label("user_id"),
            Lesson.module_id.label("module_id"),
            func.count(LessonProgress.id).label("opened"),
            func.count(LessonProgress.completed_at).label("done"),
            zero.label("attempts"),
            cast(null(), Float).label("best"),
            zero.label("passed"),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.active)
        .group_by(LessonProgress.user_id, Lesson.module_id)
    )
    attempts = (
        select(
            QuizAttempt.user_id.label("user_id"),
            Quiz.module_id.label("module_id"),
            zero.label("opened"),
            zero.label("done"),
            func.count(QuizAttempt.id).label("attempts"),
            func.max(QuizAttempt.score).label("best"),
            completion.quiz_passed_sql(QuizAttempt.score, QuizAttempt.pass_mark).label("passed"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .group_by(QuizAttempt.user_id, Quiz.module_id)
    )
    if user_id is not None:
        lessons = lessons.where(LessonProgress.user_id == user_id)
        attempts = attempts.where(QuizAttempt.user_id == user_id)
    if module_id is not None:
        lessons = lessons.where(Lesson.module_id == module_id)
        attempts = attempts.where(Quiz.module_id == module_id)
    return union_all(lessons, attempts).subquery("parts")


def _figures(parts):
    """The summary columns aggregated over `_parts` (zero, not NULL, when a learner has nothing)."""
    return (
        func.coalesce(func.sum(parts.c.opened), 0).label("lessons_opened"),
        func.coalesce(func.sum(parts.c.done), 0).label("lessons_done"),
        func.coalesce(func.sum(parts.c.attempts), 0).label("attempts"),
        func.max(parts.c.best).label("best_score"),
        (func.coalesce(func.max(parts.c.passed), 0) == 1).label("passed"),
    )


def source():
    """Every summary as recomputed from the lesson progress and the attempts (one row per learner and
    module with any progress): the definition `rebuild` writes and `drift` compares with."""
    parts = _parts()
    return select(parts.c.user_id, parts.c.module_id, *_figures(parts)).group_by(parts.c.user_id, parts.c.module_id)


def _lock(insert, values: dict, key: list[str]):
    """An upsert that creates the row or locks it unchanged (its WHERE is never true)."""
    first = next(name for name in values if name not in key)
    return insert.values(**values).on_conflict_do_update(
        index_elements=key,
        set_={first: getattr(insert.excluded, first)},
        where=literal_column("1") == literal_column("0"),
    )


@lru_cache(maxsize=4)
def _refresh_statements(via: str):
    """The four statements of `refresh`, built once per process with bound parameters `b_user_id` and
    `b_key` (a module id, or the id of a lesson or quiz whose module it is, by `via`); they run compiled
    once per dialect (app.services.compiled: SQLAlchemy keeps no compiled form of the upserts at all, and
    compiling the module-level one took 1.5-1.8 ms on every lesson view that records a start, lesson
    completion, quiz start and submission)."""
    user_id, key = bindparam("b_user_id", type_=Integer), bindparam("b_key", type_=Integer)
    if via == "lesson":
        module_id = select(Lesson.module_id).where(Lesson.id == key).scalar_subquery()
    elif via == "quiz":
        module_id = select(Quiz.module_id).where(Quiz.id == key).scalar_subquery()
    else:
        module_id = key
    # 1. Create or lock the learner's row: a concurrent refresh for the same learner waits here.
    # Core tables throughout: the ORM would read a parameter dict as a bulk INSERT or UPDATE.
    training = dialect_insert(TrainingSummary.__table__)
    lock = _lock(training, {"user_id": user_id, **dict.fromkeys(TRAINING_COLUMNS, 0)}, ["user_id"])
    # 2. The module level, recomputed by a statement that started after the lock (it sees what others
    #    committed). An aggregate without GROUP BY: exactly one row, zeros when nothing is left.
    insert = dialect_insert(ProgressSummary.__table__)
    parts = _parts(user_id, module_id)
    recomputed = select(user_id.label("user_id"), module_id.label("module_id"), *_figures(parts)).where(
        true()  # SQLite needs a WHERE before an upsert's ON CONFLICT
    )
    module_row = insert.from_select(["user_id", "module_id", *COLUMNS], recomputed).on_conflict_do_update(
        index_elements=["user_id", "module_id"], set_={name: getattr(insert.excluded, name) for name in COLUMNS}
    )
    # 3-4. The learner level, rolled up from the module level (the row exists: step 1).
    table = TrainingSummary.__table__
    learner_row = (
        update(table)
        .where(table.c.user_id == user_id)
        .values({name: bindparam(f"new_{name}") for name in TRAINING_COLUMNS})
    )
    return lock, module_row, _rollup(user_id), learner_row


def _refresh_step(via: str, step: int):
    return _refresh_statements(via)[step]


def refresh(user_id: int, module_id: int, via: str = "module") -> None:
    """Recompute one learner's summaries after a change on one module, inside the caller's
    transaction (four statements). `via`: "module" (module_id is a module's id), "lesson" or "quiz"
    (it is the id of a lesson or quiz of the module)."""
    params = {"b_user_id": int(user_id), "b_key": int(module_id)}
    compiled.execute(_refresh_step, params, via, 0)  # lock
    compiled.execute(_refresh_step, params, via, 1)  # module row
    rolled = compiled.execute(_refresh_step, params, via, 2).first()
    figures = {f"new_{name}": (getattr(rolled, name) or 0) if rolled else 0 for name in TRAINING_COLUMNS}
    compiled.execute(_refresh_step, {"b_user_id": int(user_id), **figures}, via, 3)


def refresh_lesson(user_id: int, lesson_id: int) -> None:
    """`refresh` for the module of a lesson."""
    refresh(user_id, lesson_id, via="lesson")


def refresh_quiz(user_id: int, quiz_id: int) -> None:
    """`refresh` for the module of a quiz."""
    refresh(user_id, quiz_id, via="quiz")


def rebuild() -> int:
    """Recompute every summary, both levels (inside the caller's transaction); returns the number of
    module-level rows."""
    db.session.execute(delete(TrainingSummary).execution_options(synchronize_session=False))
    db.session.execute(delete(ProgressSummary).execution_options(synchronize_session=False))
    db.session.execute(
        dialect_insert(ProgressSummary).from_select(["user_id", "module_id", *COLUMNS], source()),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        dialect_insert(TrainingSummary).from_select(["user_id", *TRAINING_COLUMNS], _rollup()),
        execution_options={"synchronize_session": False},
    )
    return db.session.scalar(select(func.count()).select_from(ProgressSummary)) or 0


def drift(limit: int = 20) -> tuple[int, list[dict]]:
    """Rows that differ from the recomputation: (how many, the first `limit` with both versions).

    A pair missing on one side counts as a difference unless the other side is all zeros."""
    fresh = source().subquery("fresh")
    stored = ProgressSummary
    keys = ("lessons_opened", "lessons_done", "attempts", "passed")
    differs = [
        func.coalesce(getattr(stored, k), 0) != func.coalesce(getattr(fresh.c, k), 0)
        for k in ("lessons_opened", "lessons_done", "attempts")
    ]
    passed_differs = func.coalesce(stored.passed, False) != func.coalesce(fresh.c.passed, False)
    best_differs = func.coalesce(stored.best_score, -1.0) != func.coalesce(fresh.c.best_score, -1.0)
    condition = differs[0] | differs[1] | differs[2] | passed_differs | best_differs
    # A full outer join written as two halves (SQLite before 3.39 has none).
    left = (
        select(
            stored.user_id.label("user_id"),
            stored.module_id.label("module_id"),
            *(getattr(stored, k).label(f"stored_{k}") for k in (*keys, "best_score")),
            *(getattr(fresh.c, k).label(f"fresh_{k}") for k in (*keys, "best_score")),
        )
        .select_from(stored)
        .outerjoin(fresh, and_(fresh.c.user_id == stored.user_id, fresh.c.module_id == stored.module_id))
        .where(condition)
    )
    right = (
        select(
            fresh.c.user_id,
            fresh.c.module_id,
            *(cast(null(), getattr(stored, k).type).label(f"stored_{k}") for k in (*keys, "best_score")),
            *(getattr(fresh.c, k).label(f"fresh_{k}") for k in (*keys, "best_score")),
        )
        .select_from(fresh)
        .outerjoin(stored, and_(fresh.c.user_id == stored.user_id, fresh.c.module_id == stored.module_id))
        .where(
            stored.user_id.is_(None),
            (fresh.c.lessons_opened > 0) | (fresh.c.attempts > 0),
        )
    )
    both = union_all(left, right).subquery("drift")
    total = db.session.scalar(select(func.count()).select_from(both)) or 0
    rows = db.session.execute(select(both).order_by(both.c.user_id, both.c.module_id).limit(limit)).mappings().all()
    found = [{"level": "module", **row} for row in rows]
    learner_total, learner_rows = _learner_drift(limit)
    return total + learner_total, (found + learner_rows)[:limit]


def _learner_drift(limit: int) -> tuple[int, list[dict]]:
    """Learner rows that differ from the roll-up of the stored module rows (missing = all zeros)."""

    def figures(row) -> tuple:
        return tuple(round(float(getattr(row, name) or 0), 6) for name in TRAINING_COLUMNS)

    zero = tuple(0.0 for _ in TRAINING_COLUMNS)
    stored = {row.user_id: figures(row) for row in db.session.scalars(select(TrainingSummary))}
    rolled = {row.user_id: figures(row) for row in db.session.execute(_rollup())}
    differing = sorted(
        user for user in stored.keys() | rolled.keys() if stored.get(user, zero) != rolled.get(user, zero)
    )
    return len(differing), [
        {"level": "learner", "user_id": user, "stored": stored.get(user), "fresh": rolled.get(user)}
        for user in differing[:limit]
    ]
