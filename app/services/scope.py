"""Who may see which municipalities: the one scope rule every page, export and list goes through.

Actions (who may do what) live in `app.services.permissions`, which builds on this.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select, true

from app.models.people import ROLE_COORDINATOR, ROLE_IOM, ROLE_OFFICIAL
from app.services.cycles import is_focal_point


def visible_municipality_ids(user) -> set[int] | None:
    """Municipality ids a user may see figures of; None means every municipality."""
    if user.role == ROLE_IOM:
        return None
    if user.role == ROLE_COORDINATOR:
        return None if user.all_municipalities else {m.id for m in user.scope}
    if user.municipality_id and is_focal_point(user):
        return {user.municipality_id}
    return set()


def visible_audit_clause(user):
    """A SQL condition on AuditEvent for what a coordinator may read: events of municipalities in their
    scope, about officials or about no person (IOM officers read everything, so need no condition)."""
    from app.models import AuditEvent, User

    ids = visible_municipality_ids(user)
    place = AuditEvent.municipality_id.is_not(None) if ids is None else scope_clause(AuditEvent.municipality_id, ids)
    about_officials = or_(
        AuditEvent.target_user_id.is_(None),
        AuditEvent.target_user_id.in_(select(User.id).where(User.role == ROLE_OFFICIAL)),
    )
    return and_(place, about_officials)


def in_scope(ids: set[int] | None, municipality_id: int | None) -> bool:
    """True when a municipality is within a scope."""
    return ids is None or (municipality_id is not None and municipality_id in ids)


def scope_clause(column, ids: set[int] | None):
    """A SQL condition restricting a municipality column to a scope."""
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(sorted(ids))
