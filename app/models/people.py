"""People and places: municipalities, government areas and users."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

ROLE_OFFICIAL = "official"
ROLE_COORDINATOR = "coordinator"
ROLE_IOM = "iom_officer"
ROLES = (ROLE_OFFICIAL, ROLE_COORDINATOR, ROLE_IOM)

GENDER_WOMAN = "woman"
GENDER_MAN = "man"
GENDER_NONBINARY = "nonbinary"
GENDER_UNDISCLOSED = "undisclosed"
GENDERS = (GENDER_WOMAN, GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED)


coordinator_municipality = Table(
    "coordinator_municipality",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True),
)


class Municipality(db.Model):
    """A local government taking part in the programme."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    province: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2), default="AR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Municipality {self.key}>"


class Area(db.Model):
    """A government area (health, education, ...); its name is translated content."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[dict] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Area {self.key}>"


class User(UserMixin, db.Model):
    """A person with an account: an official (possibly focal point), a coordinator or an IOM officer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_OFFICIAL)
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipality.id"), index=True)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    gender: Mapped[str] = mapped_column(String(20), default=GENDER_UNDISCLOSED)
    locale: Mapped[Optional[str]] = mapped_column(String(5))
    timezone: Mapped[Optional[str]] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    consent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Coordinators see either every municipality or the ones listed in coordinator_municipality.
    all_municipalities: Mapped[bool] = mapped_column(default=False)
    # Carried in the session and remember-me cookies (see get_id); a new value ends every session.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_urlsafe(32))
    # When the person proved they receive mail at `email`; None until then.
    email_verified_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    municipality: Mapped[Optional[Municipality]] = relationship(foreign_keys=[municipality_id])
    area: Mapped[Optional[Area]] = relationship()
    # Loaded when read (coordinators only), not with every signed-in request.
    scope: Mapped[list[Municipality]] = relationship(
        secondary=coordinator_municipality, order_by=Municipality.name, lazy="select"
    )

    def set_password(self, password: str, method: str = "scrypt") -> None:
        """Store a salted hash of the password."""
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated accounts
        return self.active

    def get_id(self) -> str:
        """What the session and remember-me cookies carry: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """End every session and remember-me cookie of this account (logout, new password, deactivation)."""
        self.session_token = secrets.token_urlsafe(32)

    @property
    def is_iom(self) -> bool:
        return self.role == ROLE_IOM

    @property
    def is_coordinator(self) -> bool:
        return self.role == ROLE_COORDINATOR

    @property
    def is_focal_point(self) -> bool:
        """Focal point or substitute of their municipality in the current cycle (see services.cycles)."""
        from app.services.cycles import is_focal_point

        return is_focal_point(self)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class AuditEvent(db.Model):
    """Who changed what and when: roles, scope, focal points, accounts, municipalities. Never deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipality.id"), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[Optional[User]] = relationship(foreign_keys=[target_user_id])
    municipality: Mapped[Optional[Municipality]] = relationship()


TOKEN_PASSWORD_RESET = "password_reset"
TOKEN_EMAIL_VERIFICATION = "email_verification"
TOKEN_PURPOSES = (TOKEN_PASSWORD_RESET, TOKEN_EMAIL_VERIFICATION)


class AccountToken(db.Model):
    """A single-use token sent by email (password reset, address verification). The link carries only
    `key`, an opaque random id, signed for its purpose; the user is found through this row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
