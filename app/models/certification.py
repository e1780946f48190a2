"""Certificates (training now, the municipal certification later) and their revocation lists.

One generic table: `kind` says what a certificate attests, `claims` holds what it says, frozen at
issue (later changes to a person, a module or a pass mark never touch it), and the PDF and the
signed credential are stored once, so every download returns the same bytes. Certificates are never
deleted: revocation and supersession are recorded on the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import Municipality, User
from app.models.types import UTCDateTime, utcnow

KIND_TRAINING = "training"
KIND_MUNICIPAL = "municipal"  # the municipality's certification for a cycle (issue 9)
KINDS = (KIND_TRAINING, KIND_MUNICIPAL)

STATUS_VALID = "valid"
STATUS_REVOKED = "revoked"
STATUS_SUPERSEDED = "superseded"


def certificate_status(revoked_at: datetime | None, superseded_by_id: int | None) -> str:
    """Revoked, superseded (a newer certificate replaced it) or valid."""
    if revoked_at is not None:
        return STATUS_REVOKED
    if superseded_by_id is not None:
        return STATUS_SUPERSEDED
    return STATUS_VALID


class Certificate(db.Model):
    """An issued certificate: frozen claims, code, PDF, signed credential and status."""

    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # normalised: 16 Crockford base32 characters
    holder_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    municipality_id: Mapped[Optional[int]] = mapped_column(ForeignKey("municipality.id"), index=True)
    claims: Mapped[dict] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(5))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    credential: Mapped[dict] = mapped_column(JSON)
    status_list: Mapped[str] = mapped_column(String(40))
    status_index: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    superseded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("certificate.id"))

    holder: Mapped[Optional[User]] = relationship(foreign_keys=[holder_id], lazy="raise_on_sql")
    municipality: Mapped[Optional[Municipality]] = relationship(lazy="raise_on_sql")
    revoked_by: Mapped[Optional[User]] = relationship(foreign_keys=[revoked_by_id], lazy="raise_on_sql")

    @property
    def status(self) -> str:
        return certificate_status(self.revoked_at, self.superseded_by_id)

    def __repr__(self) -> str:
        return f"<Certificate {self.kind} {self.code}>"


class StatusList(db.Model):
    """A Bitstring Status List of revocations; its signed credential is rebuilt on every revocation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    purpose: Mapped[str] = mapped_column(String(20), default="revocation")
    size: Mapped[int] = mapped_column(default=131_072)
    credential: Mapped[Optional[dict]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
