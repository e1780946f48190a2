"""Administration operations. Each one checks nothing about the request: callers check permission;
each records an audit event (who, when, what) in the same transaction as the change."""
from __future__ import annotations

import re
import unicodedata

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Municipality, User
from app.models.people import ROLE_COORDINATOR, ROLE_OFFICIAL, ROLES
from app.services import cycles
from app.services.accounts import hash_method

RESET_MAX_AGE = 72 * 3600


class AdminError(Exception):
    """An administrative change that is not allowed; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def record(actor: User | None, action: str, *, target: User | None = None,
           municipality_id: int | None = None, details: dict | None = None) -> AuditEvent:
    """Append an audit event."""
    event = AuditEvent(
        actor_id=actor.id if actor else None, action=action, target_user_id=target.id if target else None,
        municipality_id=municipality_id if municipality_id is not None else (target.municipality_id if target else None),
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
    chosen = [] if all_municipalities else list(db.session.scalars(
        select(Municipality).where(Municipality.id.in_(sorted(municipality_ids) or [0]))
    ))
    before = (user.all_municipalities, sorted(m.id for m in user.scope))
    after = (all_municipalities, sorted(m.id for m in chosen))
    if before == after:
        return False
    user.all_municipalities = all_municipalities
    user.scope = chosen
    record(actor, "scope_changed", target=user,
           details={"all_municipalities": [before[0], after[0]], "municipalities": [before[1], after[1]]})
    return True


def set_active(actor: User, user: User, active: bool) -> bool:
    """Deactivate (records kept, sign-in refused) or reactivate an account."""
    if user.id == actor.id:
        raise AdminError("self")
    if user.active == active:
        return False
    user.active = active
    if not active:
        cycles.clear_designations_of(actor, user)
    record(actor, "account_reactivated" if active else "account_deactivated", target=user)
    return True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    return user.password_hash[-12:]


def issue_password_reset(actor: User, user: User) -> str:
    """A signed, expiring, single-use token for the person to choose a new password."""
    record(actor, "password_reset_issued", target=user)
    return _serializer().dumps({"u": user.id, "h": _fingerprint(user)})


def user_for_reset(token: str) -> User | None:
    """The account a reset token is for, while valid and unused; None otherwise."""
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or _fingerprint(user) != data.get("h"):
        return None
    return user


def reset_password(user: User, password: str) -> None:
    """Set a new password (which also invalidates the token used)."""
    user.set_password(password, method=hash_method())
    record(user, "password_reset_completed", target=user)


def slugify(name: str) -> str:
    """A key from a name: 'San Martín de los Andes' -> 'san-martin-de-los-andes'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "municipio"


def save_municipality(actor: User, municipality: Municipality | None, *, name: str, province: str,
                      country: str) -> Municipality:
    """Create or edit a municipality (IOM officers only)."""
    name, province, country = name.strip(), province.strip(), country.strip().upper()
    duplicate = db.session.scalar(select(Municipality).where(
        Municipality.name == name, Municipality.province == province,
        Municipality.id != (municipality.id if municipality else 0),
    ))
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
        record(actor, "municipality_created", municipality_id=municipality.id,
               details={"name": name, "province": province, "country": country})
        return municipality
    changes = {}
    for field, value in (("name", name), ("province", province), ("country", country)):
        if getattr(municipality, field) != value:
            changes[field] = [getattr(municipality, field), value]
            setattr(municipality, field, value)
    if changes:
        record(actor, "municipality_updated", municipality_id=municipality.id, details=changes)
    return municipality
