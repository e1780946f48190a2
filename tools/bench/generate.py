"""A synthetic programme at a given scale, inserted in bulk with explicit ids.

Scale 1: 50 municipalities, 5,000 officials, about 40,000 quiz attempts (8 answered questions each);
scale 10 is ten times each. Schema by migrations, the real content of content/, then the people and
their progress; the municipal cycle records of the demo (admissions, designations, a whole cycle) on
top, so the cycle and certification pages have something to show. Every account's password is
PASSWORD (hashed cheaply: these are throwaway databases).
"""

from __future__ import annotations

import pathlib
import random
import sys
import time
from datetime import timedelta

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PASSWORD = "benchmark-pass"
IOM_EMAIL = "bench@example.org"
COORDINATOR_EMAIL = "coordinator@bench.example.org"
LEARNERS = 40  # fresh officials learner0..39@bench.example.org: the quiz path is measured with them
CHUNK = 20_000


def official_email(i: int) -> str:
    return f"official{i}@bench.example.org"


def learner_email(i: int) -> str:
    return f"learner{i}@bench.example.org"


class Progress:
    """A one-line progress indicator on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done, self.start = label, max(total, 1), 0, time.perf_counter()

    def advance(self, n: int) -> None:
        self.done += n
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        sys.stderr.write(
            f"\r  {self.label:<22} [{bar:<30}] {share * 100:5.1f}% {time.perf_counter() - self.start:6.1f} s"
        )
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _bulk(table, rows: list[dict]) -> None:
    from app.extensions import db

    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i : i + CHUNK])


def build(scale: int, seed: int = 7, learners: int = LEARNERS) -> dict:
    """Create the programme in the app's database (which must be empty or throwaway); returns counts."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from app.extensions import db
    from app.models import (
        AttemptQuestion,
        Choice,
        Lesson,
        LessonProgress,
        Module,
        Municipality,
        Question,
        Quiz,
        QuizAttempt,
        User,
        utcnow,
    )
    from app.models.people import GENDERS
    from app.seed_municipal import seed_municipal
    from app.services.accounts import create_user
    from app.services.content import load_content, sync_content

    started = time.perf_counter()
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(directory=str(ROOT / "migrations"))
    bundle, _report = load_content(ROOT / "content")
    sync_content(bundle)
    db.session.commit()
    rng = random.Random(seed)
    now = utcnow()

    wanted = 50 * scale
    existing = db.session.scalar(select(func.count()).select_from(Municipality))
    extra = [
        {
            "key": f"bench-{i}",
            "name": f"Municipio sintético {i}",
            "province": f"Provincia {i % 23 + 1}",
            "country": "AR",
            "created_at": now,
        }
        for i in range(max(0, wanted - existing))
    ]
    if extra:
        _bulk(Municipality.__table__, extra)
    municipality_ids = list(db.session.scalars(select(Municipality.id)))
    area_ids = list(db.session.scalars(text("SELECT id FROM area")))
    modules = db.session.scalars(select(Module).order_by(Module.position)).all()
    lessons = {m.id: list(db.session.scalars(select(Lesson.id).where(Lesson.module_id == m.id))) for m in modules}
    quizzes = {m.id: db.session.scalar(select(Quiz).where(Quiz.module_id == m.id)) for m in modules}
    questions = {
        q.id: list(db.session.scalars(select(Question.id).where(Question.quiz_id == q.id))) for q in quizzes.values()
    }
    choices: dict[int, list[tuple[int, bool]]] = {}
    for choice in db.session.scalars(select(Choice)):
        choices.setdefault(choice.question_id, []).append((choice.id, choice.is_correct))
    iom = create_user(name="Benchmark IOM", email=IOM_EMAIL, password=PASSWORD, role="iom_officer")
    coordinator = create_user(
        name="Benchmark Coordinator", email=COORDINATOR_EMAIL, password=PASSWORD, role="coordinator"
    )
    coordinator.all_municipalities = True
    db.session.flush()
    password_hash = iom.password_hash

    officials = 5000 * scale
    first_user = db.session.scalar(select(func.max(User.id))) + 1
    user_bar = Progress("officials", officials)
    users = []
    for i in range(officials):
        users.append(
            {
                "id": first_user + i,
                "email": official_email(i),
                "name": f"Official {i}",
                "password_hash": password_hash,
                "role": "official",
                "municipality_id": rng.choice(municipality_ids),
                "area_id": rng.choice(area_ids),
                "gender": rng.choices(GENDERS, weights=(52, 42, 3, 3))[0],
                "locale": "es",
                "active": True,
                "created_at": now - timedelta(days=rng.randint(1, 300)),
                "last_seen_at": now - timedelta(days=rng.randint(0, 90)),
                "all_municipalities": False,
                "session_token": f"bench-{i:08d}-{rng.getrandbits(64):016x}",
            }
        )
        if len(users) == CHUNK:
            _bulk(User.__table__, users)
            user_bar.advance(len(users))
            users = []
    _bulk(User.__table__, users)
    user_bar.advance(len(users))

    # Progress: most people take every module; 1-3 attempts each (about 8 attempts per official).
    next_progress, next_attempt, next_item = 1, 1, 1
    counts = {"lessons_done": 0, "attempts": 0, "answers": 0}
    bar = Progress("progress and attempts", officials)
    progress, attempts, items = [], [], []

    def flush_rows() -> None:
        _bulk(LessonProgress.__table__, progress)
        _bulk(QuizAttempt.__table__, attempts)
        _bulk(AttemptQuestion.__table__, items)
        progress.clear(), attempts.clear(), items.clear()

    for offset in range(officials):
        user_id = first_user + offset
        for module in modules:
            if rng.random() > 0.97:
                break
            done = lessons[module.id] if rng.random() < 0.8 else rng.sample(lessons[module.id], 1)
            for lesson_id in done:
                progress.append(
                    {
                        "id": next_progress,
                        "user_id": user_id,
                        "lesson_id": lesson_id,
                        "started_at": now,
                        "completed_at": now,
                    }
                )
                next_progress += 1
            quiz = quizzes[module.id]
            if quiz is None:
                continue
            for number in range(1, rng.randint(1, 3) + 1):
                score = round(rng.uniform(40, 100), 1)
                attempts.append(
                    {
                        "id": next_attempt,
                        "user_id": user_id,
                        "quiz_id": quiz.id,
                        "number": number,
                        "status": "submitted",
                        "started_at": now,
                        "submitted_at": now,
                        "score": score,
                        "passed": score >= 70,
                        "pass_mark": 70,
                        "revision": 1,
                    }
                )
                drawn = rng.sample(questions[quiz.id], min(8, len(questions[quiz.id])))
                for position, qid in enumerate(drawn, start=1):
                    options = choices[qid]
                    items.append(
                        {
                            "id": next_item,
                            "attempt_id": next_attempt,
                            "question_id": qid,
                            "position": position,
                            "choice_order": [c for c, _ in options],
                            "selected": [options[0][0]],
                            "is_correct": rng.random() < 0.75,
                        }
                    )
                    next_item += 1
                next_attempt += 1
        if len(items) >= CHUNK * 4:
            counts["lessons_done"] += len(progress)
            counts["attempts"] += len(attempts)
            counts["answers"] += len(items)
            flush_rows()
            bar.advance(offset + 1 - bar.done)
    counts["lessons_done"] += len(progress)
    counts["attempts"] += len(attempts)
    counts["answers"] += len(items)
    flush_rows()
    bar.advance(officials - bar.done)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("user", "municipality", "lesson_progress", "quiz_attempt", "attempt_question"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
                )
            )
    first_learner = db.session.scalar(select(func.max(User.id))) + 1
    _bulk(
        User.__table__,
        [
            {
                "id": first_learner + i,
                "email": learner_email(i),
                "name": f"Learner {i}",
                "password_hash": password_hash,
                "role": "official",
                "municipality_id": municipality_ids[i % len(municipality_ids)],
                "area_id": area_ids[i % len(area_ids)],
                "gender": GENDERS[i % len(GENDERS)],
                "locale": "es",
                "active": True,
                "created_at": now,
                "all_municipalities": False,
                "session_token": f"learner-{i:08d}-{rng.getrandbits(64):016x}",
            }
            for i in range(max(learners, LEARNERS))
        ],
    )
    if engine.dialect.name == "postgresql":
        db.session.execute(
            text("""SELECT setval(pg_get_serial_sequence('"user"', 'id'), (SELECT MAX(id) FROM "user"))""")
        )
    db.session.flush()
    seed_municipal(rng, iom, coordinator)
    db.session.commit()
    # The progress above went in by bulk inserts, past the services that keep the summaries.
    from app.services import summaries

    summaries.rebuild()
    db.session.commit()
    if engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    counts.update(
        scale=scale,
        municipalities=len(municipality_ids),
        officials=officials,
        build_seconds=round(time.perf_counter() - started, 1),
    )
    return counts


def reset_learners() -> int:
    """Give the fresh learners (learner0..) back every quiz attempt, so that a kept database can be
    measured again (`--existing`): their attempts, lesson progress and summaries go (all of their own,
    so the summaries still equal a recomputation). Returns how many learners were reset."""
    from sqlalchemy import delete, select

    from app.extensions import db
    from app.models import AttemptQuestion, LessonProgress, ProgressSummary, QuizAttempt, TrainingSummary, User

    ids = list(db.session.scalars(select(User.id).where(User.email.like("learner%@bench.example.org"))))
    attempts = select(QuizAttempt.id).where(QuizAttempt.user_id.in_(ids))
    db.session.execute(delete(AttemptQuestion).where(AttemptQuestion.attempt_id.in_(attempts)))
    for model in (QuizAttempt, LessonProgress, ProgressSummary, TrainingSummary):
        db.session.execute(delete(model).where(model.user_id.in_(ids)))
    db.session.commit()
    return len(ids)


def counts_of(scale: int) -> dict:
    """The figures `build` reports, read back from a database it built earlier (`--existing`)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import AttemptQuestion, LessonProgress, Municipality, QuizAttempt, User
    from app.models.people import ROLE_OFFICIAL

    def count(query):
        return db.session.scalar(query) or 0

    return {
        "scale": scale,
        "municipalities": count(select(func.count()).select_from(Municipality)),
        "officials": count(select(func.count()).select_from(User).where(User.role == ROLE_OFFICIAL)),
        "lessons_done": count(select(func.count(LessonProgress.completed_at))),
        "attempts": count(select(func.count()).select_from(QuizAttempt)),
        "answers": count(select(func.count()).select_from(AttemptQuestion)),
        "build_seconds": 0.0,
    }
