"""The certification stages (`content/stages.yaml`): stages in order and their requirements, read and synced.

The file is optional for a content folder; when present it must be complete: stage keys unique,
positions unique, every stage with translated title and description and at least one requirement,
every requirement of a kind from the closed set in `app.services.stages.KINDS` (each kind at most once
per stage) with exactly the parameters that kind takes, and exactly one final stage, the last. Removed
stages are retired (not deleted) so earlier awards stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Stage
from app.services.content.common import Checker, Report, SyncResult, line_of, read_optional_mapping, retire, upsert

FILE = "stages.yaml"


@dataclass
class StageData:
    key: str
    position: int
    title: dict
    description: dict
    final: bool
    requirements: list[dict]


def _kinds():
    from app.services.stages import KINDS

    return KINDS


def load_stages(root: Path, report: Report) -> list[StageData] | None:
    """Read and validate content/stages.yaml; None when the file is absent or has errors."""
    found = read_optional_mapping(root, FILE, report, "a 'stages' list")
    if found is None:
        return None
    data, rel = found
    check = Checker(report, rel)
    errors_before = len(report.errors)
    stages, keys, positions = [], set(), set()
    for item in check.items(data, "stages"):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "stages"), "each stage must be a mapping")
            continue
        stage = _stage(item, check, rel, report)
        if stage is None:
            continue
        if stage.key in keys:
            report.error(rel, line_of(item, "key"), f"stage key '{stage.key}' is repeated")
            continue
        if stage.position in positions:
            report.error(rel, line_of(item, "position"), f"position {stage.position} is used by another stage")
            continue
        keys.add(stage.key)
        positions.add(stage.position)
        stages.append(stage)
    stages.sort(key=lambda s: s.position)
    finals = [s for s in stages if s.final]
    if stages and len(report.errors) == errors_before:
        if len(finals) != 1:
            report.error(
                rel,
                line_of(data, "stages"),
                f"exactly one stage must be the final one (final: true); found {len(finals)}",
            )
        elif finals[0] is not stages[-1]:
            report.error(rel, line_of(data, "stages"), f"the final stage '{finals[0].key}' must come last")
    if len(report.errors) > errors_before:
        return None
    return stages


def _stage(item: dict, check: Checker, rel: str, report: Report) -> StageData | None:
    errors_before = len(report.errors)
    key = check.key(item)
    position = check.integer(item, "position", None, 1, 99)
    title, description = check.text(item, "title"), check.text(item, "description")
    final = item.get("final", False)
    if not isinstance(final, bool):
        report.error(rel, line_of(item, "final"), "'final' must be true or false")
        final = False
    requirements, kinds_seen = [], set()
    for raw in check.items(item, "requirements"):
        requirement = _requirement(raw, item, rel, report)
        if requirement is None:
            continue
        if requirement["kind"] in kinds_seen:
            report.error(
                rel, line_of(raw, "kind"), f"requirement kind '{requirement['kind']}' appears twice in stage '{key}'"
            )
            continue
        kinds_seen.add(requirement["kind"])
        requirements.append(requirement)
    if len(report.errors) > errors_before:
        return None
    return StageData(key, position, title, description, final, requirements)


def _requirement(raw, stage: dict, rel: str, report: Report) -> dict | None:
    kinds = _kinds()
    if not isinstance(raw, dict):
        report.error(rel, line_of(stage, "requirements"), "each requirement must be a mapping with a 'kind'")
        return None
    kind_name = raw.get("kind")
    if kind_name not in kinds:
        report.error(
            rel,
            line_of(raw, "kind"),
            f"unknown requirement kind {kind_name!r}; known kinds: {', '.join(sorted(kinds))}",
        )
        return None
    kind = kinds[kind_name]
    known = {p.name: p for p in kind.params}
    out, ok = {"kind": kind_name}, True
    for name in raw:
        if name != "kind" and name not in known:
            allowed = ", ".join(known) or "none"
            report.error(rel, line_of(raw, name), f"'{kind_name}' takes no parameter '{name}' (it takes: {allowed})")
            ok = False
    for param in kind.params:
        if param.name not in raw:
            if param.required:
                report.error(rel, line_of(raw), f"'{kind_name}' needs '{param.name}'")
                ok = False
            continue
        value = raw[param.name]
        line = line_of(raw, param.name)
        if param.type == "bool":
            if not isinstance(value, bool):
                report.error(rel, line, f"'{param.name}' must be true or false")
                ok = False
                continue
        elif param.type == "count":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
                report.error(rel, line, f"'{param.name}' must be a whole number from 1 to 10000")
                ok = False
                continue
        elif param.type == "percent":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                report.error(rel, line, f"'{param.name}' must be a percentage from 0 to 100")
                ok = False
                continue
        out[param.name] = value
    if ok and "low" in out and "high" in out and out["low"] > out["high"]:
        report.error(rel, line_of(raw, "low"), "'low' must not be above 'high'")
        ok = False
    if ok and ("low" in out) != ("high" in out) and {"low", "high"} <= set(known):
        report.error(rel, line_of(raw), f"'{kind_name}': give both 'low' and 'high', or neither (the configured band)")
        ok = False
    return out if ok else None


def sync_stages(stages: list[StageData], result: SyncResult) -> None:
    """Write the stages; a second run changes nothing; removed stages are retired."""
    existing = {s.key: s for s in db.session.scalars(select(Stage))}
    kept = set()
    for data in stages:
        stage = upsert(
            existing,
            data.key,
            Stage,
            {
                "key": data.key,
                "position": data.position,
                "title": data.title,
                "description": data.description,
                "final": data.final,
                "requirements": data.requirements,
                "active": True,
            },
            "stages",
            result,
        )
        db.session.flush()
        kept.add(stage.id)
    retire(existing.values(), kept, "stages", result)
    db.session.flush()
