"""Benchmark the main pages and exports on synthetic programmes at scale 1 and 10 (`make bench`).

    .venv/bin/python tools/benchmark.py                          # SQLite files, scales 1 and 10
    .venv/bin/python tools/benchmark.py --db postgresql          # a throwaway PostgreSQL database
    .venv/bin/python tools/benchmark.py --scales 1 --runs 5      # quicker
    .venv/bin/python tools/benchmark.py --existing 1=postgresql://postgres@127.0.0.1/campus_x1 \
        --existing 10=postgresql://postgres@127.0.0.1/campus_x10   # databases kept from earlier builds

(An existing database can be measured again and again: each run first gives the fresh learners their
quiz attempts back.)

Scale 1 is 50 municipalities, 5,000 officials and about 40,000 quiz attempts; scale 10 is ten times
that. For PostgreSQL the script creates the database `campus_perf_bench` on 127.0.0.1 as user postgres
(--pg-server to change) and drops it at the end (--keep keeps it, e.g. for `make load`). For each page
it reports the SQL statements per request and the median and p95 server time; the figures go to a JSON
file (--json) and a short table. Figures, not pass/fail: see docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_NAME = "campus_perf_bench"


def make_app():
    """The app as deployed, less the limits and CSRF (the benchmark signs in with plain POSTs)."""
    os.environ.setdefault("APP_ENV", "development")
    from app import create_app
    from config import Config

    class BenchConfig(Config):
        RATELIMIT_ENABLED = False
        WTF_CSRF_ENABLED = False
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    return create_app(BenchConfig)


def pg_admin(server: str, sql: str) -> None:
    """Run CREATE/DROP DATABASE on the server's maintenance database."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def one_scale(scale: int, runs: int, build_only: bool, learners: int, existing: bool = False) -> dict:
    """In a fresh process with DATABASE_URL set: build (unless `existing`), then measure; returns the figures."""
    from tools.bench.generate import build, counts_of, reset_learners
    from tools.bench.pages import measure

    app = make_app()
    with app.app_context():
        if existing:
            reset_learners()  # their attempts of an earlier run would leave none to measure
        counts = counts_of(scale) if existing else build(scale, learners=learners)
    if build_only:
        return {"data": counts}
    pages = measure(app, runs)
    return {
        "data": counts,
        "pages": pages,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def table(results: dict) -> str:
    scales = sorted(results["scales"], key=int)
    head = f"{'page':34}" + "".join(f" {'x' + s + ' q':>6} {'med ms':>7} {'p95 ms':>7}" for s in scales)
    lines = [head, "-" * len(head)]
    pages = results["scales"][scales[0]]["pages"]
    for label in pages:
        row = f"{label:34}"
        for s in scales:
            f = results["scales"][s]["pages"].get(label)
            row += f" {f['queries']:6d} {f['median_ms']:7.1f} {f['p95_ms']:7.1f}" if f else " " * 22
        lines.append(row)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=7, help="requests per page (after one warm-up)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--json", default=str(ROOT / "instance" / "benchmark" / "pages.json"))
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (for make load)")
    parser.add_argument("--build-only", action="store_true", help="only generate the data (for make load)")
    parser.add_argument("--learners", type=int, default=40, help="fresh accounts for the quiz path")
    parser.add_argument(
        "--existing",
        action="append",
        default=[],
        metavar="SCALE=URL",
        help="measure a database built earlier (e.g. 10=postgresql://postgres@127.0.0.1/campus_x10; "
        "built with --build-only --keep, then renamed), instead of building one; repeatable",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-existing", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one is not None:  # the child process of one scale
        print(json.dumps(one_scale(args.one, args.runs, args.build_only, args.learners, args.one_existing)))
        return
    existing = dict(item.split("=", 1) for item in args.existing)
    if existing:
        args.scales = sorted(int(scale) for scale in existing)
        args.db = "postgresql" if all(u.startswith("postgresql") for u in existing.values()) else "sqlite"

    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": args.db,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "runs": args.runs,
        "scales": {},
    }
    workdir = tempfile.mkdtemp(prefix="campus-bench-")
    for scale in args.scales:
        env = dict(os.environ, APP_ENV=os.environ.get("APP_ENV", "development"))
        if str(scale) in existing:
            env["DATABASE_URL"] = existing[str(scale)]
        elif args.db == "postgresql":
            pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {PG_NAME}")
            pg_admin(args.pg_server, f"CREATE DATABASE {PG_NAME}")
            env["DATABASE_URL"] = f"{args.pg_server}/{PG_NAME}"
        else:
            env["DATABASE_URL"] = f"sqlite:///{workdir}/bench-{scale}.db"
        print(f"scale {scale} on {args.db}: building", file=sys.stderr)
        command = [
            sys.executable,
            __file__,
            "--one",
            str(scale),
            "--runs",
            str(args.runs),
            "--learners",
            str(args.learners),
        ]
        if args.build_only:
            command.append("--build-only")
        if str(scale) in existing:
            command.append("--one-existing")
        child = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        results["scales"][str(scale)] = json.loads(child.stdout.strip().splitlines()[-1])
        data = results["scales"][str(scale)]["data"]
        print(
            f"scale {scale}: {data['municipalities']} municipalities, {data['officials']} officials, "
            f"{data['attempts']} attempts, {data['answers']} answered questions, built in {data['build_seconds']} s",
            file=sys.stderr,
        )
        if args.db == "postgresql" and str(scale) not in existing and not (args.keep and scale == args.scales[-1]):
            pg_admin(args.pg_server, f"DROP DATABASE IF EXISTS {PG_NAME}")
    if args.build_only:
        print(f"built {PG_NAME if args.db == 'postgresql' else workdir}")
        return
    out = pathlib.Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
