"""`flask seed-demo`: demo accounts for every role and believable partial progress."""

from __future__ import annotations

import random
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, Lesson, Module, Municipality, Quiz, User, utcnow
from app.models.people import GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED, GENDER_WOMAN, ROLE_COORDINATOR, ROLE_IOM
from app.services import certificates as certificate_service
from app.services import progress as progress_service
from app.services import quiz as quiz_service
from app.seed_municipal import seed_municipal
from app.services.accounts import create_user, find_user_by_email

DEMO_PASSWORD = "demo-campus-2026"
DEMO_DOMAIN = "demo.migraciudades.org"

# (email local part, name, role, municipality key, area key, gender, focal point of this year's cycle,
#  modules done, lessons of the next); focal points are designated in app.seed_municipal.
DEMO_ACCOUNTS = [
    ("oim", "Lucía Fernández", ROLE_IOM, None, None, GENDER_WOMAN, False, 0, 0),
    ("coordinacion", "Martín Sosa", ROLE_COORDINATOR, None, None, GENDER_MAN, False, 0, 0),
    ("referente", "Carolina Medina", "official", "cordoba", "desarrollo-social", GENDER_WOMAN, True, 4, 0),
    ("funcionaria", "Valeria Gómez", "official", "cordoba", "salud", GENDER_WOMAN, False, 1, 2),
]

FIRST_NAMES = {
    GENDER_WOMAN: [
        "Ana",
        "María José",
        "Florencia",
        "Natalia",
        "Romina",
        "Paula",
        "Silvia",
        "Gabriela",
        "Daniela",
        "Laura",
        "Mariela",
        "Cecilia",
        "Andrea",
        "Julieta",
        "Verónica",
        "Soledad",
    ],
    GENDER_MAN: [
        "Juan Pablo",
        "Diego",
        "Sebastián",
        "Gustavo",
        "Ricardo",
        "Federico",
        "Pablo",
        "Hernán",
        "Leandro",
        "Marcelo",
        "Nicolás",
        "Esteban",
        "Fernando",
        "Matías",
    ],
    GENDER_NONBINARY: ["Alex", "Sasha", "Noa", "Ariel"],
    GENDER_UNDISCLOSED: ["Camila", "Tomás", "Lucas", "Agustina", "Emilia"],
}
SURNAMES = [
    "Acosta",
    "Benítez",
    "Cabrera",
    "Díaz",
    "Escobar",
    "Ferreyra",
    "Giménez",
    "Herrera",
    "Ibáñez",
    "Juárez",
    "Ledesma",
    "Molina",
    "Núñez",
    "Ortiz",
    "Paz",
    "Quiroga",
    "Romero",
    "Suárez",
    "Torres",
    "Vega",
    "Villalba",
    "Zárate",
    "Aguirre",
    "Castro",
    "Ríos",
    "Mamani",
    "Quispe",
    "Chávez",
]

# Municipalities with demo officials: (key, officials, women's share, how far along on average).
DEMO_MUNICIPALITIES = [
    ("cordoba", 26, 0.55, 0.8),
    ("rosario", 20, 0.70, 0.65),
    ("salta", 16, 0.35, 0.55),
    ("mendoza", 12, 0.50, 0.45),
    ("posadas", 7, 0.50, 0.25),
]
# The demo coordinator follows these municipalities (the IOM officer sees them all).
COORDINATOR_SCOPE = ("cordoba", "rosario", "salta")


def _gender(rng: random.Random, women_share: float) -> str:
    roll = rng.random()
    if roll < women_share:
        return GENDER_WOMAN
    if roll < 0.93:
        return GENDER_MAN
    return GENDER_NONBINARY if roll < 0.97 else GENDER_UNDISCLOSED


def _simulate(user: User, modules: list, rng: random.Random, drive: float, plan: tuple[int, int] | None = None) -> None:
    """Give a learner lessons done and quiz attempts, moving through the modules in order.

    With a plan (modules to finish, lessons of the next one) the outcome is fixed; otherwise `drive`
    (0..1) sets how likely the learner is to keep going.
    """
    now = utcnow()
    start = now - timedelta(days=rng.randint(8, 50))
    clock = start
    for index, (_module, lessons, quiz) in enumerate(modules):
        if plan is not None:
            if index > plan[0] or (index == plan[0] and not plan[1]):
                return
            share = 1.0 if index < plan[0] else plan[1] / max(len(lessons), 1)
            drive = 1.0
        elif rng.random() > drive:
            return
        else:
            share = 1.0 if rng.random() < 0.75 else rng.random()
        for lesson in lessons[: max(1, round(len(lessons) * share))]:
            clock += timedelta(hours=rng.randint(2, 30))
            # through the service that completes lessons, so the progress summaries follow
            row = progress_service.complete_lesson(
                user.id, lesson.id, min(clock + timedelta(minutes=lesson.minutes or 20), now)
            )
            row.started_at = min(clock, now)
        if share < 1.0 or quiz is None:
            return
        skill = min(0.97, 0.55 + drive * 0.4 + rng.uniform(-0.1, 0.1))
        cap = 1.0 if plan is not None else 0.97
        for _ in range(quiz.max_attempts or 3):
            clock += timedelta(hours=rng.randint(1, 30))
            when = min(clock, now)
            attempt = quiz_service.start_or_resume(user.id, quiz, now=when, rng=rng)
            answers = {}
            for dq in quiz_service.drawn_questions(attempt):
                correct = [c.id for c in dq.choices if c.is_correct]
                wrong = [c.id for c in dq.choices if not c.is_correct]
                answers[dq.item.id] = correct if (rng.random() < skill or not wrong) else [rng.choice(wrong)]
            quiz_service.submit(attempt, answers, now=when + timedelta(minutes=rng.randint(6, 25)))
            if attempt.passed or (plan is None and rng.random() < 0.4):
                break
            skill = min(cap, skill + 0.15)
        user.last_seen_at = min(clock, now)


@click.command("seed-demo")
@click.option("--seed", default=2026, show_default=True, help="Random seed, for repeatable demo data.")
@with_appcontext
def seed_demo(seed: int) -> None:
    """Create demo accounts for every role and partial progress (run after `flask content sync`)."""
    rng = random.Random(seed)
    municipalities = {m.key: m for m in db.session.scalars(select(Municipality))}
    areas = {a.key: a for a in db.session.scalars(select(Area).where(Area.active).order_by(Area.position))}
    modules = []
    for module in db.session.scalars(select(Module).where(Module.active).order_by(Module.position)):
        lessons = list(
            db.session.scalars(
                select(Lesson).where(Lesson.module_id == module.id, Lesson.active).order_by(Lesson.position)
            )
        )
        modules.append((module, lessons, db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))))
    if not municipalities or not areas or not modules:
        raise click.ClickException("no content in the database: run `flask content sync` first")
    if find_user_by_email(f"oim@{DEMO_DOMAIN}") is not None:
        issued, revoked = _demo_certificates()
        seed_stages(find_user_by_email(f"oim@{DEMO_DOMAIN}"), modules, rng)
        db.session.commit()
        click.echo(
            "demo data already present"
            + (f"; certificates issued: {issued}, revoked: {revoked}" if issued or revoked else ": nothing to do")
        )
        return

    for local, name, role, mkey, akey, gender, _focal, done, extra in DEMO_ACCOUNTS:
        user = create_user(
            name=name,
            email=f"{local}@{DEMO_DOMAIN}",
            password=DEMO_PASSWORD,
            role=role,
            municipality_id=municipalities[mkey].id if mkey else None,
            area_id=areas[akey].id if akey else None,
            gender=gender,
            locale="es",
        )
        if done or extra:
            _simulate(user, modules, rng, 1.0, plan=(done, extra))
        if role == ROLE_COORDINATOR:
            user.scope = [municipalities[key] for key in COORDINATOR_SCOPE]
    area_list = list(areas.values())
    count = 0
    for mkey, how_many, women_share, drive in DEMO_MUNICIPALITIES:
        for i in range(how_many):
            gender = _gender(rng, women_share)
            name = f"{rng.choice(FIRST_NAMES[gender])} {rng.choice(SURNAMES)}"
            user = create_user(
                name=name,
                email=f"{mkey}.{i + 1}@{DEMO_DOMAIN}",
                password=DEMO_PASSWORD,
                municipality_id=municipalities[mkey].id,
                area_id=area_list[(i * 5 + len(mkey)) % len(area_list)].id,
                gender=gender,
                locale="es",
            )
            user.created_at = utcnow() - timedelta(days=rng.randint(30, 120))
            _simulate(user, modules, rng, min(1.0, max(0.05, rng.gauss(drive, 0.25))))
            count += 1
    db.session.flush()
    issued, revoked = _demo_certificates()
    seed_municipal(rng, find_user_by_email(f"oim@{DEMO_DOMAIN}"), find_user_by_email(f"coordinacion@{DEMO_DOMAIN}"))
    seed_stages(find_user_by_email(f"oim@{DEMO_DOMAIN}"), modules, rng)
    db.session.commit()
    click.echo(
        f"demo data created: {len(DEMO_ACCOUNTS)} named accounts and {count} officials, "
        f"{issued} training certificates ({revoked} revoked) (password for all: {DEMO_PASSWORD})"
    )


# The demo's revoked certificate: whose, and why (a believable reason, in the source language).
REVOKED_DEMO_EMAIL = f"rosario.4@{DEMO_DOMAIN}"
REVOKED_DEMO_REASON = (
    "Emitido a una cuenta compartida por dos personas; cada una debe completar la capacitación con su propia cuenta."
)


def _demo_certificates() -> tuple[int, int]:
    """Issue the training certificates the demo progress has earned and revoke one (idempotent)."""
    issued = 0
    people = db.session.scalars(select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.id))
    for user in people:
        if certificate_service.issue_training_if_complete(user) is not None:
            issued += 1
    from app.models import Certificate

    if db.session.scalar(select(Certificate.id).where(Certificate.revoked_at.is_not(None)).limit(1)) is not None:
        return issued, 0
    officer = find_user_by_email(f"oim@{DEMO_DOMAIN}")
    holder = find_user_by_email(REVOKED_DEMO_EMAIL)
    target = certificate_service.training_certificate_of(holder.id) if holder else None
    if target is None:  # the chosen official did not finish: revoke the first other demo certificate
        target = db.session.scalar(
            select(Certificate)
            .join(User, User.id == Certificate.holder_id)
            .where(User.email != f"referente@{DEMO_DOMAIN}", Certificate.superseded_by_id.is_(None))
            .order_by(Certificate.id)
            .limit(1)
        )
    if target is None:
        return issued, 0
    certificate_service.revoke(officer, target, REVOKED_DEMO_REASON)
    return issued, 1


# --------------------------------------------------------------------------- certification stages (issue 9)

# (municipality key, focal point's name, officials to certify as (gender, area key), how far to go)
# "how far": the stages to award in the current cycle, in order; extra steps beyond them say which
# records exist (so the next stage shows as in progress or eligible).
STAGE_DEMO = [
    # Certified for the current cycle: every stage met and awarded (3 women, 3 men certified).
    (
        "neuquen",
        "Mariana Quintana",
        GENDER_WOMAN,
        ["man", "woman", "man", "woman", "man"],
        ["salud", "educacion", "desarrollo-social", "empleo", "genero"],
        "certified",
    ),
    # Adhesion awarded; training fails only on the parity band: women are 5 of 15 certified (33 %).
    (
        "san-carlos-de-bariloche",
        "Esteban Paz",
        GENDER_MAN,
        ["woman"] * 5 + ["man"] * 9,
        ["salud", "educacion", "empleo", "cultura", "vivienda", "desarrollo-social", "planificacion"],
        "parity",
    ),
    # Adhesion, training and diagnostic awarded; the workshop is recorded and eligible for IOM's award.
    (
        "santa-fe",
        "Gabriela Núñez",
        GENDER_WOMAN,
        ["woman", "man", "woman", "man", "nonbinary"],
        ["salud", "educacion", "empleo", "desarrollo-social", "genero"],
        "workshop",
    ),
    # Adhesion awarded; training under way (three officials certified so far).
    ("quilmes", "Silvia Ortiz", GENDER_WOMAN, ["man", "woman"], ["salud", "educacion"], "training"),
    # The application is with IOM for review: nothing awarded yet.
    ("ushuaia", "Ricardo Vega", GENDER_MAN, [], [], "application"),
]
STAGE_DEMO_KEYS = ("adhesion", "capacitacion", "diagnostico", "taller-diagnostico", "plan-de-trabajo", "certificacion")


def _demo_pdf() -> bytes:
    """A one-page PDF standing in for the scanned letter of intent."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _get_cycle(iom: User, year: int):
    from datetime import date

    from app.models import Cycle
    from app.services import cycles as cycle_service

    cycle = db.session.scalar(select(Cycle).where(Cycle.year == year))
    if cycle is None:
        cycle = cycle_service.create_cycle(
            iom, year=year, name=f"MigraCiudades {year}", starts_on=date(year, 1, 1), ends_on=date(year, 12, 31)
        )
    return cycle


def _complete_training(user: User, modules: list, rng: random.Random, when) -> None:
    """Every lesson complete and every quiz passed, with one question in two answered wrong at most."""
    for _module, lessons, quiz in modules:
        for lesson in lessons:
            row = progress_service.complete_lesson(user.id, lesson.id, when)  # the summaries follow
            row.started_at = when
        if quiz is None:
            continue
        attempt = quiz_service.start_or_resume(user.id, quiz, now=when, rng=rng)
        answers = {}
        for index, dq in enumerate(quiz_service.drawn_questions(attempt)):
            correct = [c.id for c in dq.choices if c.is_correct]
            wrong = [c.id for c in dq.choices if not c.is_correct]
            answers[dq.item.id] = [wrong[0]] if (index == 0 and user.id % 2 and wrong) else correct
        quiz_service.submit(attempt, answers, now=when + timedelta(minutes=15))
    certificate_service.issue_training_if_complete(user, now=when + timedelta(minutes=20))


def _demo_cycle_records(iom: User, mc, focal: User, areas: dict, upto: str, rng: random.Random) -> None:
    """Application, diagnostic, workshop and plan of a municipality's cycle, as far as `upto` asks."""
    from datetime import date

    from app.models import DiagnosticIndicator
    from app.services import application as application_service
    from app.services import diagnostic as diagnostic_service
    from app.services import workplan as plan_service
    from app.services import workshops as workshop_service

    application_service.save_profile(
        focal,
        mc,
        application_service.ProfileData(
            population=rng.randint(60_000, 700_000),
            migrant_population=rng.randint(3_000, 40_000),
            main_origins="Bolivia, Paraguay, Chile, Venezuela",
            has_migration_office=True,
            migration_office_details="Mesa de atención a personas migrantes en la Dirección de Derechos Humanos.",
            measures={"salud": "Protocolo de atención sin requisito de documento en los centros de salud municipales."},
            contact_name=focal.name,
            contact_email=focal.email,
            contact_phone="+54 11 5555-0100",
        ),
    )
    application_service.store_letter(focal, mc, "carta-de-intencion.pdf", _demo_pdf())
    application_service.submit(focal, mc)
    if upto == "application":
        return
    application_service.decide(iom, mc, True, "")
    if upto in ("training", "parity"):
        return
    indicators = db.session.scalars(
        select(DiagnosticIndicator)
        .where(DiagnosticIndicator.active)
        .order_by(DiagnosticIndicator.dimension_id, DiagnosticIndicator.position)
    ).all()
    diagnostic_service.save_answers(
        focal,
        mc,
        [
            diagnostic_service.AnswerInput(
                i.id, (i.dimension_id + n) % 3, "Según las normas y registros municipales.", ""
            )
            for n, i in enumerate(indicators)
        ],
    )
    diagnostic_service.submit(focal, mc)
    diagnostic_service.decide(iom, mc, True, "")
    held_on = date(mc.cycle.year, 6, 18)
    officials = db.session.scalars(select(User).where(User.municipality_id == mc.municipality_id)).all()
    guests = [
        workshop_service.Guest(name, organisation, areas[area].id, gender)
        for name, organisation, area, gender in (
            ("Claudia Romero", "Hospital municipal", "salud", GENDER_WOMAN),
            ("Jorge Benítez", "Escuela N.º 12", "educacion", GENDER_MAN),
            ("Patricia Suárez", "Secretaría de Desarrollo Social", "desarrollo-social", GENDER_WOMAN),
            ("Hugo Ledesma", "Oficina de Empleo", "empleo", GENDER_MAN),
        )
    ]
    workshop_service.save(
        focal,
        mc,
        workshop_service.WorkshopData(
            held_on=held_on,
            modality="in_person",
            place="Salón del Concejo Deliberante",
            facilitators="OIM",
            area_ids=[areas[k].id for k in ("salud", "educacion", "desarrollo-social", "empleo")],
            good_practices="Mesa de atención migrante con turnos en cuatro idiomas.",
            potential_areas="Registro de la nacionalidad en los servicios sociales.",
            official_ids=[o.id for o in officials],
            guests=guests,
        ),
    )
    if upto == "workshop":
        return
    view = diagnostic_service.view(mc)
    lowest = view.lowest(1)[0].dimension
    others = [d.dimension for d in view.dimensions if d.dimension.id != lowest.id][:2]
    for dimension in [lowest, *others]:
        priority = plan_service.add_priority(focal, mc, dimension.id, "Fortalecer: " + dimension.title["es"][:180], "")
        plan_service.add_action(
            focal,
            mc,
            priority,
            plan_service.ActionData(
                "Mesa de trabajo con las áreas involucradas y protocolo escrito.",
                areas["desarrollo-social"].id,
                date(mc.cycle.year, 7, 1),
                date(mc.cycle.year, 11, 30),
                "Protocolo aprobado por decreto",
                "1 protocolo",
            ),
        )
    plan_service.submit(focal, mc)
    plan_service.decide(iom, mc, True, "")


def seed_stages(iom: User, modules: list, rng: random.Random) -> None:
    """Demo certification stages (idempotent): the previous and current cycle, municipalities at several
    stages, one certified for the current cycle, one whose training fails only on the parity band."""
    from app.models import StageAward
    from app.services import cycles as cycle_service
    from app.services import stage_awards

    if find_user_by_email(f"neuquen.referente@{DEMO_DOMAIN}") is not None or not stage_awards.engine.active_stages():
        return
    municipalities = {m.key: m for m in db.session.scalars(select(Municipality))}
    areas = {a.key: a for a in db.session.scalars(select(Area))}
    if any(key not in municipalities for key, *_ in STAGE_DEMO):
        return
    today = utcnow().date()
    previous = _get_cycle(iom, today.year - 1)
    current = _get_cycle(iom, today.year)
    trained_on = utcnow() - timedelta(days=60)
    for key, focal_name, focal_gender, genders, area_keys, upto in STAGE_DEMO:
        municipality = municipalities[key]
        focal = create_user(
            name=focal_name,
            email=f"{key}.referente@{DEMO_DOMAIN}",
            password=DEMO_PASSWORD,
            municipality_id=municipality.id,
            area_id=areas["intendencia"].id,
            gender=focal_gender,
            locale="es",
        )
        people = []
        for i, gender in enumerate(genders):
            first = FIRST_NAMES[gender][i % len(FIRST_NAMES[gender])]
            people.append(
                create_user(
                    name=f"{first} {SURNAMES[(i * 7 + len(key)) % len(SURNAMES)]}",
                    email=f"{key}.{i + 1}@{DEMO_DOMAIN}",
                    password=DEMO_PASSWORD,
                    municipality_id=municipality.id,
                    area_id=areas[area_keys[i % len(area_keys)]].id,
                    gender=gender,
                    locale="es",
                )
            )
        db.session.flush()
        if upto != "application":
            for person in [focal, *people]:
                _complete_training(person, modules, rng, trained_on)
        mc = cycle_service.admit(iom, current, municipality)
        cycle_service.designate(iom, mc, cycle_service.FOCAL, focal)
        _demo_cycle_records(iom, mc, focal, areas, upto, rng)
        db.session.flush()
        awards = {
            "certified": STAGE_DEMO_KEYS,
            "parity": STAGE_DEMO_KEYS[:1],
            "workshop": STAGE_DEMO_KEYS[:3],
            "training": STAGE_DEMO_KEYS[:1],
            "application": (),
        }[upto]
        for stage_key in awards:
            stage_awards.award(iom, mc, stage_key)
        if key == "neuquen":
            # The previous cycle, for the history: adhesion awarded, then training by override, later revoked.
            old = cycle_service.admit(iom, previous, municipality)
            cycle_service.designate(iom, old, cycle_service.FOCAL, focal)
            stage_awards.award(
                iom,
                old,
                "adhesion",
                acknowledged=["application_accepted", "letter_of_intent"],
                justification="La solicitud y la carta se recibieron en papel en la oficina de la OIM.",
            )
            status = stage_awards.engine.evaluate(old).status_of("capacitacion")
            stage_awards.award(
                iom,
                old,
                "capacitacion",
                acknowledged=[r.kind for r in status.unmet],
                justification="El curso presencial de 2025 se reconoció como equivalente a los módulos.",
            )
            stage_awards.revoke(
                iom,
                old,
                "capacitacion",
                "La equivalencia del curso presencial no fue aprobada por la dirección del programa.",
            )
    db.session.flush()
    certified = db.session.scalar(select(func.count(StageAward.id)).where(StageAward.state == "awarded"))
    click.echo(f"certification stages: {len(STAGE_DEMO)} municipalities in {current.name}, {certified} stages awarded")
