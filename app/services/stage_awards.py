"""IOM's verbs on certification stages: award, award by override, revoke; and the append-only log.

Rules:
- Only IOM officers award or revoke (`permissions.can_award_stage`).
- Stages are awarded in order: a stage whose previous stage is not awarded cannot be awarded, not even
  by override.
- A stage whose requirements are all met is awarded as it is. One with unmet requirements is awarded
  only by override: a written justification, and the officer names every unmet requirement (the list
  they confirm must be exactly the unmet list at that moment, so nothing is overridden unseen).
- Revoking needs a reason and also revokes every later stage of the cycle that is awarded.
- Each award, override and revocation appends a `StageLogEntry` with who, when, the reason and a
  snapshot of every requirement of every stage. The service only ever INSERTs into the log.
- Two simultaneous awards of the same stage record one: the first inserts the `StageAward` row, the
  second hits the unique constraint (or finds the row already awarded) and is told so.
- Awarding the final stage issues the municipality's certificate for the cycle (`issue_cycle_certificate`);
  revoking it revokes that certificate (`revoke_cycle_certificate`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Cycle, Municipality, MunicipalCycle, Stage, StageAward, StageLogEntry, User, utcnow
from app.models.stages import AWARDED, LOG_AWARD, LOG_OVERRIDE, LOG_REVOKE, REVOKED
from app.services import permissions
from app.services import stages as engine

REASON_MIN = 20
REASON_MAX = 4000


class AwardError(Exception):
    """An award or revocation that is not allowed; `code` names the reason, `unmet` lists requirement kinds."""

    def __init__(self, code: str, unmet: list[str] | None = None):
        super().__init__(code)
        self.code = code
        self.unmet = unmet or []


def _stage(key: str) -> Stage:
    stage = db.session.scalar(select(Stage).where(Stage.key == key, Stage.active))
    if stage is None:
        raise AwardError("stage")
    return stage


def _log(
    actor: User,
    mc: MunicipalCycle,
    stage: Stage,
    action: str,
    reason: str,
    snapshot: dict,
    unmet: list[str] | None = None,
    cascade_of: StageLogEntry | None = None,
) -> StageLogEntry:
    entry = StageLogEntry(
        municipal_cycle_id=mc.id,
        stage_id=stage.id,
        action=action,
        actor_id=actor.id,
        reason=reason,
        snapshot=snapshot,
        unmet=unmet or [],
        cascade_of_id=cascade_of.id if cascade_of else None,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _clean_reason(text: str | None, code: str) -> str:
    text = (text or "").strip()
    if len(text) < REASON_MIN:
        raise AwardError(code)
    if len(text) > REASON_MAX:
        raise AwardError("too_long")
    return text


def award(
    actor: User, mc: MunicipalCycle, stage_key: str, *, justification: str = "", acknowledged: list[str] | None = None
) -> StageLogEntry:
    """Award a stage to a municipality's cycle (by override when requirements are unmet); returns the log entry."""
    from app.services.admin import record

    if not permissions.can_award_stage(actor):
        raise AwardError("forbidden")
    stage = _stage(stage_key)
    certification = engine.evaluate(mc)
    status = certification.status_of(stage.key)
    if status is None:
        raise AwardError("stage")
    if status.state == AWARDED:
        raise AwardError("already_awarded")
    index = certification.stages.index(status)
    if index > 0 and certification.stages[index - 1].state != AWARDED:
        raise AwardError("order")
    unmet = [r.kind for r in status.unmet]
    justification = (justification or "").strip()
    if unmet:
        justification = _clean_reason(justification, "justification_required")
        if sorted(set(acknowledged or [])) != sorted(unmet):
            raise AwardError("unmet_not_named", unmet)
    elif len(justification) > REASON_MAX:
        raise AwardError("too_long")
    now = utcnow()
    values = {
        "state": AWARDED,
        "override": bool(unmet),
        "justification": justification,
        "awarded_at": now,
        "awarded_by_id": actor.id,
        "revoked_at": None,
        "revoked_by_id": None,
        "revocation_reason": "",
    }
    if status.award is None:
        try:
            with db.session.begin_nested():
                db.session.add(StageAward(municipal_cycle_id=mc.id, stage_id=stage.id, **values))
        except IntegrityError:
            raise AwardError("already_awarded") from None
    else:
        # Re-awarding a revoked stage: conditional on the state read, so a simultaneous award records one.
        changed = db.session.execute(
            StageAward.__table__.update()
            .where(StageAward.__table__.c.id == status.award.id, StageAward.__table__.c.state == REVOKED)
            .values(**values)
        ).rowcount
        if changed != 1:
            raise AwardError("already_awarded")
        db.session.expire(status.award)
    action = LOG_OVERRIDE if unmet else LOG_AWARD
    # The snapshot is taken as the officer saw it: requirements at the moment of the decision.
    entry = _log(actor, mc, stage, action, justification, certification.snapshot(), unmet)
    record(
        actor,
        f"stage_{action}",
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "stage": stage.key, "unmet": unmet, "log": entry.id},
    )
    if stage.final:
        issue_cycle_certificate(mc, actor)
    return entry


def revoke(actor: User, mc: MunicipalCycle, stage_key: str, reason: str) -> list[StageLogEntry]:
    """Revoke an awarded stage and every later awarded stage of the cycle; returns the log entries."""
    from app.services.admin import record

    if not permissions.can_award_stage(actor):
        raise AwardError("forbidden")
    stage = _stage(stage_key)
    reason = _clean_reason(reason, "reason_required")
    certification = engine.evaluate(mc)
    status = certification.status_of(stage.key)
    if status is None or status.state != AWARDED:
        raise AwardError("not_awarded")
    snapshot = certification.snapshot()
    index = certification.stages.index(status)
    targets = [status] + [s for s in certification.stages[index + 1 :] if s.state == AWARDED]
    now = utcnow()
    entries: list[StageLogEntry] = []
    for target in targets:
        changed = db.session.execute(
            StageAward.__table__.update()
            .where(StageAward.__table__.c.id == target.award.id, StageAward.__table__.c.state == AWARDED)
            .values(state=REVOKED, revoked_at=now, revoked_by_id=actor.id, revocation_reason=reason)
        ).rowcount
        if changed != 1:
            raise AwardError("stale")
        db.session.expire(target.award)
        entries.append(
            _log(actor, mc, target.stage, LOG_REVOKE, reason, snapshot, cascade_of=entries[0] if entries else None)
        )
        if target.stage.final:
            revoke_cycle_certificate(mc, actor, reason)
    record(
        actor,
        "stage_revoke",
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "stages": [t.stage.key for t in targets], "log": entries[0].id},
    )
    return entries


# --------------------------------------------------------------------------- the cycle's certificate


def cycle_language(mc: MunicipalCycle) -> str:
    """The certificate's language: Portuguese for Brazilian municipalities, Spanish otherwise."""
    return "pt" if mc.municipality.country == "BR" else "es"


def cycle_certificate_claims(mc: MunicipalCycle, language: str | None = None) -> dict:
    """What the municipality's certificate for the cycle states (frozen at issue)."""
    from app.services.certificates import municipal_claims

    awards = db.session.execute(
        select(Stage.title, StageAward.awarded_at)
        .join(StageAward, StageAward.stage_id == Stage.id)
        .where(StageAward.municipal_cycle_id == mc.id, StageAward.state == AWARDED)
        .order_by(Stage.position)
    ).all()
    return municipal_claims(
        municipality=mc.municipality,
        cycle_name=mc.cycle.name,
        cycle_year=mc.cycle.year,
        stages=[(title, when.date().isoformat()) for title, when in awards],
        language=language or cycle_language(mc),
    )


def issue_cycle_certificate(mc: MunicipalCycle, actor: User):
    """Issue the municipality's certificate for the cycle, in the award's transaction (the final stage).

    The same verb as training certificates: public page, PDF with QR and fingerprint, signed Open Badges
    credential with a status-list entry. A stage awarded again after a revocation issues a new one.
    """
    from app.models.certification import KIND_MUNICIPAL
    from app.services.admin import record
    from app.services.certificates import issue_certificate

    language = cycle_language(mc)
    certificate = issue_certificate(
        kind=KIND_MUNICIPAL,
        claims=cycle_certificate_claims(mc, language),
        language=language,
        municipality_id=mc.municipality_id,
        issued_by=actor,
    )
    record(
        actor,
        "certificate_issued",
        municipality_id=mc.municipality_id,
        details={"code": certificate.code, "kind": KIND_MUNICIPAL, "cycle": mc.cycle.year},
    )
    return certificate


def revoke_cycle_certificate(mc: MunicipalCycle, actor: User, reason: str):
    """Revoke the municipality's certificate for the cycle when its final stage is revoked."""
    from app.services.certificates import municipal_certificate_of, revoke

    certificate = municipal_certificate_of(mc.municipality_id, mc.cycle.year)
    if certificate is not None and certificate.revoked_at is None:
        revoke(actor, certificate, reason)
    return certificate


def cycle_certificate_url(mc: MunicipalCycle) -> str | None:
    """The public verification address of the municipality's certificate for the cycle, if one was issued."""
    from flask import url_for

    from app.credentials.codes import grouped
    from app.services.certificates import municipal_certificate_of

    certificate = municipal_certificate_of(mc.municipality_id, mc.cycle.year)
    return url_for("verify.certificate", code=grouped(certificate.code)) if certificate else None


# --------------------------------------------------------------------------- the log


@dataclass
class LogFilter:
    """Filters of the log page and its export."""

    cycle_id: int | None = None
    municipality_id: int | None = None


def _log_query(filters: LogFilter):
    query = (
        select(StageLogEntry)
        .join(MunicipalCycle, MunicipalCycle.id == StageLogEntry.municipal_cycle_id)
        .options(selectinload(StageLogEntry.actor), selectinload(StageLogEntry.stage))
    )
    if filters.cycle_id:
        query = query.where(MunicipalCycle.cycle_id == filters.cycle_id)
    if filters.municipality_id:
        query = query.where(MunicipalCycle.municipality_id == filters.municipality_id)
    return query.order_by(StageLogEntry.created_at.desc(), StageLogEntry.id.desc())


def log_page(filters: LogFilter, page: int, per_page: int = 50):
    """One page of the log, newest first, with actors, stages and municipal cycles loaded."""
    return db.paginate(_log_query(filters), page=page, per_page=per_page, error_out=False)


def municipal_cycles_by_id(ids: list[int]) -> dict[int, MunicipalCycle]:
    """Municipal cycles (with cycle and municipality) by id, one query."""
    if not ids:
        return {}
    return {
        mc.id: mc for mc in db.session.scalars(select(MunicipalCycle).where(MunicipalCycle.id.in_(sorted(set(ids)))))
    }


def log_rows(filters: LogFilter) -> list[tuple[StageLogEntry, MunicipalCycle]]:
    """Every log entry matching the filters with its municipal cycle (for the export; two queries)."""
    entries = list(db.session.scalars(_log_query(filters)))
    mcs = municipal_cycles_by_id([e.municipal_cycle_id for e in entries])
    return [(e, mcs[e.municipal_cycle_id]) for e in entries]


def log_csv(
    rows: list[tuple[StageLogEntry, MunicipalCycle]], header: list[str], action_label, stage_title, requirement_text
) -> str:
    """The log as CSV text: one row per entry, the snapshot written out requirement by requirement."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for entry, mc in rows:
        writer.writerow(
            [
                entry.id,
                entry.created_at.isoformat(timespec="seconds"),
                mc.cycle.year,
                mc.municipality.name,
                stage_title(entry.stage),
                action_label(entry.action),
                entry.actor.name if entry.actor else "",
                entry.reason,
                "; ".join(entry.unmet or []),
                entry.cascade_of_id or "",
                requirement_text(entry.snapshot),
            ]
        )
    return buffer.getvalue()


def log_count() -> int:
    """Number of entries in the log."""
    return db.session.scalar(select(func.count(StageLogEntry.id))) or 0


# --------------------------------------------------------------------------- programme table


@dataclass
class ProgrammeRow:
    """One municipality in a cycle: the stage reached and where the next stage stands."""

    mc: MunicipalCycle
    certification: engine.Certification


def programme(cycle: Cycle, scope_ids: set[int] | None) -> list[ProgrammeRow]:
    """Every municipality in scope admitted to a cycle, with its stages (a constant number of queries)."""
    from app.services.scope import scope_clause

    mcs = list(
        db.session.scalars(
            select(MunicipalCycle)
            .join(Municipality, Municipality.id == MunicipalCycle.municipality_id)
            .where(MunicipalCycle.cycle_id == cycle.id, scope_clause(MunicipalCycle.municipality_id, scope_ids))
            .order_by(Municipality.name)
        )
    )
    evaluated = engine.evaluate_many(mcs)
    return [ProgrammeRow(mc, evaluated[mc.id]) for mc in mcs]


def people_by_id(ids: list[int]) -> dict[int, User]:
    """Accounts by id (who awarded or revoked), one query."""
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(sorted(set(ids)))))}


def stage_titles() -> dict[str, dict]:
    """Every stage's title by key, retired ones included (the log names stages that may have gone)."""
    return dict(db.session.execute(select(Stage.key, Stage.title)).all())
