"""Monitoring pages. Every view resolves the viewer's scope first and passes it to the services."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.i18n import tr
from app.models import Area, Module, Municipality, Quiz, QuizAttempt, User
from app.monitoring import bp
from app.monitoring import tables as T
from app.monitoring.export import export
from app.monitoring.forms import ExtraAttemptForm, FilterForm
from app.services import disclosure as D
from app.services import monitoring as M
from app.services import progress as progress_service
from app.security import MAX_PAGE, bounded_int_arg
from app.services import quiz as quiz_service
from app.services.permissions import can_grant_extra_attempt, can_monitor, can_see_people, can_see_person
from app.services.scope import in_scope, visible_municipality_ids

LEVELS = ("programme", "municipality", "module", "area")
EXPORT_FORMATS = ("csv", "xlsx")
PER_PAGE = 25


def _pages(total: int) -> int:
    """How many pages of PER_PAGE items `total` items fill (at least one)."""
    return max((total + PER_PAGE - 1) // PER_PAGE, 1)


def TOO_NARROW() -> str:  # noqa: N802  (a message, built at request time for the language)
    return _(
        "El filtro es demasiado estrecho: deja menos de %(n)s personas, y las cifras de un grupo tan "
        "chico podrían identificar a alguien. Amplíe las fechas o quite el filtro de área.",
        n=_policy().min_group,
    )


def monitor_required(view):
    """Coordinators, IOM officers and focal points only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not can_monitor(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _policy() -> D.Policy:
    return D.Policy.from_config(current_app.config)


def _viewer() -> D.Viewer:
    """Coordinators and IOM officers see the list of officials; focal points do not."""
    return D.Viewer(sees_people=can_see_people(current_user))


def _scope() -> set[int] | None:
    return visible_municipality_ids(current_user)


def _filter_form(scope_ids, municipality_id: int | None = None):
    form = FilterForm(request.args)
    form.province.choices = [("", _("Todas"))] + [(p, p) for p in M.provinces(scope_ids)]
    areas = db.session.scalars(select(Area).where(Area.active).order_by(Area.position))
    form.area.choices = [("", _("Todas"))] + [(str(a.id), tr(a.name)) for a in areas]
    valid = form.validate()
    filters = M.Filters(
        province=(form.province.data or None) if valid else None,
        area_id=int(form.area.data) if valid and form.area.data and form.area.data.isdigit() else None,
        registered_from=form.registered_from.data if valid else None,
        registered_to=form.registered_to.data if valid else None,
        municipality_id=municipality_id,
    )
    form.snapped = None
    if filters.registered_from or filters.registered_to:
        # Whole months, merged until every municipality in view gains 0 or >= MIN_GROUP_SIZE people
        # between two allowed boundaries: two settings never differ by a small group (disclosure rule 5).
        periods = D.registration_periods(M.registrations_by_month(scope_ids, filters), _policy())
        start, end = D.snap_dates(filters.registered_from, filters.registered_to, periods)
        if (start, end) != (filters.registered_from, filters.registered_to):
            form.snapped = (start, end)
        filters = M.Filters(**{**filters.__dict__, "registered_from": start, "registered_to": end})
    return form, filters


def _sliced(filters: M.Filters) -> bool:
    """A view of part of each municipality's people (registration dates or area).

    Gender figures are published for whole groups only: a sliced view of gender counts, compared with
    another slice or with the whole, would add equations on the same people (differencing), and the
    people list (dates, areas) tells coordinators exactly who is in each slice.
    """
    return bool(filters.area_id or filters.registered_from or filters.registered_to)


def _too_narrow(group_size: int, policy: D.Policy) -> bool:
    """A filtered group too small to show to a viewer who may not see individuals."""
    return not _viewer().sees_people and D.too_narrow(group_size, policy)


def _emptied(tables: list, message: str) -> None:
    for table in tables:
        table.rows, table.footer, table.links, table.shares = [], None, {}, []
        table.note = message


def _context_lines(filters: M.Filters, scope_ids) -> list[str]:
    """Scope and filters, written at the top of every export."""
    if scope_ids is None:
        lines = [_("Alcance: todos los municipios")]
    else:
        names = db.session.scalars(
            select(Municipality.name).where(Municipality.id.in_(sorted(scope_ids) or [0])).order_by(Municipality.name)
        )
        lines = [_("Alcance: %(names)s", names=", ".join(names) or _("ningún municipio"))]
    if filters.province:
        lines.append(_("Provincia: %(p)s", p=filters.province))
    if filters.area_id:
        area = db.session.get(Area, filters.area_id)
        lines.append(_("Área: %(a)s", a=tr(area.name) if area else filters.area_id))
    if filters.registered_from or filters.registered_to:
        lines.append(_("Inscripción: %(a)s – %(b)s", a=filters.registered_from or "…", b=filters.registered_to or "…"))
    if g.get("figures_as_of"):
        lines.append(_("Cifras calculadas el %(when)s", when=format_datetime(g.figures_as_of, "short")))
    lines.append(T.reading_note(_policy()))
    return lines


def _maybe_export(tables: list, filters: M.Filters, scope_ids):
    """Answer ?format=csv|xlsx&table=ID with that table's download; None otherwise."""
    fmt = request.args.get("format")
    if fmt is None:
        return None
    if fmt not in EXPORT_FORMATS:
        abort(400)
    wanted = request.args.get("table", tables[0].id)
    table = next((t for t in tables if t.id == wanted), None)
    if table is None:
        abort(404)
    return export(table, fmt, _context_lines(filters, scope_ids))


def _sorted(table: T.Table, key: str | None, descending: bool) -> None:
    column = next((c for c in table.columns if c.key == key), None)
    if column is None:
        return

    def sort_key(row):
        value = row.get(column.key)
        if isinstance(value, T.Rounded):
            value = value.value
        if isinstance(value, T.Hidden) or value is None:
            return (1, 0) if column.numeric else (1, "")
        return (0, -value if descending and column.numeric else value) if column.numeric else (0, str(value).lower())

    table.rows.sort(key=sort_key, reverse=descending and not column.numeric)


def _municipality_or_404(municipality_id: int, scope_ids) -> Municipality:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None or not in_scope(scope_ids, municipality.id):
        abort(404)
    return municipality


@bp.route("/")
@monitor_required
def overview():
    """Programme overview: one row per municipality in scope, filterable and sortable."""
    scope_ids = _scope()
    form, filters = _filter_form(scope_ids)
    policy = _policy()
    n_modules = M.module_count()
    # Every municipality in scope is protected together; the province filter only chooses rows to show.
    rows = M.overview(scope_ids, M.Filters(**{**filters.__dict__, "province": None}))
    keep = {r.id for r in rows if r.province == filters.province} if filters.province else None
    table, programme = T.overview_table(rows, n_modules, policy, _viewer(), gender=not _sliced(filters), keep=keep)
    narrow = _too_narrow(sum(r.registered for r in rows if keep is None or r.id in keep), policy)
    if narrow:
        _emptied([table], TOO_NARROW())
        programme = None
    sort, descending = request.args.get("sort", "name"), request.args.get("dir") == "desc"
    _sorted(table, sort, descending)
    response = _maybe_export([table], filters, scope_ids)
    if response is not None:
        return response
    # Hundreds of municipalities country-wide: sorted and protected as a whole, shown a page at a time
    # (the export has every row).
    pages = _pages(len(table.rows))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    table.rows = table.rows[(page - 1) * PER_PAGE : page * PER_PAGE]
    table.links = {i: url_for("monitoring.municipality", municipality_id=row["id"]) for i, row in enumerate(table.rows)}
    return render_template(
        "monitoring/overview.html",
        form=form,
        table=table,
        page=page,
        pages=pages,
        sort=sort,
        descending=descending,
        programme=programme,
        policy=policy,
        filters=filters,
        narrow=narrow,
        sliced=_sliced(filters),
    )


@bp.route("/municipalities/<int:municipality_id>")
@monitor_required
def municipality(municipality_id: int):
    """One municipality: per module, per area, funnel, gender balance and (for staff) the officials."""
    scope_ids = _scope()
    municipality = _municipality_or_404(municipality_id, scope_ids)
    form, filters = _filter_form(scope_ids, municipality.id)
    policy, viewer = _policy(), _viewer()
    n_modules = M.module_count()
    funnel = M.funnel(scope_ids, filters)
    modules = T.module_table(M.by_module(scope_ids, filters), policy, viewer=viewer)
    everyone = next(iter(M.gender_outcomes(scope_ids, filters, "programme")), None)
    areas, balance, published = T.area_table(
        M.by_area(scope_ids, filters),
        policy,
        n_modules,
        viewer,
        totals=everyone.enrolled if everyone else None,
        gender=not _sliced(filters),
    )
    if balance is not None:
        published["registered"] = balance.total
    funnel_table = T.funnel_table(funnel, policy, viewer, published)
    narrow = _too_narrow(funnel.registered, policy)
    if narrow:
        _emptied([modules, areas, funnel_table], TOO_NARROW())
        balance = None
    show_people = can_see_people(current_user)
    if request.args.get("format") is not None and request.args.get("format") not in EXPORT_FORMATS:
        abort(400)
    people_table, total, page = None, 0, bounded_int_arg("page", default=1, maximum=MAX_PAGE)
    if show_people:
        items, total = M.official_list(scope_ids, filters, search=form.q.data or "", page=page, per_page=PER_PAGE)
        area_names = {a.id: tr(a.name) for a in db.session.scalars(select(Area))}
        people_table = T.Table(
            "officials",
            _("Funcionarias y funcionarios"),
            [
                T.Column("name", _("Nombre"), "text", numeric=False),
                T.Column("email", _("Correo"), "text", numeric=False),
                T.Column("area", _("Área"), "text", numeric=False),
                T.Column("started", _("Módulos empezados")),
                T.Column("completed", _("Módulos completados")),
                T.Column("avg_score", _("Puntaje promedio"), "score"),
                T.Column("last_seen", _("Última actividad"), "date", numeric=False),
            ],
        )
        for index, item in enumerate(items):
            people_table.rows.append(
                {
                    "name": item.name + (" · " + _("punto focal") if item.is_focal_point else ""),
                    "email": item.email,
                    "area": area_names.get(item.area_id, ""),
                    "started": item.started,
                    "completed": item.completed,
                    "avg_score": item.avg_score,
                    "last_seen": item.last_seen_at,
                }
            )
            people_table.links[index] = url_for("monitoring.official", user_id=item.id)
        if request.args.get("format") and request.args.get("table") == "officials":
            everyone, _total = M.official_list(scope_ids, filters, search=form.q.data or "", page=1, per_page=100000)
            people_table.rows = [
                {
                    "name": i.name,
                    "email": i.email,
                    "area": area_names.get(i.area_id, ""),
                    "started": i.started,
                    "completed": i.completed,
                    "avg_score": i.avg_score,
                    "last_seen": i.last_seen_at.date().isoformat() if i.last_seen_at else "",
                }
                for i in everyone
            ]
    tables = [modules, areas, funnel_table] + ([people_table] if people_table else [])
    response = _maybe_export(tables, filters, scope_ids)
    if response is not None:
        return response
    return render_template(
        "monitoring/municipality.html",
        municipality=municipality,
        form=form,
        funnel=funnel,
        funnel_table=funnel_table,
        modules=modules,
        areas=areas,
        people=people_table,
        total=total,
        page=page,
        pages=_pages(total),
        balance=balance,
        policy=policy,
        n_modules=n_modules,
        narrow=narrow,
        sliced=_sliced(filters),
    )


@bp.route("/officials/<int:user_id>")
@monitor_required
def official(user_id: int):
    """One official's progress and attempts (coordinators and IOM officers, within scope)."""
    if not can_see_people(current_user):
        abort(403)
    person = db.session.get(User, user_id)
    if person is None or not can_see_person(current_user, person):
        abort(404)
    progress = progress_service.learner_progress(person.id)
    attempts = db.session.execute(
        select(QuizAttempt, Module)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .where(QuizAttempt.user_id == person.id)
        .order_by(Module.position, QuizAttempt.number)
    ).all()
    return render_template("monitoring/official.html", person=person, progress=progress, attempts=attempts)


@bp.route("/officials/<int:user_id>/extra-attempt", methods=["GET", "POST"])
@monitor_required
def extra_attempt(user_id: int):
    """Grant one more quiz attempt, with a reason, to a learner who used them all without passing."""
    person = db.session.get(User, user_id)
    if person is None or not in_scope(_scope(), person.municipality_id):
        abort(404)
    if not can_grant_extra_attempt(current_user, person):
        abort(403)
    stuck = [p for p in progress_service.learner_progress(person.id) if p.out_of_attempts]
    form = ExtraAttemptForm()
    form.module.choices = [(p.quiz.id, tr(p.module.title)) for p in stuck]
    if stuck and form.validate_on_submit():
        quiz = next(p.quiz for p in stuck if p.quiz.id == form.module.data)
        try:
            quiz_service.grant_extra_attempt(current_user, person, quiz, form.reason.data)
        except quiz_service.QuizError:
            db.session.rollback()
            flash(_("Esta persona ya no necesita un intento adicional en ese módulo."), "error")
        else:
            db.session.commit()
            flash(_("Intento adicional concedido. La persona lo ve en la página del módulo."), "success")
        return redirect(url_for("monitoring.official", user_id=person.id))
    return render_template("monitoring/extra_attempt.html", person=person, form=form, stuck=stuck)


@bp.route("/modules/<int:module_id>")
@monitor_required
def module(module_id: int):
    """One module: completion and pass rates, score distribution, attempts, most-missed questions."""
    module = db.session.get(Module, module_id)
    if module is None or not module.active:
        abort(404)
    scope_ids = _scope()
    form, filters = _filter_form(scope_ids)
    policy, viewer = _policy(), _viewer()
    row = next(iter(M.by_module(scope_ids, filters, module.id)), None)
    summary = T.module_table([row] if row else [], policy, title=_("Resumen"), viewer=viewer)
    by_score, by_attempts = M.module_distributions(scope_ids, filters, module.id)
    scores = T.distribution_table(by_score, policy, viewer)
    attempts = T.attempts_table(by_attempts, policy, viewer)
    missed = T.missed_table(M.most_missed(scope_ids, filters, module.id), policy, viewer)
    narrow = _too_narrow(row.people if row else 0, policy)
    if narrow:
        _emptied([summary, scores, attempts, missed], TOO_NARROW())
    response = _maybe_export([summary, scores, attempts, missed], filters, scope_ids)
    if response is not None:
        return response
    modules = db.session.scalars(select(Module).where(Module.active).order_by(Module.position)).all()
    return render_template(
        "monitoring/module.html",
        module=module,
        modules=modules,
        form=form,
        summary=summary,
        scores=scores,
        attempts=attempts,
        missed=missed,
        policy=policy,
        narrow=narrow,
    )


@bp.route("/gender")
@monitor_required
def gender():
    """Gender outcomes at a chosen level: enrolment, completion, pass and score per category."""
    scope_ids = _scope()
    level = request.args.get("level", "programme")
    if level not in LEVELS:
        abort(404)
    form, filters = _filter_form(scope_ids)
    policy = _policy()
    sliced = _sliced(filters)  # gender figures only for whole groups (see _sliced)
    outcomes = [] if sliced else M.gender_outcomes(scope_ids, filters, level)
    titles = {o.key: _("Todo el programa") if level == "programme" else tr(o.label) for o in outcomes}
    if request.args.get("format") and outcomes:
        tables = T.gender_outcome_tables(outcomes, policy, level, _viewer(), titles)
        response = _maybe_export(tables, filters, scope_ids)
        if response is not None:
            return response
    # A country-wide programme has hundreds of municipalities: the groups are shown a page at a time,
    # protected together (every page hides what the whole level hides; exports have all of them).
    pages = _pages(len(outcomes))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    shown = slice((page - 1) * PER_PAGE, page * PER_PAGE)
    tables = T.gender_outcome_tables(outcomes, policy, level, _viewer(), titles, shown=shown)
    return render_template(
        "monitoring/gender.html",
        form=form,
        tables=tables,
        groups=len(outcomes),
        per_page=PER_PAGE,
        page=page,
        pages=pages,
        level=level,
        levels=LEVELS,
        policy=policy,
        sliced=sliced,
    )


# --------------------------------------------------------------------------- certificates


@bp.route("/certificates")
@monitor_required
def certificates():
    """Training certificates per municipality and gender; the holders for those who may see people."""
    scope_ids = _scope()
    form, filters = _filter_form(scope_ids)
    policy = _policy()
    rows = M.certificates_by_municipality(scope_ids, filters)
    table = T.certificates_table(rows, policy, _viewer(), gender=not _sliced(filters))
    holders, total, page = None, 0, max(request.args.get("page", 1, type=int), 1)
    if can_see_people(current_user):
        holders, total = M.certificate_holders(scope_ids, filters, page=page, per_page=PER_PAGE)
    response = _maybe_export([table], filters, scope_ids)
    if response is not None:
        return response
    return render_template(
        "monitoring/certificates.html",
        form=form,
        table=table,
        policy=policy,
        holders=holders,
        total=total,
        page=page,
        pages=_pages(total),
    )
