"""Municipal cycle pages: thin views over app.services.cycles, application and review.

Every view asks `app.services.permissions` whether the signed-in person may see or change the
municipality's cycle; an out-of-scope record answers 404, so its existence is not revealed.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Area, Cycle, Municipality, MunicipalCycle, User
from app.models.municipal import SUBJECT_APPLICATION
from app.models.people import ROLE_OFFICIAL
from app.municipal import bp
from app.municipal.forms import AdmitForm, ApplicationForm, CycleForm, DesignationForm, LetterForm, ReviewForm
from app.services import application as application_service
from app.services import cycles as cycle_service
from app.services import permissions, review
from app.services.scope import visible_municipality_ids

MESSAGES = {
    "dates": lambda: _("La fecha de cierre debe ser posterior a la de inicio."),
    "year_taken": lambda: _("Ya existe un ciclo para ese año."),
    "focal_point": lambda: _("El punto focal debe ser una funcionaria o un funcionario activo de ese municipio."),
    "both_designations": lambda: _("Una misma persona no puede ser punto focal y suplente."),
    "designation": lambda: _("Esa designación no existe."),
    "locked": lambda: _(
        "La solicitud ya fue enviada: no se puede cambiar mientras está en revisión o después de aceptada."
    ),
    "letter_empty": lambda: _("El archivo está vacío."),
    "letter_too_large": lambda: _("El archivo es demasiado grande: el máximo es %(mb)s MB.", mb=_max_mb()),
    "letter_not_pdf": lambda: _(
        "El archivo no es un PDF válido. Exporte o escanee la carta como PDF y vuelva a subirla."
    ),
    "incomplete": lambda: _("Falta completar datos antes de enviar la solicitud."),
    "missing": lambda: _("Todavía no hay una solicitud para revisar."),
    "transition": lambda: _("Esa acción no corresponde al estado actual."),
    "stale": lambda: _("Otra persona cambió el estado mientras tanto. Revise la página y vuelva a intentarlo."),
    "comment_required": lambda: _("Explique qué hay que corregir."),
}
MISSING_LABELS = {
    "population": lambda: _("la población del municipio"),
    "migrant_population": lambda: _("la población migrante estimada"),
    "main_origins": lambda: _("los principales países de origen"),
    "has_migration_office": lambda: _("si existe un área o mesa de atención para personas migrantes"),
    "contact": lambda: _("el nombre y el correo de contacto"),
    "letter": lambda: _("la carta de intención firmada por la intendencia"),
}


def _max_mb():
    from flask import current_app

    return round(current_app.config["LETTER_MAX_BYTES"] / (1024 * 1024), 1)


def cycles_manager_required(view):
    """IOM officers only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.can_manage_cycles(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _mc_or_404(mc_id: int) -> MunicipalCycle:
    """A municipality's cycle the signed-in person may see; 404 otherwise (nothing revealed)."""
    mc = db.session.get(MunicipalCycle, mc_id)
    if mc is None or not permissions.can_view_cycle(current_user, mc):
        abort(404)
    return mc


def _flash_error(error) -> None:
    message = MESSAGES.get(getattr(error, "code", ""), lambda: _("No se pudo completar la acción."))()
    flash(message, "error")


# --------------------------------------------------------------------------- cycles (programme)


@bp.route("/cycles", methods=["GET", "POST"])
@login_required
def cycles():
    """Every cycle, newest first; IOM officers open new ones."""
    if not (permissions.is_staff(current_user)):
        abort(403)
    form = CycleForm(prefix="c")
    if request.method == "POST":
        if not permissions.can_manage_cycles(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                cycle = cycle_service.create_cycle(
                    current_user,
                    year=form.year.data,
                    name=form.name.data,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                )
                db.session.commit()
                flash(_("Ciclo abierto."), "success")
                return redirect(url_for("municipal.cycle", cycle_id=cycle.id))
            except cycle_service.CycleError as error:
                db.session.rollback()
                _flash_error(error)
    rows = db.session.scalars(select(Cycle).order_by(Cycle.year.desc())).all()
    current = cycle_service.current_cycle()
    return render_template("municipal/cycles.html", rows=rows, form=form, current=current)


@bp.route("/cycles/<int:cycle_id>", methods=["GET", "POST"])
@login_required
def cycle(cycle_id: int):
    """A cycle: the state of each municipality in scope (a table of states, never of scores)."""
    if not permissions.is_staff(current_user):
        abort(403)
    cycle = db.get_or_404(Cycle, cycle_id)
    scope_ids = visible_municipality_ids(current_user)
    form = AdmitForm(prefix="a")
    admitted = cycle_service.admitted(cycle.id, scope_ids)
    if permissions.can_manage_cycles(current_user):
        taken = {mc.municipality_id for mc in admitted}
        form.municipality.choices = [
            (m.id, f"{m.name} ({m.province})")
            for m in db.session.scalars(select(Municipality).order_by(Municipality.name))
            if m.id not in taken
        ]
        if request.method == "POST" and form.validate_on_submit():
            municipality = db.get_or_404(Municipality, form.municipality.data)
            cycle_service.admit(current_user, cycle, municipality)
            db.session.commit()
            flash(_("%(name)s fue admitido en el ciclo.", name=municipality.name), "success")
            return redirect(url_for("municipal.cycle", cycle_id=cycle.id))
    elif request.method == "POST":
        abort(403)
    states = cycle_service.states_for([mc.id for mc in admitted])
    names = cycle_service.designated_names(cycle.id)
    return render_template(
        "municipal/cycle.html",
        cycle=cycle,
        admitted=admitted,
        states=states,
        names=names,
        form=form,
        focal_key=cycle_service.FOCAL,
    )


@bp.route("/my-municipality")
@login_required
def my_municipality():
    """The focal point's shortcut to their municipality's current cycle."""
    mc = cycle_service.designation_of(current_user)
    if mc is None:
        abort(404)
    return redirect(url_for("municipal.cycle_page", mc_id=mc.id))


# --------------------------------------------------------------------------- a municipality's cycle


@bp.route("/municipal/<int:mc_id>")
@login_required
def cycle_page(mc_id: int):
    """The municipality's cycle at a glance: each record with its state and the next step."""
    mc = _mc_or_404(mc_id)
    state = cycle_service.states_for([mc.id])[mc.id]
    people = db.session.scalars(
        select(User).where(User.id.in_([i for i in (mc.focal_point_id, mc.substitute_id) if i]))
    ).all()
    by_id = {u.id: u for u in people}
    designation = None
    if permissions.can_designate_focal_points(current_user, mc.municipality_id):
        designation = _designation_form(mc)
    history = cycle_service.cycles_of(mc.municipality_id)
    return render_template(
        "municipal/cycle_page.html",
        mc=mc,
        state=state,
        focal=by_id.get(mc.focal_point_id),
        substitute=by_id.get(mc.substitute_id),
        designation=designation,
        history=history,
        can_edit=permissions.can_edit_cycle_records(current_user, mc),
        cycle_sections=_sections(mc, state),
    )


def _sections(mc: MunicipalCycle, state) -> list[dict]:
    """The rows of the cycle page after the application: diagnostic, workshops, priorities and plan."""
    return [
        {
            "label": _("Diagnóstico"),
            "url": url_for("diagnostic.diagnostic", mc_id=mc.id),
            "state": state.diagnostic,
            "detail": _(
                "Indicadores de las diez dimensiones, con la sección especial sobre mujeres, niñas y otros grupos en situación de vulnerabilidad."
            ),
        },
        {
            "label": _("Talleres de diagnóstico"),
            "url": url_for("diagnostic.workshops", mc_id=mc.id),
            "count": state.workshops,
            "detail": _("%(n)s talleres registrados.", n=state.workshops),
        },
        {
            "label": _("Prioridades y plan de trabajo"),
            "url": url_for("diagnostic.plan", mc_id=mc.id),
            "state": state.plan,
            "detail": _("%(p)s prioridades y %(a)s acciones.", p=state.priorities, a=state.actions),
        },
    ]


def _designation_form(mc: MunicipalCycle) -> DesignationForm:
    form = DesignationForm(prefix="d")
    officials = db.session.scalars(
        select(User)
        .where(User.municipality_id == mc.municipality_id, User.role == ROLE_OFFICIAL, User.active)
        .order_by(User.name)
    ).all()
    choices = [(0, _("Sin designar"))] + [(u.id, f"{u.name} ({u.email})") for u in officials]
    form.focal_point.choices = choices
    form.substitute.choices = choices
    if request.method == "GET":
        form.focal_point.data = mc.focal_point_id or 0
        form.substitute.data = mc.substitute_id or 0
    return form


@bp.route("/municipal/<int:mc_id>/designations", methods=["POST"])
@login_required
def designations(mc_id: int):
    """Designate the focal point and the substitute (IOM officers and coordinators in scope)."""
    mc = _mc_or_404(mc_id)
    if not permissions.can_designate_focal_points(current_user, mc.municipality_id):
        abort(403)
    form = _designation_form(mc)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("municipal.cycle_page", mc_id=mc.id))
    focal = db.session.get(User, form.focal_point.data) if form.focal_point.data else None
    substitute = db.session.get(User, form.substitute.data) if form.substitute.data else None
    try:
        # Clear first, then set, so that swapping the two people works.
        changed = False
        if (focal and focal.id == mc.substitute_id) or (substitute and substitute.id == mc.focal_point_id):
            changed |= cycle_service.designate(current_user, mc, cycle_service.SUBSTITUTE, None)
            changed |= cycle_service.designate(current_user, mc, cycle_service.FOCAL, None)
        changed |= cycle_service.designate(current_user, mc, cycle_service.FOCAL, focal)
        changed |= cycle_service.designate(current_user, mc, cycle_service.SUBSTITUTE, substitute)
        db.session.commit()
        if changed:
            flash(_("Designaciones guardadas."), "success")
    except cycle_service.CycleError as error:
        db.session.rollback()
        _flash_error(error)
    return redirect(url_for("municipal.cycle_page", mc_id=mc.id))


# --------------------------------------------------------------------------- the application


def _areas() -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.active).order_by(Area.position)))


@bp.route("/municipal/<int:mc_id>/application", methods=["GET", "POST"])
@login_required
def application(mc_id: int):
    """The application: profile, measures per area, contact, letter of intent; draft, submit, review."""
    mc = _mc_or_404(mc_id)
    can_edit = permissions.can_edit_cycle_records(current_user, mc)
    app_row = application_service.application_of(mc)
    areas = _areas()
    form = ApplicationForm(prefix="app", obj=None)
    letter = LetterForm(prefix="letter")
    decision = ReviewForm(prefix="review")
    measures = dict(app_row.measures) if app_row else {}
    action = request.form.get("action")
    if request.method == "GET" and app_row is not None:
        for name in (
            "population",
            "migrant_population",
            "main_origins",
            "migration_office_details",
            "contact_name",
            "contact_email",
            "contact_phone",
        ):
            getattr(form, name).data = getattr(app_row, name)
        form.has_migration_office.data = {True: "yes", False: "no"}.get(app_row.has_migration_office)
    if request.method == "POST":
        if action in ("save", "submit", "letter") and not can_edit:
            abort(403)
        if action == "review" and not permissions.can_review(current_user, mc):
            abort(403)
        measures = {a.key: (request.form.get(f"measure-{a.key}") or "")[:4000] for a in areas}
        try:
            if action in ("save", "submit") and form.validate_on_submit():
                application_service.save_profile(
                    current_user,
                    mc,
                    application_service.ProfileData(
                        population=form.population.data,
                        migrant_population=form.migrant_population.data,
                        main_origins=form.main_origins.data or "",
                        has_migration_office={"yes": True, "no": False}.get(form.has_migration_office.data),
                        migration_office_details=form.migration_office_details.data or "",
                        measures=measures,
                        contact_name=form.contact_name.data or "",
                        contact_email=form.contact_email.data or "",
                        contact_phone=form.contact_phone.data or "",
                    ),
                )
                db.session.commit()  # the draft is kept even when it cannot be submitted yet
                if action == "submit":
                    application_service.submit(current_user, mc)
                    db.session.commit()
                    flash(_("Solicitud enviada a la OIM para su revisión."), "success")
                else:
                    flash(_("Borrador guardado."), "success")
                return redirect(url_for("municipal.application", mc_id=mc.id))
            if action == "letter" and letter.validate_on_submit():
                upload = letter.letter.data
                saved = application_service.store_letter(
                    current_user, mc, upload.filename or "", upload.read(int(_max_bytes()) + 1)
                )
                db.session.commit()
                application_service.remove_replaced_letter(saved)
                flash(_("Carta de intención guardada."), "success")
                return redirect(url_for("municipal.application", mc_id=mc.id))
            if action == "review" and decision.validate_on_submit():
                application_service.decide(
                    current_user, mc, decision.decision.data == "accept", decision.comment.data or ""
                )
                db.session.commit()
                flash(_("Decisión registrada."), "success")
                return redirect(url_for("municipal.application", mc_id=mc.id))
        except (application_service.ApplicationError, review.ReviewError) as error:
            db.session.rollback()
            _flash_error(error)
            if getattr(error, "missing", None):
                flash(_("Falta: %(items)s.", items=", ".join(MISSING_LABELS[m]() for m in error.missing)), "error")
            app_row = application_service.application_of(mc)
    missing = application_service.missing_items(app_row)
    return render_template(
        "municipal/application.html",
        mc=mc,
        app_row=app_row,
        form=form,
        letter=letter,
        decision=decision,
        areas=areas,
        measures=measures,
        can_edit=can_edit and (app_row is None or review.editable(app_row.state)),
        can_review=permissions.can_review(current_user, mc),
        missing=[MISSING_LABELS[m]() for m in missing],
        history=review.history(mc.id, SUBJECT_APPLICATION),
        max_mb=_max_mb(),
    )


def _max_bytes():
    from flask import current_app

    return current_app.config["LETTER_MAX_BYTES"]


@bp.route("/municipal/<int:mc_id>/application/letter")
@login_required
def letter(mc_id: int):
    """The letter of intent, as an attachment, to people who may see the municipality's cycle."""
    mc = _mc_or_404(mc_id)
    if not permissions.can_download_letter(current_user, mc):
        abort(404)
    app_row = application_service.application_of(mc)
    path = application_service.letter_path(app_row)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=app_row.letter_filename or "carta.pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_context_processor
def municipal_nav():
    """The focal point's 'my municipality' link in the header (read with the account: no query)."""
    if not current_user.is_authenticated or current_user.role != ROLE_OFFICIAL:
        return {"my_municipal_cycle_id": None}
    return {"my_municipal_cycle_id": cycle_service.designation_id_of(current_user)}
