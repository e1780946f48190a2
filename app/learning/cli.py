"""`flask content check|sync`: validate and load the content/ folder; `flask progress check|rebuild`."""

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import ContentSync
from app.services import summaries
from app.services.content import RetireRefused, load_content, sync_content

content_cli = AppGroup("content", help="Validate and load training content from content/.")


def _load(path: str | None, strict: bool):
    root = path or current_app.config["CONTENT_DIR"]
    bundle, report = load_content(root)
    for issue in report.errors:
        click.echo(f"error: {issue}", err=True)
    for issue in report.warnings:
        click.echo(f"{'error' if strict else 'warning'}: {issue}", err=True)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    return bundle, report, failed


@content_cli.command("check")
@click.option("--path", default=None, help="Content folder (default: CONTENT_DIR).")
@click.option("--strict", is_flag=True, help="Treat missing translations as errors.")
def check(path, strict):
    """Validate content/ and report file and line of each problem; writes nothing."""
    bundle, report, failed = _load(path, strict)
    lessons = sum(len(m.lessons) for m in bundle.modules)
    questions = sum(len(m.quiz.questions) for m in bundle.modules if m.quiz)
    for module in bundle.modules:
        click.echo(
            f"{module.key}: {module.hours} h = lessons {module.lesson_minutes} min + activities "
            f"{module.activity_minutes} min + quiz {module.quiz_minutes} min"
        )
    for metrics in bundle.bank_metrics:
        click.echo(f"bank {metrics.summary()}")
    click.echo(
        f"{len(bundle.modules)} modules, {lessons} lessons, {questions} questions, {len(bundle.areas)} areas, "
        f"{len(bundle.municipalities)} municipalities; {len(report.errors)} errors, {len(report.warnings)} warnings"
    )
    if failed:
        raise SystemExit(1)


@content_cli.command("sync")
@click.option("--path", default=None, help="Content folder (default: CONTENT_DIR).")
@click.option(
    "--retire",
    is_flag=True,
    help="Allow retiring modules that are no longer in content/ (renamed key or deleted folder).",
)
def sync(path, retire):
    """Load content/ into the database idempotently, keeping learners' progress."""
    bundle, report, failed = _load(path, strict=False)
    if failed:
        click.echo("content has errors: nothing was written", err=True)
        raise SystemExit(1)
    try:
        result = sync_content(bundle, allow_retire=retire)
    except RetireRefused as refused:
        db.session.rollback()
        click.echo("content sync would retire these modules (their key is no longer in content/):", err=True)
        for module in refused.modules:
            click.echo(
                f"  {module.key} ({module.title.get('es', '')}): {module.learners} learners with progress", err=True
            )
        click.echo(
            "Nothing was written. If the key was renamed, restore it; to retire them anyway, "
            "run `flask content sync --retire`.",
            err=True,
        )
        raise SystemExit(1) from None
    if result.changed:
        db.session.add(ContentSync(summary=result.summary()))
    db.session.commit()
    click.echo(f"content sync: {result.summary()}")


progress_cli = AppGroup("progress", help="The per-learner progress summaries the monitoring pages read.")


@progress_cli.command("check")
@click.option("--show", default=10, help="How many differing rows to print.")
def progress_check(show):
    """Compare the stored summaries with a recomputation from lessons and attempts; exit 1 on drift."""
    total, rows = summaries.drift(limit=show)
    for row in rows:
        click.echo(f"differs: {row}", err=True)
    click.echo(f"progress check: {total} summaries differ from the recomputation")
    if total:
        click.echo("run `flask progress rebuild` to recompute them", err=True)
        raise SystemExit(1)


@progress_cli.command("rebuild")
def progress_rebuild():
    """Recompute every summary from lessons and attempts (in one transaction)."""
    count = summaries.rebuild()
    db.session.commit()
    click.echo(f"progress rebuild: {count} summaries")
