"""Diagnostic, workshops and work plan pages: thin views over their services.

Every view finds the municipality's cycle through `_mc_or_404` (scope and designation checked by
`app.services.permissions`); changes need `can_edit_cycle_records` (the focal point or substitute,
open cycle) and decisions `can_review` (IOM officers).
"""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.diagnostic import bp
from app.diagnostic.forms import ActionForm, DecisionForm, PriorityForm, ProgressForm, WorkshopForm
from app.extensions import db
from app.i18n import tr
from app.models import Area, DiagnosticDimension, MunicipalCycle, PlanAction, Priority, User
from app.models.municipal import SUBJECT_DIAGNOSTIC, SUBJECT_PLAN, SUBMITTED
from app.models.people import GENDERS, ROLE_OFFICIAL
from app.services import diagnostic as diagnostic_service
from app.services import gender as gender_service
from app.services import permissions, review
from app.services import workplan as plan_service
from app.services import workshops as workshop_service
from app.services.cycles import today

MESSAGES = {
    "locked": lambda: _(
        "Este registro ya fue enviado: no se puede cambiar mientras está en revisión o después de aprobado."
    ),
    "indicator": lambda: _("Uno de los indicadores no existe."),
    "level": lambda: _("Elija ausente, parcialmente presente o plenamente presente."),
    "note": lambda: _("La nota de evidencia es demasiado larga (máximo 4.000 caracteres)."),
    "link": lambda: _("El enlace debe empezar con http:// o https:// y no tener espacios."),
    "incomplete": lambda: _("Faltan respuestas: responda todos los indicadores de cada dimensión antes de enviar."),
    "missing": lambda: _("Todavía no hay nada para revisar."),
    "transition": lambda: _("Esa acción no corresponde al estado actual."),
    "stale": lambda: _("Otra persona cambió el estado mientras tanto. Revise la página y vuelva a intentarlo."),
    "comment_required": lambda: _("Explique qué hay que corregir."),
    "modality": lambda: _("Elija la modalidad."),
    "date": lambda: _("La fecha del taller debe estar dentro del ciclo."),
    "too_long": lambda: _("Uno de los textos es demasiado largo (máximo 4.000 caracteres)."),
    "area": lambda: _("Una de las áreas no existe."),
    "official": lambda: _("Una de las personas no es funcionaria o funcionario de este municipio."),
    "guest": lambda: _("Cada invitada o invitado necesita nombre (hasta 160 caracteres) y género."),
    "diagnostic_not_validated": lambda: _("Las prioridades se eligen después de que la OIM valide el diagnóstico."),
    "dimension": lambda: _("Elija una dimensión del diagnóstico."),
    "title": lambda: _("Escriba la prioridad (hasta 200 caracteres)."),
    "description": lambda: _("Describa la acción (hasta 4.000 caracteres)."),
    "indicator_text": lambda: _("El indicador admite hasta 300 caracteres."),
    "target": lambda: _("La meta admite hasta 200 caracteres."),
    "dates": lambda: _("La fecha límite debe ser posterior al inicio."),
    "state": lambda: _("Elija un estado de la lista."),
    "plan_incomplete": lambda: _(
        "Para enviar el plan hace falta al menos una prioridad y, en cada una, una acción con área responsable, fecha límite e indicador."
    ),
}
GUEST_ROWS = 5


def _message(error) -> str:
    code = getattr(error, "code", "")
    if isinstance(error, plan_service.PlanError) and code == "indicator":
        code = "indicator_text"
    if isinstance(error, plan_service.PlanError) and code == "incomplete":
        code = "plan_incomplete"
    return MESSAGES.get(code, lambda: _("No se pudo completar la acción."))()


def _mc_or_404(mc_id: int) -> MunicipalCycle:
    mc = db.session.get(MunicipalCycle, mc_id)
    if mc is None or not permissions.can_view_cycle(current_user, mc):
        abort(404)
    return mc


def _require_edit(mc: MunicipalCycle) -> None:
    if not permissions.can_edit_cycle_records(current_user, mc):
        abort(403)


def _require_review(mc: MunicipalCycle) -> None:
    if not permissions.can_review(current_user, mc):
        abort(403)


def _policy() -> gender_service.Policy:
    return gender_service.Policy.from_config(current_app.config)


# --------------------------------------------------------------------------- diagnostic


@bp.route("/municipal/<int:mc_id>/diagnostic", methods=["GET", "POST"])
@login_required
def diagnostic(mc_id: int):
    """Completion per dimension, submission, IOM's review and, once submitted, the results."""
    mc = _mc_or_404(mc_id)
    decision = DecisionForm(prefix="review")
    decision.decision.choices = [("validate", _("Validar")), ("return", _("Devolver con comentarios"))]
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "submit":
                _require_edit(mc)
                diagnostic_service.submit(current_user, mc)
                db.session.commit()
                flash(_("Diagnóstico enviado a la OIM para su validación."), "success")
                return redirect(url_for("diagnostic.diagnostic", mc_id=mc.id))
            if action == "review":
                _require_review(mc)
                if decision.validate_on_submit():
                    comments = {
                        key[len("dim-") :]: value[:4000]
                        for key, value in request.form.items()
                        if key.startswith("dim-") and value.strip()
                    }
                    diagnostic_service.decide(
                        current_user, mc, decision.decision.data == "validate", decision.comment.data or "", comments
                    )
                    db.session.commit()
                    flash(_("Decisión registrada."), "success")
                    return redirect(url_for("diagnostic.diagnostic", mc_id=mc.id))
        except (diagnostic_service.DiagnosticError, review.ReviewError) as error:
            db.session.rollback()
            flash(_message(error), "error")
    current = diagnostic_service.view(mc)
    returned = review.latest_comments(mc.id, SUBJECT_DIAGNOSTIC) if current.state == "returned" else None
    show_results = current.state in (SUBMITTED, "validated", "returned")
    previous = diagnostic_service.comparison(mc, current) if show_results else None
    return render_template(
        "diagnostic/diagnostic.html",
        mc=mc,
        view=current,
        decision=decision,
        returned=returned,
        can_edit=permissions.can_edit_cycle_records(current_user, mc) and review.editable(current.state or "draft"),
        can_review=permissions.can_review(current_user, mc),
        show_results=show_results,
        previous=previous,
        history=review.history(mc.id, SUBJECT_DIAGNOSTIC),
    )


def _dimension_or_404(key: str) -> DiagnosticDimension:
    dimension = db.session.scalar(
        select(DiagnosticDimension).where(DiagnosticDimension.key == key, DiagnosticDimension.active)
    )
    if dimension is None:
        abort(404)
    return dimension


def _answers_from_form(dimension_result) -> list[diagnostic_service.AnswerInput]:
    """Read level/note/link fields for the indicators of one dimension; a bad level is a 400."""
    inputs = []
    for indicator in dimension_result.indicators:
        raw = request.form.get(f"level-{indicator.id}", "")
        if raw == "":
            level = None
        elif raw in ("0", "1", "2"):
            level = int(raw)
        else:
            raise diagnostic_service.DiagnosticError("level")
        inputs.append(
            diagnostic_service.AnswerInput(
                indicator.id,
                level,
                request.form.get(f"note-{indicator.id}", "")[: diagnostic_service.NOTE_MAX + 1],
                request.form.get(f"link-{indicator.id}", "")[: diagnostic_service.LINK_MAX + 1],
            )
        )
    return inputs


@bp.route("/municipal/<int:mc_id>/diagnostic/<dimension_key>", methods=["GET", "POST"])
@login_required
def dimension(mc_id: int, dimension_key: str):
    """Answer (or read) the indicators of one dimension; the save button and the autosave do the same."""
    mc = _mc_or_404(mc_id)
    dim = _dimension_or_404(dimension_key)
    current = diagnostic_service.view(mc)
    result = next(d for d in current.dimensions if d.dimension.id == dim.id)
    can_edit = permissions.can_edit_cycle_records(current_user, mc) and review.editable(current.state or "draft")
    errors = {}
    if request.method == "POST":
        if not permissions.can_edit_cycle_records(current_user, mc):
            abort(403)
        if not can_edit:  # submitted or validated: say so rather than refuse
            flash(MESSAGES["locked"](), "error")
            return redirect(url_for("diagnostic.dimension", mc_id=mc.id, dimension_key=dim.key))
        try:
            diagnostic_service.save_answers(current_user, mc, _answers_from_form(result))
            db.session.commit()
            flash(_("Respuestas guardadas."), "success")
            position = [d.dimension.id for d in current.dimensions].index(dim.id)
            if request.form.get("action") == "next" and position + 1 < len(current.dimensions):
                nxt = current.dimensions[position + 1].dimension
                return redirect(url_for("diagnostic.dimension", mc_id=mc.id, dimension_key=nxt.key))
            return redirect(url_for("diagnostic.dimension", mc_id=mc.id, dimension_key=dim.key))
        except diagnostic_service.DiagnosticError as error:
            db.session.rollback()
            errors["form"] = _message(error)
            flash(errors["form"], "error")
    returned = review.latest_comments(mc.id, SUBJECT_DIAGNOSTIC) if current.state == "returned" else None
    position = [d.dimension.id for d in current.dimensions].index(dim.id)
    nxt = current.dimensions[position + 1].dimension if position + 1 < len(current.dimensions) else None
    return render_template(
        "diagnostic/dimension.html",
        mc=mc,
        view=current,
        result=result,
        can_edit=can_edit,
        next_dimension=nxt,
        comment=(returned.details or {}).get(dim.key) if returned else None,
        posted=request.form if errors else None,
    )


@bp.route("/municipal/<int:mc_id>/diagnostic/<dimension_key>/autosave", methods=["POST"])
@login_required
def autosave(mc_id: int, dimension_key: str):
    """The autosave script's endpoint: the same fields as the form; answers JSON."""
    mc = _mc_or_404(mc_id)
    dim = _dimension_or_404(dimension_key)
    if not permissions.can_edit_cycle_records(current_user, mc):
        return jsonify(saved=False, error=_("No puede cambiar este diagnóstico.")), 403
    if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return jsonify(saved=False, error=_("Formato no admitido: envíe los campos del formulario.")), 415
    current = diagnostic_service.view(mc)
    result = next(d for d in current.dimensions if d.dimension.id == dim.id)
    try:
        diagnostic_service.save_answers(current_user, mc, _answers_from_form(result))
        db.session.commit()
    except diagnostic_service.DiagnosticError as error:
        db.session.rollback()
        status = 409 if error.code == "locked" else 400
        return jsonify(saved=False, error=_message(error)), status
    return jsonify(saved=True)


@bp.route("/municipal/<int:mc_id>/diagnostic/report")
@login_required
def report(mc_id: int):
    """The diagnostic report: overall picture, good practices, one section per dimension (prints on A4)."""
    mc = _mc_or_404(mc_id)
    current = diagnostic_service.view(mc)
    if current.state not in (SUBMITTED, "validated", "returned"):
        abort(404)
    previous = diagnostic_service.comparison(mc, current)
    priorities = plan_service.priorities_of(mc)
    return render_template("diagnostic/report.html", mc=mc, view=current, previous=previous, priorities=priorities)


# --------------------------------------------------------------------------- workshops


def _areas() -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.active).order_by(Area.position)))


def _officials(mc: MunicipalCycle) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.municipality_id == mc.municipality_id, User.role == ROLE_OFFICIAL, User.active)
            .order_by(User.name)
        )
    )


def _suppress_for(mc: MunicipalCycle) -> bool:
    """Figures are exact for the municipality's own staff and protected for everyone else."""
    return not permissions.sees_exact_municipal_figures(current_user, mc)


@bp.route("/municipal/<int:mc_id>/workshops")
@login_required
def workshops(mc_id: int):
    """The cycle's diagnostic workshops with their attendance."""
    mc = _mc_or_404(mc_id)
    rows = workshop_service.workshops_of(mc)
    policy, suppress = _policy(), _suppress_for(mc)
    figures = {w.id: workshop_service.attendance(w, policy, suppress) for w in rows}
    return render_template(
        "diagnostic/workshops.html",
        mc=mc,
        rows=rows,
        figures=figures,
        can_edit=permissions.can_edit_cycle_records(current_user, mc),
    )


def _workshop_form(mc: MunicipalCycle, workshop=None) -> WorkshopForm:
    form = WorkshopForm(prefix="w", obj=workshop if request.method == "GET" else None)
    areas = _areas()
    form.areas.choices = [(a.id, tr(a.name)) for a in areas]
    form.officials.choices = [(u.id, u.name) for u in _officials(mc)]
    if request.method == "GET" and workshop is not None:
        form.areas.data = [a.id for a in workshop.areas]
        form.officials.data = [a.user_id for a in workshop.attendees if a.user_id]
    return form


def _guests_from_form() -> tuple[list[workshop_service.Guest], list[dict]]:
    guests, rows = [], []
    for index in range(int(request.form.get("guest-count", GUEST_ROWS) or GUEST_ROWS)):
        if index >= 200:
            break
        row = {k: request.form.get(f"guest-{index}-{k}", "") for k in ("name", "organisation", "area", "gender")}
        rows.append(row)
        if not row["name"].strip():
            continue
        area_id = int(row["area"]) if row["area"].isdigit() and len(row["area"]) < 10 else None
        guests.append(workshop_service.Guest(row["name"], row["organisation"], area_id, row["gender"]))
    return guests, rows


@bp.route("/municipal/<int:mc_id>/workshops/new", methods=["GET", "POST"])
@bp.route("/municipal/<int:mc_id>/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@login_required
def workshop_form(mc_id: int, workshop_id: int | None = None):
    """Record or edit a workshop and its attendance (officials from a list, guests by name)."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    workshop = workshop_service.get(mc, workshop_id) if workshop_id else None
    if workshop_id and workshop is None:
        abort(404)
    form = _workshop_form(mc, workshop)
    guest_rows = [
        {"name": a.name, "organisation": a.organisation, "area": str(a.area_id or ""), "gender": a.gender}
        for a in (workshop.attendees if workshop else [])
        if a.user_id is None
    ]
    if request.method == "POST":
        guests, guest_rows = _guests_from_form()
        if form.validate_on_submit():
            try:
                saved = workshop_service.save(
                    current_user,
                    mc,
                    workshop_service.WorkshopData(
                        held_on=form.held_on.data,
                        modality=form.modality.data,
                        place=form.place.data or "",
                        facilitators=form.facilitators.data or "",
                        area_ids=form.areas.data or [],
                        good_practices=form.good_practices.data or "",
                        potential_areas=form.potential_areas.data or "",
                        official_ids=form.officials.data or [],
                        guests=guests,
                    ),
                    workshop,
                )
                db.session.commit()
                flash(_("Taller guardado."), "success")
                return redirect(url_for("diagnostic.workshop", mc_id=mc.id, workshop_id=saved.id))
            except workshop_service.WorkshopError as error:
                db.session.rollback()
                flash(_message(error), "error")
    guest_rows = [r for r in guest_rows if r["name"].strip()]
    guest_rows += [{"name": "", "organisation": "", "area": "", "gender": ""}] * GUEST_ROWS
    return render_template(
        "diagnostic/workshop_form.html",
        mc=mc,
        form=form,
        workshop=workshop,
        guest_rows=guest_rows,
        areas=_areas(),
        genders=GENDERS,
    )


@bp.route("/municipal/<int:mc_id>/workshops/<int:workshop_id>")
@login_required
def workshop(mc_id: int, workshop_id: int):
    """One workshop: details and attendance by area and gender, with the women's share and parity."""
    mc = _mc_or_404(mc_id)
    row = workshop_service.get(mc, workshop_id)
    if row is None:
        abort(404)
    suppress = _suppress_for(mc)
    figures = workshop_service.attendance(row, _policy(), suppress)
    area_names = {a.id: tr(a.name) for a in _areas()}
    return render_template(
        "diagnostic/workshop.html",
        mc=mc,
        workshop=row,
        figures=figures,
        area_names=area_names,
        suppress=suppress,
        policy=_policy(),
        show_names=not suppress or permissions.can_see_people(current_user),
        can_edit=permissions.can_edit_cycle_records(current_user, mc),
    )


@bp.route("/municipal/<int:mc_id>/workshops/<int:workshop_id>/delete", methods=["POST"])
@login_required
def workshop_delete(mc_id: int, workshop_id: int):
    """Delete a workshop recorded by mistake."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    row = workshop_service.get(mc, workshop_id)
    if row is None:
        abort(404)
    workshop_service.delete(current_user, mc, row)
    db.session.commit()
    flash(_("Taller eliminado."), "success")
    return redirect(url_for("diagnostic.workshops", mc_id=mc.id))


# --------------------------------------------------------------------------- priorities and work plan


def _priority_or_404(mc: MunicipalCycle, priority_id: int) -> Priority:
    row = db.session.get(Priority, priority_id)
    if row is None or row.municipal_cycle_id != mc.id:
        abort(404)
    return row


def _action_or_404(mc: MunicipalCycle, action_id: int) -> PlanAction:
    row = db.session.scalar(
        select(PlanAction)
        .join(Priority, Priority.id == PlanAction.priority_id)
        .where(PlanAction.id == action_id, Priority.municipal_cycle_id == mc.id)
    )
    if row is None:
        abort(404)
    return row


def _dimension_choices(current) -> list[tuple[int, str]]:
    ordered = sorted(current.dimensions, key=lambda d: (d.score if d.score is not None else 101, d.dimension.position))
    return [
        (d.dimension.id, f"{tr(d.dimension.title)} ({d.score:.0f} %)" if d.score is not None else tr(d.dimension.title))
        for d in ordered
    ]


@bp.route("/municipal/<int:mc_id>/plan", methods=["GET", "POST"])
@login_required
def plan(mc_id: int):
    """Priorities, actions and their monitoring; submission and IOM's approval."""
    mc = _mc_or_404(mc_id)
    current = diagnostic_service.view(mc)
    plan_row = plan_service.plan_of(mc)
    priority_form = PriorityForm(prefix="p")
    priority_form.dimension.choices = _dimension_choices(current)
    decision = DecisionForm(prefix="review")
    decision.decision.choices = [("approve", _("Aprobar")), ("return", _("Devolver con comentarios"))]
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "priority":
                _require_edit(mc)
                if priority_form.validate_on_submit():
                    plan_service.add_priority(
                        current_user,
                        mc,
                        priority_form.dimension.data,
                        priority_form.title.data,
                        priority_form.description.data or "",
                    )
                    db.session.commit()
                    flash(_("Prioridad agregada."), "success")
                    return redirect(url_for("diagnostic.plan", mc_id=mc.id))
            elif action == "submit":
                _require_edit(mc)
                plan_service.submit(current_user, mc)
                db.session.commit()
                flash(_("Plan de trabajo enviado a la OIM."), "success")
                return redirect(url_for("diagnostic.plan", mc_id=mc.id))
            elif action == "review":
                _require_review(mc)
                if decision.validate_on_submit():
                    plan_service.decide(
                        current_user, mc, decision.decision.data == "approve", decision.comment.data or ""
                    )
                    db.session.commit()
                    flash(_("Decisión registrada."), "success")
                    return redirect(url_for("diagnostic.plan", mc_id=mc.id))
            else:
                abort(400)
        except (plan_service.PlanError, review.ReviewError) as error:
            db.session.rollback()
            flash(_message(error), "error")
    return _render_plan(mc, current, plan_row, priority_form=priority_form, decision=decision)


def _action_form(priority_id: int, areas: list[Area]) -> ActionForm:
    """The 'add an action' form of one priority (its own prefix: field ids stay unique on the page)."""
    form = ActionForm(prefix=f"a{priority_id}")
    form.area.choices = [(0, _("Elija un área"))] + [(a.id, tr(a.name)) for a in areas]
    return form


def _render_plan(
    mc: MunicipalCycle,
    current=None,
    plan_row=None,
    *,
    priority_form=None,
    decision=None,
    failed_action: ActionForm | None = None,
    failed_priority: int | None = None,
):
    """The plan page; a form that failed validation is shown again with its errors and the input kept."""
    current = current or diagnostic_service.view(mc)
    plan_row = plan_row or plan_service.plan_of(mc)
    areas = _areas()
    if priority_form is None:
        priority_form = PriorityForm(prefix="p")
        priority_form.dimension.choices = _dimension_choices(current)
    if decision is None:
        decision = DecisionForm(prefix="review")
        decision.decision.choices = [("approve", _("Aprobar")), ("return", _("Devolver con comentarios"))]
    priorities = plan_service.priorities_of(mc)
    can_edit = permissions.can_edit_cycle_records(current_user, mc)
    plan_editable = (
        can_edit and current.state == "validated" and review.editable(plan_row.state if plan_row else "draft")
    )
    action_forms = {p.id: _action_form(p.id, areas) for p in priorities}
    if failed_action is not None:
        action_forms[failed_priority] = failed_action
    progress_form = ProgressForm(prefix="g")
    return render_template(
        "diagnostic/plan.html",
        mc=mc,
        view=current,
        plan=plan_row,
        priorities=priorities,
        priority_form=priority_form,
        action_forms=action_forms,
        failed_action=failed_action,
        failed_priority=failed_priority,
        progress_form=progress_form,
        decision=decision,
        lowest=current.lowest(2) if current.state == "validated" else [],
        can_edit=can_edit,
        plan_editable=plan_editable,
        can_review=permissions.can_review(current_user, mc),
        missing=plan_service.readiness(mc, priorities),
        area_names={a.id: tr(a.name) for a in areas},
        dimension_names={d.dimension.id: tr(d.dimension.title) for d in current.dimensions},
        today=today(),
        is_overdue=plan_service.is_overdue,
        action_complete=plan_service.action_complete,
        history=review.history(mc.id, SUBJECT_PLAN),
        returned=review.latest_comments(mc.id, SUBJECT_PLAN) if plan_row and plan_row.state == "returned" else None,
    )


@bp.route("/municipal/<int:mc_id>/plan/priorities/<int:priority_id>/actions", methods=["POST"])
@login_required
def action_add(mc_id: int, priority_id: int):
    """Add an action to a priority."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    priority = _priority_or_404(mc, priority_id)
    form = _action_form(priority.id, _areas())
    if not form.validate_on_submit():
        return _render_plan(mc, failed_action=form, failed_priority=priority.id)
    try:
        plan_service.add_action(
            current_user,
            mc,
            priority,
            plan_service.ActionData(
                form.description.data,
                form.area.data or None,
                form.starts_on.data,
                form.due_on.data,
                form.indicator.data or "",
                form.target.data or "",
            ),
        )
        db.session.commit()
        flash(_("Acción agregada."), "success")
    except plan_service.PlanError as error:
        db.session.rollback()
        flash(_message(error), "error")
    return redirect(url_for("diagnostic.plan", mc_id=mc.id) + f"#priority-{priority.id}")


def _plan_change(mc: MunicipalCycle, change, done: str, anchor: str = ""):
    """Run one change of the plan in its own transaction, then go back to the plan with what happened."""
    try:
        change()
        db.session.commit()
        flash(done, "success")
    except plan_service.PlanError as error:
        db.session.rollback()
        flash(_message(error), "error")
    return redirect(url_for("diagnostic.plan", mc_id=mc.id) + anchor)


@bp.route("/municipal/<int:mc_id>/plan/priorities/<int:priority_id>/delete", methods=["POST"])
@login_required
def priority_delete(mc_id: int, priority_id: int):
    """Remove a priority and its actions."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    priority = _priority_or_404(mc, priority_id)
    return _plan_change(mc, lambda: plan_service.remove_priority(current_user, mc, priority), _("Prioridad eliminada."))


@bp.route("/municipal/<int:mc_id>/plan/actions/<int:action_id>/delete", methods=["POST"])
@login_required
def action_delete(mc_id: int, action_id: int):
    """Remove an action."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    action = _action_or_404(mc, action_id)
    return _plan_change(mc, lambda: plan_service.remove_action(current_user, mc, action), _("Acción eliminada."))


@bp.route("/municipal/<int:mc_id>/plan/actions/<int:action_id>/progress", methods=["POST"])
@login_required
def action_progress(mc_id: int, action_id: int):
    """Update an action's state and add a dated progress note (the plan's monitoring)."""
    mc = _mc_or_404(mc_id)
    _require_edit(mc)
    action = _action_or_404(mc, action_id)
    # The page's hand-written form carries the global CSRF token (checked by CSRFProtect for every POST).
    form = ProgressForm(prefix=f"g{action.id}", meta={"csrf": False})
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    else:
        try:
            plan_service.record_progress(
                current_user, mc, action, form.state.data, form.noted_on.data, form.text.data or ""
            )
            db.session.commit()
            flash(_("Avance registrado."), "success")
        except plan_service.PlanError as error:
            db.session.rollback()
            flash(_message(error), "error")
    return redirect(url_for("diagnostic.plan", mc_id=mc.id) + f"#action-{action.id}")
