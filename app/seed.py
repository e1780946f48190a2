"""`flask seed-demo`: demo accounts for every role and believable partial progress."""
from __future__ import annotations

import random
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Area, Lesson, Module, Municipality, Quiz, User, utcnow
from app.models.people import GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED, GENDER_WOMAN, ROLE_COORDINATOR, ROLE_IOM
from app.services import progress as progress_service
from app.services import quiz as quiz_service
from app.services.accounts import create_user, find_user_by_email

DEMO_PASSWORD = "demo-campus-2026"
DEMO_DOMAIN = "demo.migraciudades.org"

# (email local part, name, role, municipality key, area key, gender, focal point, modules done, lessons of the next)
DEMO_ACCOUNTS = [
    ("oim", "Lucía Fernández", ROLE_IOM, None, None, GENDER_WOMAN, False, 0, 0),
    ("coordinacion", "Martín Sosa", ROLE_COORDINATOR, None, None, GENDER_MAN, False, 0, 0),
    ("referente", "Carolina Medina", "official", "cordoba", "desarrollo-social", GENDER_WOMAN, True, 3, 2),
    ("funcionaria", "Valeria Gómez", "official", "cordoba", "salud", GENDER_WOMAN, False, 1, 2),
]

FIRST_NAMES = {
    GENDER_WOMAN: ["Ana", "María José", "Florencia", "Natalia", "Romina", "Paula", "Silvia", "Gabriela",
                   "Daniela", "Laura", "Mariela", "Cecilia", "Andrea", "Julieta", "Verónica", "Soledad"],
    GENDER_MAN: ["Juan Pablo", "Diego", "Sebastián", "Gustavo", "Ricardo", "Federico", "Pablo", "Hernán",
                 "Leandro", "Marcelo", "Nicolás", "Esteban", "Fernando", "Matías"],
    GENDER_NONBINARY: ["Alex", "Sasha", "Noa", "Ariel"],
    GENDER_UNDISCLOSED: ["Camila", "Tomás", "Lucas", "Agustina", "Emilia"],
}
SURNAMES = ["Acosta", "Benítez", "Cabrera", "Díaz", "Escobar", "Ferreyra", "Giménez", "Herrera", "Ibáñez",
            "Juárez", "Ledesma", "Molina", "Núñez", "Ortiz", "Paz", "Quiroga", "Romero", "Suárez", "Torres",
            "Vega", "Villalba", "Zárate", "Aguirre", "Castro", "Ríos", "Mamani", "Quispe", "Chávez"]

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


def _simulate(user: User, modules: list, rng: random.Random, drive: float,
              plan: tuple[int, int] | None = None) -> None:
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
            row = progress_service.record_lesson_view(user.id, lesson.id)
            row.started_at = min(clock, now)
            row.completed_at = min(clock + timedelta(minutes=lesson.minutes or 20), now)
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
        lessons = list(db.session.scalars(
            select(Lesson).where(Lesson.module_id == module.id, Lesson.active).order_by(Lesson.position)))
        modules.append((module, lessons, db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))))
    if not municipalities or not areas or not modules:
        raise click.ClickException("no content in the database: run `flask content sync` first")
    if find_user_by_email(f"oim@{DEMO_DOMAIN}") is not None:
        click.echo("demo data already present: nothing to do")
        return

    for local, name, role, mkey, akey, gender, focal, done, extra in DEMO_ACCOUNTS:
        user = create_user(
            name=name, email=f"{local}@{DEMO_DOMAIN}", password=DEMO_PASSWORD, role=role,
            municipality_id=municipalities[mkey].id if mkey else None, area_id=areas[akey].id if akey else None,
            gender=gender, is_focal_point=focal, locale="es",
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
                name=name, email=f"{mkey}.{i + 1}@{DEMO_DOMAIN}", password=DEMO_PASSWORD,
                municipality_id=municipalities[mkey].id, area_id=area_list[(i * 5 + len(mkey)) % len(area_list)].id,
                gender=gender, locale="es",
            )
            user.created_at = utcnow() - timedelta(days=rng.randint(30, 120))
            _simulate(user, modules, rng, min(1.0, max(0.05, rng.gauss(drive, 0.25))))
            count += 1
    db.session.commit()
    click.echo(f"demo data created: {len(DEMO_ACCOUNTS)} named accounts and {count} officials "
               f"(password for all: {DEMO_PASSWORD})")
