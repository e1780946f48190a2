"""`make load`: gunicorn on PostgreSQL under locust, on loopback, bounded in time.

    .venv/bin/python -m tools.bench.load                    # builds campus_perf_load (scale 1), runs, drops it
    .venv/bin/python -m tools.bench.load --duration 20 --skip-capacity
    .venv/bin/python -m tools.bench.load --memory-run 600   # worker memory over a 10-minute mixed run
    .venv/bin/python -m tools.bench.load --compare "2 sync, 4 sync, 2 gthread x4" --duration 30
    .venv/bin/python -m tools.bench.load --repeat 5 --skip-capacity

1. Builds a scale-1 programme with a pool of fresh learner accounts into a throwaway PostgreSQL
   database (--pg-name, default `campus_perf_load`, on 127.0.0.1, user postgres), unless --database-url
   names one.
2. Starts gunicorn on 127.0.0.1 (--workers, --worker-class, --threads: gunicorn's own flags) with
   tools/bench/wsgi_bench.py (the campus plus a bare-Flask hello in the same workers), then runs each
   scenario of tools/bench/locustfile.py headless: the hello ceiling, lesson, catalogue, my progress,
   the quiz path with --clients users and no think time for --duration seconds each (counted from the
   moment every client has signed in), and (unless --skip-capacity) --takers paced quiz takers for
   --capacity-duration seconds. Meanwhile the RSS and USS
   of every worker are sampled from /proc every --sample-interval seconds (tools/bench/memory.py).
3. Checks in the database that every attempt the quiz takers submitted is graded exactly once, and
   writes the figures (req/s, ratio to the hello ceiling, median/p95, failures, worker memory) to a JSON
   file; `python -m tools.bench.report` turns it into Markdown tables.

Other modes (instead of the default scenario list):
- --memory-run [SECONDS]: the ceiling, then a mix of lesson readers, catalogue, my progress and quiz
  takers (a quarter of --clients each) for SECONDS (600), and whether worker memory stayed flat: RSS
  growth under --flat-threshold % over the last two thirds of the run, for every worker.
- --compare [CONFIG ...]: for each gunicorn configuration ("2 sync", "4 gthread x2": workers, class,
  threads) a fresh gunicorn runs the ceiling and --scenarios (lesson and quiz path by default), so
  every share is of the ceiling of the same configuration in the same run; one table at the end.
- --repeat N (default run or --compare): each scenario N times, interleaved (all scenarios, then all
  again), and per request the mean, min, max and coefficient of variation of req/s and of the share of
  the ceiling, so a reader knows which difference is noise.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import pathlib
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
from tools.bench.memory import MemorySampler, is_flat, summarise  # noqa: E402

LOCUST = ROOT / ".venv-load" / "bin" / "locust"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG_NAME = "campus_perf_load"
CLOSED_LOOP = ("LessonReader", "Catalogue", "MyProgress", "QuizTaker")
FLOORS = ("SignedFloor", "LayoutFloor")  # what a signed-in request and the layout cost (tools/bench/wsgi_bench.py)
COMPARE_DEFAULT = "2 sync, 3 sync, 4 sync, 2 gthread x4, 4 gthread x2"
COMPARE_SCENARIOS = ("LessonReader", "QuizTaker")
# Sizing the pool of fresh quiz accounts: an account takes ROUNDS_PER_ACCOUNT quizzes (four quizzes of
# three attempts) before its user moves on to the next; SUBMITS_PER_S is a generous upper bound of the
# quiz rounds per second the server completes (100 clients of 2 sync workers reached 7-11).
ROUNDS_PER_ACCOUNT = 12
SUBMITS_PER_S = 15
SIGN_IN_ALLOWANCE = 300  # seconds the clients of a scenario may take to sign in before it is cut short
QUIZ_REQUESTS = ("quiz save", "quiz submit")  # shown with the quiz path's total in the compare table


@dataclass(frozen=True)
class ServerConfig:
    """A gunicorn configuration: workers, worker class and threads per worker (gthread only)."""

    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1

    @property
    def label(self) -> str:
        return f"{self.workers} {self.worker_class}" + (f" x{self.threads}" if self.worker_class == "gthread" else "")

    def flags(self) -> list[str]:
        """gunicorn's flags; --threads only for gthread (gunicorn turns sync with threads into gthread)."""
        flags = ["-w", str(self.workers), "-k", self.worker_class]
        return flags + (["--threads", str(self.threads)] if self.worker_class == "gthread" else [])


CONFIG = re.compile(r"^\s*(\d+)\s*(sync|gthread)\s*(?:x\s*(\d+))?\s*$")


def parse_configs(values: list[str]) -> list[ServerConfig]:
    """ "2 sync", "2 gthread x4" (or several, comma-separated) -> configurations, in order."""
    configs = []
    for value in ",".join(values).split(","):
        if not value.strip():
            continue
        match = CONFIG.match(value)
        if not match:
            raise ValueError(f"not a configuration: {value!r} (e.g. '2 sync' or '4 gthread x2')")
        workers, worker_class, threads = int(match[1]), match[2], int(match[3] or 1)
        if worker_class == "sync" and threads != 1:
            raise ValueError(f"{value!r}: sync workers have no threads (gunicorn would switch to gthread)")
        configs.append(ServerConfig(workers, worker_class, threads))
    return configs


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """gunicorn with one configuration, sampled for memory while it runs (a context manager)."""

    def __init__(self, config: ServerConfig, port: int, env: dict, log: pathlib.Path, interval: float):
        self.config, self.port, self.env, self.log, self.interval = config, port, env, log, interval
        self.host = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Server:
        if port_in_use(self.port):  # someone else's server would be measured instead of ours
            raise SystemExit(f"port {self.port} is already in use: choose another with --port")
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                *self.config.flags(),
                "-b",
                f"127.0.0.1:{self.port}",
                "--error-logfile",
                str(self.log),
                "tools.bench.wsgi_bench:app",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self.wait_up(f"{self.host}/__hello/")
        except BaseException:
            self.stop_gunicorn()
            raise
        self.sampler = MemorySampler(self.process.pid, self.interval)
        self.sampler.start()
        return self

    def wait_up(self, url: str, seconds: float = 60) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}: see {self.log}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer at {url}")

    def stop_gunicorn(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def __exit__(self, *exc) -> None:
        self.sampler.stop()
        self.stop_gunicorn()

    def check(self) -> dict:
        """What gunicorn says it ran (its log) and what /proc saw, to confirm the configuration took."""
        text = self.log.read_text() if self.log.exists() else ""
        used = re.findall(r"Using worker: (\S+)", text)
        memory = self.sampler.as_json()
        return {
            "log_worker_class": used[-1] if used else None,
            "workers_booted": len(re.findall(r"Booting worker with pid", text)),
            "worker_pids": [s["pid"] for s in memory["series"]],
            "threads_max": {str(s["pid"]): max(row[3] for row in s["samples"]) for s in memory["series"]},
            "log": str(self.log),
        }


def run_scenario(host, user_classes, users, spawn, duration, env, workdir, label) -> dict:
    """One headless locust run of one or more user classes; returns its per-request and total figures.

    Classes that sign in are measured for `duration` seconds from the moment every user has signed in
    (the locustfile stops the run then); locust's own time limit only bounds a sign-in phase that never
    ends. The bare-Flask hello has no sign-in and simply runs for `duration` seconds."""
    signs_in = user_classes != ["Hello"]
    limit = duration + SIGN_IN_ALLOWANCE if signs_in else duration
    env = dict(env, LOAD_MEASURE_SECONDS=str(duration) if signs_in else "")
    prefix = workdir / re.sub(r"[^A-Za-z0-9_.-]+", "-", label)
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
        f"{limit}s",
        "--stop-timeout",
        "10",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *user_classes,
    ]
    subprocess.run(command, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, timeout=limit + 120)

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


class Runner:
    """Runs scenarios against a server and hands each quiz run fresh accounts of the pool, after the
    ones earlier runs used; collects every submitted attempt id for the check in the database."""

    def __init__(self, env: dict, workdir: pathlib.Path, pool: int):
        self.env, self.workdir, self.pool = env, workdir, pool
        self.next_account = 0
        self.submitted: list[int] = []
        self.sent: list[int] = []
        self.runs = 0

    def scenario(self, server: Server, label, user_classes, users, spawn, duration, extra_env=None) -> dict:
        self.runs += 1
        out = self.workdir / f"submitted-{self.runs}.json"
        env = dict(self.env, LOAD_FIRST_TAKER=str(self.next_account), LOAD_SUBMITTED=str(out), **(extra_env or {}))
        print(f"{server.config.label}: {label}, {users} clients for {duration} s", file=sys.stderr)
        start = server.sampler.now()
        rows = run_scenario(
            server.host, user_classes, users, spawn, duration, env, self.workdir, f"{self.runs}-{label}"
        )
        end = server.sampler.now()
        data = json.loads(out.read_text()) if out.exists() else {}
        if isinstance(data, list):  # an older locustfile: ids only
            data = {"submitted": data, "accounts": 0}
        server.sampler.mark(label, start, end, data.get("ready_at"))
        self.submitted += data.get("submitted", [])
        self.sent += data.get("sent", [])
        self.next_account += data.get("accounts", 0)
        if self.next_account > self.pool:
            print(f"warning: {self.next_account} quiz accounts used of {self.pool}: reused", file=sys.stderr)
        return rows


def add_ratios(scenarios: dict) -> float:
    """Adds each request's share of the hello ceiling of the same run; returns the ceiling."""
    ceiling = scenarios["Hello"]["bare Flask hello"]["rps"]
    for rows in scenarios.values():
        for row in rows.values():
            row["ratio_to_hello"] = round(row["rps"] / ceiling, 3) if ceiling else None
    return ceiling


def measured_requests(scenarios: dict):
    """(scenario, request name, row) of every request except the sign-ins; a scenario's Aggregated row
    only where it has several kinds of request."""
    for scenario, rows in scenarios.items():
        kinds = [n for n in rows if n != "Aggregated" and not n.startswith("sign")]
        for name, row in rows.items():
            if name.startswith("sign") or (name == "Aggregated" and len(kinds) < 2):
                continue
            yield scenario, name, row


def combine(runs: list[dict]) -> dict:
    """Per scenario and request over several runs (each {"scenarios": ...} with ratios): mean, min, max
    and coefficient of variation (sample standard deviation / mean) of req/s and of the share of the
    ceiling, the mean median and p95, the p95 range and the failures summed."""

    def spread(values: list[float], digits: int) -> dict:
        mean = statistics.fmean(values)
        cv = statistics.stdev(values) / mean if len(values) > 1 and mean else None
        return {
            "mean": round(mean, digits),
            "min": round(min(values), digits),
            "max": round(max(values), digits),
            "cv": round(cv, 3) if cv is not None else None,
        }

    combined: dict = {}
    for scenario, name, _row in measured_requests(runs[0]["scenarios"]):
        rows = [run["scenarios"].get(scenario, {}).get(name) for run in runs]
        rows = [row for row in rows if row]
        combined.setdefault(scenario, {})[name] = {
            "runs": len(rows),
            "rps": spread([row["rps"] for row in rows], 1),
            "ratio_to_hello": spread([row["ratio_to_hello"] or 0 for row in rows], 4),
            "median_ms": round(statistics.fmean(row["median_ms"] for row in rows), 1),
            "p95_ms": spread([row["p95_ms"] for row in rows], 1),
            "failures": sum(row["failures"] for row in rows),
        }
    return combined


def memory_figures(server: Server, warmup: float) -> dict:
    """The sampler's series and windows, a summary per scenario from the moment its clients had signed
    in (warm-up: `warmup` seconds more, at most a third of the rest) and one over the whole run (from
    the first scenario's start plus `warmup`)."""
    memory = server.sampler.as_json()
    summary = {}
    for label, (_start, end, measured_from) in memory["windows"].items():
        summary[label] = summarise(memory, measured_from, end, min(warmup, (end - measured_from) / 3))
    if memory["windows"]:
        first = min(window[0] for window in memory["windows"].values())
        last = max(window[1] for window in memory["windows"].values())
        memory["whole_run"] = summarise(memory, first, last, warmup)
    memory["warmup_s"] = warmup
    memory["summary"] = summary
    return memory


def config_memory(repetitions: list[dict]) -> dict:
    """A configuration's memory over its runs: the largest RSS of one worker, and the RSS of all its
    workers together at the end of a run (the largest such sum): what more workers or threads cost."""
    largest, together = 0.0, 0.0
    for run in repetitions:
        workers = run["memory"].get("whole_run", [])
        largest = max([largest] + [w["rss"]["max_mib"] for w in workers])
        together = max(together, sum(w["rss"]["end_mib"] for w in workers))
    return {"worker_rss_max_mib": round(largest, 1), "workers_rss_end_mib": round(together, 1)}


def verify(database_url: str, submitted: list[int], sent: list[int] | None = None) -> dict:
    """Every submitted attempt graded exactly once: status submitted with a score, once in the table,
    and no attempt of the load accounts graded that the takers did not submit (or left half-graded).

    `sent` lists the submissions sent, answered or not: one sent when the run stopped may have been
    graded without the client seeing the answer; such attempts are counted apart ("in flight"), not
    as errors. One graded that was never sent is an error."""
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
    in_flight = (graded - wanted) & set(sent or [])
    return {
        "submitted_by_clients": len(submitted),
        "submitted_twice_by_clients": len(submitted) - len(wanted),
        "graded_in_database": len(graded),
        "missing": sorted(wanted - graded)[:20],
        "graded_in_flight_at_stop": sorted(in_flight)[:20],
        "graded_but_not_submitted": sorted(graded - wanted - in_flight)[:20],
        "without_score": [i for i in wanted if i in by_id and not (by_id[i][2] and by_id[i][3])][:20],
        "duplicate_attempt_numbers": duplicates,
        "open_left": sum(1 for r in rows if r[1] == "open"),
        "ok": wanted == graded - in_flight and len(submitted) == len(wanted) and duplicates == 0,
    }


# ---- printed tables (the Markdown versions are in report.py) ----


def print_load(scenarios: dict) -> None:
    print(f"{'scenario / request':40} {'req/s':>8} {'ratio':>7} {'median':>7} {'p95':>7} {'fail':>6}")
    for scenario, rows in scenarios.items():
        for name, row in rows.items():
            label = f"{scenario} / {name}"[:40]
            print(
                f"{label:40} {row['rps']:8.1f} {row.get('ratio_to_hello') or 0:7.1%} "
                f"{row['median_ms']:7.0f} {row['p95_ms']:7.0f} {row['failures']:6d}"
            )


def print_memory(summary: dict, title: str = "worker memory (MiB; growth from the first sample after warm-up)") -> None:
    print(f"\n{title}")
    print(
        f"{'window':30} {'pid':>7} {'from s':>6} {'RSS start':>9} {'end':>7} {'max':>7} {'growth':>7} {'%':>6}"
        f" {'USS start':>9} {'end':>7} {'thr':>4}"
    )
    for label, workers in summary.items():
        for w in workers:
            rss, uss = w["rss"], w["uss"] or {}
            pct = f"{rss['growth_pct']:6.1f}" if rss["growth_pct"] is not None else f"{'-':>6}"
            print(
                f"{label[:30]:30} {w['pid']:7d} {w['from_s']:6.0f} {rss['start_mib']:9.1f} {rss['end_mib']:7.1f}"
                f" {rss['max_mib']:7.1f} {rss['growth_mib']:+7.1f} {pct} {uss.get('start_mib', 0):9.1f}"
                f" {uss.get('end_mib', 0):7.1f} {w['threads_max']:4d}"
            )


def print_variation(variation: dict, runs: int) -> None:
    print(f"\nrun-to-run variation over {runs} runs (req/s and share of the ceiling of the same run)")
    print(
        f"{'scenario / request':40} {'mean':>8} {'min':>8} {'max':>8} {'cv':>6} {'share':>7} {'min':>7} {'max':>7}"
        f" {'cv':>6}"
    )
    for scenario, rows in variation.items():
        for name, v in rows.items():
            rps, share = v["rps"], v["ratio_to_hello"]
            print(
                f"{f'{scenario} / {name}'[:40]:40} {rps['mean']:8.1f} {rps['min']:8.1f} {rps['max']:8.1f}"
                f" {_pct(rps['cv']):>6} {share['mean']:7.1%} {share['min']:7.1%} {share['max']:7.1%}"
                f" {_pct(share['cv']):>6}"
            )


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "-"


def compare_rows(configs: list[dict]):
    """(config label, scenario, request, combined figures) of the compare table: the ceiling, every
    single-request scenario, and of the quiz path its total, saves and submits."""
    for config in configs:
        for scenario, rows in config["summary"].items():
            for name, figures in rows.items():
                if scenario == "QuizTaker" and name != "Aggregated" and name not in QUIZ_REQUESTS:
                    continue
                yield config["label"], scenario, name, figures


def print_compare(configs: list[dict], runs: int) -> None:
    note = f"means of {runs} runs" if runs > 1 else "one run each"
    print(f"\ngunicorn configurations ({note}; share of the ceiling measured under the same configuration)")
    print(
        f"{'configuration':16} {'request':28} {'req/s':>8} {'share':>7} {'median':>7} {'p95':>7} {'fail':>6}"
        + (f" {'cv':>6}" if runs > 1 else "")
    )
    for label, _scenario, name, f in compare_rows(configs):
        request = "quiz path (all)" if name == "Aggregated" else name
        print(
            f"{label:16} {request[:28]:28} {f['rps']['mean']:8.1f} {f['ratio_to_hello']['mean']:7.1%}"
            f" {f['median_ms']:7.0f} {f['p95_ms']['mean']:7.0f} {f['failures']:6d}"
            + (f" {_pct(f['rps']['cv']):>6}" if runs > 1 else "")
        )
    print(
        f"\n{'configuration':16} {'class in log':>12} {'booted':>6} {'threads':>7} {'RSS max/worker':>16} {'RSS all':>10}"
    )
    for config in configs:
        check, memory = config["checks"][0], config["memory"]
        print(
            f"{config['label']:16} {check['log_worker_class'] or '?':>12} {check['workers_booted']:6d}"
            f" {max(check['threads_max'].values(), default=0):7d} {memory['worker_rss_max_mib']:12.1f} MiB"
            f" {memory['workers_rss_end_mib']:6.1f} MiB"
        )


# ---- the modes ----


def build_database(args, learners: int) -> str:
    database_url = f"{args.pg_server}/{args.pg_name}"
    import psycopg

    with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.pg_name}")
        conn.execute(f"CREATE DATABASE {args.pg_name}")
    env = dict(os.environ, APP_ENV="development", DATABASE_URL=database_url)
    code = (
        "import sys; sys.path.insert(0, '.'); from tools.benchmark import make_app; "
        "from tools.bench.generate import build; app = make_app(); ctx = app.app_context(); ctx.push(); "
        f"print(build(1, learners={learners}))"
    )
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", code], env=env, cwd=ROOT, check=True)
    return database_url


def pool_size(args, configs: list[ServerConfig], scenarios: list[str]) -> int:
    """Fresh quiz accounts the run needs (see ROUNDS_PER_ACCOUNT), with a margin."""

    def accounts(users: int, seconds: float, rounds_per_s: float = SUBMITS_PER_S) -> int:
        return users + math.ceil(seconds * rounds_per_s / ROUNDS_PER_ACCOUNT)

    if args.memory_run:
        needed = accounts(args.clients, args.memory_run)
    else:
        runs = args.repeat * len(configs) * scenarios.count("QuizTaker")
        needed = runs * accounts(args.clients, args.duration)
        if not (args.skip_capacity or args.compare is not None):
            rounds_per_s = args.takers * args.taker_rate / 13
            needed += accounts(args.capacity_users, args.capacity_duration, rounds_per_s)
    return needed + 50


def default_run(args, runner: Runner, server: Server, scenarios: list[str], results: dict) -> None:
    """The ceiling and the closed-loop scenarios (--repeat times, interleaved), then the capacity run."""
    repetitions = []
    for rep in range(1, args.repeat + 1):
        run: dict = {"scenarios": {}}
        for user_class in ["Hello", *scenarios]:
            label = user_class if args.repeat == 1 else f"{user_class} #{rep}"
            run["scenarios"][user_class] = runner.scenario(
                server, label, [user_class], args.clients, args.clients, args.duration
            )
        run["ceiling_rps"] = add_ratios(run["scenarios"])
        repetitions.append(run)
    results["scenarios"] = repetitions[0]["scenarios"]
    results["ceiling_rps"] = repetitions[0]["ceiling_rps"]
    if args.repeat > 1:
        results["repetitions"] = repetitions
        results["variation"] = combine(repetitions)
    if not args.skip_capacity:
        users = args.capacity_users
        pace = args.takers * args.taker_rate / users
        print(
            f"capacity: {args.takers} takers at {args.taker_rate} req/s = {users} users at {pace:.2f} req/s, "
            f"{args.capacity_duration} s",
            file=sys.stderr,
        )
        results["capacity"] = {"takers": args.takers, "taker_rate": args.taker_rate, "users": users, "pace": pace}
        rows = runner.scenario(
            server,
            "PacedQuizTaker",
            ["PacedQuizTaker"],
            users,
            max(1, users // 20),
            args.capacity_duration,
            {"LOAD_PACE": str(pace)},
        )
        results["scenarios"]["PacedQuizTaker"] = rows
        for row in rows.values():
            ceiling = results["ceiling_rps"]
            row["ratio_to_hello"] = round(row["rps"] / ceiling, 3) if ceiling else None


def memory_run(args, runner: Runner, server: Server, results: dict) -> None:
    """The ceiling, then the mixed run; memory summarised after warm-up and over the last two thirds."""
    seconds = args.memory_run
    scenarios = {"Hello": runner.scenario(server, "Hello", ["Hello"], args.clients, args.clients, args.duration)}
    scenarios["Mixed"] = runner.scenario(server, "Mixed", list(CLOSED_LOOP), args.clients, args.clients, seconds)
    results["scenarios"] = scenarios
    results["ceiling_rps"] = add_ratios(scenarios)
    results["memory_run"] = {"seconds": seconds, "clients": args.clients, "classes": list(CLOSED_LOOP)}


def finish_memory_run(args, results: dict) -> None:
    memory = results["memory"]
    _start, end, measured_from = memory["windows"]["Mixed"]
    last = summarise(memory, measured_from, end, (end - measured_from) / 3)
    memory["summary"]["Mixed, last two thirds"] = last
    results["memory_run"].update(
        flat_threshold_pct=args.flat_threshold,
        window="last two thirds of the mixed run (after every client had signed in)",
        flat=is_flat(last, args.flat_threshold),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", help="an already built database (else a throwaway one is built)")
    parser.add_argument(
        "--pg-server", default="postgresql://postgres@127.0.0.1:5432", help="where the throwaway database is built"
    )
    parser.add_argument(
        "--pg-name", default=PG_NAME, help=f"name of the throwaway database, dropped at the end (default {PG_NAME})"
    )
    parser.add_argument("--learners", type=int, help="fresh quiz accounts to build (default: what the run needs)")
    parser.add_argument(
        "--port", type=int, default=8765, help="gunicorn's loopback port (the run stops if something already listens)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn -w (default 2)")
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="sync", help="gunicorn -k")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads per worker (gthread only)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients per scenario")
    parser.add_argument(
        "--scenarios",
        help=f"comma-separated subset of {','.join(CLOSED_LOOP + FLOORS)} (default: all; with --compare: "
        f"{','.join(COMPARE_SCENARIOS)}); the Hello ceiling always runs",
    )
    parser.add_argument("--takers", type=int, default=2_000, help="quiz takers simulated in the capacity run")
    parser.add_argument("--taker-rate", type=float, default=0.02, help="requests per second of one taker")
    parser.add_argument("--capacity-users", type=int, default=200, help="locust users that carry those takers")
    parser.add_argument("--capacity-duration", type=int, default=150)
    parser.add_argument("--skip-capacity", action="store_true")
    parser.add_argument("--only-capacity", action="store_true", help="the hello ceiling and the capacity run only")
    parser.add_argument(
        "--memory-run",
        type=int,
        nargs="?",
        const=600,
        metavar="SECONDS",
        help="the ceiling, then readers, catalogue, my progress and quiz takers mixed for SECONDS (600 if "
        "not given), reporting whether worker memory stayed flat",
    )
    parser.add_argument(
        "--flat-threshold", type=float, default=5.0, help="memory is flat below this RSS growth, %% (default 5)"
    )
    parser.add_argument("--sample-interval", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument(
        "--memory-warmup",
        type=float,
        default=10.0,
        help="seconds of each scenario before memory growth counts (at most a third of it; default 10)",
    )
    parser.add_argument(
        "--compare",
        nargs="*",
        metavar="CONFIG",
        help=f"compare gunicorn configurations, e.g. '2 sync' '4 gthread x2' (comma-separated also; "
        f"none given: {COMPARE_DEFAULT}); replaces --workers, --worker-class and --threads",
    )
    parser.add_argument("--repeat", type=int, default=1, help="run each scenario N times, interleaved")
    parser.add_argument(
        "--json", help="output file (default instance/benchmark/load.json, memory.json with --memory-run, compare.json)"
    )
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit("locust is missing: run `make bench-install` (requirements-bench.txt)")
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("--threads needs --worker-class gthread (gunicorn would silently switch to gthread)")
    modes = [args.compare is not None, args.memory_run is not None, args.only_capacity]
    if sum(modes) > 1:
        parser.error("--compare, --memory-run and --only-capacity are separate modes")
    if args.repeat < 1 or (args.repeat > 1 and args.memory_run is not None):
        parser.error("--repeat N (N >= 1) goes with the default run or --compare")
    if args.compare is not None:
        try:
            configs = parse_configs(args.compare or [COMPARE_DEFAULT])
        except ValueError as error:
            parser.error(str(error))
    else:
        configs = [ServerConfig(args.workers, args.worker_class, args.threads)]
    default_scenarios = COMPARE_SCENARIOS if args.compare is not None else CLOSED_LOOP + FLOORS
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()] if args.scenarios else default_scenarios
    scenarios = [] if args.only_capacity else list(scenarios)
    if unknown := set(scenarios) - set(CLOSED_LOOP + FLOORS):
        parser.error(f"unknown scenarios {sorted(unknown)}: choose from {', '.join(CLOSED_LOOP + FLOORS)}")
    mode = "compare" if args.compare is not None else "memory" if args.memory_run is not None else "load"
    out = pathlib.Path(args.json or ROOT / "instance" / "benchmark" / f"{mode}.json")

    learners = args.learners or pool_size(args, configs, scenarios)
    built_here = args.database_url is None
    database_url = build_database(args, learners) if built_here else args.database_url

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="campus-load-"))
    server_env = dict(
        os.environ,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
    )
    server_env.pop("SESSION_COOKIE_SECURE", None)
    results: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": mode,
        "machine": {"cpus": os.cpu_count()},
        "duration_s": args.duration,
        "clients": args.clients,
        "repeat": args.repeat,
        "learner_pool": learners,
    }
    try:
        import psycopg

        with psycopg.connect(database_url) as conn:
            lesson = conn.execute(
                "SELECT l.key FROM lesson l JOIN module m ON m.id = l.module_id "
                "WHERE m.key = 'gobernanza-migratoria' ORDER BY l.position OFFSET 1 LIMIT 1"
            ).fetchone()[0]
        runner = Runner(dict(os.environ, LOAD_LESSON=lesson, LOAD_TAKERS=str(learners)), workdir, learners)

        def server(config: ServerConfig, name: str) -> Server:
            return Server(config, args.port, server_env, workdir / f"gunicorn-{name}.log", args.sample_interval)

        if mode == "compare":
            entries = [{**asdict(c), "label": c.label, "repetitions": [], "checks": []} for c in configs]
            for rep in range(1, args.repeat + 1):  # configurations interleaved too: drift hits them alike
                for config, entry in zip(configs, entries, strict=True):
                    with server(config, f"{config.label.replace(' ', '-')}-{rep}") as running:
                        run: dict = {"scenarios": {}}
                        for user_class in ["Hello", *scenarios]:
                            run["scenarios"][user_class] = runner.scenario(
                                running, user_class, [user_class], args.clients, args.clients, args.duration
                            )
                        run["ceiling_rps"] = add_ratios(run["scenarios"])
                    run["memory"] = memory_figures(running, args.memory_warmup)
                    entry["checks"].append(running.check())
                    entry["repetitions"].append(run)
            for entry in entries:
                entry["summary"] = combine(entry["repetitions"])
                entry["memory"] = config_memory(entry["repetitions"])
            results["configs"] = entries
        else:
            config = configs[0]
            with server(config, "main") as running:
                if mode == "memory":
                    memory_run(args, runner, running, results)
                else:
                    default_run(args, runner, running, scenarios, results)
            results["gunicorn"] = f"{config.workers} {config.worker_class} workers" + (
                f", {config.threads} threads each" if config.worker_class == "gthread" else ""
            )
            results["server"] = {**asdict(config), "label": config.label, **running.check()}
            results["memory"] = memory_figures(running, args.memory_warmup)
            if mode == "memory":
                finish_memory_run(args, results)
        results["graded_exactly_once"] = verify(database_url, runner.submitted, runner.sent)
    finally:
        if built_here:
            import psycopg

            with psycopg.connect(f"{args.pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {args.pg_name} WITH (FORCE)")

    if mode == "compare":
        print_compare(results["configs"], args.repeat)
    else:
        print_load(results["scenarios"])
        memory = results["memory"]
        print_memory({**memory["summary"], "whole run": memory.get("whole_run", [])})
        if "variation" in results:
            print_variation(results["variation"], args.repeat)
        if mode == "memory":
            run = results["memory_run"]
            verdict = {True: "flat", False: "NOT flat", None: "unknown (no samples)"}[run["flat"]]
            print(
                f"\nworker memory over the last two thirds of the {run['seconds']} s mixed run: {verdict} "
                f"(every worker's RSS growth under {run['flat_threshold_pct']}%?)"
            )
        server_check = results["server"]
        print(
            f"gunicorn: {results['gunicorn']}; its log says worker class {server_check['log_worker_class']}, "
            f"{server_check['workers_booted']} workers booted"
        )
    print("graded exactly once:", json.dumps(results["graded_exactly_once"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
