"""Administration pages: thin views over app.services.admin."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.admin import bp
from app.admin.forms import ConfirmForm, MunicipalityForm, ProfileForm, ScopeForm
from app.auth.emails import send_reset
from app.extensions import db
from app.i18n import tr
from app.models import Area, AuditEvent, Municipality, User
from app.models.people import ROLE_COORDINATOR, ROLE_IOM, ROLE_OFFICIAL
from app.services import admin as admin_service
from app.security import MAX_PAGE, bounded_int_arg
from app.services import cycles as cycle_service
from app.services import permissions
from app.services.scope import scope_clause, visible_audit_clause, visible_municipality_ids

ADMIN_MESSAGES = {
    "role": lambda: _("Ese rol no existe."),
    "own_role": lambda: _("No puede cambiar su propio rol: pídaselo a otra persona de la OIM."),
    "municipality_required": lambda: _("Una funcionaria o un funcionario debe tener un municipio."),
    "not_coordinator": lambda: _("Solo las personas de coordinación tienen municipios a cargo."),
    "self": lambda: _("No puede desactivar su propia cuenta."),
    "duplicate": lambda: _("Ya existe un municipio con ese nombre en esa provincia."),
}
PER_PAGE = 30


def staff_required(view):
    """Coordinators and IOM officers."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.can_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def iom_required(view):
    """IOM officers only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.can_manage_municipalities(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _page() -> int:
    return bounded_int_arg("page", default=1, maximum=MAX_PAGE) or 1


def _manageable_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not permissions.can_manage_user(current_user, user):
        abort(404)
    return user


def _municipality_choices(blank: str | None = None):
    rows = db.session.scalars(select(Municipality).order_by(Municipality.name))
    choices = [(m.id, f"{m.name} ({m.province})") for m in rows]
    return ([(0, blank)] if blank else []) + choices


@bp.route("/users")
@staff_required
def users():
    """People the viewer manages: everyone for IOM officers, their municipalities' officials for coordinators."""
    scope_ids = visible_municipality_ids(current_user)
    search = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    municipality_id = bounded_int_arg("municipality")
    query = (
        select(User)
        .outerjoin(Municipality, Municipality.id == User.municipality_id)
        .options(joinedload(User.municipality))
        .order_by(User.name, User.id)
    )
    if not permissions.is_iom(current_user):
        query = query.where(User.role == ROLE_OFFICIAL, scope_clause(User.municipality_id, scope_ids))
    elif role in (ROLE_OFFICIAL, ROLE_COORDINATOR, ROLE_IOM):
        query = query.where(User.role == role)
    if municipality_id:
        query = query.where(User.municipality_id == municipality_id)
    if search:
        needle = f"%{search.lower()}%"
        query = query.where(or_(func.lower(User.name).like(needle), func.lower(User.email).like(needle)))
    page = db.paginate(query, page=_page(), per_page=PER_PAGE, error_out=False)
    municipalities = db.session.scalars(
        select(Municipality).where(scope_clause(Municipality.id, scope_ids)).order_by(Municipality.name)
    ).all()
    focal_ids = cycle_service.designated_user_ids([u.id for u in page.items])
    return render_template(
        "admin/users.html",
        page=page,
        search=search,
        role=role,
        focal_ids=focal_ids,
        municipality_id=municipality_id,
        municipalities=municipalities,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@staff_required
def user(user_id: int):
    """One account: profile and role (IOM), coordinator scope (IOM), activation and password reset."""
    person = _manageable_user_or_404(user_id)
    is_iom = permissions.is_iom(current_user)
    profile = ProfileForm(prefix="profile", obj=None)
    scope = ScopeForm(prefix="scope")
    confirm = ConfirmForm(prefix="confirm")
    profile.municipality.choices = _municipality_choices(_("Sin municipio"))
    profile.area.choices = [(0, _("Sin área"))] + [
        (a.id, tr(a.name)) for a in db.session.scalars(select(Area).where(Area.active).order_by(Area.position))
    ]
    scope.municipalities.choices = _municipality_choices()
    if request.method == "POST":
        action = request.form.get("action")
        if action in ("profile", "scope") and not is_iom:
            abort(403)
        if action not in ("profile", "scope", "deactivate", "reactivate", "reset"):
            abort(400)
        try:
            if action == "profile" and profile.validate_on_submit():
                if admin_service.update_profile(
                    current_user,
                    person,
                    role=profile.role.data,
                    municipality_id=profile.municipality.data or None,
                    area_id=profile.area.data or None,
                ):
                    db.session.commit()
                    flash(_("Cambios guardados."), "success")
                return redirect(url_for("admin.user", user_id=person.id))
            if action == "scope" and scope.validate_on_submit():
                if admin_service.set_scope(
                    current_user,
                    person,
                    all_municipalities=scope.all_municipalities.data,
                    municipality_ids=set(scope.municipalities.data or []),
                ):
                    db.session.commit()
                    flash(_("Alcance actualizado."), "success")
                return redirect(url_for("admin.user", user_id=person.id))
            if action in ("deactivate", "reactivate") and confirm.validate_on_submit():
                if admin_service.set_active(current_user, person, action == "reactivate"):
                    db.session.commit()
                    flash(
                        _("Cuenta reactivada.")
                        if action == "reactivate"
                        else _("Cuenta desactivada. Sus registros se conservan."),
                        "success",
                    )
                return redirect(url_for("admin.user", user_id=person.id))
            if action == "reset" and confirm.validate_on_submit():
                token = admin_service.send_password_reset(current_user, person)
                db.session.commit()
                if send_reset(person, token, by_staff=True):
                    flash(
                        _(
                            "Enviamos a %(email)s un enlace para elegir una nueva contraseña (sirve una vez, "
                            "durante 72 horas).",
                            email=person.email,
                        ),
                        "success",
                    )
                else:
                    flash(_("No se pudo enviar el correo. Intente de nuevo más tarde."), "error")
                return redirect(url_for("admin.user", user_id=person.id))
        except admin_service.AdminError as error:
            db.session.rollback()
            flash(ADMIN_MESSAGES[error.code](), "error")
            return redirect(url_for("admin.user", user_id=person.id))
    if request.method == "GET" or not profile.errors:
        profile.role.data = person.role
        profile.municipality.data = person.municipality_id or 0
        profile.area.data = person.area_id or 0
    if request.method == "GET" or not scope.errors:
        scope.all_municipalities.data = person.all_municipalities
        scope.municipalities.data = [m.id for m in person.scope]
    events_query = select(AuditEvent).where(AuditEvent.target_user_id == person.id)
    if not is_iom:
        events_query = events_query.where(visible_audit_clause(current_user))
    events = db.session.scalars(events_query.order_by(AuditEvent.created_at.desc()).limit(20)).all()
    return render_template(
        "admin/user.html",
        person=person,
        profile=profile,
        scope=scope,
        confirm=confirm,
        is_iom=is_iom,
        events=events,
        focal_ids=cycle_service.designated_user_ids([person.id]),
    )


@bp.route("/municipalities")
@iom_required
def municipalities():
    """Every municipality with its focal point and number of officials."""
    counts = dict(
        db.session.execute(
            select(User.municipality_id, func.count(User.id))
            .where(User.role == ROLE_OFFICIAL, User.active)
            .group_by(User.municipality_id)
        ).all()
    )
    cycle = cycle_service.current_cycle()
    focal = (
        {mid: names[cycle_service.FOCAL] for mid, names in cycle_service.designated_names(cycle.id).items()}
        if cycle
        else {}
    )
    rows = db.session.scalars(select(Municipality).order_by(Municipality.province, Municipality.name)).all()
    return render_template("admin/municipalities.html", rows=rows, counts=counts, focal=focal)


@bp.route("/municipalities/new", methods=["GET", "POST"])
@bp.route("/municipalities/<int:municipality_id>", methods=["GET", "POST"])
@iom_required
def municipality(municipality_id: int | None = None):
    """Create or edit a municipality; its cycles (and focal points) are listed with links."""
    current = db.get_or_404(Municipality, municipality_id) if municipality_id else None
    form = MunicipalityForm(prefix="m", obj=current)
    history = cycle_service.cycles_of(current.id) if current is not None else []
    action = request.form.get("action")
    try:
        if action == "save" and form.validate_on_submit():
            saved = admin_service.save_municipality(
                current_user, current, name=form.name.data, province=form.province.data, country=form.country.data
            )
            db.session.commit()
            flash(_("Municipio guardado."), "success")
            return redirect(url_for("admin.municipality", municipality_id=saved.id))
    except admin_service.AdminError as error:
        db.session.rollback()
        flash(ADMIN_MESSAGES[error.code](), "error")
    return render_template("admin/municipality.html", form=form, current=current, history=history)


@bp.route("/audit")
@staff_required
def audit():
    """Changes of roles, scope, focal points, accounts and municipalities (newest first)."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if current_user.role != ROLE_IOM:
        query = query.where(visible_audit_clause(current_user))
    page = db.paginate(query, page=_page(), per_page=50, error_out=False)
    people = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({e.actor_id for e in page.items} | {e.target_user_id for e in page.items}))
        )
    }
    places = {
        m.id: m
        for m in db.session.scalars(
            select(Municipality).where(Municipality.id.in_({e.municipality_id for e in page.items}))
        )
    }
    return render_template("admin/audit.html", page=page, people=people, places=places)
