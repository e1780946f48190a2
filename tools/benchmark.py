"""Benchmark the monitoring pages on a large synthetic programme and report figures (no pass/fail).

    .venv/bin/python tools/benchmark.py                 # 3,000 officials on a temporary SQLite file
    .venv/bin/python tools/benchmark.py --officials 10000
    DATABASE_URL=postgresql://postgres@127.0.0.1/bench .venv/bin/python tools/benchmark.py   # a throwaway DB!

For each page it prints the median time over several requests, the number of SQL queries and the
size of the response; at the end, the peak memory of the process.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import timedelta

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(officials: int, seed: int) -> None:
    """Schema by migrations, real content, then officials with progress inserted in bulk."""
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, text

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
    from app.services.accounts import create_user
    from app.services.content import load_content, sync_content

    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(directory=str(ROOT / "migrations"))
    bundle, report = load_content(ROOT / "content")
    sync_content(bundle)
    db.session.commit()
    rng = random.Random(seed)
    municipalities = db.session.scalars(select(Municipality)).all()
    area_ids = list(db.session.scalars(text("SELECT id FROM area")))
    modules = db.session.scalars(select(Module).order_by(Module.position)).all()
    lessons = {m.id: db.session.scalars(select(Lesson.id).where(Lesson.module_id == m.id)).all() for m in modules}
    quizzes = {m.id: db.session.scalar(select(Quiz).where(Quiz.module_id == m.id)) for m in modules}
    questions = {
        q.id: db.session.scalars(select(Question.id).where(Question.quiz_id == q.id)).all() for q in quizzes.values()
    }
    choices: dict[int, list[tuple[int, bool]]] = {}
    for choice in db.session.scalars(select(Choice)):
        choices.setdefault(choice.question_id, []).append((choice.id, choice.is_correct))
    create_user(name="Benchmark IOM", email="bench@example.org", password="benchmark-pass", role="iom_officer")
    now = utcnow()
    password_hash = db.session.scalar(select(User.password_hash))
    users = [
        {
            "email": f"official{i}@bench.example.org",
            "name": f"Official {i}",
            "password_hash": password_hash,
            "role": "official",
            "is_focal_point": False,
            "municipality_id": rng.choice(municipalities).id,
            "area_id": rng.choice(area_ids),
            "gender": rng.choices(GENDERS, weights=(52, 42, 3, 3))[0],
            "active": True,
            "created_at": now - timedelta(days=rng.randint(1, 300)),
            "last_seen_at": now - timedelta(days=rng.randint(0, 90)),
            "all_municipalities": False,
        }
        for i in range(officials)
    ]
    db.session.execute(insert(User), users)
    user_ids = db.session.scalars(select(User.id).where(User.role == "official")).all()
    progress, attempts, items = [], [], []
    for user_id in user_ids:
        for module in modules:
            if rng.random() > 0.7:
                break
            done = lessons[module.id] if rng.random() < 0.8 else rng.sample(lessons[module.id], 1)
            progress += [{"user_id": user_id, "lesson_id": lid, "started_at": now, "completed_at": now} for lid in done]
            quiz = quizzes[module.id]
            for number in range(1, rng.randint(1, 3) + 1):
                score = round(rng.uniform(40, 100), 1)
                attempts.append(
                    {
                        "user_id": user_id,
                        "quiz_id": quiz.id,
                        "number": number,
                        "status": "submitted",
                        "started_at": now,
                        "submitted_at": now,
                        "score": score,
                        "passed": score >= 70,
                        "pass_mark": 70,
                    }
                )
    db.session.execute(insert(LessonProgress), progress)
    db.session.execute(insert(QuizAttempt), attempts)
    for attempt_id, quiz_id in db.session.execute(select(QuizAttempt.id, QuizAttempt.quiz_id)).all():
        for position, qid in enumerate(rng.sample(questions[quiz_id], 8), start=1):
            options = choices[qid]
            items.append(
                {
                    "attempt_id": attempt_id,
                    "question_id": qid,
                    "position": position,
                    "choice_order": [c for c, _ in options],
                    "selected": [options[0][0]],
                    "is_correct": rng.random() < 0.75,
                }
            )
    db.session.execute(insert(AttemptQuestion), items)
    db.session.commit()
    print(
        f"data: {officials} officials, {len(progress)} lessons done, {len(attempts)} attempts, "
        f"{len(items)} answered questions"
    )


def measure(app, runs: int) -> None:
    """Time each page with a signed-in IOM officer."""
    from sqlalchemy import event, select

    from app.extensions import db
    from app.models import Module, Municipality

    client = app.test_client()
    client.post("/auth/login", data={"email": "bench@example.org", "password": "benchmark-pass"})
    with app.app_context():
        municipality = db.session.scalar(select(Municipality.id).order_by(Municipality.id))
        module = db.session.scalar(select(Module.id).order_by(Module.position))
        engine = db.engine
    pages = [
        "/monitoring/",
        f"/monitoring/municipalities/{municipality}",
        f"/monitoring/modules/{module}",
        "/monitoring/gender?level=municipality",
        "/monitoring/gender?level=area",
        "/monitoring/?format=xlsx",
        f"/monitoring/municipalities/{municipality}?format=csv&table=officials",
        "/my-progress",
        "/modules",
    ]
    counter = {"n": 0}
    event.listen(engine, "before_cursor_execute", lambda *a: counter.__setitem__("n", counter["n"] + 1))
    print(f"{'page':62} {'median ms':>10} {'queries':>8} {'KiB':>8}")
    for page in pages:
        times = []
        for _ in range(runs):
            counter["n"] = 0
            start = time.perf_counter()
            response = client.get(page)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (page, response.status_code)
        print(f"{page:62} {statistics.median(times):10.1f} {counter['n']:8d} {len(response.data) / 1024:8.1f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak:.0f} MiB")


def main() -> None:
    """Build the data set, then time the pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officials", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="campus-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.db")

    from app import create_app
    from config import Config

    class BenchConfig(Config):
        RATELIMIT_ENABLED = False
        WTF_CSRF_ENABLED = False  # the benchmark signs in with a plain POST
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    app = create_app(BenchConfig)
    with app.app_context():
        start = time.perf_counter()
        build(args.officials, args.seed)
        print(f"built in {time.perf_counter() - start:.1f} s on {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    measure(app, args.runs)


if __name__ == "__main__":
    main()
