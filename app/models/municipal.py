"""The municipal cycle: annual cycles, each municipality's run through one, and what it records there.

Everything a municipality does in a cycle hangs from its `MunicipalCycle` row: the application, the
diagnostic, the workshops, the priorities and actions of the work plan. A new cycle starts from a clean
slate (new rows); earlier cycles stay as they were and are read as history. Officials' training is not
here: it belongs to the person and stays valid across cycles.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import Area, Municipality, User
from app.models.types import UTCDateTime, utcnow

# The states a reviewed record goes through (application, diagnostic, work plan).
DRAFT = "draft"
SUBMITTED = "submitted"
RETURNED = "returned"
ACCEPTED = "accepted"  # application
VALIDATED = "validated"  # diagnostic
APPROVED = "approved"  # work plan
REVIEW_STATES = (DRAFT, SUBMITTED, RETURNED, ACCEPTED, VALIDATED, APPROVED)

# What a review event is about.
SUBJECT_APPLICATION = "application"
SUBJECT_DIAGNOSTIC = "diagnostic"
SUBJECT_PLAN = "plan"
SUBJECTS = (SUBJECT_APPLICATION, SUBJECT_DIAGNOSTIC, SUBJECT_PLAN)

# Diagnostic levels: the indicator's policy input is absent, partly present or fully present.
LEVEL_ABSENT, LEVEL_PARTLY, LEVEL_FULLY = 0, 1, 2
LEVELS = (LEVEL_ABSENT, LEVEL_PARTLY, LEVEL_FULLY)

MODALITY_IN_PERSON = "in_person"
MODALITY_ONLINE = "online"
MODALITY_HYBRID = "hybrid"
MODALITIES = (MODALITY_IN_PERSON, MODALITY_ONLINE, MODALITY_HYBRID)

ACTION_NOT_STARTED = "not_started"
ACTION_IN_PROGRESS = "in_progress"
ACTION_DONE = "done"
ACTION_BLOCKED = "blocked"
ACTION_STATES = (ACTION_NOT_STARTED, ACTION_IN_PROGRESS, ACTION_DONE, ACTION_BLOCKED)


class Cycle(db.Model):
    """An annual certification cycle (e.g. "2027"); certification is renewed every cycle."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(80))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))

    def is_open_on(self, day: date) -> bool:
        """True while records of this cycle may still be edited."""
        return self.starts_on <= day <= self.ends_on

    def __repr__(self) -> str:
        return f"<Cycle {self.year}>"


class MunicipalCycle(db.Model):
    """A municipality admitted to a cycle, with the focal point and substitute designated for it."""

    __table_args__ = (UniqueConstraint("cycle_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    admitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    focal_point_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    substitute_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)

    cycle: Mapped[Cycle] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    focal_point: Mapped[Optional[User]] = relationship(foreign_keys=[focal_point_id], lazy="raise_on_sql")
    substitute: Mapped[Optional[User]] = relationship(foreign_keys=[substitute_id], lazy="raise_on_sql")

    def is_designated(self, user_id: int | None) -> bool:
        """True for the focal point and the substitute focal point of this municipality's cycle."""
        return user_id is not None and user_id in (self.focal_point_id, self.substitute_id)


class ReviewEvent(db.Model):
    """One transition of an application, diagnostic or work plan: who, when, from what to what, why.

    Appended, never updated: together they are the history shown on each record's page.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[Optional[str]] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Comments per part of the record (e.g. per diagnostic dimension key) when it is returned.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[User]] = relationship(lazy="raise_on_sql")


class Application(db.Model):
    """The municipality's application (adhesion) for a cycle, with the mayor's letter of intent."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    population: Mapped[Optional[int]]
    migrant_population: Mapped[Optional[int]]
    main_origins: Mapped[str] = mapped_column(String(300), default="")
    has_migration_office: Mapped[Optional[bool]]
    migration_office_details: Mapped[str] = mapped_column(Text, default="")
    # Measures already taken, as text per government area key.
    measures: Mapped[dict] = mapped_column(JSON, default=dict)
    contact_name: Mapped[str] = mapped_column(String(160), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # The letter of intent: stored outside the web root under a random name.
    letter_stored_name: Mapped[Optional[str]] = mapped_column(String(80))
    letter_filename: Mapped[Optional[str]] = mapped_column(String(200))
    letter_size: Mapped[Optional[int]]
    letter_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    letter_uploaded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    letter_uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class DiagnosticTool(db.Model):
    """The diagnostic's texts and answer levels, loaded from content/diagnostic.yaml."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[dict] = mapped_column(JSON)
    introduction: Mapped[dict] = mapped_column(JSON)
    levels: Mapped[list] = mapped_column(JSON)


class DiagnosticDimension(db.Model):
    """One of the diagnostic's dimensions (e.g. access to health); loaded from content/."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    special_section: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    indicators: Mapped[list["DiagnosticIndicator"]] = relationship(
        back_populates="dimension", order_by="DiagnosticIndicator.position", lazy="raise_on_sql"
    )


class DiagnosticIndicator(db.Model):
    """A question about one policy input, answered absent (0), partly present (1) or fully present (2)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("diagnostic_dimension.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[dict] = mapped_column(JSON)
    guidance: Mapped[dict] = mapped_column(JSON)
    evidence: Mapped[dict] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)

    dimension: Mapped[DiagnosticDimension] = relationship(back_populates="indicators", lazy="raise_on_sql")


class Diagnostic(db.Model):
    """A municipality's diagnostic in a cycle: draft, submitted, returned or validated."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    validated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    validated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))


class DiagnosticAnswer(db.Model):
    """The answer to one indicator: a level, an evidence note and an optional link."""

    __table_args__ = (UniqueConstraint("diagnostic_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnostic_id: Mapped[int] = mapped_column(ForeignKey("diagnostic.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("diagnostic_indicator.id"), index=True)
    level: Mapped[Optional[int]]
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))


workshop_area = Table(
    "workshop_area",
    db.metadata,
    Column("workshop_id", ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class Workshop(db.Model):
    """A diagnostic workshop held by the municipality in a cycle."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    modality: Mapped[str] = mapped_column(String(20), default=MODALITY_IN_PERSON)
    place: Mapped[str] = mapped_column(String(200), default="")
    facilitators: Mapped[str] = mapped_column(Text, default="")
    good_practices: Mapped[str] = mapped_column(Text, default="")
    potential_areas: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    areas: Mapped[list[Area]] = relationship(secondary=workshop_area, lazy="raise_on_sql")
    attendees: Mapped[list["WorkshopAttendee"]] = relationship(
        back_populates="workshop",
        order_by="WorkshopAttendee.id",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )


class WorkshopAttendee(db.Model):
    """Someone who attended a workshop: a registered official, or a guest.

    Area and self-declared gender are recorded with the attendance (for officials, copied from their
    account at the time), so the workshop's figures do not shift when an account changes later.
    """

    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(160), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"), index=True)
    gender: Mapped[str] = mapped_column(String(20))

    workshop: Mapped[Workshop] = relationship(back_populates="attendees", lazy="raise_on_sql")


class WorkPlan(db.Model):
    """The state of the municipality's work plan in a cycle (its priorities and actions hang from the cycle)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    approved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))


class Priority(db.Model):
    """A capacity or activity to strengthen, tied to a diagnostic dimension."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), index=True)
    dimension_id: Mapped[int] = mapped_column(ForeignKey("diagnostic_dimension.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="priority", order_by="PlanAction.id", lazy="raise_on_sql", cascade="all, delete-orphan"
    )


class PlanAction(db.Model):
    """An action of the work plan: who does what by when, and how it is monitored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_id: Mapped[int] = mapped_column(ForeignKey("priority.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    area_id: Mapped[Optional[int]] = mapped_column(ForeignKey("area.id"))
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    due_on: Mapped[Optional[date]] = mapped_column(Date)
    indicator: Mapped[str] = mapped_column(String(300), default="")
    target: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default=ACTION_NOT_STARTED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    priority: Mapped[Priority] = relationship(back_populates="actions", lazy="raise_on_sql")
    notes: Mapped[list["ActionNote"]] = relationship(
        back_populates="action",
        order_by="ActionNote.noted_on.desc()",
        lazy="raise_on_sql",
        cascade="all, delete-orphan",
    )


class ActionNote(db.Model):
    """A dated progress note on an action (the plan's monitoring)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"), index=True)
    noted_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[PlanAction] = relationship(back_populates="notes", lazy="raise_on_sql")


__all__ = [
    "ActionNote",
    "Application",
    "Cycle",
    "Diagnostic",
    "DiagnosticAnswer",
    "DiagnosticDimension",
    "DiagnosticIndicator",
    "DiagnosticTool",
    "MunicipalCycle",
    "PlanAction",
    "Priority",
    "ReviewEvent",
    "WorkPlan",
    "Workshop",
    "WorkshopAttendee",
    "workshop_area",
]
