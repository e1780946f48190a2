"""Markdown tables from the benchmark's JSON files, for docs/performance.md.

.venv/bin/python -m tools.bench.report pages instance/benchmark/pages.json [before.json]
.venv/bin/python -m tools.bench.report load instance/benchmark/load.json [before.json]
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
            if name.startswith("sign") or (name == "Aggregated" and scenario not in ("QuizTaker", "PacedQuizTaker")):
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


def main() -> None:
    kind, path, *rest = sys.argv[1:]
    after = json.loads(open(path).read())
    before = json.loads(open(rest[0]).read()) if rest else None
    print(pages(after, before) if kind == "pages" else load(after, before))


if __name__ == "__main__":
    main()
