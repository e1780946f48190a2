"""The review workflow shared by the application, the diagnostic and the work plan.

A record is drafted and submitted by the municipality's focal point (or substitute); an IOM officer
accepts / validates / approves it, or returns it with comments; a returned record is edited and
submitted again. Every transition appends a `ReviewEvent` (who, when, from, to, comment) and an audit
event, in the same transaction as the change. The allowed moves are the table below and nothing else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import MunicipalCycle, ReviewEvent, User, utcnow
from app.models.municipal import (
    ACCEPTED,
    APPROVED,
    DRAFT,
    RETURNED,
    SUBJECT_APPLICATION,
    SUBJECT_DIAGNOSTIC,
    SUBJECT_PLAN,
    SUBMITTED,
    VALIDATED,
)

# What each subject's final, reviewed state is called.
FINAL_STATE = {SUBJECT_APPLICATION: ACCEPTED, SUBJECT_DIAGNOSTIC: VALIDATED, SUBJECT_PLAN: APPROVED}

# (from, to) moves allowed for every subject; the final state is filled in per subject.
_MOVES = {(DRAFT, SUBMITTED), (RETURNED, SUBMITTED), (SUBMITTED, RETURNED), (SUBMITTED, "final")}


class ReviewError(Exception):
    """A transition that the workflow does not allow; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def editable(state: str) -> bool:
    """The municipality may change the record (draft, or returned for changes)."""
    return state in (DRAFT, RETURNED)


def allowed(subject: str, from_state: str, to_state: str) -> bool:
    """True when the workflow allows moving a record of this subject between these states."""
    final = FINAL_STATE[subject]
    return (from_state, "final" if to_state == final else to_state) in _MOVES


def transition(
    actor: User | None,
    mc: MunicipalCycle,
    subject: str,
    record,
    to_state: str,
    *,
    comment: str = "",
    details: dict | None = None,
) -> ReviewEvent:
    """Move a record (anything with a `state`) to a new state, recording who, when and why.

    The update is conditional on the state read, so two reviewers acting at once cannot both move it.
    """
    from app.services.admin import record as audit

    from_state = record.state
    if not allowed(subject, from_state, to_state):
        raise ReviewError("transition")
    if to_state == RETURNED and not (comment.strip() or any(str(v).strip() for v in (details or {}).values())):
        raise ReviewError("comment_required")
    model = type(record)
    now = utcnow()
    values = {"state": to_state}
    for name, when in (
        ("submitted_at", SUBMITTED),
        ("validated_at", VALIDATED),
        ("approved_at", APPROVED),
        ("reviewed_at", ACCEPTED),
        ("reviewed_at", RETURNED),
    ):
        if to_state == when and hasattr(model, name):
            values[name] = now
    for name in ("validated_by_id", "approved_by_id"):
        if to_state == FINAL_STATE[subject] and hasattr(model, name):
            values[name] = actor.id if actor else None
    changed = db.session.execute(
        model.__table__.update()
        .where(model.__table__.c.id == record.id, model.__table__.c.state == from_state)
        .values(**values)
    ).rowcount
    if changed != 1:
        raise ReviewError("stale")
    db.session.expire(record)
    event = ReviewEvent(
        municipal_cycle_id=mc.id,
        subject=subject,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.id if actor else None,
        created_at=now,
        comment=comment.strip(),
        details=details or {},
    )
    db.session.add(event)
    audit(
        actor,
        f"{subject}_{to_state}",
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "from": from_state, "to": to_state, "comment": comment.strip()},
    )
    db.session.flush()
    return event


def history(mc_id: int, subject: str) -> list[ReviewEvent]:
    """Every transition of one record of a municipality's cycle, oldest first, with the actors loaded."""
    from sqlalchemy.orm import selectinload

    return list(
        db.session.scalars(
            select(ReviewEvent)
            .options(selectinload(ReviewEvent.actor))
            .where(ReviewEvent.municipal_cycle_id == mc_id, ReviewEvent.subject == subject)
            .order_by(ReviewEvent.created_at, ReviewEvent.id)
        )
    )


def latest_comments(mc_id: int, subject: str) -> ReviewEvent | None:
    """The last 'returned' event of a record, whose comments the municipality must address."""
    return db.session.scalar(
        select(ReviewEvent)
        .where(
            ReviewEvent.municipal_cycle_id == mc_id, ReviewEvent.subject == subject, ReviewEvent.to_state == RETURNED
        )
        .order_by(ReviewEvent.created_at.desc(), ReviewEvent.id.desc())
        .limit(1)
    )


def record_of(model, mc: MunicipalCycle):
    """A municipality's cycle's one record of a kind (application, diagnostic, work plan), if started."""
    return db.session.scalar(select(model).where(model.municipal_cycle_id == mc.id))


def start_record(model, mc: MunicipalCycle):
    """That record, started as a draft the first time; a simultaneous first save creates one row only."""
    row = record_of(model, mc)
    if row is None:
        try:
            with db.session.begin_nested():
                row = model(municipal_cycle_id=mc.id)
                db.session.add(row)
        except IntegrityError:
            row = record_of(model, mc)
            if row is None:
                raise
    return row
