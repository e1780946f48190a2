"""The learner's private workbook: each lesson's activity answered in writing, printable and downloadable.

Every view reads the signed-in person's own entries only; an entry of anyone else is "not found",
whatever the viewer's role.
"""

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.learning import bp
from app.learning.forms import WorkbookForm
from app.models import Lesson, Module, WorkbookEntry, utcnow
from app.services import permissions
from app.services import workbook as workbook_service

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _lesson_or_404(key: str, lesson_key: str) -> tuple[Module, Lesson]:
    """An active lesson with an activity, by module and lesson key."""
    row = db.session.execute(
        select(Module, Lesson)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.key == key, Module.active, Lesson.key == lesson_key, Lesson.active)
    ).first()
    if row is None or not row[1].has_activity:
        abort(404)
    return row[0], row[1]


def _private(response):
    """Workbook pages carry personal writing: never stored by a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/workbook")
@login_required
def workbook():
    """The whole workbook: every activity with the learner's answer (print it from the browser)."""
    sections = workbook_service.workbook(current_user.id)
    return _private(Response(render_template("learning/workbook.html", sections=sections, now=utcnow())))


@bp.route("/workbook/download")
@login_required
def workbook_download():
    """The whole workbook as a Markdown text file."""
    sections = workbook_service.workbook(current_user.id)
    text = workbook_service.as_markdown(
        current_user.name,
        sections,
        heading=_("Mi cuaderno de actividades"),
        exported=_("Descargado el %(date)s", date=format_date(utcnow(), "long")),
        no_answer=_("Todavía sin respuesta."),
        activity_label=_("Actividad"),
    )
    stem = _("cuaderno")
    filename = f"{stem}-{utcnow():%Y-%m-%d}.md"
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@bp.route("/workbook/entries/<int:entry_id>")
@login_required
def workbook_entry(entry_id: int):
    """One answer, printable; only its author can open it."""
    entry = db.session.get(WorkbookEntry, entry_id)
    if not permissions.can_read_workbook(current_user, entry):
        abort(404)
    lesson = db.session.get(Lesson, entry.lesson_id)
    module = db.session.get(Module, lesson.module_id)
    return _private(
        Response(render_template("learning/workbook_entry.html", entry=entry, lesson=lesson, module=module))
    )


@bp.route("/modules/<key>/lessons/<lesson_key>/workbook", methods=["GET", "POST"])
@login_required
def workbook_write(key: str, lesson_key: str):
    """Write the answer to a lesson's activity; the button saves (the page's script also autosaves)."""
    module, lesson = _lesson_or_404(key, lesson_key)
    entry = workbook_service.entry_for(current_user.id, lesson.id)
    form = WorkbookForm(data={"text": entry.text if entry else ""})
    if form.validate_on_submit():
        try:
            workbook_service.save_entry(current_user.id, lesson, form.text.data)
        except workbook_service.WorkbookError:
            db.session.rollback()
            form.text.errors.append(_("No se pudo guardar la respuesta."))
        else:
            db.session.commit()
            flash(_("Respuesta guardada en su cuaderno."), "success")
            return redirect(url_for("learning.workbook_write", key=key, lesson_key=lesson_key))
    return _private(
        Response(render_template("learning/workbook_write.html", module=module, lesson=lesson, entry=entry, form=form))
    )


@bp.route("/modules/<key>/lessons/<lesson_key>/workbook/autosave", methods=["POST"])
@login_required
def workbook_autosave(key: str, lesson_key: str):
    """The autosave script's endpoint: the form's fields; answers JSON."""
    module, lesson = _lesson_or_404(key, lesson_key)
    if request.mimetype not in FORM_TYPES:
        return jsonify(saved=False, error=_("Formato no admitido: envíe los campos del formulario.")), 415
    form = WorkbookForm()
    if not form.validate():
        return jsonify(saved=False, error=" ".join(form.text.errors) or _("No se pudo guardar la respuesta.")), 400
    try:
        entry = workbook_service.save_entry(current_user.id, lesson, form.text.data)
    except workbook_service.WorkbookError:
        db.session.rollback()
        return jsonify(saved=False, error=_("No se pudo guardar la respuesta.")), 400
    db.session.commit()
    return jsonify(saved=True, saved_at=entry.updated_at.isoformat())
