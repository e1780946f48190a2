"""Markdown tables from the benchmark's JSON files, for docs/performance.md.

.venv/bin/python -m tools.bench.report pages instance/benchmark/pages.json [before.json]
.venv/bin/python -m tools.bench.report load instance/benchmark/load.json [before.json]
.venv/bin/python -m tools.bench.report memory instance/benchmark/memory.json   # or any load.json
.venv/bin/python -m tools.bench.report compare instance/benchmark/compare.json
.venv/bin/python -m tools.bench.report repeat instance/benchmark/load.json     # a run with --repeat N
"""

from __future__ import annotations

import json
import sys


def pages(after: dict, before: dict | None) -> str:
    scales = sorted(after["scales"], key=int)
    head = "| page |" + "".join(f" x{s} statements | x{s} median / p95 ms |" for s in scales)
    if before:
        head += "".join(f" before: x{s} statements, median ms |" for s in scales)
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for label in after["scales"][scales[0]]["pages"]:
        row = f"| {label} |"
        for s in scales:
            f = after["scales"][s]["pages"][label]
            row += f" {f['queries']} | {f['median_ms']:.1f} / {f['p95_ms']:.1f} |"
        if before:
            for s in scales:
                f = before["scales"].get(s, {}).get("pages", {}).get(label)
                row += f" {f['queries']}, {f['median_ms']:.1f} |" if f else " |"
        lines.append(row)
    return "\n".join(lines)


def load(after: dict, before: dict | None) -> str:
    head = "| scenario | request | req/s | share of bare Flask | median ms | p95 ms | failures |"
    if before:
        head += " before: req/s, share, p95 ms |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for scenario, rows in after["scenarios"].items():
        for name, row in rows.items():
            if name.startswith("sign") or (
                name == "Aggregated" and scenario not in ("QuizTaker", "PacedQuizTaker", "Mixed")
            ):
                continue
            line = (
                f"| {scenario} | {name} | {row['rps']:.1f} | {row['ratio_to_hello']:.1%} | {row['median_ms']:.0f} |"
                f" {row['p95_ms']:.0f} | {row['failures']} |"
            )
            if before:
                old = before["scenarios"].get(scenario, {}).get(name)
                line += f" {old['rps']:.1f}, {old['ratio_to_hello']:.1%}, {old['p95_ms']:.0f} |" if old else " |"
            lines.append(line)
    return "\n".join(lines)


def _pct(value: float | None, digits: int = 1) -> str:
    return f"{value:.{digits}%}" if value is not None else "-"


def _mib(figures: dict | None, key: str, sign: str = "") -> str:
    return f"{figures[key]:{sign}.1f}" if figures else "-"


def memory(after: dict, _before: dict | None = None) -> str:
    """Worker memory per scenario window and over the whole run; for a --memory-run, the verdict."""
    data = after["memory"]
    windows = {**data["summary"], "whole run": data.get("whole_run", [])}
    head = (
        "| window | worker | RSS start MiB | RSS end MiB | RSS max MiB | RSS growth MiB | RSS growth |"
        " USS start MiB | USS end MiB | USS growth MiB | threads |"
    )
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for label, workers in windows.items():
        for n, w in enumerate(workers, start=1):
            rss, uss = w["rss"], w["uss"]
            growth = f"{rss['growth_pct']:+.1f}%" if rss["growth_pct"] is not None else "-"
            lines.append(
                f"| {label} | {n} (pid {w['pid']}) | {rss['start_mib']:.1f} | {rss['end_mib']:.1f} |"
                f" {rss['max_mib']:.1f} | {rss['growth_mib']:+.1f} | {growth} | {_mib(uss, 'start_mib')} |"
                f" {_mib(uss, 'end_mib')} | {_mib(uss, 'growth_mib', '+')} | {w['threads_max']} |"
            )
    notes = [
        "",
        f"Samples every {data['interval_s']:g} s. Per scenario, from the moment every client had signed in:"
        f" start and end are medians of the first and last samples after {data['warmup_s']:g} s of warm-up"
        f" (a third of a shorter window); gunicorn {after.get('gunicorn', '')}.",
    ]
    run = after.get("memory_run")
    if run:
        verdict = {True: "flat", False: "not flat", None: "unknown"}[run.get("flat")]
        notes.append(
            f"Mixed run of {run['seconds']} s ({', '.join(run['classes'])}; {run['clients']} clients): worker"
            f" memory **{verdict}** over the last two thirds (RSS growth under {run['flat_threshold_pct']:g}%"
            " for every worker)."
        )
    return "\n".join(lines + notes)


def compare(after: dict, _before: dict | None = None) -> str:
    """One row per configuration and request: the ceiling, lesson, the quiz path's total, save and submit."""
    from tools.bench.load import compare_rows

    runs = after.get("repeat", 1)
    head = "| gunicorn | request | req/s | share of bare Flask | median ms | p95 ms | failures |"
    head += " req/s min-max, cv |" if runs > 1 else ""
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for label, _scenario, name, f in compare_rows(after["configs"]):
        request = "quiz path (all requests)" if name == "Aggregated" else name
        line = (
            f"| {label} | {request} | {f['rps']['mean']:.1f} | {f['ratio_to_hello']['mean']:.1%} |"
            f" {f['median_ms']:.0f} | {f['p95_ms']['mean']:.0f} | {f['failures']} |"
        )
        if runs > 1:
            line += f" {f['rps']['min']:.1f}-{f['rps']['max']:.1f}, {_pct(f['rps']['cv'])} |"
        lines.append(line)
    note = f"means of {runs} runs each" if runs > 1 else "one run each"
    lines += [
        "",
        f"{after['clients']} clients, {after['duration_s']} s per scenario, {note}; each share is of the"
        " bare-Flask ceiling measured under the same configuration.",
        "",
        "| gunicorn | worker class (gunicorn's log) | workers booted | threads per worker (seen) |"
        " largest worker RSS MiB | all workers' RSS at the end, MiB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in after["configs"]:
        check, memory = c["checks"][0], c.get("memory") or {}
        lines.append(
            f"| {c['label']} | {check['log_worker_class']} | {check['workers_booted']} |"
            f" {max(check['threads_max'].values(), default=0)} | {memory.get('worker_rss_max_mib', '-')} |"
            f" {memory.get('workers_rss_end_mib', '-')} |"
        )
    return "\n".join(lines)


def repeat(after: dict, _before: dict | None = None) -> str:
    """Per request over the --repeat runs: mean, min, max and coefficient of variation."""
    variation = after.get("variation")
    if not variation:
        return "(no --repeat figures in this file)"
    head = (
        "| scenario | request | runs | req/s mean | min | max | cv | share mean | min | max | cv | p95 ms min-max |"
        " failures |"
    )
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for scenario, rows in variation.items():
        for name, v in rows.items():
            rps, share, p95 = v["rps"], v["ratio_to_hello"], v["p95_ms"]
            lines.append(
                f"| {scenario} | {name} | {v['runs']} | {rps['mean']:.1f} | {rps['min']:.1f} | {rps['max']:.1f} |"
                f" {_pct(rps['cv'])} | {share['mean']:.1%} | {share['min']:.1%} | {share['max']:.1%} |"
                f" {_pct(share['cv'])} | {p95['min']:.0f}-{p95['max']:.0f} | {v['failures']} |"
            )
    lines += [
        "",
        f"{after['repeat']} runs of {after['duration_s']} s per scenario, interleaved, {after['clients']} clients;"
        " cv = standard deviation / mean. As a rough guide, a difference between two configurations or versions"
        " smaller than about twice the cv is within run-to-run noise.",
    ]
    return "\n".join(lines)


def main() -> None:
    kinds = {"pages": pages, "load": load, "memory": memory, "compare": compare, "repeat": repeat}
    if len(sys.argv) < 3 or sys.argv[1] not in kinds:
        raise SystemExit(__doc__)
    kind, path, *rest = sys.argv[1:]
    after = json.loads(open(path).read())
    before = json.loads(open(rest[0]).read()) if rest else None
    print(kinds[kind](after, before))


if __name__ == "__main__":
    main()
