"""Annual cycles, municipalities admitted to them, and focal point designations.

The *current* cycle is the one that started most recently (today or before); when none has started
yet, the first one to come. Focal points and substitutes are designated per municipality and per
cycle: a person is a focal point while designated in the current cycle, and their powers follow that
designation, not a flag on the account. Replacing a focal point changes the designation only: every
record belongs to the municipality's cycle, not to the person, so the work stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g, has_request_context
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Cycle, Municipality, MunicipalCycle, User, utcnow
from app.models.people import ROLE_OFFICIAL

FOCAL = "focal_point"
SUBSTITUTE = "substitute"
DESIGNATIONS = (FOCAL, SUBSTITUTE)


class CycleError(Exception):
    """A cycle operation that is not allowed; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def today() -> date:
    """Today's date in UTC (cycle dates are whole days)."""
    return utcnow().date()


def current_cycle_id_sql(day: date | None = None):
    """A scalar SQL subquery giving the current cycle's id (NULL when there is no cycle); `day` may be a
    bound parameter."""
    day = today() if day is None else day
    started = (
        select(Cycle.id).where(Cycle.starts_on <= day).order_by(Cycle.starts_on.desc(), Cycle.year.desc()).limit(1)
    )
    upcoming = select(Cycle.id).order_by(Cycle.starts_on, Cycle.year).limit(1)
    return func.coalesce(started.scalar_subquery(), upcoming.scalar_subquery())


def current_cycle(day: date | None = None) -> Cycle | None:
    """The current cycle (see the module docstring), or None when no cycle exists."""
    return db.session.scalar(select(Cycle).where(Cycle.id == current_cycle_id_sql(day)))


def designated_sql(user_id_column, day: date | None = None):
    """SQL condition: the user is focal point or substitute of their municipality in the current cycle."""
    return (
        select(MunicipalCycle.id)
        .where(
            MunicipalCycle.cycle_id == current_cycle_id_sql(day),
            or_(MunicipalCycle.focal_point_id == user_id_column, MunicipalCycle.substitute_id == user_id_column),
        )
        .exists()
    )


def designation_id_sql(user_id_column, municipality_id_column, day: date | None = None):
    """A correlated scalar subquery: the id of the current-cycle municipal cycle in which the user is focal
    point or substitute of their municipality (NULL when none); the SQL form of `designation_of`."""
    return (
        select(MunicipalCycle.id)
        .where(
            MunicipalCycle.cycle_id == current_cycle_id_sql(day),
            MunicipalCycle.municipality_id == municipality_id_column,
            or_(MunicipalCycle.focal_point_id == user_id_column, MunicipalCycle.substitute_id == user_id_column),
        )
        .order_by(MunicipalCycle.id)
        .limit(1)
        .scalar_subquery()
    )


def note_designation(user: User, designation_id: int | None) -> None:
    """Remember, for this request, the user's designation read by `designation_id_sql` with their account."""
    g.designation_read = (user.id, designation_id)


def _noted(user: User) -> tuple[bool, int | None]:
    known = g.get("designation_read") if has_request_context() else None
    if known is not None and known[0] == user.id:
        return True, known[1]
    return False, None


def designation_of(user: User, day: date | None = None) -> MunicipalCycle | None:
    """The current-cycle municipal cycle in which this user is focal point or substitute (one query, cached)."""
    if user is None or getattr(user, "id", None) is None:
        return None
    cache = user.__dict__.setdefault("_designation_cache", {})
    key = day or "today"
    if key not in cache:
        noted, designation_id = _noted(user) if day is None else (False, None)
        if noted:
            cache[key] = db.session.get(MunicipalCycle, designation_id) if designation_id is not None else None
        else:
            cache[key] = db.session.scalar(
                select(MunicipalCycle).where(
                    MunicipalCycle.cycle_id == current_cycle_id_sql(day),
                    MunicipalCycle.municipality_id == user.municipality_id,
                    or_(MunicipalCycle.focal_point_id == user.id, MunicipalCycle.substitute_id == user.id),
                )
            )
    return cache[key]


def designation_id_of(user: User) -> int | None:
    """The id of `designation_of(user)`; no query when it was read with the signed-in account."""
    noted, designation_id = _noted(user)
    if noted:
        return designation_id
    designation = designation_of(user)
    return designation.id if designation is not None else None


def is_focal_point(user: User, day: date | None = None) -> bool:
    """True for the focal point or substitute of the user's municipality in the current cycle."""
    if day is None:
        noted, designation_id = _noted(user)
        if noted:
            return designation_id is not None
    return designation_of(user, day) is not None


def create_cycle(actor: User, *, year: int, name: str, starts_on: date, ends_on: date) -> Cycle:
    """Open a new annual cycle (IOM officers; callers check permission)."""
    from app.services.admin import record

    if ends_on < starts_on:
        raise CycleError("dates")
    if db.session.scalar(select(Cycle.id).where(Cycle.year == year)) is not None:
        raise CycleError("year_taken")
    cycle = Cycle(
        year=year,
        name=name.strip() or str(year),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(cycle)
    db.session.flush()
    record(
        actor,
        "cycle_created",
        details={"cycle": cycle.year, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return cycle


def admit(actor: User, cycle: Cycle, municipality: Municipality) -> MunicipalCycle:
    """Admit a municipality to a cycle (idempotent); its records start from a clean slate."""
    from app.services.admin import record

    existing = db.session.scalar(
        select(MunicipalCycle).where(
            MunicipalCycle.cycle_id == cycle.id, MunicipalCycle.municipality_id == municipality.id
        )
    )
    if existing is not None:
        return existing
    mc = MunicipalCycle(cycle_id=cycle.id, municipality_id=municipality.id, admitted_by_id=actor.id if actor else None)
    db.session.add(mc)
    db.session.flush()
    record(actor, "municipality_admitted", municipality_id=municipality.id, details={"cycle": cycle.year})
    return mc


def designate(actor: User, mc: MunicipalCycle, which: str, user: User | None) -> bool:
    """Designate (or clear) the focal point or the substitute of a municipality's cycle.

    The person must be an active official of that municipality, and cannot hold both designations.
    True when anything changed.
    """
    from app.services.admin import record

    if which not in DESIGNATIONS:
        raise CycleError("designation")
    if user is not None and (
        user.municipality_id != mc.municipality_id or user.role != ROLE_OFFICIAL or not user.active
    ):
        raise CycleError("focal_point")
    column = "focal_point_id" if which == FOCAL else "substitute_id"
    other = "substitute_id" if which == FOCAL else "focal_point_id"
    new_id = user.id if user else None
    previous = getattr(mc, column)
    if previous == new_id:
        return False
    if new_id is not None and getattr(mc, other) == new_id:
        raise CycleError("both_designations")
    setattr(mc, column, new_id)
    db.session.flush()
    record(
        actor,
        "focal_point_changed" if which == FOCAL else "substitute_changed",
        target=user,
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "previous": previous, "new": new_id, "designation": which},
    )
    return True


def clear_designations_of(actor: User, user: User) -> list[MunicipalCycle]:
    """Remove a person from every designation of open or future cycles (when they leave or change place)."""
    from app.services.admin import record

    day = today()
    rows = db.session.scalars(
        select(MunicipalCycle)
        .join(Cycle, Cycle.id == MunicipalCycle.cycle_id)
        .where(
            Cycle.ends_on >= day, or_(MunicipalCycle.focal_point_id == user.id, MunicipalCycle.substitute_id == user.id)
        )
    ).all()
    for mc in rows:
        which = FOCAL if mc.focal_point_id == user.id else SUBSTITUTE
        setattr(mc, "focal_point_id" if which == FOCAL else "substitute_id", None)
        record(
            actor,
            "focal_point_changed" if which == FOCAL else "substitute_changed",
            target=None,
            municipality_id=mc.municipality_id,
            details={"cycle": mc.cycle.year, "previous": user.id, "new": None, "designation": which},
        )
    user.__dict__.pop("_designation_cache", None)
    db.session.flush()
    return rows


def municipal_cycle(cycle_id: int, municipality_id: int) -> MunicipalCycle | None:
    """The municipality's record in a cycle, or None when it was not admitted."""
    return db.session.scalar(
        select(MunicipalCycle).where(
            MunicipalCycle.cycle_id == cycle_id, MunicipalCycle.municipality_id == municipality_id
        )
    )


def cycles_of(municipality_id: int) -> list[MunicipalCycle]:
    """Every cycle a municipality took part in, newest first (its history)."""
    return list(
        db.session.scalars(
            select(MunicipalCycle)
            .join(Cycle, Cycle.id == MunicipalCycle.cycle_id)
            .where(MunicipalCycle.municipality_id == municipality_id)
            .order_by(Cycle.year.desc())
        )
    )


def previous_cycle_of(mc: MunicipalCycle) -> MunicipalCycle | None:
    """The same municipality's record in the latest earlier cycle, if any (for comparisons)."""
    return db.session.scalar(
        select(MunicipalCycle)
        .join(Cycle, Cycle.id == MunicipalCycle.cycle_id)
        .where(MunicipalCycle.municipality_id == mc.municipality_id, Cycle.year < mc.cycle.year)
        .order_by(Cycle.year.desc())
        .limit(1)
    )


def designated_names(cycle_id: int) -> dict[int, dict[str, str]]:
    """Names of focal points and substitutes of every municipality in a cycle (one query)."""
    focal = aliased(User)
    substitute = aliased(User)
    rows = db.session.execute(
        select(MunicipalCycle.municipality_id, focal.name, substitute.name)
        .outerjoin(focal, focal.id == MunicipalCycle.focal_point_id)
        .outerjoin(substitute, substitute.id == MunicipalCycle.substitute_id)
        .where(MunicipalCycle.cycle_id == cycle_id)
    ).all()
    return {mid: {FOCAL: f, SUBSTITUTE: s} for mid, f, s in rows}


@dataclass
class CycleState:
    """Where a municipality's cycle stands, record by record (what the cycle page and tables show)."""

    application: str | None = None
    diagnostic: str | None = None
    workshops: int = 0
    priorities: int = 0
    actions: int = 0
    plan: str | None = None

    @property
    def next_step(self) -> str:
        """The next thing to do, as a code the templates explain."""
        from app.models.municipal import ACCEPTED, APPROVED, SUBMITTED, VALIDATED

        if self.application != ACCEPTED:
            return "application_review" if self.application == SUBMITTED else "application"
        if self.diagnostic != VALIDATED:
            return "diagnostic_review" if self.diagnostic == SUBMITTED else "diagnostic"
        if not self.workshops:
            return "workshop"
        if not self.priorities or not self.actions:
            return "priorities"
        if self.plan != APPROVED:
            return "plan_review" if self.plan == SUBMITTED else "plan"
        return "monitoring"


def states_for(mc_ids: list[int]) -> dict[int, CycleState]:
    """The state of every record of these municipal cycles, in a constant number of queries."""
    from app.models import Application, Diagnostic, PlanAction, Priority, WorkPlan, Workshop

    states = {mc_id: CycleState() for mc_id in mc_ids}
    if not mc_ids:
        return states
    ids = sorted(mc_ids)
    for model, name in ((Application, "application"), (Diagnostic, "diagnostic"), (WorkPlan, "plan")):
        for mc_id, state in db.session.execute(
            select(model.municipal_cycle_id, model.state).where(model.municipal_cycle_id.in_(ids))
        ):
            setattr(states[mc_id], name, state)
    for mc_id, n in db.session.execute(
        select(Workshop.municipal_cycle_id, func.count(Workshop.id))
        .where(Workshop.municipal_cycle_id.in_(ids))
        .group_by(Workshop.municipal_cycle_id)
    ):
        states[mc_id].workshops = n
    for mc_id, n_priorities, n_actions in db.session.execute(
        select(Priority.municipal_cycle_id, func.count(func.distinct(Priority.id)), func.count(PlanAction.id))
        .outerjoin(PlanAction, PlanAction.priority_id == Priority.id)
        .where(Priority.municipal_cycle_id.in_(ids))
        .group_by(Priority.municipal_cycle_id)
    ):
        states[mc_id].priorities = n_priorities
        states[mc_id].actions = n_actions
    return states


def admitted(cycle_id: int, scope_ids: set[int] | None) -> list[MunicipalCycle]:
    """The municipalities admitted to a cycle, within a scope, by name."""
    from app.services.scope import scope_clause

    return list(
        db.session.scalars(
            select(MunicipalCycle)
            .join(Municipality, Municipality.id == MunicipalCycle.municipality_id)
            .where(MunicipalCycle.cycle_id == cycle_id, scope_clause(MunicipalCycle.municipality_id, scope_ids))
            .order_by(Municipality.name)
        )
    )


def designated_user_ids(user_ids: list[int], day: date | None = None) -> set[int]:
    """Which of these people are focal point or substitute in the current cycle (one query)."""
    if not user_ids:
        return set()
    rows = db.session.execute(
        select(MunicipalCycle.focal_point_id, MunicipalCycle.substitute_id).where(
            MunicipalCycle.cycle_id == current_cycle_id_sql(day),
            or_(MunicipalCycle.focal_point_id.in_(user_ids), MunicipalCycle.substitute_id.in_(user_ids)),
        )
    ).all()
    return {i for row in rows for i in row if i in set(user_ids)}
