"""The municipal diagnostic (`content/diagnostic.yaml`): dimensions and indicators, read and synced.

The file is optional for a content folder (test fixtures may leave it out); when present it must be
complete: exactly three answer levels (0 absent, 1 partly present, 2 fully present), dimensions with
unique keys and positions, each with at least `MIN_INDICATORS` indicators, exactly one special section
(migrant women and girls and other vulnerable groups) with at least `MIN_SPECIAL_INDICATORS`.
Indicator keys are unique across the file, so answers survive reordering; a removed indicator is
retired, not deleted, so earlier diagnostics stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import DiagnosticDimension, DiagnosticIndicator, DiagnosticTool
from app.services.content.common import Checker, Report, SyncResult, line_of, read_optional_mapping, retire, upsert

FILE = "diagnostic.yaml"
MIN_INDICATORS = 4
MIN_SPECIAL_INDICATORS = 6


@dataclass
class IndicatorData:
    key: str
    text: dict
    guidance: dict
    evidence: dict


@dataclass
class DimensionData:
    key: str
    position: int
    title: dict
    description: dict
    special_section: bool
    indicators: list[IndicatorData]


@dataclass
class DiagnosticData:
    key: str
    version: int
    title: dict
    introduction: dict
    levels: list[dict]
    dimensions: list[DimensionData]

    @property
    def indicator_count(self) -> int:
        return sum(len(d.indicators) for d in self.dimensions)


def load_diagnostic(root: Path, report: Report) -> DiagnosticData | None:
    """Read and validate content/diagnostic.yaml; None when the file is absent or has errors."""
    found = read_optional_mapping(root, FILE, report, "key, title, levels and dimensions")
    if found is None:
        return None
    data, rel = found
    check = Checker(report, rel)
    errors_before = len(report.errors)
    key = check.key(data)
    version = check.integer(data, "version", 1, 1, 10_000)
    title = check.text(data, "title")
    introduction = check.text(data, "introduction")
    levels = _levels(data, check, rel, report)
    dimensions, seen_dims, seen_positions, seen_indicators = [], set(), set(), set()
    for item in check.items(data, "dimensions"):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "dimensions"), "each dimension must be a mapping")
            continue
        dimension = _dimension(item, check, rel, report, seen_indicators)
        if dimension is None:
            continue
        if dimension.key in seen_dims:
            report.error(rel, line_of(item, "key"), f"dimension key '{dimension.key}' is repeated")
            continue
        if dimension.position in seen_positions:
            report.error(rel, line_of(item, "position"), f"position {dimension.position} is used by another dimension")
            continue
        seen_dims.add(dimension.key)
        seen_positions.add(dimension.position)
        dimensions.append(dimension)
    special = [d for d in dimensions if d.special_section]
    if dimensions and len(special) != 1:
        report.error(
            rel,
            line_of(data, "dimensions"),
            f"exactly one dimension must be the special section (special_section: true); found {len(special)}",
        )
    if len(report.errors) > errors_before:
        return None
    dimensions.sort(key=lambda d: d.position)
    return DiagnosticData(key, version, title, introduction, levels, dimensions)


def _levels(data: dict, check: Checker, rel: str, report: Report) -> list[dict]:
    levels, values = [], []
    for item in check.items(data, "levels"):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "levels"), "each level must be a mapping with value, label and description")
            continue
        value = item.get("value")
        label, description = check.text(item, "label"), check.text(item, "description")
        if isinstance(value, bool) or value not in (0, 1, 2):
            report.error(rel, line_of(item, "value"), "a level's value must be 0, 1 or 2")
            continue
        values.append(value)
        if label and description:
            levels.append({"value": value, "label": label, "description": description})
    if sorted(values) != [0, 1, 2]:
        report.error(
            rel, line_of(data, "levels"), "levels must be exactly 0 (absent), 1 (partly present) and 2 (fully present)"
        )
    return sorted(levels, key=lambda level: level["value"])


def _dimension(item: dict, check: Checker, rel: str, report: Report, seen_indicators: set) -> DimensionData | None:
    errors_before = len(report.errors)
    key = check.key(item)
    position = check.integer(item, "position", None, 1, 99)
    title, description = check.text(item, "title"), check.text(item, "description")
    special = item.get("special_section", False)
    if not isinstance(special, bool):
        report.error(rel, line_of(item, "special_section"), "'special_section' must be true or false")
        special = False
    indicators = []
    for raw in check.items(item, "indicators"):
        if not isinstance(raw, dict):
            report.error(rel, line_of(item, "indicators"), "each indicator must be a mapping")
            continue
        ikey = check.key(raw)
        texts = [check.text(raw, name) for name in ("text", "guidance", "evidence")]
        if ikey in seen_indicators:
            report.error(rel, line_of(raw, "key"), f"indicator key '{ikey}' is used twice in the file")
            continue
        if ikey and all(texts):
            seen_indicators.add(ikey)
            indicators.append(IndicatorData(ikey, *texts))
    minimum = MIN_SPECIAL_INDICATORS if special else MIN_INDICATORS
    if len(indicators) < minimum and len(report.errors) == errors_before:
        report.error(
            rel,
            line_of(item, "indicators"),
            f"dimension '{key}' needs at least {minimum} indicators (has {len(indicators)})",
        )
    if len(report.errors) > errors_before:
        return None
    return DimensionData(key, position, title, description, special, indicators)


def sync_diagnostic(data: DiagnosticData, result: SyncResult) -> None:
    """Write the diagnostic definition; a second run changes nothing; removed items are retired."""
    tools = {t.key: t for t in db.session.scalars(select(DiagnosticTool))}
    upsert(
        tools,
        data.key,
        DiagnosticTool,
        {
            "key": data.key,
            "version": data.version,
            "title": data.title,
            "introduction": data.introduction,
            "levels": data.levels,
        },
        "diagnostic",
        result,
    )
    dimensions = {d.key: d for d in db.session.scalars(select(DiagnosticDimension))}
    indicators = {i.key: i for i in db.session.scalars(select(DiagnosticIndicator))}
    kept_dims, kept_indicators = set(), set()
    for ddata in data.dimensions:
        dimension = upsert(
            dimensions,
            ddata.key,
            DiagnosticDimension,
            {
                "key": ddata.key,
                "position": ddata.position,
                "title": ddata.title,
                "description": ddata.description,
                "special_section": ddata.special_section,
                "active": True,
            },
            "dimensions",
            result,
        )
        db.session.flush()
        kept_dims.add(dimension.id)
        for position, idata in enumerate(ddata.indicators, start=1):
            indicator = upsert(
                indicators,
                idata.key,
                DiagnosticIndicator,
                {
                    "dimension_id": dimension.id,
                    "key": idata.key,
                    "position": position,
                    "text": idata.text,
                    "guidance": idata.guidance,
                    "evidence": idata.evidence,
                    "active": True,
                },
                "indicators",
                result,
            )
            db.session.flush()
            kept_indicators.add(indicator.id)
    retire(indicators.values(), kept_indicators, "indicators", result)
    retire(dimensions.values(), kept_dims, "dimensions", result)
    db.session.flush()
