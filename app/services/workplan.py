"""Prioritisation and the work plan: priorities tied to dimensions, actions, progress notes, approval.

Priorities can be chosen once the diagnostic is validated; the page suggests the lowest-scoring
dimensions first. The plan is drafted, submitted, and approved or returned by IOM like the other
records. After approval the focal point keeps updating each action's state and dated notes: that is
the plan's monitoring. An action past its due date and not done is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    ActionNote,
    Area,
    DiagnosticDimension,
    MunicipalCycle,
    PlanAction,
    Priority,
    User,
    WorkPlan,
    utcnow,
)
from app.models.municipal import ACTION_DONE, ACTION_STATES, APPROVED, RETURNED, SUBJECT_PLAN, SUBMITTED, VALIDATED
from app.services import review

TITLE_MAX = 200
TEXT_MAX = 4000


class PlanError(Exception):
    """A work plan change that is not allowed; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def plan_of(mc: MunicipalCycle) -> WorkPlan | None:
    """The work plan record (its state) of a municipality's cycle, if started."""
    return review.record_of(WorkPlan, mc)


def get_or_start(mc: MunicipalCycle) -> WorkPlan:
    """The work plan of a municipality's cycle, starting it the first time (safe under races)."""
    return review.start_record(WorkPlan, mc)


def priorities_of(mc: MunicipalCycle) -> list[Priority]:
    """Priorities with their actions and notes (three queries whatever their number)."""
    return list(
        db.session.scalars(
            select(Priority)
            .options(selectinload(Priority.actions).selectinload(PlanAction.notes))
            .where(Priority.municipal_cycle_id == mc.id)
            .order_by(Priority.position, Priority.id)
        )
    )


def is_overdue(action: PlanAction, today: date) -> bool:
    """Past its due date and not done."""
    return action.due_on is not None and action.due_on < today and action.state != ACTION_DONE


def action_complete(action: PlanAction) -> bool:
    """An action the plan can count: a responsible area, a due date and a monitoring indicator."""
    return bool(action.area_id and action.due_on and action.indicator.strip())


def _diagnostic_validated(mc: MunicipalCycle) -> bool:
    from app.services.diagnostic import diagnostic_of

    diagnostic = diagnostic_of(mc)
    return diagnostic is not None and diagnostic.state == VALIDATED


def _editable_plan(mc: MunicipalCycle) -> WorkPlan:
    if not _diagnostic_validated(mc):
        raise PlanError("diagnostic_not_validated")
    plan = get_or_start(mc)
    if not review.editable(plan.state):
        raise PlanError("locked")
    return plan


def _clean_text(value: str, limit: int, required: bool, code: str) -> str:
    value = (value or "").strip()
    if (required and not value) or len(value) > limit:
        raise PlanError(code)
    return value


def add_priority(actor: User, mc: MunicipalCycle, dimension_id: int, title: str, description: str) -> Priority:
    """Add a priority tied to an active diagnostic dimension."""
    _editable_plan(mc)
    dimension = db.session.get(DiagnosticDimension, dimension_id)
    if dimension is None or not dimension.active:
        raise PlanError("dimension")
    position = len(priorities_of(mc)) + 1
    priority = Priority(
        municipal_cycle_id=mc.id,
        dimension_id=dimension.id,
        position=position,
        title=_clean_text(title, TITLE_MAX, True, "title"),
        description=_clean_text(description, TEXT_MAX, False, "description"),
    )
    db.session.add(priority)
    db.session.flush()
    _audit(actor, mc, "priority_added", {"priority": priority.id, "dimension": dimension.key})
    return priority


def remove_priority(actor: User, mc: MunicipalCycle, priority: Priority) -> None:
    """Remove a priority and its actions (only while the plan can be edited)."""
    _editable_plan(mc)
    _audit(actor, mc, "priority_removed", {"priority": priority.id, "title": priority.title})
    db.session.delete(priority)
    db.session.flush()


@dataclass(frozen=True)
class ActionData:
    """An action as entered in the form."""

    description: str
    area_id: int | None
    starts_on: date | None
    due_on: date | None
    indicator: str
    target: str


def _check_action(data: ActionData) -> None:
    _clean_text(data.description, TEXT_MAX, True, "description")
    _clean_text(data.indicator, 300, False, "indicator")
    _clean_text(data.target, TITLE_MAX, False, "target")
    if data.area_id is not None and db.session.get(Area, data.area_id) is None:
        raise PlanError("area")
    if data.starts_on and data.due_on and data.due_on < data.starts_on:
        raise PlanError("dates")


def add_action(actor: User, mc: MunicipalCycle, priority: Priority, data: ActionData) -> PlanAction:
    """Add an action to a priority (while the plan can be edited)."""
    _editable_plan(mc)
    _check_action(data)
    action = PlanAction(
        priority_id=priority.id,
        description=data.description.strip(),
        area_id=data.area_id,
        starts_on=data.starts_on,
        due_on=data.due_on,
        indicator=data.indicator.strip(),
        target=data.target.strip(),
    )
    db.session.add(action)
    db.session.flush()
    _audit(actor, mc, "action_added", {"action": action.id, "priority": priority.id})
    return action


def update_action(actor: User, mc: MunicipalCycle, action: PlanAction, data: ActionData) -> PlanAction:
    """Change an action's content (while the plan can be edited)."""
    _editable_plan(mc)
    _check_action(data)
    action.description, action.area_id = data.description.strip(), data.area_id
    action.starts_on, action.due_on = data.starts_on, data.due_on
    action.indicator, action.target = data.indicator.strip(), data.target.strip()
    action.updated_at = utcnow()
    db.session.flush()
    _audit(actor, mc, "action_updated", {"action": action.id})
    return action


def remove_action(actor: User, mc: MunicipalCycle, action: PlanAction) -> None:
    """Remove an action (while the plan can be edited)."""
    _editable_plan(mc)
    _audit(actor, mc, "action_removed", {"action": action.id})
    db.session.delete(action)
    db.session.flush()


def record_progress(
    actor: User, mc: MunicipalCycle, action: PlanAction, state: str, noted_on: date | None, text: str
) -> PlanAction:
    """Update an action's state and add a dated progress note (any time once priorities exist)."""
    if state not in ACTION_STATES:
        raise PlanError("state")
    text = _clean_text(text, TEXT_MAX, False, "note")
    changed = state != action.state
    action.state = state
    action.updated_at = utcnow()
    if text:
        db.session.add(
            ActionNote(action_id=action.id, noted_on=noted_on or utcnow().date(), text=text, author_id=actor.id)
        )
    db.session.flush()
    _audit(
        actor,
        mc,
        "action_progress",
        {"action": action.id, "state": state, "state_changed": changed, "note": bool(text)},
    )
    return action


def readiness(mc: MunicipalCycle, priorities: list[Priority] | None = None) -> list[str]:
    """What prevents submitting the plan (codes): at least one priority, each with a complete action."""
    priorities = priorities if priorities is not None else priorities_of(mc)
    missing = []
    if not _diagnostic_validated(mc):
        missing.append("diagnostic")
    if not priorities:
        missing.append("priorities")
    for priority in priorities:
        if not any(action_complete(a) for a in priority.actions):
            missing.append("actions")
            break
    return missing


def submit(actor: User, mc: MunicipalCycle) -> WorkPlan:
    """Submit the plan for IOM's approval."""
    plan = _editable_plan(mc)
    if readiness(mc):
        raise PlanError("incomplete")
    review.transition(actor, mc, SUBJECT_PLAN, plan, SUBMITTED)
    return plan


def decide(actor: User, mc: MunicipalCycle, approve: bool, comment: str) -> WorkPlan:
    """IOM approves the plan, or returns it with comments."""
    plan = plan_of(mc)
    if plan is None:
        raise PlanError("missing")
    review.transition(actor, mc, SUBJECT_PLAN, plan, APPROVED if approve else RETURNED, comment=comment)
    return plan


def _audit(actor: User, mc: MunicipalCycle, action: str, details: dict) -> None:
    from app.services.admin import record

    record(actor, action, municipality_id=mc.municipality_id, details={"cycle": mc.cycle.year, **details})
