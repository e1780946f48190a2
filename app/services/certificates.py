"""Certificates: issuing, revoking and re-issuing, and finding one by its code.

`issue_certificate(kind=..., claims=..., ...)` is the one verb that makes a certificate of any kind:
it draws the code and a status-list index, renders the PDF, signs the Open Badges credential and
stores both (the PDF in the database, so every download returns the same bytes). The training
certificate is one caller (`issue_training_if_complete`); the municipal certification is another.

Claims are data frozen at issue, in the certificate's language. Every kind gives:
- `title`, `heading` (the programme line), `subject` (the name printed large: a person or a
  municipality), `statement` (one sentence) and `lines` (a list of strings: modules, stages...);
- `issuer`: {"name": ...};
- `achievement`: {"key", "name", "description", "criteria", "hours" (or None)}: the OB 3.0
  Achievement, published at /credentials/achievements/<key>;
- optionally `results` ([{"key", "name", "value"}], percentages), `holder` ({"name", "area"}),
  `municipality` ({"id", "name", "province"}) and any data of its own (the training certificate
  keeps `modules` and `total_hours`; the municipal one would keep `cycle` and `stages`).

Services flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, select

from app.credentials import codes, keys, ob3
from app.credentials import pdf as pdf_renderer
from app.credentials import statuslist
from app.extensions import db
from app.i18n import SOURCE_LANGUAGE, tr
from app.models import Area, Certificate, Module, Municipality, StatusList, User, utcnow
from app.models.certification import KIND_MUNICIPAL, KIND_TRAINING, certificate_status
from app.services import compiled
from app.services import progress as progress_service
from app.services.admin import record

TRAINING_ACHIEVEMENT = "training"
MUNICIPAL_ACHIEVEMENT = "municipal-certification"
DEFAULT_LIST = "1"


class CertificateError(Exception):
    """A certificate action that cannot be done; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --------------------------------------------------------------------------- configuration


def signing_key() -> keys.SigningKey:
    """The configured Ed25519 key (read once per app); raises keys.KeyNotConfigured without one."""
    cached = current_app.extensions.get("credential_signing_key")
    if cached is None:
        cached = keys.from_config(current_app.config, current_app.instance_path)
        current_app.extensions["credential_signing_key"] = cached
    return cached


def base_url() -> str:
    """The platform's public address (PUBLIC_BASE_URL), without a trailing slash."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def verify_url(code: str) -> str:
    """The absolute address of a certificate's public verification page (printed in the QR code)."""
    return f"{base_url()}/verify/{codes.grouped(code)}"


def status_list_url(key: str) -> str:
    """The absolute address of a revocation list."""
    return f"{base_url()}/status/revocation/{key}"


def issuer_name(language: str) -> str:
    """The issuer's name in a language."""
    with force_locale(language):
        return _("Organización Internacional para las Migraciones (OIM), programa MigraCiudades")


# --------------------------------------------------------------------------- the training certificate


def eligible(user: User, progress: list) -> bool:
    """Whether a person may receive the training certificate now: the one place for this rule.

    An active account whose email address is confirmed (app.services.accounts.email_verified) and that
    meets the training rule (app.services.completion).
    """
    from app.services.accounts import email_verified

    return bool(user.active) and email_verified(user) and progress_service.training_complete(progress)


def training_achievement(language: str, total_hours: int | None) -> dict:
    """The training achievement's description in a language."""
    with force_locale(language):
        return {
            "key": TRAINING_ACHIEVEMENT,
            "name": _("Capacitación en gobernanza migratoria local (MigraCiudades)"),
            "description": _(
                "Capacitación para personal municipal sobre gobernanza migratoria local: acceso "
                "a derechos de las personas migrantes, integración y formulación de políticas "
                "públicas, en cuatro módulos."
            ),
            "criteria": _(
                "Completar todas las lecciones de cada módulo y aprobar la evaluación de cada "
                "módulo con el puntaje mínimo fijado (%(mark)s %% por defecto).",
                mark=70,
            ),
            "hours": total_hours,
        }


def training_claims(user: User, progress: list, language: str) -> dict:
    """What a training certificate says, frozen now, in the holder's language."""
    municipality = db.session.get(Municipality, user.municipality_id) if user.municipality_id else None
    area = db.session.get(Area, user.area_id) if user.area_id else None
    counted = [p for p in progress if p.counts]
    total_hours = sum(p.module.hours or 0 for p in counted)
    modules = [
        {
            "key": p.module.key,
            "position": p.module.position,
            "title": tr(p.module.title, language),
            "hours": p.module.hours or 0,
            "best_score": p.best_score,
        }
        for p in counted
    ]
    with force_locale(language):
        lines = []
        for m in modules:
            if m["best_score"] is None:
                lines.append(_("%(title)s: %(hours)s horas", title=m["title"], hours=m["hours"]))
            else:
                lines.append(
                    _(
                        "%(title)s: %(hours)s horas; mejor puntaje %(score)s %%",
                        title=m["title"],
                        hours=m["hours"],
                        score=f"{m['best_score']:.0f}",
                    )
                )
        where = ""
        if municipality:
            where = _(
                ", de %(municipality)s (%(province)s),", municipality=municipality.name, province=municipality.province
            )
        claims = {
            "heading": _("Programa MigraCiudades · Organización Internacional para las Migraciones (OIM)"),
            "title": _("Certificado de capacitación"),
            "subject": user.name,
            "statement": _(
                "%(name)s%(where)s completó la capacitación en gobernanza migratoria local, "
                "%(hours)s horas en total, con los módulos siguientes:",
                name=user.name,
                where=where,
                hours=total_hours,
            ),
            "lines": lines,
        }
    claims.update(
        {
            "holder": {"name": user.name, "area": tr(area.name, language) if area else None},
            "municipality": (
                {"id": municipality.id, "name": municipality.name, "province": municipality.province}
                if municipality
                else None
            ),
            "modules": modules,
            "total_hours": total_hours,
            "issuer": {"name": issuer_name(language)},
            "achievement": training_achievement(language, total_hours),
            "results": [
                {"key": m["key"], "name": _module_result_name(m, language), "value": m["best_score"]}
                for m in modules
                if m["best_score"] is not None
            ],
        }
    )
    return claims


def municipal_achievement(language: str) -> dict:
    """The municipal certification's description in a language."""
    with force_locale(language):
        return {
            "key": MUNICIPAL_ACHIEVEMENT,
            "name": _("Certificación MigraCiudades de gobierno local"),
            "description": _(
                "Certificación anual de la OIM a municipios que fortalecen su gobernanza migratoria: "
                "capacitación del personal, diagnóstico multidimensional, taller de diagnóstico y "
                "plan de trabajo con prioridades y monitoreo."
            ),
            "criteria": _(
                "Completar en el ciclo anual cada etapa de la certificación (adhesión, capacitación, "
                "diagnóstico, taller de diagnóstico, priorización y plan de trabajo), cada una otorgada "
                "por la OIM según los requisitos publicados."
            ),
            "hours": None,
        }


def municipal_claims(
    *, municipality: Municipality, cycle_name: str, cycle_year: int, stages: list[tuple[dict, str]], language: str
) -> dict:
    """What a municipality's certificate for a cycle says: the stages awarded, frozen now, in a language."""
    with force_locale(language):
        lines = [
            _(
                "%(stage)s: otorgada el %(date)s",
                stage=tr(title, language),
                date=format_date(date.fromisoformat(awarded_on), "long"),
            )
            for title, awarded_on in stages
        ]
        claims = {
            "heading": _("Programa MigraCiudades · Organización Internacional para las Migraciones (OIM)"),
            "title": f"MigraCiudades {cycle_year}",
            "subject": municipality.name,
            "statement": _(
                "El municipio de %(name)s (%(province)s) completó todas las etapas del ciclo de "
                "certificación %(year)s:",
                name=municipality.name,
                province=municipality.province,
                year=cycle_year,
            ),
            "lines": lines,
        }
    claims.update(
        {
            "municipality": {"id": municipality.id, "name": municipality.name, "province": municipality.province},
            "cycle": {"year": cycle_year, "name": cycle_name},
            "stages": [{"title": tr(title, language), "awarded_on": awarded_on} for title, awarded_on in stages],
            "issuer": {"name": issuer_name(language)},
            "achievement": municipal_achievement(language),
        }
    )
    return claims


def municipal_certificate_of(municipality_id: int, cycle_year: int) -> Certificate | None:
    """The municipality's current (not superseded) certificate for a cycle, revoked or not."""
    rows = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.kind == KIND_MUNICIPAL,
            Certificate.municipality_id == municipality_id,
            Certificate.superseded_by_id.is_(None),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    return next((c for c in rows if (c.claims.get("cycle") or {}).get("year") == cycle_year), None)


def _module_result_name(module: dict, language: str) -> str:
    with force_locale(language):
        return _("Mejor puntaje: %(title)s (%(hours)s horas)", title=module["title"], hours=module["hours"])


def _current_training(query, holder_id):
    """`query` narrowed to the person's current training certificate: the newest not superseded."""
    return (
        query.where(
            Certificate.kind == KIND_TRAINING,
            Certificate.holder_id == holder_id,
            Certificate.superseded_by_id.is_(None),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )


def training_certificate_of(user_id: int) -> Certificate | None:
    """The person's current training certificate (the newest not superseded), if any."""
    return db.session.scalar(_current_training(select(Certificate), user_id))


@dataclass(frozen=True)
class CertificateShown:
    """What the learner's progress page shows of their certificate (not its PDF or credential)."""

    code: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None
    superseded_by_id: int | None

    @property
    def status(self) -> str:
        return certificate_status(self.revoked_at, self.superseded_by_id)


def _shown_statement():
    columns = [getattr(Certificate, name) for name in CertificateShown.__dataclass_fields__]
    return _current_training(select(*columns), bindparam("holder_id", type_=Integer))


def training_certificate_shown(user_id: int) -> CertificateShown | None:
    """`training_certificate_of` as the learner's progress page shows it, read compiled once
    (app.services.compiled) and without the PDF and credential the certificate carries."""
    row = compiled.execute(_shown_statement, {"holder_id": user_id}).first()
    return CertificateShown(*row) if row is not None else None


def has_training_certificate(user_id: int) -> bool:
    """Whether a training certificate was ever issued to the person (revoked or superseded included)."""
    return (
        db.session.scalar(
            select(Certificate.id).where(Certificate.kind == KIND_TRAINING, Certificate.holder_id == user_id).limit(1)
        )
        is not None
    )


def issue_training_if_complete(user: User, now: datetime | None = None) -> Certificate | None:
    """Issue the training certificate the moment the rule is met; never a second one."""
    # Lock the person's row (PostgreSQL) so that two requests completing at once cannot both issue.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if has_training_certificate(user.id):
        return None
    progress = progress_service.learner_progress(user.id)
    if not eligible(user, progress):
        return None
    language = user.locale if user.locale in current_app.config["LANGUAGES"] else SOURCE_LANGUAGE
    certificate = issue_certificate(
        kind=KIND_TRAINING,
        claims=training_claims(user, progress, language),
        language=language,
        holder=user,
        municipality_id=user.municipality_id,
        now=now,
    )
    # The learner's own request completed the training and so issued the certificate.
    record(user, "certificate_issued", target=user, details={"code": certificate.code, "kind": KIND_TRAINING})
    return certificate


# --------------------------------------------------------------------------- any certificate


def _new_code() -> str:
    while True:
        code = codes.new_code()
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code


def _status_list(key: str = DEFAULT_LIST) -> StatusList:
    row = db.session.scalar(select(StatusList).where(StatusList.key == key))
    if row is None:
        row = StatusList(key=key, purpose=statuslist.PURPOSE_REVOCATION, size=statuslist.MIN_ENTRIES)
        db.session.add(row)
        db.session.flush()
    return row


def _free_index(row: StatusList) -> int:
    """A random unused index of the list (random so that the index says nothing about issue order)."""
    used = set(db.session.scalars(select(Certificate.status_index).where(Certificate.status_list == row.key)))
    if len(used) >= row.size // 2:
        raise CertificateError("status_list_full")
    while True:
        index = secrets.randbelow(row.size)
        if index not in used:
            return index


def document_for(certificate_claims: dict, language: str, code: str, issued_at: datetime) -> pdf_renderer.Document:
    """What the PDF prints, from a certificate's claims (any kind), in its language."""
    claims = certificate_claims
    with force_locale(language):
        details = [
            _("Fecha de emisión: %(date)s", date=format_date(issued_at, "long")),
            _("Emitido por: %(issuer)s", issuer=claims["issuer"]["name"]),
            _("Código de verificación: %(code)s", code=codes.grouped(code)),
        ]
        hint = _("Compruebe la validez de este certificado escaneando el código QR o en:")
        keywords = _("certificado, MigraCiudades, OIM, gobernanza migratoria")
    return pdf_renderer.Document(
        language=language,
        heading=claims["heading"],
        title=claims["title"],
        subject=claims["subject"],
        statement=claims["statement"],
        lines=list(claims.get("lines", [])),
        details=details,
        verify_url=verify_url(code),
        verify_hint=hint,
        author=claims["issuer"]["name"],
        keywords=keywords,
        created_at=issued_at,
    )


def issue_certificate(
    *,
    kind: str,
    claims: dict,
    language: str,
    holder: User | None = None,
    municipality_id: int | None = None,
    issued_by: User | None = None,
    now: datetime | None = None,
) -> Certificate:
    """Issue a certificate of any kind from frozen claims: code, PDF, signed credential, status index.

    Raises keys.KeyNotConfigured when no signing key is configured (production never issues unsigned).
    """
    key = signing_key()
    now = (now or utcnow()).replace(microsecond=0)
    code = _new_code()
    status_row = _status_list()
    index = _free_index(status_row)
    salt = secrets.token_hex(16)
    credential = ob3.signed_credential(
        key,
        now,
        base_url=base_url(),
        code=code,
        claims=claims,
        language=language,
        issuer_name=claims["issuer"]["name"],
        status=statuslist.entry(status_list_url(status_row.key), index),
        email=holder.email if holder else None,
        salt=salt if holder else None,
    )
    pdf_bytes = pdf_renderer.render(document_for(claims, language, code, now))
    certificate = Certificate(
        kind=kind,
        code=code,
        holder_id=holder.id if holder else None,
        municipality_id=municipality_id,
        claims=claims,
        language=language,
        pdf=pdf_bytes,
        pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
        credential=credential,
        status_list=status_row.key,
        status_index=index,
        issued_at=now,
        issued_by_id=issued_by.id if issued_by else None,
    )
    db.session.add(certificate)
    db.session.flush()
    if status_row.credential is None:
        rebuild_status_list(status_row.key, now)
    return certificate


def find_by_code(text: str) -> Certificate | None:
    """The certificate with a typed code (any case, with or without dashes), or None."""
    code = codes.normalise(text or "")
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def revoke(actor: User, certificate: Certificate, reason: str, now: datetime | None = None) -> None:
    """Revoke a certificate for good: the verify page, the status list and the audit log show it."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required")
    if certificate.revoked_at is not None:
        raise CertificateError("already_revoked")
    now = now or utcnow()
    certificate.revoked_at = now
    certificate.revoked_reason = reason
    certificate.revoked_by_id = actor.id
    db.session.flush()
    rebuild_status_list(certificate.status_list, now)
    record(
        actor,
        "certificate_revoked",
        target=_holder(certificate),
        municipality_id=certificate.municipality_id,
        details={"code": certificate.code, "kind": certificate.kind, "reason": reason},
    )


def reissue(
    actor: User, certificate: Certificate, *, name: str, reason: str, now: datetime | None = None
) -> Certificate:
    """Issue a corrected copy (the holder's name as given) and mark the old one superseded, not deleted."""
    name, reason = (name or "").strip(), (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required")
    if not name:
        raise CertificateError("name_required")
    if certificate.superseded_by_id is not None:
        raise CertificateError("already_superseded")
    holder = _holder(certificate)
    claims = rename_claims(
        certificate.claims, certificate.claims.get("holder", {}).get("name"), name, certificate.language
    )
    new = issue_certificate(
        kind=certificate.kind,
        claims=claims,
        language=certificate.language,
        holder=holder,
        municipality_id=certificate.municipality_id,
        issued_by=actor,
        now=now,
    )
    certificate.superseded_by_id = new.id
    db.session.flush()
    record(
        actor,
        "certificate_reissued",
        target=holder,
        municipality_id=certificate.municipality_id,
        details={
            "code": certificate.code,
            "new_code": new.code,
            "kind": certificate.kind,
            "reason": reason,
            "name": [claims_name(certificate.claims), name],
        },
    )
    return new


def claims_name(claims: dict) -> str | None:
    """The holder's name in a certificate's claims."""
    return (claims.get("holder") or {}).get("name")


def rename_claims(claims: dict, old: str | None, new: str, language: str) -> dict:
    """A copy of the claims with the holder's name replaced everywhere it is printed."""
    copy = dict(claims)
    copy["holder"] = {**(claims.get("holder") or {}), "name": new}
    if claims.get("subject") == old:
        copy["subject"] = new
    if old and claims.get("statement"):
        copy["statement"] = claims["statement"].replace(old, new, 1)
    return copy


def _holder(certificate: Certificate) -> User | None:
    return db.session.get(User, certificate.holder_id) if certificate.holder_id else None


# --------------------------------------------------------------------------- status lists


def rebuild_status_list(key: str, now: datetime | None = None) -> StatusList:
    """Re-sign a revocation list with every revoked certificate's bit set (two queries and a signature)."""
    now = now or utcnow()
    row = _status_list(key)
    revoked = db.session.scalars(
        select(Certificate.status_index).where(Certificate.status_list == key, Certificate.revoked_at.is_not(None))
    ).all()
    row.credential = statuslist.status_list_credential(
        status_list_url(key),
        ob3.issuer_id(base_url()),
        revoked,
        signing_key(),
        now,
        row.size,
    )
    row.updated_at = now
    db.session.flush()
    return row


def status_list_document(key: str) -> dict | None:
    """The signed status list credential, as last built; None for an unknown list."""
    row = db.session.scalar(select(StatusList).where(StatusList.key == key))
    return row.credential if row else None


def superseding(certificate: Certificate) -> Certificate | None:
    """The certificate that replaced this one, if any."""
    return db.session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None


def achievement_spec(key: str, language: str) -> tuple[dict, list[dict]] | None:
    """The current definition of a published achievement (for its https id); None if unknown."""
    if key == MUNICIPAL_ACHIEVEMENT:
        return municipal_achievement(language), []
    if key != TRAINING_ACHIEVEMENT:
        return None
    modules = list(db.session.scalars(select(Module).where(Module.active).order_by(Module.position)))
    total = sum(m.hours or 0 for m in modules)
    results = [
        {"key": m.key, "name": _module_result_name({"title": tr(m.title, language), "hours": m.hours or 0}, language)}
        for m in modules
    ]
    return training_achievement(language, total), results
