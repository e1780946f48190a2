"""Accounts: registration and authentication rules."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, Municipality, User, utcnow
from app.models.people import GENDERS, ROLE_OFFICIAL


class AccountError(Exception):
    """A registration or login that cannot go ahead; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_email(email: str) -> str:
    """Emails are compared and stored trimmed and lowercased."""
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account with that email, whatever its case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def hash_method() -> str:
    """The password hashing method (tests use a faster one)."""
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def create_user(*, name: str, email: str, password: str, role: str = ROLE_OFFICIAL,
                municipality_id: int | None = None, area_id: int | None = None, gender: str = "undisclosed",
                locale: str | None = None, consent: bool = True) -> User:
    """Create an account; raises AccountError('email_taken') when the email is already registered."""
    if find_user_by_email(email) is not None:
        raise AccountError("email_taken")
    if gender not in GENDERS:
        raise AccountError("gender")
    user = User(
        name=name.strip(), email=normalise_email(email), role=role, municipality_id=municipality_id,
        area_id=area_id, gender=gender, locale=locale,
        consent_at=utcnow() if consent else None,
    )
    user.set_password(password, method=hash_method())
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active account matching email and password, or None."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def registration_choices(lang_text) -> tuple[list, list]:
    """Options for the municipality and area lists of the registration form."""
    municipalities = db.session.scalars(select(Municipality).order_by(Municipality.name))
    areas = db.session.scalars(select(Area).where(Area.active).order_by(Area.position))
    return (
        [(m.id, f"{m.name} ({m.province})") for m in municipalities],
        [(a.id, lang_text(a.name)) for a in areas],
    )
