"""Certification pages: thin views over app.services.stages (the rules) and app.services.stage_awards (IOM's verbs).

Every view asks `app.services.permissions`: a municipality's page is for whoever may see its cycle (an
out-of-scope one answers 404, revealing nothing); the programme table for staff in scope; awards,
revocations and the log for IOM officers only.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.i18n import tr
from app.models import Cycle, Municipality, MunicipalCycle, utcnow
from app.models.stages import LOG_AWARD, LOG_OVERRIDE, LOG_REVOKE
from app.services import cycles as cycle_service
from app.services import permissions
from app.services import stage_awards as award_service
from app.services import stages as stage_service
from app.services.scope import visible_municipality_ids
from app.stages import bp
from app.stages.forms import AwardForm, CycleChoiceForm, LogFilterForm, RevokeForm

ERRORS = {
    "forbidden": lambda: _("Solo una persona de la OIM puede otorgar o revocar etapas."),
    "stage": lambda: _("Esa etapa no existe."),
    "already_awarded": lambda: _("Esta etapa ya está otorgada (quizás otra persona la otorgó recién)."),
    "order": lambda: _("Las etapas se otorgan en orden: primero hay que otorgar la etapa anterior."),
    "justification_required": lambda: _(
        "Faltan requisitos: para otorgar la etapa por excepción escriba una justificación de al menos 20 caracteres."
    ),
    "unmet_not_named": lambda: _(
        "Marque cada uno de los requisitos sin cumplir: la excepción debe nombrarlos a todos. Si la lista cambió, revísela."
    ),
    "too_long": lambda: _("El texto admite hasta 4.000 caracteres."),
    "reason_required": lambda: _("Escriba el motivo de la revocación (al menos 20 caracteres)."),
    "not_awarded": lambda: _("Esta etapa no está otorgada: no hay nada que revocar."),
    "stale": lambda: _("Otra persona cambió las etapas mientras tanto. Revise la página y vuelva a intentarlo."),
}
# Which field of the form carries each error (the error summary links to it).
ERROR_FIELD = {
    "justification_required": "justification",
    "unmet_not_named": "acknowledged",
    "too_long": "justification",
    "reason_required": "reason",
}


def state_label(state: str) -> str:
    """A stage state in words."""
    return {
        stage_service.LOCKED: _("Bloqueada"),
        stage_service.IN_PROGRESS: _("En curso"),
        stage_service.ELIGIBLE: _("Lista para otorgar"),
        "awarded": _("Otorgada"),
        "revoked": _("Revocada"),
    }.get(state, state)


def action_label(action: str) -> str:
    """A log action in words."""
    return {
        LOG_AWARD: _("Otorgamiento"),
        LOG_OVERRIDE: _("Otorgamiento por excepción"),
        LOG_REVOKE: _("Revocación"),
    }.get(action, action)


def _mc_or_404(mc_id: int) -> MunicipalCycle:
    mc = db.session.get(MunicipalCycle, mc_id)
    if mc is None or not permissions.can_view_certification(current_user, mc):
        abort(404)
    return mc


def _forms(certification, failed=None) -> dict:
    """An award or revoke form for each stage an IOM officer may act on now (the failed one kept as sent)."""
    if not permissions.can_award_stage(current_user):
        return {}
    forms, previous_awarded = {}, True
    for status in certification.stages:
        key = status.stage.key
        if failed is not None and failed[0] == key:
            forms[key] = failed[1]
        elif status.state == "awarded":
            forms[key] = RevokeForm(prefix=f"revoke-{key}", formdata=None)
        elif previous_awarded:
            forms[key] = AwardForm(prefix=f"award-{key}", formdata=None)
        if isinstance(forms.get(key), AwardForm):
            forms[key].acknowledged.choices = [(r.kind, r.label) for r in status.unmet]
        previous_awarded = status.state == "awarded"
    return forms


def _render(mc: MunicipalCycle, failed=None, status_code: int = 200):
    certification = stage_service.evaluate(mc)
    people = award_service.people_by_id(
        [i for s in certification.stages if s.award for i in (s.award.awarded_by_id, s.award.revoked_by_id) if i]
    )
    return render_template(
        "stages/page.html",
        mc=mc,
        certification=certification,
        forms=_forms(certification, failed),
        failed_form=failed[1] if failed else None,
        state_label=state_label,
        people=people,
        certificate_url=award_service.cycle_certificate_url(mc) if certification.certified else None,
    ), status_code


@bp.route("/municipal/<int:mc_id>")
@login_required
def page(mc_id: int):
    """A municipality's certification in a cycle: every stage, every requirement and what is missing."""
    return _render(_mc_or_404(mc_id))


def _apply_error(form, error: award_service.AwardError) -> None:
    message = ERRORS.get(error.code, lambda: _("No se pudo completar la acción."))()
    name = ERROR_FIELD.get(error.code)
    if name == "justification" and isinstance(form, RevokeForm):
        name = "reason"
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [message]
    else:
        flash(message, "error")


@bp.route("/municipal/<int:mc_id>/stages/<stage_key>/award", methods=["POST"])
@login_required
def award(mc_id: int, stage_key: str):
    """IOM awards a stage (by override, with a justification naming every unmet requirement, when needed)."""
    mc = _mc_or_404(mc_id)
    if not permissions.can_award_stage(current_user):
        abort(403)
    form = AwardForm(prefix=f"award-{stage_key}")
    form.acknowledged.choices = []
    if not form.validate_on_submit():
        return _render(mc, (stage_key, form), 400)
    try:
        entry = award_service.award(
            current_user,
            mc,
            stage_key,
            justification=form.justification.data or "",
            acknowledged=form.acknowledged.data or [],
        )
        db.session.commit()
    except award_service.AwardError as error:
        db.session.rollback()
        mc = _mc_or_404(mc_id)
        _apply_error(form, error)
        return _render(mc, (stage_key, form), 409 if error.code in ("already_awarded", "stale") else 400)
    flash(
        _("Etapa otorgada por excepción: la justificación quedó en el registro.")
        if entry.action == LOG_OVERRIDE
        else _("Etapa otorgada."),
        "success",
    )
    return redirect(url_for("stages.page", mc_id=mc.id))


@bp.route("/municipal/<int:mc_id>/stages/<stage_key>/revoke", methods=["POST"])
@login_required
def revoke(mc_id: int, stage_key: str):
    """IOM revokes a stage, with a reason; later awarded stages are revoked too."""
    mc = _mc_or_404(mc_id)
    if not permissions.can_award_stage(current_user):
        abort(403)
    form = RevokeForm(prefix=f"revoke-{stage_key}")
    if not form.validate_on_submit():
        return _render(mc, (stage_key, form), 400)
    try:
        entries = award_service.revoke(current_user, mc, stage_key, form.reason.data or "")
        db.session.commit()
    except award_service.AwardError as error:
        db.session.rollback()
        mc = _mc_or_404(mc_id)
        _apply_error(form, error)
        return _render(mc, (stage_key, form), 409 if error.code == "stale" else 400)
    flash(ngettext_revoked(len(entries)), "success")
    return redirect(url_for("stages.page", mc_id=mc.id))


def ngettext_revoked(n: int) -> str:
    from flask_babel import ngettext

    return ngettext("Etapa revocada.", "Se revocaron %(num)d etapas: la elegida y las posteriores.", n)


# --------------------------------------------------------------------------- programme table


def _cycle_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.session.scalars(select(Cycle).order_by(Cycle.year.desc()))]


@bp.route("/")
@login_required
def programme():
    """The stage reached by each municipality in scope in a cycle (states, never scores side by side)."""
    if not permissions.can_view_stage_programme(current_user):
        abort(403)
    form = CycleChoiceForm(request.args)
    form.cycle.choices = _cycle_choices()
    cycle = None
    if request.args.get("cycle"):
        cycle = db.session.get(Cycle, request.args.get("cycle", type=int) or 0)
        if cycle is None:
            abort(404)
    cycle = cycle or cycle_service.current_cycle()
    if cycle is not None:
        form.cycle.data = cycle.id
    rows = award_service.programme(cycle, visible_municipality_ids(current_user)) if cycle else []
    stages = stage_service.active_stages()
    return render_template(
        "stages/programme.html", form=form, cycle=cycle, rows=rows, stages=stages, state_label=state_label
    )


# --------------------------------------------------------------------------- the log


def _log_filters(form: LogFilterForm) -> award_service.LogFilter:
    form.cycle.choices = [(0, _("Todos"))] + _cycle_choices()
    form.municipality.choices = [(0, _("Todos"))] + [
        (m.id, m.name) for m in db.session.scalars(select(Municipality).order_by(Municipality.name))
    ]
    cycle_id = request.args.get("cycle", 0, type=int)
    municipality_id = request.args.get("municipality", 0, type=int)
    form.cycle.data, form.municipality.data = cycle_id, municipality_id
    return award_service.LogFilter(cycle_id or None, municipality_id or None)


def _snapshot_text(snapshot: dict) -> str:
    parts = []
    for stage in (snapshot or {}).get("stages", []):
        for req in stage.get("requirements", []):
            parts.append(
                f"{stage.get('key')}/{req.get('kind')}: {json.dumps(req.get('value'), ensure_ascii=False)} "
                f"-> {json.dumps(req.get('target'), ensure_ascii=False)} "
                f"({_('cumple') if req.get('met') else _('no cumple')})"
            )
    return " | ".join(parts)


@bp.route("/log")
@login_required
def log():
    """Every award, override and revocation, newest first, with its snapshot; CSV export (IOM officers)."""
    if not permissions.can_read_stage_log(current_user):
        abort(403)
    form = LogFilterForm(request.args)
    filters = _log_filters(form)
    if request.args.get("format") == "csv":
        header = [
            _("N.º"),
            _("Fecha y hora (UTC)"),
            _("Ciclo"),
            _("Municipio"),
            _("Etapa"),
            _("Acción"),
            _("Por"),
            _("Justificación o motivo"),
            _("Requisitos sin cumplir"),
            _("Revocación derivada de"),
            _("Requisitos en ese momento"),
        ]
        body = award_service.log_csv(
            award_service.log_rows(filters), header, action_label, lambda stage: tr(stage.title), _snapshot_text
        )
        return Response(
            body,
            mimetype="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="migraciudades-registro-certificacion-{utcnow():%Y%m%d}.csv"'
            },
        )
    page_obj = award_service.log_page(filters, request.args.get("page", 1, type=int))
    mcs = award_service.municipal_cycles_by_id([e.municipal_cycle_id for e in page_obj.items])
    return render_template(
        "stages/log.html",
        form=form,
        page=page_obj,
        mcs=mcs,
        action_label=action_label,
        kind_label=stage_service.kind_label,
        stage_titles=award_service.stage_titles(),
    )
