"""Diagnostic workshops: what was held, who attended (officials or guests) and the attendance figures.

An official's area and self-declared gender are copied into the attendance when it is recorded, so a
workshop's figures stay as they were on the day. Figures by area and gender go through the gender
service (same parity band, same suppression for viewers outside the municipality's own staff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Area, MunicipalCycle, User, Workshop, WorkshopAttendee, utcnow
from app.models.municipal import MODALITIES
from app.models.people import GENDERS, ROLE_OFFICIAL
from app.services import gender as gender_service

TEXT_MAX = 4000


class WorkshopError(Exception):
    """A workshop change that is not allowed; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Guest:
    """An attendee without an account."""

    name: str
    organisation: str
    area_id: int | None
    gender: str


@dataclass(frozen=True)
class WorkshopData:
    """What the focal point records about a workshop."""

    held_on: date
    modality: str
    place: str
    facilitators: str
    area_ids: list[int]
    good_practices: str
    potential_areas: str
    official_ids: list[int]
    guests: list[Guest]


def workshops_of(mc: MunicipalCycle) -> list[Workshop]:
    """The workshops of a municipality's cycle, newest first, with areas and attendees loaded."""
    return list(
        db.session.scalars(
            select(Workshop)
            .options(selectinload(Workshop.areas), selectinload(Workshop.attendees))
            .where(Workshop.municipal_cycle_id == mc.id)
            .order_by(Workshop.held_on.desc(), Workshop.id.desc())
        )
    )


def get(mc: MunicipalCycle, workshop_id: int) -> Workshop | None:
    """One workshop of this municipality's cycle (None when it belongs to another)."""
    return db.session.scalar(
        select(Workshop)
        .options(selectinload(Workshop.areas), selectinload(Workshop.attendees))
        .where(Workshop.id == workshop_id, Workshop.municipal_cycle_id == mc.id)
    )


def _validate(mc: MunicipalCycle, data: WorkshopData) -> tuple[list[Area], list[User]]:
    if data.modality not in MODALITIES:
        raise WorkshopError("modality")
    if not mc.cycle.starts_on <= data.held_on <= mc.cycle.ends_on:
        raise WorkshopError("date")
    for text in (data.place, data.facilitators, data.good_practices, data.potential_areas):
        if len(text) > TEXT_MAX:
            raise WorkshopError("too_long")
    areas = list(db.session.scalars(select(Area).where(Area.id.in_(sorted(set(data.area_ids)) or [0]), Area.active)))
    if len(areas) != len(set(data.area_ids)):
        raise WorkshopError("area")
    officials = list(
        db.session.scalars(
            select(User).where(
                User.id.in_(sorted(set(data.official_ids)) or [0]),
                User.municipality_id == mc.municipality_id,
                User.role == ROLE_OFFICIAL,
            )
        )
    )
    if len(officials) != len(set(data.official_ids)):
        raise WorkshopError("official")
    guest_area_ids = {g.area_id for g in data.guests if g.area_id}
    if guest_area_ids and len(
        list(db.session.scalars(select(Area.id).where(Area.id.in_(sorted(guest_area_ids)))))
    ) != len(guest_area_ids):
        raise WorkshopError("area")
    for guest in data.guests:
        if not guest.name.strip() or len(guest.name) > 160 or len(guest.organisation) > 200:
            raise WorkshopError("guest")
        if guest.gender not in GENDERS:
            raise WorkshopError("guest")
    return areas, officials


def save(actor: User, mc: MunicipalCycle, data: WorkshopData, workshop: Workshop | None = None) -> Workshop:
    """Create or update a workshop with its attendance; everything is validated before writing."""
    from app.services.admin import record

    areas, officials = _validate(mc, data)
    created = workshop is None
    if created:
        workshop = Workshop(municipal_cycle_id=mc.id, created_by_id=actor.id, attendees=[], areas=[])
        db.session.add(workshop)
    workshop.held_on = data.held_on
    workshop.modality = data.modality
    workshop.place = data.place.strip()
    workshop.facilitators = data.facilitators.strip()
    workshop.good_practices = data.good_practices.strip()
    workshop.potential_areas = data.potential_areas.strip()
    workshop.areas = areas
    workshop.updated_at = utcnow()
    # Attendance is replaced as a whole: officials keep their recorded area and gender if still listed.
    kept = {a.user_id: a for a in workshop.attendees if a.user_id in {o.id for o in officials}}
    attendees = [
        kept.get(o.id) or WorkshopAttendee(user_id=o.id, name=o.name, area_id=o.area_id, gender=o.gender)
        for o in officials
    ]
    attendees += [
        WorkshopAttendee(
            user_id=None, name=g.name.strip(), organisation=g.organisation.strip(), area_id=g.area_id, gender=g.gender
        )
        for g in data.guests
    ]
    workshop.attendees = attendees
    db.session.flush()
    record(
        actor,
        "workshop_recorded" if created else "workshop_updated",
        municipality_id=mc.municipality_id,
        details={
            "cycle": mc.cycle.year,
            "workshop": workshop.id,
            "held_on": data.held_on.isoformat(),
            "attendees": len(attendees),
        },
    )
    return workshop


def delete(actor: User, mc: MunicipalCycle, workshop: Workshop) -> None:
    """Remove a workshop recorded by mistake (audited)."""
    from app.services.admin import record

    record(
        actor,
        "workshop_deleted",
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "workshop": workshop.id, "held_on": workshop.held_on.isoformat()},
    )
    db.session.delete(workshop)
    db.session.flush()


@dataclass
class Attendance:
    """A workshop's attendance: totals by area and the gender balance."""

    total: int
    by_area: list[tuple[int | None, int]]
    balance: gender_service.Balance
    areas_count: int


def attendance(workshop: Workshop, policy: gender_service.Policy, suppress: bool) -> Attendance:
    """Attendance figures for one workshop; small counts hidden when `suppress` (viewers outside the
    municipality's own staff)."""
    counts: dict[str, int] = {}
    by_area: dict[int | None, int] = {}
    for attendee in workshop.attendees:
        counts[attendee.gender] = counts.get(attendee.gender, 0) + 1
        by_area[attendee.area_id] = by_area.get(attendee.area_id, 0) + 1
    if suppress:
        balance = gender_service.balance(counts, policy)
    else:
        balance = gender_service.balance(counts, gender_service.Policy(policy.parity_low, policy.parity_high, 1))
    rows = sorted(by_area.items(), key=lambda item: (-item[1], item[0] or 0))
    return Attendance(len(workshop.attendees), rows, balance, len([a for a in by_area if a is not None]))


def counts_in_cycle(mc_ids: list[int]) -> dict[int, int]:
    """Number of workshops per municipal cycle (one query)."""
    if not mc_ids:
        return {}
    return dict(
        db.session.execute(
            select(Workshop.municipal_cycle_id, func.count(Workshop.id))
            .where(Workshop.municipal_cycle_id.in_(sorted(mc_ids)))
            .group_by(Workshop.municipal_cycle_id)
        ).all()
    )
