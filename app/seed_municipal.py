"""Demo records of the municipal cycle, made through the same services the pages use.

Two cycles: last year's (Córdoba went through it all, so this year's diagnostic has something to be
compared with) and this year's, with one municipality at each state: Córdoba monitoring an approved
plan, Rosario waiting for its diagnostic to be validated, Salta answering the diagnostic, Mendoza's
application under review, Posadas' application returned with comments, and La Matanza admitted but not
started.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Area, DiagnosticIndicator, Municipality, User
from app.models.municipal import ACTION_DONE, ACTION_IN_PROGRESS
from app.models.people import ROLE_OFFICIAL
from app.services import application as application_service
from app.services import cycles as cycle_service
from app.services import diagnostic as diagnostic_service
from app.services import workplan as plan_service
from app.services import workshops as workshop_service

PROFILE = {
    "cordoba": (1_505_250, 52_000, "Bolivia, Perú, Paraguay, Venezuela", True),
    "rosario": (1_348_725, 38_000, "Paraguay, Bolivia, Perú, Venezuela", True),
    "salta": (618_375, 24_000, "Bolivia, Perú, Paraguay", False),
    "mendoza": (115_041, 9_500, "Bolivia, Chile, Perú", False),
    "posadas": (358_424, 14_000, "Paraguay, Brasil", False),
}
MEASURES = {
    "salud": "Mediadoras interculturales en los centros de atención primaria con más consultas de personas migrantes.",
    "educacion": "Acompañamiento a las escuelas para la inscripción de estudiantes sin DNI argentino.",
    "atencion-ciudadana": "Turnos y orientación para trámites de residencia en articulación con la Dirección Nacional de Migraciones.",
    "empleo": "Inclusión de personas migrantes en los cursos de formación profesional del municipio.",
}


def _pdf() -> bytes:
    """A one-page letter of intent (a real, readable PDF)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Carta de intención"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _apply(mc, focal: User, key: str, submit: bool) -> None:
    population, migrants, origins, office = PROFILE[key]
    application_service.save_profile(
        focal,
        mc,
        application_service.ProfileData(
            population=population,
            migrant_population=migrants,
            main_origins=origins,
            has_migration_office=office,
            migration_office_details="Oficina municipal de atención a personas migrantes" if office else "",
            measures=MEASURES,
            contact_name=focal.name,
            contact_email=focal.email,
            contact_phone="",
        ),
    )
    application_service.store_letter(focal, mc, "carta-de-intencion.pdf", _pdf())
    if submit:
        application_service.submit(focal, mc)


def _answer(mc, focal: User, rng: random.Random, share: float, lean: float) -> None:
    """Answer a share of the indicators; `lean` (0..1) moves the levels up."""
    indicators = list(
        db.session.scalars(
            select(DiagnosticIndicator)
            .where(DiagnosticIndicator.active)
            .order_by(DiagnosticIndicator.dimension_id, DiagnosticIndicator.position)
        )
    )
    inputs = []
    for indicator in indicators[: round(len(indicators) * share)]:
        roll = rng.random() + lean - 0.5
        level = 2 if roll > 0.66 else 1 if roll > 0.3 else 0
        note = {
            0: "No existe todavía.",
            1: "Existe en parte, sin norma que lo sostenga.",
            2: "Vigente: ordenanza y registro de actuaciones.",
        }[level]
        inputs.append(diagnostic_service.AnswerInput(indicator.id, level, note, ""))
    diagnostic_service.save_answers(focal, mc, inputs)


def _workshop(mc, focal: User, officials: list[User], areas: dict, held_on: date) -> None:
    guests = [
        workshop_service.Guest("Rosa Mamani", "Asociación Civil de Mujeres Migrantes", None, "woman"),
        workshop_service.Guest("Jorge Benítez", "Pastoral de Migraciones", None, "man"),
        workshop_service.Guest("Marta Silva", "OIM Argentina", None, "woman"),
    ]
    attendees = officials[:7]
    workshop_service.save(
        focal,
        mc,
        workshop_service.WorkshopData(
            held_on=held_on,
            modality="in_person",
            place="Salón del Concejo Deliberante",
            facilitators="Punto focal del municipio y equipo de la OIM",
            area_ids=sorted({u.area_id for u in attendees if u.area_id})[:6],
            good_practices="Mesa de atención para personas migrantes en la terminal de ómnibus; mediadoras interculturales en salud.",
            potential_areas="Registros administrativos sin la variable de nacionalidad; poca información traducida.",
            official_ids=[u.id for u in attendees],
            guests=guests,
        ),
    )


def _plan(mc, focal: User, iom: User, areas: dict, approve: bool, today: date) -> None:
    view = diagnostic_service.view(mc)
    lowest = view.lowest(2)
    specs = [
        (
            lowest[0].dimension.id,
            "Protocolo de atención a personas migrantes en los servicios municipales",
            [
                (
                    "Redactar el protocolo con las áreas de salud, educación y desarrollo social",
                    "desarrollo-social",
                    -40,
                    20,
                    "Protocolo aprobado por decreto",
                    "1 protocolo",
                    ACTION_IN_PROGRESS,
                ),
                (
                    "Capacitar a las personas que atienden en las ventanillas",
                    "atencion-ciudadana",
                    -10,
                    60,
                    "Personas capacitadas",
                    "60 personas",
                    ACTION_IN_PROGRESS,
                ),
            ],
        ),
        (
            lowest[-1].dimension.id,
            "Información accesible y traducida sobre trámites y derechos",
            [
                (
                    "Publicar una guía de trámites en español, portugués y creole",
                    "comunicacion",
                    -60,
                    -5,
                    "Guía publicada y distribuida",
                    "3 idiomas",
                    ACTION_IN_PROGRESS,
                )
            ],
        ),
        (
            view.dimensions[-1].dimension.id,
            "Derivación segura de mujeres migrantes en situación de violencia",
            [
                (
                    "Acordar una hoja de ruta con el área de géneros y la Línea 144",
                    "genero",
                    -90,
                    -30,
                    "Hoja de ruta vigente",
                    "1 hoja de ruta",
                    ACTION_DONE,
                )
            ],
        ),
    ]
    for dimension_id, title, actions in specs:
        priority = plan_service.add_priority(focal, mc, dimension_id, title, "Surge del diagnóstico y del taller.")
        for text, area_key, start, due, indicator, target, state in actions:
            action = plan_service.add_action(
                focal,
                mc,
                priority,
                plan_service.ActionData(
                    text,
                    areas[area_key].id if area_key in areas else None,
                    today + timedelta(days=start),
                    today + timedelta(days=due),
                    indicator,
                    target,
                ),
            )
            action.state = state
    plan_service.submit(focal, mc)
    if approve:
        plan_service.decide(iom, mc, True, "Plan aprobado.")


def seed_municipal(rng: random.Random, iom: User, coordinator: User) -> None:
    """Create last year's and this year's cycles and the municipalities' records (run once)."""
    today = cycle_service.today()
    areas = {a.key: a for a in db.session.scalars(select(Area))}
    places = {m.key: m for m in db.session.scalars(select(Municipality))}
    officials = {}
    for user in db.session.scalars(select(User).where(User.role == ROLE_OFFICIAL).order_by(User.id)):
        officials.setdefault(user.municipality_id, []).append(user)
    if diagnostic_service.definition()[0] is None:
        return  # no diagnostic in content/: nothing municipal to show

    last = cycle_service.create_cycle(
        iom,
        year=today.year - 1,
        name=f"MigraCiudades {today.year - 1}",
        starts_on=date(today.year - 1, 1, 1),
        ends_on=date(today.year - 1, 12, 31),
    )
    current = cycle_service.create_cycle(
        iom,
        year=today.year,
        name=f"MigraCiudades {today.year}",
        starts_on=date(today.year, 1, 1),
        ends_on=date(today.year, 12, 31),
    )
    focal_of = {}
    for key in ("cordoba", "rosario", "salta", "mendoza", "posadas"):
        people = officials.get(places[key].id, [])
        demo_focal = next((u for u in people if u.email.startswith("referente@")), None)
        focal_of[key] = demo_focal or people[0]
        mc = cycle_service.admit(iom, current, places[key])
        cycle_service.designate(iom, mc, cycle_service.FOCAL, focal_of[key])
        substitute = next(u for u in people if u.id != focal_of[key].id)
        cycle_service.designate(
            coordinator if key in ("cordoba", "rosario", "salta") else iom, mc, cycle_service.SUBSTITUTE, substitute
        )
    if "la-matanza" in places:
        cycle_service.admit(iom, current, places["la-matanza"])

    # Last year: Córdoba's whole cycle (its records stay as history).
    cordoba_old = cycle_service.admit(iom, last, places["cordoba"])
    cordoba_old.focal_point_id = focal_of["cordoba"].id
    _run_full_cycle(
        cordoba_old,
        focal_of["cordoba"],
        iom,
        rng,
        officials[places["cordoba"].id],
        areas,
        lean=0.25,
        held_on=date(today.year - 1, 9, 18),
        today=date(today.year - 1, 10, 1),
    )

    mcs = {mc.municipality.key: mc for mc in cycle_service.admitted(current.id, None)}
    _run_full_cycle(
        mcs["cordoba"],
        focal_of["cordoba"],
        iom,
        rng,
        officials[places["cordoba"].id],
        areas,
        lean=0.55,
        held_on=min(today, date(today.year, 8, 21)),
        today=today,
    )
    # Rosario: application accepted, diagnostic submitted and waiting for IOM.
    _apply(mcs["rosario"], focal_of["rosario"], "rosario", submit=True)
    application_service.decide(iom, mcs["rosario"], True, "")
    _answer(mcs["rosario"], focal_of["rosario"], rng, 1.0, 0.45)
    diagnostic_service.submit(focal_of["rosario"], mcs["rosario"])
    # Salta: application accepted, diagnostic half answered.
    _apply(mcs["salta"], focal_of["salta"], "salta", submit=True)
    application_service.decide(iom, mcs["salta"], True, "")
    _answer(mcs["salta"], focal_of["salta"], rng, 0.5, 0.35)
    # Mendoza: application submitted, under review.
    _apply(mcs["mendoza"], focal_of["mendoza"], "mendoza", submit=True)
    # Posadas: application returned with comments.
    _apply(mcs["posadas"], focal_of["posadas"], "posadas", submit=True)
    application_service.decide(
        iom, mcs["posadas"], False, "La carta de intención no tiene la firma del intendente: súbala firmada, por favor."
    )
    db.session.flush()


def _run_full_cycle(mc, focal, iom, rng, people, areas, lean, held_on, today) -> None:
    key = mc.municipality.key
    _apply(mc, focal, key, submit=True)
    application_service.decide(iom, mc, True, "Solicitud completa.")
    _answer(mc, focal, rng, 1.0, lean)
    diagnostic_service.submit(focal, mc)
    diagnostic_service.decide(iom, mc, True, "")
    _workshop(mc, focal, people, areas, held_on)
    _plan(mc, focal, iom, areas, approve=True, today=today)
