"""The content loader: content/ (YAML + Markdown, es/en/pt) checked and synced into the database.

`load_content(path)` reads and validates everything and returns a bundle plus a report of errors and
warnings, each with file and line; it never touches the database. `sync_content(bundle)` writes a
valid bundle idempotently. One module per kind of content: `modules` (areas, municipalities, training
modules), `diagnostic` (the municipal diagnostic), `stages` (the certification stages and their
requirements), `metrics` (surface cues of the question banks); `common` holds the report, the YAML
reader with line numbers, the field checks and the sync helpers they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.services import content_cache, summaries
from app.services.content.common import Issue, Report, SyncResult, render_markdown  # noqa: F401
from app.services.content.diagnostic import DiagnosticData, load_diagnostic, sync_diagnostic
from app.services.content.metrics import BankMetrics, check_banks
from app.services.content.modules import (  # noqa: F401
    ModuleData,
    RetireRefused,
    computed_hours,
    load_modules,
    modules_to_retire,
    sync_modules,
)
from app.services.content.stages import StageData, load_stages, sync_stages


@dataclass
class ContentBundle:
    """Everything read from content/, validated."""

    areas: list[dict] = field(default_factory=list)
    municipalities: list[dict] = field(default_factory=list)
    modules: list[ModuleData] = field(default_factory=list)
    diagnostic: DiagnosticData | None = None
    bank_metrics: list[BankMetrics] = field(default_factory=list)
    stages: list[StageData] | None = None


def load_content(root: str | Path) -> tuple[ContentBundle, Report]:
    """Read and validate the whole content folder; nothing is written anywhere."""
    root = Path(root)
    report = Report()
    bundle = ContentBundle()
    if not root.is_dir():
        report.error(str(root), 1, "content folder not found")
        return bundle, report
    load_modules(root, report, bundle)
    bundle.bank_metrics = check_banks(bundle.modules, report)
    bundle.diagnostic = load_diagnostic(root, report)
    bundle.stages = load_stages(root, report)
    return bundle, report


def sync_content(bundle: ContentBundle, allow_retire: bool = False) -> SyncResult:
    """Write a validated bundle into the database; running it twice changes nothing the second time.

    A module in the database that the bundle no longer has (its key was renamed or its folder deleted)
    would be retired: unless `allow_retire`, nothing is written and `RetireRefused` lists them.
    """
    if not allow_retire:
        doomed = modules_to_retire(bundle)
        if doomed:
            raise RetireRefused(doomed)
    result = SyncResult()
    sync_modules(bundle, result)
    if bundle.diagnostic is not None:
        sync_diagnostic(bundle.diagnostic, result)
    if bundle.stages is not None:
        sync_stages(bundle.stages, result)
    if result.changed:
        # Every worker's copy of the content is now stale (app.services.content_cache); ORM changes to
        # modules, lessons and quizzes bump the version as they flush, this covers the rest of a sync.
        content_cache.bump()
        summaries.rebuild()  # a lesson retired or added changes what the progress summaries count
    return result
