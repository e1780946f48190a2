"""Certification stages: the rules engine that reads a municipality's cycle and says, stage by stage and
requirement by requirement, what is met and what is missing.

Stages and their thresholds are content (`content/stages.yaml`); the *kinds* of requirement are the
closed set of functions below (`KINDS`). Each kind takes the municipality's data for the cycle and its
parameters from the file, and returns a `Result`: the current value, the target, met or not, and one
sentence saying what is missing. The data for any number of municipal cycles is gathered by `gather`
in a constant number of queries, so a municipality's page and the programme table cost the same
whatever the size of the municipality or of the programme.

Stage states: *awarded* or *revoked* (from the awards), else *locked* while the previous stage is not
awarded (stages are awarded in order), else *eligible* when every requirement is met, else *in
progress*. Awards, overrides and revocations are in `app.services.stage_awards`.

Women's shares follow `app.services.gender` as is: the share among those who declared a gender, the
band's ends included, and parity is judged only when at least `MIN_GROUP_SIZE` people declared a
gender (fewer could single someone out); the exact share is shown only when no gender cell is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import tr
from app.models import (
    Application,
    Area,
    Diagnostic,
    MunicipalCycle,
    PlanAction,
    Priority,
    Stage,
    StageAward,
    User,
    WorkPlan,
    Workshop,
    WorkshopAttendee,
)
from app.models.municipal import ACCEPTED, APPROVED, DRAFT, RETURNED, SUBMITTED, VALIDATED
from app.models.stages import AWARDED, REVOKED
from app.services import gender as gender_service
from app.services.diagnostic import DiagnosticView, views_for
from app.services.workplan import action_complete

LOCKED, IN_PROGRESS, ELIGIBLE = "locked", "in_progress", "eligible"
STAGE_STATES = (LOCKED, IN_PROGRESS, ELIGIBLE, AWARDED, REVOKED)


# =========================================================================== training data
#
# "Holders of a valid training certificate in municipality M" is read here and nowhere else: the
# training stage combines completion and assessment through the certificates the platform issued by
# its one completion rule (app.services.completion), never through a copy of that rule. A certificate
# counts while it is neither revoked nor superseded and its holder is an active account of the
# municipality; the quiz scores are the ones frozen in the certificate's claims.


@dataclass(frozen=True)
class Holder:
    """A person holding a valid training certificate: what the training stage reads about them."""

    user_id: int
    municipality_id: int
    area_id: int | None
    gender: str
    best_score: float | None  # the average of their best score in each module quiz


def training_holders(municipality_ids: list[int]) -> dict[int, list[Holder]]:
    """Holders of a valid training certificate per municipality id (one query)."""
    from app.models import Certificate
    from app.models.certification import KIND_TRAINING

    holders: dict[int, list[Holder]] = {mid: [] for mid in municipality_ids}
    if not municipality_ids:
        return holders
    rows = db.session.execute(
        select(User.id, User.municipality_id, User.area_id, User.gender, Certificate.claims)
        .join(Certificate, Certificate.holder_id == User.id)
        .where(
            Certificate.kind == KIND_TRAINING,
            Certificate.revoked_at.is_(None),
            Certificate.superseded_by_id.is_(None),
            User.active,
            User.municipality_id.in_(sorted(set(municipality_ids))),
        )
        .order_by(User.id)
    ).all()
    for user_id, municipality_id, area_id, gender, claims in rows:
        scores = [m.get("best_score") for m in (claims or {}).get("modules", []) if m.get("best_score") is not None]
        average = sum(scores) / len(scores) if scores else None
        holders[municipality_id].append(Holder(user_id, municipality_id, area_id, gender, average))
    return holders


# =========================================================================== the data the rules read


@dataclass
class Attendee:
    """Someone counted at the cycle's workshops (an official once, however many workshops; each guest)."""

    area_id: int | None
    gender: str


@dataclass
class PriorityFacts:
    """A priority of the work plan, and whether it has an action the plan can count."""

    id: int
    title: str
    dimension_id: int
    has_complete_action: bool


@dataclass
class CycleData:
    """Everything the requirement kinds read about one municipality's cycle."""

    mc: MunicipalCycle
    application: Application | None = None
    diagnostic: DiagnosticView | None = None
    plan_state: str | None = None
    holders: list[Holder] = field(default_factory=list)
    workshops: int = 0
    attendees: list[Attendee] = field(default_factory=list)
    priorities: list[PriorityFacts] = field(default_factory=list)
    awards: dict[int, StageAward] = field(default_factory=dict)


@dataclass
class Context:
    """What is shared by every municipality of one evaluation: stages, area names, the gender policy."""

    stages: list[Stage]
    areas: dict[int, Area]
    policy: gender_service.Policy


def active_stages() -> list[Stage]:
    """The stages in order (one query)."""
    return list(db.session.scalars(select(Stage).where(Stage.active).order_by(Stage.position)))


def gather(mcs: list[MunicipalCycle]) -> tuple[Context, dict[int, CycleData]]:
    """The data of many municipal cycles, by municipal cycle id, in a constant number of queries."""
    context = Context(
        stages=active_stages(),
        areas={a.id: a for a in db.session.scalars(select(Area))},
        policy=gender_service.Policy.from_config(current_app.config),
    )
    data = {mc.id: CycleData(mc) for mc in mcs}
    if not mcs:
        return context, data
    ids = sorted(data)
    for row in db.session.scalars(select(Application).where(Application.municipal_cycle_id.in_(ids))):
        data[row.municipal_cycle_id].application = row
    diagnostics = list(db.session.scalars(select(Diagnostic).where(Diagnostic.municipal_cycle_id.in_(ids))))
    views = views_for(diagnostics)
    for mc_data in data.values():
        mc_data.diagnostic = views[None]
    for diagnostic_id, view in views.items():
        if diagnostic_id is not None:
            data[view.diagnostic.municipal_cycle_id].diagnostic = view
    for mc_id, state in db.session.execute(
        select(WorkPlan.municipal_cycle_id, WorkPlan.state).where(WorkPlan.municipal_cycle_id.in_(ids))
    ):
        data[mc_id].plan_state = state
    holders = training_holders([mc.municipality_id for mc in mcs])
    for mc in mcs:
        data[mc.id].holders = holders.get(mc.municipality_id, [])
    for mc_id, n in db.session.execute(
        select(Workshop.municipal_cycle_id, func.count(Workshop.id))
        .where(Workshop.municipal_cycle_id.in_(ids))
        .group_by(Workshop.municipal_cycle_id)
    ):
        data[mc_id].workshops = n
    seen: set[tuple[int, int]] = set()
    for mc_id, user_id, area_id, gender in db.session.execute(
        select(Workshop.municipal_cycle_id, WorkshopAttendee.user_id, WorkshopAttendee.area_id, WorkshopAttendee.gender)
        .join(Workshop, Workshop.id == WorkshopAttendee.workshop_id)
        .where(Workshop.municipal_cycle_id.in_(ids))
        .order_by(Workshop.held_on.desc(), WorkshopAttendee.id)
    ):
        if user_id is not None:
            if (mc_id, user_id) in seen:
                continue
            seen.add((mc_id, user_id))
        data[mc_id].attendees.append(Attendee(area_id, gender))
    actions: dict[int, list[PlanAction]] = {}
    for action in db.session.scalars(
        select(PlanAction)
        .join(Priority, Priority.id == PlanAction.priority_id)
        .where(Priority.municipal_cycle_id.in_(ids))
    ):
        actions.setdefault(action.priority_id, []).append(action)
    for priority in db.session.scalars(
        select(Priority).where(Priority.municipal_cycle_id.in_(ids)).order_by(Priority.position, Priority.id)
    ):
        data[priority.municipal_cycle_id].priorities.append(
            PriorityFacts(
                priority.id,
                priority.title,
                priority.dimension_id,
                any(action_complete(a) for a in actions.get(priority.id, [])),
            )
        )
    for award in db.session.scalars(select(StageAward).where(StageAward.municipal_cycle_id.in_(ids))):
        data[award.municipal_cycle_id].awards[award.stage_id] = award
    return context, data


# =========================================================================== requirement kinds


@dataclass
class Result:
    """One requirement evaluated: raw value and target (kept in the log), met, and words for people."""

    kind: str
    label: str
    value: Any
    target: Any
    met: bool
    value_text: str
    target_text: str
    missing: str = ""

    def snapshot(self) -> dict:
        """What the log keeps of this requirement."""
        return {"kind": self.kind, "value": self.value, "target": self.target, "met": self.met}


@dataclass(frozen=True)
class Param:
    """A parameter a requirement kind takes from stages.yaml."""

    name: str
    type: str  # "count" (whole number >= 1), "percent" (0-100), "bool"
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class Kind:
    """A requirement kind: its parameters and the function that evaluates it."""

    name: str
    params: tuple[Param, ...]
    evaluate: Callable[[CycleData, dict, "Evaluation"], Result]


@dataclass
class Evaluation:
    """What a requirement may need beyond its own municipality's data: the stage and the context."""

    context: Context
    stage: Stage


def _pct(value: float | None) -> str:
    return "—" if value is None else format_percent(value / 100, format="#,##0 %")


def _band(low: float, high: float) -> str:
    return _("%(low)s–%(high)s", low=format_decimal(low, format="#,##0"), high=_pct(high))


def _names(items: list[str]) -> str:
    return ", ".join(items)


def _area_names(area_ids, context: Context) -> str:
    areas = sorted((context.areas[i] for i in area_ids if i in context.areas), key=lambda a: (a.position, a.key))
    return _names([tr(a.name) for a in areas])


def _yes_no(met: bool) -> str:
    return _("Sí") if met else _("No")


def _review_missing(state: str | None, what: str) -> str:
    """The sentence for a reviewed record (application, diagnostic, plan) that is not yet final."""
    texts = {
        "application": {
            None: _("La solicitud de adhesión todavía no fue completada ni enviada."),
            DRAFT: _("La solicitud de adhesión está en borrador: falta enviarla a la OIM."),
            SUBMITTED: _("La solicitud de adhesión está en revisión de la OIM."),
            RETURNED: _("La OIM devolvió la solicitud con comentarios: hay que corregirla y volver a enviarla."),
        },
        "diagnostic": {
            None: _("El diagnóstico todavía no fue empezado."),
            DRAFT: _("El diagnóstico está en borrador: falta enviarlo a la OIM."),
            SUBMITTED: _("El diagnóstico está en revisión de la OIM."),
            RETURNED: _("La OIM devolvió el diagnóstico con comentarios: hay que corregirlo y volver a enviarlo."),
        },
        "plan": {
            None: _("El plan de trabajo todavía no fue empezado."),
            DRAFT: _("El plan de trabajo está en borrador: falta enviarlo a la OIM."),
            SUBMITTED: _("El plan de trabajo está en revisión de la OIM."),
            RETURNED: _("La OIM devolvió el plan de trabajo con comentarios: hay que corregirlo y volver a enviarlo."),
        },
    }[what]
    return texts.get(state, texts[None])


def _state_text(state: str | None) -> str:
    return {
        None: _("Sin empezar"),
        DRAFT: _("Borrador"),
        SUBMITTED: _("Enviado, en revisión"),
        RETURNED: _("Devuelto con comentarios"),
        ACCEPTED: _("Aceptada"),
        VALIDATED: _("Validado"),
        APPROVED: _("Aprobado"),
    }.get(state, state or "")


def application_accepted(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """The application (adhesion) accepted by IOM."""
    state = data.application.state if data.application else None
    met = state == ACCEPTED
    return Result(
        "application_accepted",
        _("Solicitud de adhesión aceptada por la OIM"),
        state,
        ACCEPTED,
        met,
        _state_text(state),
        _state_text(ACCEPTED),
        "" if met else _review_missing(state, "application"),
    )


def letter_of_intent(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """The mayor's letter of intent on file."""
    met = bool(data.application and data.application.letter_stored_name)
    return Result(
        "letter_of_intent",
        _("Carta de intención de la intendencia cargada"),
        met,
        True,
        met,
        _yes_no(met),
        _yes_no(True),
        "" if met else _("Falta subir la carta de intención firmada por la intendencia."),
    )


def focal_point_designated(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """A focal point designated for the municipality in this cycle."""
    met = data.mc.focal_point_id is not None
    return Result(
        "focal_point_designated",
        _("Punto focal designado para el ciclo"),
        met,
        True,
        met,
        _yes_no(met),
        _yes_no(True),
        "" if met else _("Falta designar al punto focal del municipio para este ciclo."),
    )


def certified_officials(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """At least `min` holders of a training certificate, the focal point among them when `focal_point`."""
    n, target = len(data.holders), params["min"]
    need_focal = params.get("focal_point", True)
    focal_ok = not need_focal or (
        data.mc.focal_point_id is not None and any(h.user_id == data.mc.focal_point_id for h in data.holders)
    )
    missing = []
    if n < target:
        missing.append(
            ngettext("Falta %(num)d persona certificada.", "Faltan %(num)d personas certificadas.", target - n)
        )
    if not focal_ok:
        missing.append(
            _("Todavía no hay punto focal designado.")
            if data.mc.focal_point_id is None
            else _("El punto focal todavía no tiene el certificado de capacitación.")
        )
    target_text = _("%(num)s, con el punto focal", num=target) if need_focal else str(target)
    return Result(
        "certified_officials",
        _("Funcionarias y funcionarios con certificado de capacitación"),
        {"count": n, "focal_point": focal_ok},
        {"min": target, "focal_point": need_focal},
        n >= target and focal_ok,
        str(n),
        target_text,
        " ".join(missing),
    )


def _distinct_areas(data_areas, target: int, kind: str, label: str, who: str, ev: Evaluation) -> Result:
    areas = {a for a in data_areas if a is not None}
    n = len(areas)
    missing = ""
    if n < target:
        if areas:
            missing = ngettext(
                "Falta %(num)d área más: %(who)s de cualquier área salvo %(areas)s.",
                "Faltan %(num)d áreas más: %(who)s de cualquier área salvo %(areas)s.",
                target - n,
                who=who,
                areas=_area_names(areas, ev.context),
            )
        else:
            missing = ngettext(
                "Falta %(num)d área: %(who)s de un área de gobierno.",
                "Faltan %(num)d áreas: %(who)s de %(num)d áreas de gobierno distintas.",
                target - n,
                who=who,
            )
    return Result(kind, label, n, target, n >= target, str(n), str(target), missing)


def certified_areas(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Holders from at least `min` distinct government areas."""
    return _distinct_areas(
        [h.area_id for h in data.holders],
        params["min"],
        "certified_areas",
        _("Áreas de gobierno entre las personas certificadas"),
        _("personas certificadas"),
        ev,
    )


def _women_share(genders: list[str], params: dict, ev: Evaluation, kind: str, label: str, group: str) -> Result:
    base = ev.context.policy
    low = float(params["low"]) if params.get("low") is not None else base.parity_low
    high = float(params["high"]) if params.get("high") is not None else base.parity_high
    policy = gender_service.Policy(low, high, base.min_group)
    counts: dict[str, int] = {}
    for g in genders:
        counts[g] = counts.get(g, 0) + 1
    exact = gender_service.women_share(counts)
    shown = gender_service.balance(counts, policy)
    declared = shown.declared
    band = _band(low, high)
    met = declared >= policy.min_group and gender_service.parity_status(exact, policy) == gender_service.WITHIN
    if declared < policy.min_group:
        missing = _(
            "La paridad se evalúa cuando al menos %(min)s personas declararon su género; entre %(group)s hoy son %(n)s.",
            min=policy.min_group,
            group=group,
            n=declared,
        )
        value_text = _("sin datos suficientes")
    elif shown.women_share is not None:
        # Rounded (to 5 or 10 points) when a small category is hidden: said so, never passed off as exact.
        value_text = ("≈ " if shown.share_rounded else "") + _pct(shown.women_share)
        missing = (
            ""
            if met
            else _(
                "Las mujeres son el %(share)s de %(group)s; la franja de paridad es %(band)s.",
                share=value_text,
                group=group,
                band=band,
            )
        )
    else:
        # The exact share would single someone out: only the side of the band is said, or nothing.
        side = shown.parity or gender_service.parity_status(exact, policy)
        value_text = {
            gender_service.WITHIN: _("dentro de la franja"),
            gender_service.BELOW: _("por debajo de la franja"),
            gender_service.ABOVE: _("por encima de la franja"),
        }.get(side, _("sin datos suficientes"))
        missing = (
            ""
            if met
            else (
                _(
                    "La proporción de mujeres entre %(group)s está por debajo de la franja de paridad (%(band)s).",
                    group=group,
                    band=band,
                )
                if side == gender_service.BELOW
                else _(
                    "La proporción de mujeres entre %(group)s está por encima de la franja de paridad (%(band)s).",
                    group=group,
                    band=band,
                )
            )
        )
    value = {"women_share": round(exact, 1) if exact is not None else None, "declared": declared}
    return Result(kind, label, value, {"low": low, "high": high}, met, value_text, band, missing)


def certified_women_share(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Women's share among holders within the parity band (`low`-`high`, default from configuration)."""
    return _women_share(
        [h.gender for h in data.holders],
        params,
        ev,
        "certified_women_share",
        _("Mujeres entre las personas certificadas (paridad)"),
        _("las personas certificadas"),
    )


def certified_quiz_average(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """The average of the holders' best quiz scores at least `min` percent."""
    scores = [h.best_score for h in data.holders if h.best_score is not None]
    target = float(params["min"])
    average = sum(scores) / len(scores) if scores else None
    met = average is not None and average >= target
    visible = gender_service.safe_mean(average, len(scores), ev.context.policy)
    if average is None:
        value_text = "—"
        missing = _("Todavía nadie tiene el certificado de capacitación: no hay puntajes que promediar.")
    elif visible is None:
        value_text = _("oculto")
        missing = (
            "" if met else _("El promedio de los mejores puntajes está por debajo de %(target)s.", target=_pct(target))
        )
    else:
        value_text = _pct(visible)
        missing = (
            ""
            if met
            else _(
                "El promedio de los mejores puntajes es %(value)s; se necesita al menos %(target)s.",
                value=value_text,
                target=_pct(target),
            )
        )
    return Result(
        "certified_quiz_average",
        _("Promedio de los mejores puntajes en las evaluaciones"),
        round(average, 1) if average is not None else None,
        target,
        met,
        value_text,
        _pct(target),
        missing,
    )


def diagnostic_validated(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """The diagnostic validated by IOM, with every indicator of every dimension answered."""
    view = data.diagnostic
    state = view.state if view else None
    answered, total = (view.answered, view.total) if view else (0, 0)
    complete = bool(view and view.complete)
    met = state == VALIDATED and complete
    missing = ""
    if not met:
        parts = []
        if view is not None and view.diagnostic is not None and not complete:
            names = [tr(d.dimension.title) for d in view.dimensions if not d.complete]
            parts.append(
                ngettext(
                    "Faltan respuestas en %(num)d dimensión: %(names)s.",
                    "Faltan respuestas en %(num)d dimensiones: %(names)s.",
                    len(names),
                    names=_names(names),
                )
            )
        if state != VALIDATED:
            parts.append(_review_missing(state, "diagnostic"))
        missing = " ".join(parts)
    return Result(
        "diagnostic_validated",
        _("Diagnóstico completo y validado por la OIM"),
        {"state": state, "answered": answered, "total": total},
        {"state": VALIDATED},
        met,
        _(
            "%(state)s; %(answered)s de %(total)s indicadores respondidos",
            state=_state_text(state),
            answered=answered,
            total=total,
        ),
        _("Validado, con todos los indicadores respondidos"),
        missing,
    )


def workshops_held(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """At least `min` diagnostic workshops recorded."""
    n, target = data.workshops, params["min"]
    missing = (
        ""
        if n >= target
        else ngettext(
            "Falta registrar %(num)d taller de diagnóstico.",
            "Faltan registrar %(num)d talleres de diagnóstico.",
            target - n,
        )
    )
    return Result(
        "workshops_held", _("Talleres de diagnóstico realizados"), n, target, n >= target, str(n), str(target), missing
    )


def workshop_attendees(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """At least `min` people attended the cycle's workshops (each official counted once)."""
    n, target = len(data.attendees), params["min"]
    missing = (
        ""
        if n >= target
        else ngettext(
            "Falta %(num)d asistente a los talleres.", "Faltan %(num)d asistentes a los talleres.", target - n
        )
    )
    return Result(
        "workshop_attendees", _("Asistentes a los talleres"), n, target, n >= target, str(n), str(target), missing
    )


def workshop_areas(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Attendees from at least `min` distinct government areas."""
    return _distinct_areas(
        [a.area_id for a in data.attendees],
        params["min"],
        "workshop_areas",
        _("Áreas de gobierno representadas en los talleres"),
        _("asistentes"),
        ev,
    )


def workshop_women_share(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Women's share among workshop attendees within the parity band."""
    return _women_share(
        [a.gender for a in data.attendees],
        params,
        ev,
        "workshop_women_share",
        _("Mujeres entre quienes asistieron a los talleres (paridad)"),
        _("quienes asistieron"),
    )


def priorities(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """At least `min` priorities, each tied to a diagnostic dimension."""
    n, target = len(data.priorities), params["min"]
    missing = (
        ""
        if n >= target
        else ngettext("Falta elegir %(num)d prioridad.", "Faltan elegir %(num)d prioridades.", target - n)
    )
    return Result("priorities", _("Prioridades elegidas"), n, target, n >= target, str(n), str(target), missing)


def priority_in_lowest_dimensions(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """At least one priority in one of the `among` lowest-scoring dimensions of the diagnostic."""
    among = params.get("among", 2)
    lowest = data.diagnostic.lowest(among) if data.diagnostic else []
    lowest_ids = {d.dimension.id for d in lowest}
    names = _names([tr(d.dimension.title) for d in lowest])
    met = bool(lowest_ids) and any(p.dimension_id in lowest_ids for p in data.priorities)
    if met:
        missing = ""
    elif not lowest:
        missing = _(
            "El diagnóstico todavía no tiene puntajes: sin ellos no se sabe cuáles son las dimensiones más bajas."
        )
    else:
        missing = ngettext(
            "Ninguna prioridad está en la dimensión con menor puntaje (%(names)s).",
            "Ninguna prioridad está en las %(num)d dimensiones con menor puntaje (%(names)s).",
            len(lowest),
            names=names,
        )
    return Result(
        "priority_in_lowest_dimensions",
        _("Una prioridad en las dimensiones con menor puntaje"),
        met,
        True,
        met,
        _yes_no(met),
        names or "—",
        missing,
    )


def priorities_with_actions(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Every priority has at least one action with a responsible area, a due date and an indicator."""
    total = len(data.priorities)
    lacking = [p.title for p in data.priorities if not p.has_complete_action]
    n = total - len(lacking)
    met = total > 0 and not lacking
    if met:
        missing = ""
    elif not total:
        missing = _("Todavía no hay prioridades con acciones.")
    else:
        missing = ngettext(
            "Falta una acción con área responsable, fecha límite e indicador en %(num)d prioridad: %(names)s.",
            "Falta una acción con área responsable, fecha límite e indicador en %(num)d prioridades: %(names)s.",
            len(lacking),
            names=_names(lacking),
        )
    return Result(
        "priorities_with_actions",
        _("Cada prioridad con una acción completa (área responsable, fecha límite e indicador)"),
        n,
        total,
        met,
        str(n),
        str(total),
        missing,
    )


def work_plan_approved(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """The work plan approved by IOM."""
    met = data.plan_state == APPROVED
    return Result(
        "work_plan_approved",
        _("Plan de trabajo aprobado por la OIM"),
        data.plan_state,
        APPROVED,
        met,
        _state_text(data.plan_state),
        _state_text(APPROVED),
        "" if met else _review_missing(data.plan_state, "plan"),
    )


def earlier_stages_awarded(data: CycleData, params: dict, ev: Evaluation) -> Result:
    """Every earlier stage awarded in this cycle."""
    earlier = [s for s in ev.context.stages if s.position < ev.stage.position]
    pending = [s for s in earlier if not _awarded(data, s)]
    n = len(earlier) - len(pending)
    met = not pending
    missing = "" if met else _("Falta otorgar: %(names)s.", names=_names([tr(s.title) for s in pending]))
    return Result(
        "earlier_stages_awarded",
        _("Etapas anteriores otorgadas en este ciclo"),
        n,
        len(earlier),
        met,
        str(n),
        str(len(earlier)),
        missing,
    )


_COUNT = "count"
_PERCENT = "percent"
_BOOL = "bool"

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("application_accepted", (), application_accepted),
        Kind("letter_of_intent", (), letter_of_intent),
        Kind("focal_point_designated", (), focal_point_designated),
        Kind(
            "certified_officials", (Param("min", _COUNT), Param("focal_point", _BOOL, False, True)), certified_officials
        ),
        Kind("certified_areas", (Param("min", _COUNT),), certified_areas),
        Kind(
            "certified_women_share",
            (Param("low", _PERCENT, False), Param("high", _PERCENT, False)),
            certified_women_share,
        ),
        Kind("certified_quiz_average", (Param("min", _PERCENT),), certified_quiz_average),
        Kind("diagnostic_validated", (), diagnostic_validated),
        Kind("workshops_held", (Param("min", _COUNT),), workshops_held),
        Kind("workshop_attendees", (Param("min", _COUNT),), workshop_attendees),
        Kind("workshop_areas", (Param("min", _COUNT),), workshop_areas),
        Kind(
            "workshop_women_share",
            (Param("low", _PERCENT, False), Param("high", _PERCENT, False)),
            workshop_women_share,
        ),
        Kind("priorities", (Param("min", _COUNT),), priorities),
        Kind("priority_in_lowest_dimensions", (Param("among", _COUNT, False, 2),), priority_in_lowest_dimensions),
        Kind("priorities_with_actions", (), priorities_with_actions),
        Kind("work_plan_approved", (), work_plan_approved),
        Kind("earlier_stages_awarded", (), earlier_stages_awarded),
    )
}


# =========================================================================== stages


def _awarded(data: CycleData, stage: Stage) -> bool:
    award = data.awards.get(stage.id)
    return award is not None and award.state == AWARDED


@dataclass
class StageStatus:
    """A stage for one municipality's cycle: its state, requirement results and award."""

    stage: Stage
    state: str
    results: list[Result]
    award: StageAward | None

    @property
    def unmet(self) -> list[Result]:
        return [r for r in self.results if not r.met]

    @property
    def all_met(self) -> bool:
        return not self.unmet


@dataclass
class Certification:
    """Every stage of one municipality's cycle, in order."""

    mc: MunicipalCycle
    stages: list[StageStatus]

    @property
    def reached(self) -> StageStatus | None:
        """The last stage of the unbroken run of awarded stages from the first (None when none is)."""
        last = None
        for status in self.stages:
            if status.state != AWARDED:
                break
            last = status
        return last

    @property
    def next(self) -> StageStatus | None:
        """The first stage not awarded, if any."""
        return next((s for s in self.stages if s.state != AWARDED), None)

    @property
    def certified(self) -> bool:
        return bool(self.stages) and all(s.state == AWARDED for s in self.stages)

    def status_of(self, stage_key: str) -> StageStatus | None:
        return next((s for s in self.stages if s.stage.key == stage_key), None)

    def snapshot(self) -> dict:
        """Every requirement's value at this moment, as the log keeps it."""
        return {
            "stages": [
                {"key": s.stage.key, "state": s.state, "requirements": [r.snapshot() for r in s.results]}
                for s in self.stages
            ]
        }


def evaluate_stage(data: CycleData, stage: Stage, context: Context, previous_awarded: bool) -> StageStatus:
    """Evaluate every requirement of a stage and decide its state."""
    ev = Evaluation(context, stage)
    results = [
        KINDS[req["kind"]].evaluate(data, _params(req), ev) for req in stage.requirements if req.get("kind") in KINDS
    ]
    award = data.awards.get(stage.id)
    if award is not None and award.state == AWARDED:
        state = AWARDED
    elif award is not None and award.state == REVOKED:
        state = REVOKED
    elif not previous_awarded:
        state = LOCKED
    elif all(r.met for r in results):
        state = ELIGIBLE
    else:
        state = IN_PROGRESS
    return StageStatus(stage, state, results, award)


def _params(requirement: dict) -> dict:
    kind = KINDS[requirement["kind"]]
    return {p.name: requirement.get(p.name, p.default) for p in kind.params}


def _certification(data: CycleData, context: Context) -> Certification:
    statuses, previous_awarded = [], True
    for stage in context.stages:
        status = evaluate_stage(data, stage, context, previous_awarded)
        statuses.append(status)
        previous_awarded = status.state == AWARDED
    return Certification(data.mc, statuses)


def evaluate_many(mcs: list[MunicipalCycle]) -> dict[int, Certification]:
    """Every stage of many municipal cycles, by municipal cycle id (a constant number of queries)."""
    context, data = gather(mcs)
    return {mc.id: _certification(data[mc.id], context) for mc in mcs}


def evaluate(mc: MunicipalCycle) -> Certification:
    """Every stage of one municipality's cycle, with every requirement (a constant number of queries)."""
    return evaluate_many([mc])[mc.id]


def kind_label(kind: str) -> str:
    """The translated name of a requirement kind (for the log, where only the kind is stored)."""
    labels = {
        "application_accepted": _("Solicitud de adhesión aceptada por la OIM"),
        "letter_of_intent": _("Carta de intención de la intendencia cargada"),
        "focal_point_designated": _("Punto focal designado para el ciclo"),
        "certified_officials": _("Funcionarias y funcionarios con certificado de capacitación"),
        "certified_areas": _("Áreas de gobierno entre las personas certificadas"),
        "certified_women_share": _("Mujeres entre las personas certificadas (paridad)"),
        "certified_quiz_average": _("Promedio de los mejores puntajes en las evaluaciones"),
        "diagnostic_validated": _("Diagnóstico completo y validado por la OIM"),
        "workshops_held": _("Talleres de diagnóstico realizados"),
        "workshop_attendees": _("Asistentes a los talleres"),
        "workshop_areas": _("Áreas de gobierno representadas en los talleres"),
        "workshop_women_share": _("Mujeres entre quienes asistieron a los talleres (paridad)"),
        "priorities": _("Prioridades elegidas"),
        "priority_in_lowest_dimensions": _("Una prioridad en las dimensiones con menor puntaje"),
        "priorities_with_actions": _(
            "Cada prioridad con una acción completa (área responsable, fecha límite e indicador)"
        ),
        "work_plan_approved": _("Plan de trabajo aprobado por la OIM"),
        "earlier_stages_awarded": _("Etapas anteriores otorgadas en este ciclo"),
    }
    return labels.get(kind, kind)


def reached(mc_ids: list[int]) -> dict[int, int]:
    """How many stages each municipal cycle has awarded in an unbroken run from the first (two queries)."""
    stages = active_stages()
    awarded: dict[int, set[int]] = {i: set() for i in mc_ids}
    if mc_ids:
        for mc_id, stage_id in db.session.execute(
            select(StageAward.municipal_cycle_id, StageAward.stage_id).where(
                StageAward.municipal_cycle_id.in_(sorted(mc_ids)), StageAward.state == AWARDED
            )
        ):
            awarded[mc_id].add(stage_id)
    out = {}
    for mc_id, ids in awarded.items():
        n = 0
        for stage in stages:
            if stage.id not in ids:
                break
            n += 1
        out[mc_id] = n
    return out


__all__ = ["KINDS", "Certification", "StageStatus", "Result", "evaluate", "evaluate_many", "gather", "training_holders"]
