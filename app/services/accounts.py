"""Accounts: registration, authentication, sessions that can be ended, and the single-use tokens sent
by email (password reset, address verification)."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import AccountToken, Area, Municipality, User, utcnow
from app.models.people import GENDERS, ROLE_OFFICIAL, TOKEN_EMAIL_VERIFICATION, TOKEN_PASSWORD_RESET

TOKEN_MAX_AGE = 72 * 3600  # reset and verification links work for 72 hours, once
LAST_SEEN_EVERY = timedelta(minutes=10)
MAX_ID = 2**31 - 1


class AccountError(Exception):
    """A registration or login that cannot go ahead; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    """Emails are compared and stored trimmed and lowercased."""
    return (email or "").strip().lower()


def clean_name(name: str) -> str:
    """A person's or place's name with surrounding spaces removed and inner runs of spaces collapsed."""
    return " ".join((name or "").split())


def has_control_characters(text: str) -> bool:
    """True when text holds a control or format character (NUL, escapes, bidi overrides...)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text or "")


def find_user_by_email(email: str) -> User | None:
    """The account with that email, whatever its case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def hash_method() -> str:
    """The password hashing method (tests use a faster one)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def spend_password_check(password: str) -> None:
    """Take as long as checking a real password, so an unknown email answers as slowly as a known one."""
    check_password_hash(_dummy_hash(hash_method()), password or "")


def email_verified(user: User) -> bool:
    """True when the person has proved they receive mail at their address (needed for a certificate)."""
    return user.email_verified_at is not None


def create_user(
    *,
    name: str,
    email: str,
    password: str,
    role: str = ROLE_OFFICIAL,
    municipality_id: int | None = None,
    area_id: int | None = None,
    gender: str = "undisclosed",
    locale: str | None = None,
    consent: bool = True,
    verified: bool = True,
) -> User:
    """Create an account; raises AccountError('email_taken') when the email is already registered.

    Accounts made by staff or the command line count as verified; self-registration passes
    verified=False and sends a verification email."""
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    if gender not in GENDERS:
        raise AccountError("gender")
    now = utcnow()
    user = User(
        name=clean_name(name),
        email=normalise_email(email),
        role=role,
        municipality_id=municipality_id,
        area_id=area_id,
        gender=gender,
        locale=locale,
        consent_at=now if consent else None,
        email_verified_at=now if verified else None,
    )
    user.set_password(password, method=hash_method())
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account matching email and password, or None; as slow for unknown emails as for known."""
    user = find_user_by_email(email)
    if user is None:
        spend_password_check(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def parse_session_id(session_id: str) -> tuple[int, str] | None:
    """(user id, session token) from what a session or remember-me cookie carries, or None when malformed."""
    user_id, _, token = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 10 and token) or int(user_id) > MAX_ID:
        return None
    return int(user_id), token


def session_token_matches(user: User | None, token: str) -> bool:
    """True when the account exists and the cookie's token is its current one (compared in constant time)."""
    return user is not None and token_matches(user.session_token, token)


def token_matches(current: str, token: str) -> bool:
    """True when a cookie's token is the account's current one (compared in constant time)."""
    return hmac.compare_digest(current.encode(), token.encode())


def user_for_session(session_id: str) -> User | None:
    """The account a session or remember-me cookie names ("<id>:<session token>"), while the token holds."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user = db.session.get(User, parsed[0])
    return user if session_token_matches(user, parsed[1]) else None


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of an account."""
    user.rotate_session_token()
    db.session.flush()


def last_seen_due(user: User, now=None) -> bool:
    """Whether a signed-in person's "last seen" note is older than LAST_SEEN_EVERY (read in memory)."""
    now = now or utcnow()
    return user.last_seen_at is None or now - user.last_seen_at > LAST_SEEN_EVERY


def touch_last_seen(user_or_id: User | int) -> bool:
    """Note that a signed-in person is active: one conditional UPDATE, at most every ten minutes; the
    caller commits. True when it wrote."""
    user_id = user_or_id if isinstance(user_or_id, int) else user_or_id.id
    if not isinstance(user_or_id, int) and not last_seen_due(user_or_id):
        return False
    now = utcnow()
    result = db.session.execute(
        update(User)
        .where(User.id == user_id, or_(User.last_seen_at.is_(None), User.last_seen_at < now - LAST_SEEN_EVERY))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def set_password(user: User, password: str) -> None:
    """A new password: ends every session and cancels outstanding reset links."""
    user.set_password(password, method=hash_method())
    _cancel_tokens(user, TOKEN_PASSWORD_RESET)
    end_sessions(user)


# Single-use tokens ----------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"campus-account-token:{purpose}")


def issue_token(user: User, purpose: str, created_by: User | None = None) -> str:
    """A link token for one purpose: a signed random key (no user id, nothing of the password)."""
    key = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(key=key, purpose=purpose, user_id=user.id, created_by_id=created_by.id if created_by else None)
    )
    db.session.flush()
    return _serializer(purpose).dumps(key)


def _token_row(token: str, purpose: str) -> AccountToken | None:
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        key = _serializer(purpose).loads(token, max_age=TOKEN_MAX_AGE)
    except BadData:
        return None
    if not isinstance(key, str):
        return None
    row = db.session.scalar(
        select(AccountToken).where(
            AccountToken.key == key, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
    )
    if row is None or utcnow() - row.created_at > timedelta(seconds=TOKEN_MAX_AGE):
        return None
    return row


def token_user(token: str, purpose: str) -> User | None:
    """The active account an unused, unexpired token is for (without using it up)."""
    row = _token_row(token, purpose)
    user = db.session.get(User, row.user_id) if row else None
    return user if user is not None and user.active else None


def redeem_token(token: str, purpose: str) -> tuple[User, AccountToken] | None:
    """Use a token up (atomically: of two simultaneous uses only one succeeds); None when invalid."""
    row = _token_row(token, purpose)
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return user, row


def _cancel_tokens(user: User, purpose: str) -> None:
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def reset_password_with_token(token: str, password: str) -> User | None:
    """Set a new password from a reset link (single use, 72 hours); audit names who asked for the link."""
    from app.services.admin import record

    redeemed = redeem_token(token, TOKEN_PASSWORD_RESET)
    if redeemed is None:
        return None
    user, row = redeemed
    set_password(user, password)
    record(
        user,
        "password_reset_completed",
        target=user,
        details={"requested_by": row.created_by_id} if row.created_by_id else None,
    )
    return user


def verify_email_with_token(token: str) -> User | None:
    """Mark an address verified from the link sent to it; None when the link is invalid or used."""
    redeemed = redeem_token(token, TOKEN_EMAIL_VERIFICATION)
    if redeemed is None:
        return None
    user, _row = redeemed
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.flush()
    return user


def registration_choices(lang_text) -> tuple[list, list]:
    """Options for the municipality and area lists of the registration form."""
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name))
    areas = db.session.scalars(select(Area).where(Area.active).order_by(Area.position))
    return (
        [(m.id, f"{m.name} ({m.province})") for m in municipalities],
        [(a.id, lang_text(a.name)) for a in areas],
    )
