"""Certification stages: their definition (from content/stages.yaml), each municipality's awards, and the log.

A `Stage` is content: its requirements are a list of `{kind, ...parameters}` read from the file, so IOM
changes a threshold by editing content, never code. A `StageAward` is the current standing of one stage
for one municipality in one cycle (awarded or revoked); the unique constraint on (municipal cycle,
stage) makes two simultaneous awards record one. Every award, override and revocation appends a
`StageLogEntry` with a snapshot of every requirement at that moment; the log is never updated or
deleted (on PostgreSQL a trigger created by the migration refuses both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.people import User
from app.models.types import UTCDateTime, utcnow

AWARDED = "awarded"
REVOKED = "revoked"
AWARD_STATES = (AWARDED, REVOKED)

# What a log entry records.
LOG_AWARD = "award"  # awarded with every requirement met
LOG_OVERRIDE = "override"  # awarded with unmet requirements, with a written justification
LOG_REVOKE = "revoke"
LOG_ACTIONS = (LOG_AWARD, LOG_OVERRIDE, LOG_REVOKE)


class Stage(db.Model):
    """A certification stage (adhesion, training, ...), in order, with its requirements as data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    description: Mapped[dict] = mapped_column(JSON)
    # [{"kind": "certified_officials", "min": 5, "focal_point": true}, ...]
    requirements: Mapped[list] = mapped_column(JSON, default=list)
    # The final stage: awarding it issues the municipality's certificate for the cycle.
    final: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Stage {self.key}>"


class StageAward(db.Model):
    """Where one stage stands for a municipality in a cycle: awarded (perhaps by override) or revoked."""

    __table_args__ = (UniqueConstraint("municipal_cycle_id", "stage_id", name="uq_stage_award_municipal_cycle_stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=AWARDED)
    override: Mapped[bool] = mapped_column(default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    awarded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"))
    revocation_reason: Mapped[str] = mapped_column(Text, default="")

    stage: Mapped[Stage] = relationship(lazy="raise_on_sql")


class StageLogEntry(db.Model):
    """One award, override or revocation: who, when, why, and every requirement's value at that moment.

    Appended only. Nothing in this table is ever updated or deleted.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    municipal_cycle_id: Mapped[int] = mapped_column(ForeignKey("municipal_cycle.id"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user.id"), index=True)
    # The justification of an override or the reason of a revocation (empty for a plain award).
    reason: Mapped[str] = mapped_column(Text, default="")
    # Requirement kinds that were not met when the stage was awarded by override.
    unmet: Mapped[list] = mapped_column(JSON, default=list)
    # {"stages": [{"key", "state", "requirements": [{"kind", "value", "target", "met", ...}]}]}
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    # A revocation that followed from revoking an earlier stage points at that entry.
    cascade_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stage_log_entry.id"))

    actor: Mapped[Optional[User]] = relationship(lazy="raise_on_sql")
    stage: Mapped[Stage] = relationship(lazy="raise_on_sql")


__all__ = ["Stage", "StageAward", "StageLogEntry"]
