"""Administration operations. Each one checks nothing about the request: callers check permission;
each records an audit event (who, when, what) in the same transaction as the change."""

from __future__ import annotations

import re
import unicodedata

import logging

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Municipality, User
from app.models.people import ROLE_COORDINATOR, ROLE_OFFICIAL, ROLES
from app.models.people import TOKEN_PASSWORD_RESET
from app.services.accounts import clean_name, end_sessions, issue_token
from app.services import cycles

audit_log = logging.getLogger("app.audit")
KEY_MAX = 70  # Municipality.key is 80 characters: room for a "-NN" suffix


class AdminError(Exception):
    """An administrative change that is not allowed; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def record(
    actor: User,
    action: str,
    *,
    target: User | None = None,
    municipality_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append an audit event; every event names the person who acted (and goes to the log too)."""
    if actor is None or actor.id is None:
        raise ValueError(f"audit event {action!r} without an actor")
    audit_log.info("audit %s actor=%s target=%s", action, actor.id, target.id if target else "-")
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        target_user_id=target.id if target else None,
        municipality_id=municipality_id
        if municipality_id is not None
        else (target.municipality_id if target else None),
        details=details or {},
    )
    db.session.add(event)
    return event


def update_profile(actor: User, user: User, *, role: str, municipality_id: int | None, area_id: int | None) -> bool:
    """Change role, municipality or area (IOM officers only). True when anything changed."""
    if role not in ROLES:
        raise AdminError("role")
    if user.id == actor.id and role != user.role:
        raise AdminError("own_role")
    if role == ROLE_OFFICIAL and municipality_id is None:
        raise AdminError("municipality_required")
    changes = {}
    for name, value in (("role", role), ("municipality_id", municipality_id), ("area_id", area_id)):
        if getattr(user, name) != value:
            changes[name] = [getattr(user, name), value]
            setattr(user, name, value)
    if "municipality_id" in changes or role != ROLE_OFFICIAL:
        cleared = cycles.clear_designations_of(actor, user)
        if cleared:
            changes["designations_cleared"] = [mc.cycle.year for mc in cleared]
    if changes:
        action = "role_changed" if "role" in changes else "profile_changed"
        record(actor, action, target=user, details=changes)
    return bool(changes)


def set_scope(actor: User, user: User, *, all_municipalities: bool, municipality_ids: set[int]) -> bool:
    """Give a coordinator every municipality or a set of them (IOM officers only)."""
    if user.role != ROLE_COORDINATOR:
        raise AdminError("not_coordinator")
    chosen = (
        []
        if all_municipalities
        else list(db.session.scalars(select(Municipality).where(Municipality.id.in_(sorted(municipality_ids) or [0]))))
    )
    before = (user.all_municipalities, sorted(m.id for m in user.scope))
    after = (all_municipalities, sorted(m.id for m in chosen))
    if before == after:
        return False
    user.all_municipalities = all_municipalities
    user.scope = chosen
    record(
        actor,
        "scope_changed",
        target=user,
        details={"all_municipalities": [before[0], after[0]], "municipalities": [before[1], after[1]]},
    )
    return True


def set_active(actor: User, user: User, active: bool) -> bool:
    """Deactivate (records kept, sign-in refused) or reactivate an account."""
    if user.id == actor.id:
        raise AdminError("self")
    if user.active == active:
        return False
    user.active = active
    if not active:
        end_sessions(user)  # a deactivated account's open sessions and remember-me cookies stop at once
        cycles.clear_designations_of(actor, user)
    record(actor, "account_reactivated" if active else "account_deactivated", target=user)
    return True


def send_password_reset(actor: User, user: User) -> str:
    """A reset link for an account, to be emailed to its owner (never shown to the actor); audited
    with the actor, and the completion names them too."""
    token = issue_token(user, TOKEN_PASSWORD_RESET, created_by=actor)
    record(actor, "password_reset_sent", target=user)
    return token


def slugify(name: str) -> str:
    """A key from a name: 'San Martín de los Andes' -> 'san-martin-de-los-andes'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:KEY_MAX].strip("-") or "municipio"


def save_municipality(
    actor: User, municipality: Municipality | None, *, name: str, province: str, country: str
) -> Municipality:
    """Create or edit a municipality (IOM officers only)."""
    name, province, country = clean_name(name), clean_name(province), country.strip().upper()
    duplicate = db.session.scalar(
        select(Municipality).where(
            Municipality.name == name,
            Municipality.province == province,
            Municipality.id != (municipality.id if municipality else 0),
        )
    )
    if duplicate is not None:
        raise AdminError("duplicate")
    if municipality is None:
        key, n = slugify(f"{name}"), 1
        while db.session.scalar(select(Municipality.id).where(Municipality.key == key)):
            n += 1
            key = f"{slugify(name)}-{n}"
        municipality = Municipality(key=key, name=name, province=province, country=country)
        db.session.add(municipality)
        db.session.flush()
        record(
            actor,
            "municipality_created",
            municipality_id=municipality.id,
            details={"name": name, "province": province, "country": country},
        )
        return municipality
    changes = {}
    for field, value in (("name", name), ("province", province), ("country", country)):
        if getattr(municipality, field) != value:
            changes[field] = [getattr(municipality, field), value]
            setattr(municipality, field, value)
    if changes:
        record(actor, "municipality_updated", municipality_id=municipality.id, details=changes)
    return municipality
