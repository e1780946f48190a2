"""The municipality's application (adhesion) for a cycle and the mayor's letter of intent.

The letter is accepted only when its bytes are a readable PDF (checked by content, not by the file's
name), no larger than the configured limit. It is stored outside the web root under a random name and
served only to people who may see the municipality's cycle, as an attachment.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.extensions import db
from app.models import Application, MunicipalCycle, User, utcnow
from app.models.municipal import SUBJECT_APPLICATION, SUBMITTED
from app.services import review

PDF_MAGIC = b"%PDF-"


class ApplicationError(Exception):
    """An application change that is not allowed; `code` names the reason."""

    def __init__(self, code: str, missing: list[str] | None = None):
        super().__init__(code)
        self.code = code
        self.missing = missing or []


@dataclass(frozen=True)
class ProfileData:
    """What the focal point fills in (everything but the letter)."""

    population: int | None
    migrant_population: int | None
    main_origins: str
    has_migration_office: bool | None
    migration_office_details: str
    measures: dict[str, str]
    contact_name: str
    contact_email: str
    contact_phone: str


def application_of(mc: MunicipalCycle) -> Application | None:
    """The application of a municipality's cycle, if one was started."""
    return review.record_of(Application, mc)


def get_or_start(mc: MunicipalCycle) -> Application:
    """The application of a municipality's cycle, starting a draft the first time (safe under races)."""
    return review.start_record(Application, mc)


def save_profile(actor: User, mc: MunicipalCycle, data: ProfileData) -> Application:
    """Save the draft (allowed while it is a draft or returned for changes)."""
    app_row = get_or_start(mc)
    if not review.editable(app_row.state):
        raise ApplicationError("locked")
    app_row.population = data.population
    app_row.migrant_population = data.migrant_population
    app_row.main_origins = data.main_origins.strip()
    app_row.has_migration_office = data.has_migration_office
    app_row.migration_office_details = data.migration_office_details.strip()
    app_row.measures = {k: v.strip() for k, v in data.measures.items() if v and v.strip()}
    app_row.contact_name = data.contact_name.strip()
    app_row.contact_email = data.contact_email.strip()
    app_row.contact_phone = data.contact_phone.strip()
    app_row.updated_at = utcnow()
    app_row.updated_by_id = actor.id
    db.session.flush()
    return app_row


def is_pdf(content: bytes) -> bool:
    """True when the bytes are a PDF a reader can open (header within the first kilobyte, parsable, pages)."""
    if PDF_MAGIC not in content[:1024]:
        return False
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content), strict=False)
        return len(reader.pages) > 0
    except Exception:  # noqa: BLE001 (pypdf raises many kinds of error on a broken file: all mean "not a PDF")
        return False


def upload_dir() -> Path:
    """Where uploaded files live: outside the web root (configurable)."""
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_letter(actor: User, mc: MunicipalCycle, filename: str, content: bytes) -> Application:
    """Store the mayor's letter of intent (PDF only, size-limited); replaces any earlier letter."""
    app_row = get_or_start(mc)
    if not review.editable(app_row.state):
        raise ApplicationError("locked")
    limit = int(current_app.config["LETTER_MAX_BYTES"])
    if not content:
        raise ApplicationError("letter_empty")
    if len(content) > limit:
        raise ApplicationError("letter_too_large")
    if not is_pdf(content):
        raise ApplicationError("letter_not_pdf")
    stored = secrets.token_hex(16) + ".pdf"
    (upload_dir() / stored).write_bytes(content)
    previous = app_row.letter_stored_name
    app_row.letter_stored_name = stored
    app_row.letter_filename = (Path(filename or "").name or "carta.pdf")[:200]
    app_row.letter_size = len(content)
    app_row.letter_sha256 = hashlib.sha256(content).hexdigest()
    app_row.letter_uploaded_at = utcnow()
    app_row.letter_uploaded_by_id = actor.id
    db.session.flush()
    if previous:
        # The old file stays until the transaction commits; it is removed by `remove_replaced_letter`.
        app_row.__dict__["_replaced_letter"] = previous
    from app.services.admin import record

    record(
        actor,
        "letter_uploaded",
        municipality_id=mc.municipality_id,
        details={"cycle": mc.cycle.year, "sha256": app_row.letter_sha256, "size": len(content)},
    )
    return app_row


def remove_replaced_letter(app_row: Application) -> None:
    """After commit: delete the file of a letter that was replaced."""
    previous = app_row.__dict__.pop("_replaced_letter", None)
    if previous:
        (upload_dir() / previous).unlink(missing_ok=True)


def letter_path(app_row: Application) -> Path | None:
    """The stored letter's path, when there is one and it exists."""
    if not app_row or not app_row.letter_stored_name:
        return None
    path = upload_dir() / app_row.letter_stored_name
    return path if path.is_file() else None


def missing_items(app_row: Application | None) -> list[str]:
    """What still prevents submitting the application (codes the page explains)."""
    if app_row is None:
        return ["population", "migrant_population", "main_origins", "has_migration_office", "contact", "letter"]
    missing = []
    if not app_row.population:
        missing.append("population")
    if app_row.migrant_population is None:
        missing.append("migrant_population")
    if not app_row.main_origins:
        missing.append("main_origins")
    if app_row.has_migration_office is None:
        missing.append("has_migration_office")
    if not (app_row.contact_name and app_row.contact_email):
        missing.append("contact")
    if not app_row.letter_stored_name:
        missing.append("letter")
    return missing


def submit(actor: User, mc: MunicipalCycle) -> Application:
    """Submit the application for IOM's review (only when nothing is missing)."""
    app_row = get_or_start(mc)
    missing = missing_items(app_row)
    if missing:
        raise ApplicationError("incomplete", missing)
    review.transition(actor, mc, SUBJECT_APPLICATION, app_row, SUBMITTED)
    return app_row


def decide(actor: User, mc: MunicipalCycle, accept: bool, comment: str) -> Application:
    """IOM accepts the application, or returns it with comments."""
    app_row = application_of(mc)
    if app_row is None:
        raise ApplicationError("missing")
    target = review.FINAL_STATE[SUBJECT_APPLICATION] if accept else "returned"
    review.transition(actor, mc, SUBJECT_APPLICATION, app_row, target, comment=comment)
    return app_row
