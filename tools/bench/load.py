"""`make load`: gunicorn (2 sync workers) on PostgreSQL under locust, on loopback, bounded in time.

    .venv/bin/python -m tools.bench.load                    # builds campus_perf_load (scale 1), runs, drops it
    .venv/bin/python -m tools.bench.load --duration 20 --skip-capacity

1. Builds a scale-1 programme with a pool of fresh learner accounts into a throwaway PostgreSQL
   database (`campus_perf_load` on 127.0.0.1, user postgres), unless --database-url names one.
2. Starts gunicorn on 127.0.0.1 with tools/bench/wsgi_bench.py (the campus plus a bare-Flask hello in
   the same workers), then runs each scenario of tools/bench/locustfile.py headless for --duration
   seconds: the hello ceiling, lesson, catalogue, my progress, the quiz path with --clients users and no
   think time, and (unless --skip-capacity) --takers paced quiz takers for --capacity-duration seconds.
3. Checks in the database that every attempt the quiz takers submitted is graded exactly once, and
   writes the figures (req/s, ratio to the hello ceiling, median/p95, failures) to a JSON file.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG_NAME = "campus_perf_load"


def wait_up(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def run_scenario(host, user_class, users, spawn, duration, env, workdir) -> dict:
    """One headless locust run; returns its per-request and total figures."""
    prefix = workdir / user_class
    command = [
        str(LOCUST),
        "-f",
        str(ROOT / "tools" / "bench" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(spawn),
        "-t",
        f"{duration}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    subprocess.run(command, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, timeout=duration + 120)

    def number(raw: str) -> float:
        return float(raw) if raw not in ("", "N/A") else 0.0

    rows = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(number(row["Requests/s"]), 1),
                "median_ms": number(row["50%"]),
                "p95_ms": number(row["95%"]),
                "p99_ms": number(row["99%"]),
            }
    return rows


def verify(database_url: str, submitted: list[int]) -> dict:
    """Every submitted attempt graded exactly once: status submitted with a score, once in the table,
    and no attempt of the load accounts graded that the takers did not submit (or left half-graded)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as conn:
        rows = conn.execute(
            """SELECT a.id, a.status, a.score IS NOT NULL, a.submitted_at IS NOT NULL,
                      (SELECT count(*) FROM attempt_question q WHERE q.attempt_id = a.id)
               FROM quiz_attempt a JOIN "user" u ON u.id = a.user_id
               WHERE u.email LIKE 'learner%@bench.example.org'"""
        ).fetchall()
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT user_id, quiz_id, number FROM quiz_attempt "
            "GROUP BY user_id, quiz_id, number HAVING count(*) > 1) d"
        ).fetchone()[0]
    by_id = {r[0]: r for r in rows}
    wanted = set(submitted)
    graded = {r[0] for r in rows if r[1] != "open"}
    return {
        "submitted_by_clients": len(submitted),
        "submitted_twice_by_clients": len(submitted) - len(wanted),
        "graded_in_database": len(graded),
        "missing": sorted(wanted - graded)[:20],
        "graded_but_not_submitted": sorted(graded - wanted)[:20],
        "without_score": [i for i in wanted if i in by_id and not (by_id[i][2] and by_id[i][3])][:20],
        "duplicate_attempt_numbers": duplicates,
        "open_left": sum(1 for r in rows if r[1] == "open"),
        "ok": wanted == graded and len(submitted) == len(wanted) and duplicates == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an already built database (else a throwaway one is built)")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients per scenario")
    parser.add_argument("--takers", type=int, default=2_000, help="quiz takers simulated in the capacity run")
    parser.add_argument("--taker-rate", type=float, default=0.02, help="requests per second of one taker")
    parser.add_argument("--capacity-users", type=int, default=200, help="locust users that carry those takers")
    parser.add_argument("--capacity-duration", type=int, default=150)
    parser.add_argument("--skip-capacity", action="store_true")
    parser.add_argument("--only-capacity", action="store_true", help="the hello ceiling and the capacity run only")
    parser.add_argument("--json", default=str(ROOT / "instance" / "benchmark" / "load.json"))
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit("locust is missing: run `make bench-install` (requirements-bench.txt)")

    learners = args.capacity_users + args.clients * 3 + 50
    database_url = args.database_url
    built_here = database_url is None
    if built_here:
        database_url = f"{args.pg_server}/{PG_NAME}"
        import psycopg

        with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        env = dict(os.environ, APP_ENV="development", DATABASE_URL=database_url)
        code = (
            "import sys; sys.path.insert(0, '.'); from tools.benchmark import make_app; "
            "from tools.bench.generate import build; app = make_app(); ctx = app.app_context(); ctx.push(); "
            f"print(build(1, learners={learners}))"
        )
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code], env=env, cwd=ROOT, check=True)

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="campus-load-"))
    server_env = dict(
        os.environ,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
    )
    server_env.pop("SESSION_COOKIE_SECURE", None)
    host = f"http://127.0.0.1:{args.port}"
    gunicorn = subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            str(args.workers),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{args.port}",
            "--error-logfile",
            str(workdir / "gunicorn.log"),
            "tools.bench.wsgi_bench:app",
        ],
        env=server_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count()},
        "gunicorn": f"{args.workers} sync workers",
        "duration_s": args.duration,
        "clients": args.clients,
        "scenarios": {},
    }
    try:
        wait_up(f"{host}/__hello/")
        import psycopg

        with psycopg.connect(database_url) as conn:
            lesson = conn.execute(
                "SELECT l.key FROM lesson l JOIN module m ON m.id = l.module_id "
                "WHERE m.key = 'gobernanza-migratoria' ORDER BY l.position OFFSET 1 LIMIT 1"
            ).fetchone()[0]
        submitted_file = workdir / "submitted.json"
        locust_env = dict(
            os.environ,
            LOAD_LESSON=lesson,
            LOAD_TAKERS=str(learners),
            LOAD_SUBMITTED=str(submitted_file),
        )
        plan = [("Hello", args.clients)]
        plan += (
            []
            if args.only_capacity
            else [
                ("LessonReader", args.clients),
                ("Catalogue", args.clients),
                ("MyProgress", args.clients),
                ("QuizTaker", args.clients),
            ]
        )
        submitted: list[int] = []
        for user_class, users in plan:
            print(f"{user_class}: {users} clients for {args.duration} s", file=sys.stderr)
            rows = run_scenario(host, user_class, users, users, args.duration, locust_env, workdir)
            results["scenarios"][user_class] = rows
            if user_class == "QuizTaker":
                submitted += json.loads(submitted_file.read_text())
        if not args.skip_capacity:
            users = args.capacity_users
            pace = args.takers * args.taker_rate / users
            print(
                f"capacity: {args.takers} takers at {args.taker_rate} req/s = {users} users at {pace:.2f} req/s, "
                f"{args.capacity_duration} s",
                file=sys.stderr,
            )
            locust_env["LOAD_FIRST_TAKER"] = str(args.clients * 3)
            locust_env["LOAD_PACE"] = str(pace)
            results["capacity"] = {"takers": args.takers, "taker_rate": args.taker_rate, "users": users, "pace": pace}
            rows = run_scenario(
                host, "PacedQuizTaker", users, max(1, users // 20), args.capacity_duration, locust_env, workdir
            )
            results["scenarios"]["PacedQuizTaker"] = rows
            submitted += json.loads(submitted_file.read_text())
        results["graded_exactly_once"] = verify(database_url, submitted)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        if built_here:
            import psycopg

            with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    ceiling = results["scenarios"]["Hello"]["bare Flask hello"]["rps"]
    results["ceiling_rps"] = ceiling
    print(f"{'scenario / request':40} {'req/s':>8} {'ratio':>7} {'median':>7} {'p95':>7} {'fail':>6}")
    for scenario, rows in results["scenarios"].items():
        for name, row in rows.items():
            row["ratio_to_hello"] = round(row["rps"] / ceiling, 3) if ceiling else None
            label = f"{scenario} / {name}"[:40]
            print(
                f"{label:40} {row['rps']:8.1f} {row['ratio_to_hello'] or 0:7.1%} "
                f"{row['median_ms']:7.0f} {row['p95_ms']:7.0f} {row['failures']:6d}"
            )
    print("graded exactly once:", json.dumps(results["graded_exactly_once"]))
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
