"""Monitoring aggregates: progress, scores and gender balance, computed in SQL.

Every function issues a fixed number of queries whatever the number of officials: per-person figures
are built as SQL subqueries (one row per official and module, then one row per official) and grouped
by municipality, module, area or gender in the database. Only the grouped rows reach Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, literal, or_, select, true

from app.extensions import db
from app.models import (
    AttemptQuestion,
    Module,
    Municipality,
    ProgressSummary,
    Question,
    Quiz,
    QuizAttempt,
    TrainingSummary,
    User,
    utcnow,
)
from app.models.learning import ATTEMPT_OPEN
from app.models.people import ROLE_OFFICIAL
from app.services.cycles import designated_sql
from app.services import completion, summaries
from app.services.figures_cache import kept
from app.services.gender import CATEGORIES
from app.services.scope import scope_clause

ACTIVE_DAYS = 30
SCORE_BUCKETS = tuple(range(0, 100, 10))  # 0-9, 10-19, ... 90-100


@dataclass(frozen=True)
class Filters:
    """Filters shared by the monitoring pages and their exports."""

    province: str | None = None
    area_id: int | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    municipality_id: int | None = None
    module_id: int | None = None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- building blocks


def officials(scope_ids: set[int] | None, filters: Filters):
    """Subquery: active officials (focal points included) within scope and filters."""
    query = (
        select(
            User.id,
            User.name,
            User.email,
            User.municipality_id,
            User.area_id,
            User.gender,
            User.created_at,
            User.last_seen_at,
            designated_sql(User.id).label("is_focal_point"),
        )
        .join(Municipality, Municipality.id == User.municipality_id)
        .where(User.role == ROLE_OFFICIAL, User.active, scope_clause(User.municipality_id, scope_ids))
    )
    if filters.province:
        query = query.where(Municipality.province == filters.province)
    if filters.area_id:
        query = query.where(User.area_id == filters.area_id)
    if filters.municipality_id:
        query = query.where(User.municipality_id == filters.municipality_id)
    if filters.registered_from:
        query = query.where(User.created_at >= _day_start(filters.registered_from))
    if filters.registered_to:
        query = query.where(User.created_at < _day_start(filters.registered_to + timedelta(days=1)))
    return query.subquery("p")


def module_count() -> int:
    """How many modules count for the training (what 'all modules' means; app.services.completion)."""
    totals = summaries.module_totals()
    return db.session.scalar(select(func.count()).select_from(totals)) or 0


def per_official_module(people):
    """Subquery: one row per official and counting module with their progress on it, read from the
    progress summaries (app.services.summaries) and judged by the completion rule."""
    totals = summaries.module_totals()
    s = ProgressSummary
    started, lessons_done, passed, complete = summaries.module_flags(totals, s)
    return (
        select(
            people.c.id.label("user_id"),
            people.c.municipality_id,
            people.c.area_id,
            people.c.gender,
            totals.c.module_id,
            case((started, 1), else_=0).label("started"),
            case((lessons_done, 1), else_=0).label("lessons_done"),
            case((passed, 1), else_=0).label("passed"),
            case((complete, 1), else_=0).label("completed"),
            s.best_score.label("best"),
            func.coalesce(s.attempts, 0).label("attempts"),
        )
        .select_from(people)
        .join(totals, literal(True))
        .outerjoin(s, and_(s.user_id == people.c.id, s.module_id == totals.c.module_id))
        .subquery("um")
    )


def per_official(people):
    """Subquery: one row per official with modules started, passed, completed and best-score sums, read
    from the learner-level summaries (app.services.summaries; zeros for who has not started)."""
    t = TrainingSummary
    return (
        select(
            people.c.id.label("user_id"),
            people.c.municipality_id,
            people.c.area_id,
            people.c.gender,
            people.c.last_seen_at,
            func.coalesce(t.modules_started, 0).label("started"),
            func.coalesce(t.modules_lessons_done, 0).label("lessons_done"),
            func.coalesce(t.modules_passed, 0).label("passed"),
            func.coalesce(t.modules_completed, 0).label("completed"),
            func.coalesce(t.best_sum, 0.0).label("best_sum"),
            func.coalesce(t.best_n, 0).label("best_n"),
            func.coalesce(t.attempts, 0).label("attempts"),
        )
        .select_from(people)
        .outerjoin(t, t.user_id == people.c.id)
        .subquery("u")
    )


def _gender_counts(column):
    return [func.sum(case((column == g, 1), else_=0)).label(f"g_{g}") for g in CATEGORIES]


def _genders(row) -> dict[str, int]:
    return {g: int(getattr(row, f"g_{g}") or 0) for g in CATEGORIES}


def _avg(total, n) -> float | None:
    """An average from a sum and a count (PostgreSQL returns sums of counts as Decimal)."""
    return round(float(total) / float(n), 1) if n else None


# --------------------------------------------------------------------------- programme overview


@dataclass
class MunicipalityRow:
    """One line of the programme overview."""

    id: int
    name: str
    province: str
    registered: int
    active: int
    modules_completed: int
    all_modules: int
    avg_score: float | None
    scored: int
    genders: dict
    best_sum: float = 0.0
    scored_people: int = 0  # officials with at least one quiz score (an average over fewer is hidden)


@kept
def overview(scope_ids: set[int] | None, filters: Filters, now: datetime | None = None) -> list[MunicipalityRow]:
    """One row per municipality in scope (two queries in all)."""
    now = now or utcnow()
    people = officials(scope_ids, filters)
    stats = per_official(people)
    n_modules = module_count()
    since = now - timedelta(days=ACTIVE_DAYS)
    query = (
        select(
            Municipality.id,
            Municipality.name,
            Municipality.province,
            func.count(stats.c.user_id).label("registered"),
            func.sum(case((stats.c.last_seen_at >= since, 1), else_=0)).label("active"),
            func.sum(stats.c.completed).label("modules_completed"),
            func.sum(case((completion.training_complete_sql(stats.c.completed, n_modules), 1), else_=0)).label(
                "all_modules"
            ),
            func.sum(stats.c.best_sum).label("best_sum"),
            func.sum(stats.c.best_n).label("best_n"),
            func.sum(case((stats.c.best_n > 0, 1), else_=0)).label("scored_people"),
            *_gender_counts(stats.c.gender),
        )
        .select_from(Municipality)
        .outerjoin(stats, stats.c.municipality_id == Municipality.id)
        .where(scope_clause(Municipality.id, scope_ids))
        .group_by(Municipality.id, Municipality.name, Municipality.province)
        .order_by(Municipality.name)
    )
    if filters.province:
        query = query.where(Municipality.province == filters.province)
    if filters.area_id or filters.registered_from or filters.registered_to:
        query = query.having(func.count(stats.c.user_id) > 0)
    return [
        MunicipalityRow(
            id=row.id,
            name=row.name,
            province=row.province,
            registered=row.registered,
            active=int(row.active or 0),
            modules_completed=int(row.modules_completed or 0),
            all_modules=int(row.all_modules or 0) if n_modules else 0,
            avg_score=_avg(row.best_sum or 0, row.best_n or 0),
            scored=int(row.best_n or 0),
            genders=_genders(row),
            best_sum=float(row.best_sum or 0),
            scored_people=int(row.scored_people or 0),
        )
        for row in db.session.execute(query)
    ]


# --------------------------------------------------------------------------- one municipality


@dataclass
class GroupRow:
    """Figures for one module or one area within a scope."""

    id: int
    label: object
    people: int
    started: int
    lessons_done: int
    passed: int
    completed: int
    avg_score: float | None
    scored: int
    avg_attempts: float | None
    genders: dict
    scored_people: int = 0  # people behind avg_score
    attempted: int = 0  # people behind avg_attempts


def _group_row(row, label, avg_attempts: float | None) -> GroupRow:
    return GroupRow(
        id=row.id,
        label=label,
        people=int(row.people or 0),
        started=int(row.started or 0),
        lessons_done=int(row.lessons_done or 0),
        passed=int(row.passed or 0),
        completed=int(row.completed or 0),
        avg_score=_avg(row.best_sum or 0, row.best_n or 0),
        scored=int(row.best_n or 0),
        avg_attempts=avg_attempts,
        genders=_genders(row),
        scored_people=int(row.scored_people or 0),
        attempted=int(getattr(row, "attempted", 0) or 0),
    )


@kept
def by_module(scope_ids: set[int] | None, filters: Filters, module_id: int | None = None) -> list[GroupRow]:
    """Per active module (or the one `module_id` names): started, lessons done, quiz passed, completed,
    average best score (one query).

    Aggregated over the summary rows that exist (an official without one has done nothing on the module
    and adds only to the number of people), not over every official x module: at country scale that
    cross product is hundreds of thousands of rows.
    """
    people = officials(scope_ids, filters)
    totals = summaries.module_totals()
    if module_id is not None:
        totals = select(totals).where(totals.c.module_id == module_id).subquery("one")
    s = ProgressSummary
    started, lessons_done, passed, complete = summaries.module_flags(totals, s)
    done = (
        select(
            s.module_id.label("module_id"),
            func.sum(case((started, 1), else_=0)).label("started"),
            func.sum(case((lessons_done, 1), else_=0)).label("lessons_done"),
            func.sum(case((passed, 1), else_=0)).label("passed"),
            func.sum(case((complete, 1), else_=0)).label("completed"),
            func.sum(s.best_score).label("best_sum"),
            func.count(s.best_score).label("best_n"),
            func.sum(s.attempts).label("attempts"),
            func.sum(case((s.attempts > 0, 1), else_=0)).label("attempted"),
            *_gender_counts(case((started, people.c.gender), else_=None)),
        )
        .join(people, people.c.id == s.user_id)
        .join(totals, totals.c.module_id == s.module_id)
        .where(true() if module_id is None else s.module_id == module_id)
        .group_by(s.module_id)
        .subquery("d")
    )
    head_count = select(func.count().label("n")).select_from(people).subquery("hc")  # counted once
    query = (
        select(
            Module.id,
            Module.title,
            Module.position,
            head_count.c.n.label("people"),
            *[done.c[name] for name in ("started", "lessons_done", "passed", "completed", "best_sum", "best_n")],
            done.c.attempts,
            done.c.attempted,
            done.c.best_n.label("scored_people"),
            *[done.c[f"g_{g}"] for g in CATEGORIES],
        )
        .select_from(totals)
        .join(Module, Module.id == totals.c.module_id)
        .join(head_count, literal(True))
        .outerjoin(done, done.c.module_id == totals.c.module_id)
        .where(head_count.c.n > 0)  # no official in scope and filters: no rows, as for the other levels
        .order_by(Module.position)
    )
    return [
        _group_row(row, row.title, _avg(row.attempts or 0, row.attempted or 0)) for row in db.session.execute(query)
    ]


@kept
def by_area(scope_ids: set[int] | None, filters: Filters) -> list[GroupRow]:
    """Per government area: officials, started, all modules completed, average best score (two queries)."""
    from app.models import Area

    stats = per_official(officials(scope_ids, filters))
    n_modules = module_count()
    query = (
        select(
            Area.id,
            Area.name,
            Area.position,
            func.count(stats.c.user_id).label("people"),
            func.sum(case((stats.c.started > 0, 1), else_=0)).label("started"),
            func.sum(case((and_(stats.c.lessons_done >= n_modules, n_modules > 0), 1), else_=0)).label("lessons_done"),
            func.sum(case((and_(stats.c.passed >= n_modules, n_modules > 0), 1), else_=0)).label("passed"),
            func.sum(case((completion.training_complete_sql(stats.c.completed, n_modules), 1), else_=0)).label(
                "completed"
            ),
            func.sum(stats.c.best_sum).label("best_sum"),
            func.sum(stats.c.best_n).label("best_n"),
            func.sum(case((stats.c.best_n > 0, 1), else_=0)).label("scored_people"),
            *_gender_counts(stats.c.gender),
        )
        .select_from(Area)
        .join(stats, stats.c.area_id == Area.id)
        .group_by(Area.id)
        .order_by(Area.position)
    )
    return [_group_row(row, row.name, None) for row in db.session.execute(query)]


@dataclass
class Funnel:
    """How far officials got: registered, started, finished a module's lessons, passed a quiz, all modules."""

    registered: int
    started: int
    lessons: int
    passed: int
    all_modules: int

    def steps(self) -> list[tuple[str, int]]:
        return [
            ("registered", self.registered),
            ("started", self.started),
            ("lessons", self.lessons),
            ("passed", self.passed),
            ("all_modules", self.all_modules),
        ]


@kept
def funnel(scope_ids: set[int] | None, filters: Filters) -> Funnel:
    """The completion funnel for officials in scope (two queries)."""
    stats = per_official(officials(scope_ids, filters))
    n_modules = module_count()
    row = db.session.execute(
        select(
            func.count(stats.c.user_id),
            func.sum(case((stats.c.started > 0, 1), else_=0)),
            func.sum(case((stats.c.lessons_done > 0, 1), else_=0)),
            func.sum(case((stats.c.passed > 0, 1), else_=0)),
            func.sum(case((completion.training_complete_sql(stats.c.completed, n_modules), 1), else_=0)),
        )
    ).one()
    return Funnel(*(int(v or 0) for v in row))


@dataclass
class OfficialRow:
    """One official in a municipality's list."""

    id: int
    name: str
    email: str
    area_id: int | None
    is_focal_point: bool
    created_at: datetime
    last_seen_at: datetime | None
    started: int
    completed: int
    avg_score: float | None


def official_list(scope_ids: set[int] | None, filters: Filters, search: str = "", page: int = 1, per_page: int = 25):
    """A page of officials with their progress, searchable by name or email (two queries)."""
    people = officials(scope_ids, filters)
    stats = per_official(people)
    query = (
        select(
            people.c.id,
            people.c.name,
            people.c.email,
            people.c.area_id,
            people.c.is_focal_point,
            people.c.created_at,
            people.c.last_seen_at,
            stats.c.started,
            stats.c.completed,
            stats.c.best_sum,
            stats.c.best_n,
        )
        .join(stats, stats.c.user_id == people.c.id)
        .order_by(people.c.name, people.c.id)
    )
    if search:
        needle = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(people.c.name).like(needle), func.lower(people.c.email).like(needle)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    items = [
        OfficialRow(
            r.id,
            r.name,
            r.email,
            r.area_id,
            bool(r.is_focal_point),
            r.created_at,
            r.last_seen_at,
            int(r.started or 0),
            int(r.completed or 0),
            _avg(r.best_sum or 0, r.best_n or 0),
        )
        for r in rows
    ]
    return items, total


# --------------------------------------------------------------------------- one module


@kept
def module_distributions(
    scope_ids: set[int] | None, filters: Filters, module_id: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Two distributions of a module's officials, from one pass over their summaries (one query):
    by best quiz score in ten-point buckets ([(0, n), (10, n), ... (90, n)], every bucket listed) and
    by attempts used ([(attempts, n), ...], only counts that occur, in order)."""
    um = per_official_module(officials(scope_ids, filters))
    bucket = case(
        (um.c.best.is_(None), None), *[(um.c.best >= b, b) for b in reversed(SCORE_BUCKETS[1:])], else_=0
    ).label("bucket")
    rows = db.session.execute(
        select(bucket, um.c.attempts, func.count())
        .where(um.c.module_id == module_id, or_(um.c.best.is_not(None), um.c.attempts > 0))
        .group_by(bucket, um.c.attempts)
    ).all()
    scores: dict[int, int] = {}
    attempts: dict[int, int] = {}
    for b, used, n in rows:
        if b is not None:
            scores[int(b)] = scores.get(int(b), 0) + int(n)
        if used:
            attempts[int(used)] = attempts.get(int(used), 0) + int(n)
    return [(b, scores.get(b, 0)) for b in SCORE_BUCKETS], sorted(attempts.items())


@dataclass
class QuestionRow:
    """How often a question was answered wrong."""

    id: int
    key: str
    text: dict
    active: bool
    answered: int
    wrong: int

    @property
    def wrong_rate(self) -> float:
        return 100.0 * self.wrong / self.answered if self.answered else 0.0


@kept
def most_missed(
    scope_ids: set[int] | None, filters: Filters, module_id: int, limit: int = 10, min_answers: int = 5
) -> list[QuestionRow]:
    """Questions of a module most often answered wrong in graded attempts within scope (one query).

    The answers are counted per question id first (only the narrow columns an index on the attempt
    carries: question, correct), and the questions' texts joined to the ten that are shown."""
    people = officials(scope_ids, filters)
    aq = AttemptQuestion
    tally = (
        select(
            aq.question_id,
            func.count().label("answered"),
            func.sum(case((aq.is_correct.is_(False), 1), else_=0)).label("wrong"),
        )
        .join(QuizAttempt, QuizAttempt.id == aq.attempt_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(people, people.c.id == QuizAttempt.user_id)
        .where(Quiz.module_id == module_id, QuizAttempt.status != ATTEMPT_OPEN)
        .group_by(aq.question_id)
        .having(func.count() >= min_answers)
        .subquery("tally")
    )
    rows = db.session.execute(
        select(Question.id, Question.key, Question.text, Question.active, tally.c.answered, tally.c.wrong)
        .join(tally, tally.c.question_id == Question.id)
        .order_by((tally.c.wrong * 1.0 / tally.c.answered).desc(), Question.key)
        .limit(limit)
    ).all()
    return [QuestionRow(r.id, r.key, r.text, r.active, int(r.answered), int(r.wrong or 0)) for r in rows]


# --------------------------------------------------------------------------- gender outcomes


@dataclass
class GenderOutcome:
    """Outcomes of one group, per gender category: raw counts (suppression is applied when shown)."""

    key: object
    label: object
    enrolled: dict
    completed: dict
    passed: dict
    best_sum: dict
    best_n: dict
    scored_people: dict = None  # people behind each category's average score


@kept
def gender_outcomes(scope_ids: set[int] | None, filters: Filters, level: str) -> list[GenderOutcome]:
    """Enrolment, completion, pass and score per gender for each group of a level (one or two queries).

    Levels: 'programme' (one group), 'municipality', 'area' (officials; completed = every module,
    passed = at least one quiz) and 'module' (enrolled = started the module; completed and passed on it).
    """
    from app.models import Area

    people = officials(scope_ids, filters)
    if level == "module":
        um = per_official_module(people)
        query = (
            select(
                Module.id.label("key"),
                Module.title.label("label"),
                Module.position.label("pos"),
                um.c.gender,
                func.sum(um.c.started).label("enrolled"),
                func.sum(um.c.completed).label("completed"),
                func.sum(um.c.passed).label("passed"),
                func.sum(case((um.c.started == 1, um.c.best), else_=None)).label("best_sum"),
                func.count(case((um.c.started == 1, um.c.best), else_=None)).label("best_n"),
                func.count(case((um.c.started == 1, um.c.best), else_=None)).label("scored_people"),
            )
            .join(um, um.c.module_id == Module.id)
            .group_by(Module.id, um.c.gender)
            .order_by(Module.position)
        )
    else:
        stats = per_official(people)
        n_modules = module_count()
        completed = case((completion.training_complete_sql(stats.c.completed, n_modules), 1), else_=0)
        passed = case((stats.c.passed > 0, 1), else_=0)
        if level == "municipality":
            group = (Municipality.id.label("key"), Municipality.name.label("label"), Municipality.name.label("pos"))
            base = select().select_from(stats).join(Municipality, Municipality.id == stats.c.municipality_id)
        elif level == "area":
            group = (Area.id.label("key"), Area.name.label("label"), Area.position.label("pos"))
            base = select().select_from(stats).join(Area, Area.id == stats.c.area_id)
        else:
            group = (literal("all").label("key"), literal("").label("label"), literal(0).label("pos"))
            base = select().select_from(stats)
        query = base.add_columns(
            *group,
            stats.c.gender,
            func.count(stats.c.user_id).label("enrolled"),
            func.sum(completed).label("completed"),
            func.sum(passed).label("passed"),
            func.sum(stats.c.best_sum).label("best_sum"),
            func.sum(stats.c.best_n).label("best_n"),
            func.sum(case((stats.c.best_n > 0, 1), else_=0)).label("scored_people"),
        ).group_by(*([group[0].element] if level != "programme" else []), stats.c.gender)
        if level != "programme":
            query = query.order_by(group[2])
    groups: dict = {}
    for row in db.session.execute(query):
        key = row.key
        if key not in groups:
            groups[key] = GenderOutcome(key, row.label, {}, {}, {}, {}, {}, {})
        outcome = groups[key]
        outcome.enrolled[row.gender] = int(row.enrolled or 0)
        outcome.completed[row.gender] = int(row.completed or 0)
        outcome.passed[row.gender] = int(row.passed or 0)
        outcome.best_sum[row.gender] = float(row.best_sum or 0)
        outcome.best_n[row.gender] = int(row.best_n or 0)
        outcome.scored_people[row.gender] = int(row.scored_people or 0)
    return list(groups.values())


def provinces(scope_ids: set[int] | None) -> list[str]:
    """Provinces of the municipalities in scope, for the filter list."""
    return list(
        db.session.scalars(
            select(Municipality.province)
            .where(scope_clause(Municipality.id, scope_ids))
            .group_by(Municipality.province)
            .order_by(Municipality.province)
        )
    )


# --------------------------------------------------------------------------- certificates


@dataclass
class CertificateRow:
    """Training certificates held by the officials of one municipality."""

    id: int
    name: str
    province: str
    valid: int
    revoked: int
    genders: dict


def _current_training_certificates(people):
    """Training certificates not superseded, joined with the officials in scope and filters."""
    from app.models import Certificate
    from app.models.certification import KIND_TRAINING

    return (
        select()
        .select_from(Certificate)
        .join(people, people.c.id == Certificate.holder_id)
        .where(Certificate.kind == KIND_TRAINING, Certificate.superseded_by_id.is_(None))
    ), Certificate


@kept
def certificates_by_municipality(scope_ids: set[int] | None, filters: Filters) -> list[CertificateRow]:
    """Per municipality: valid and revoked training certificates, valid ones by gender (one query)."""
    people = officials(scope_ids, filters)
    base, Certificate = _current_training_certificates(people)
    valid = Certificate.revoked_at.is_(None)
    query = (
        base.join(Municipality, Municipality.id == people.c.municipality_id)
        .add_columns(
            Municipality.id,
            Municipality.name,
            Municipality.province,
            func.sum(case((valid, 1), else_=0)).label("valid"),
            func.sum(case((valid, 0), else_=1)).label("revoked"),
            *_gender_counts(case((valid, people.c.gender), else_=None)),
        )
        .group_by(Municipality.id, Municipality.name, Municipality.province)
        .order_by(Municipality.name)
    )
    return [
        CertificateRow(row.id, row.name, row.province, int(row.valid or 0), int(row.revoked or 0), _genders(row))
        for row in db.session.execute(query)
    ]


@dataclass
class HolderRow:
    """One certificate holder (for those who may see people)."""

    user_id: int
    name: str
    municipality: str
    code: str
    issued_at: datetime
    revoked_at: datetime | None


def certificate_holders(
    scope_ids: set[int] | None, filters: Filters, page: int = 1, per_page: int = 25
) -> tuple[list[HolderRow], int]:
    """A page of training certificate holders in scope, by name (two queries)."""
    people = officials(scope_ids, filters)
    base, Certificate = _current_training_certificates(people)
    query = (
        base.join(Municipality, Municipality.id == people.c.municipality_id)
        .add_columns(
            people.c.id,
            people.c.name,
            Municipality.name.label("municipality"),
            Certificate.code,
            Certificate.issued_at,
            Certificate.revoked_at,
        )
        .order_by(people.c.name, Certificate.id)
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [HolderRow(r.id, r.name, r.municipality, r.code, r.issued_at, r.revoked_at) for r in rows], total


@kept
def registrations_by_month(scope_ids: set[int] | None, filters: Filters) -> dict:
    """(year, month) -> municipality id -> officials registered, ignoring the date filters (one query).

    What the registration-date filter snaps to (see `disclosure.registration_periods`).
    """
    undated = Filters(**{**filters.__dict__, "registered_from": None, "registered_to": None})
    people = officials(scope_ids, undated)
    year, month = func.extract("year", people.c.created_at), func.extract("month", people.c.created_at)
    result: dict = {}
    for y, m, municipality_id, n in db.session.execute(
        select(year, month, people.c.municipality_id, func.count()).group_by(year, month, people.c.municipality_id)
    ):
        result.setdefault((int(y), int(m)), {})[municipality_id] = int(n)
    return result
