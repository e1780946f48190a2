"""The municipality's diagnostic: answers, completeness, submission, review and results.

Scoring (the one rule, used by the diagnostic pages, the report and the certification stages): each
indicator scores 0 (absent), 1 (partly present) or 2 (fully present); a dimension's score is the sum of
its answered indicators' levels over twice the number of answered indicators, as a percentage; the
overall score is the same over every answered indicator (not an average of dimension percentages). A
diagnostic can be submitted only when every indicator is answered, so submitted scores cover them all. Scores describe one municipality's policy
inputs; the platform never ranks municipalities by them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Diagnostic,
    DiagnosticAnswer,
    DiagnosticDimension,
    DiagnosticIndicator,
    DiagnosticTool,
    MunicipalCycle,
    User,
    utcnow,
)
from app.models.municipal import LEVEL_ABSENT, LEVEL_FULLY, LEVELS, RETURNED, SUBJECT_DIAGNOSTIC, SUBMITTED, VALIDATED
from app.services import review

NOTE_MAX = 4000
LINK_MAX = 500


class DiagnosticError(Exception):
    """A diagnostic change that is not allowed; `code` names the reason."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass
class DimensionResult:
    """One dimension: how many indicators are answered and the score, with its good practices and gaps."""

    dimension: DiagnosticDimension
    indicators: list[DiagnosticIndicator]
    answered: int = 0
    points: int = 0
    fully: list[DiagnosticIndicator] = field(default_factory=list)
    absent: list[DiagnosticIndicator] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.indicators)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered == self.total

    @property
    def score(self) -> float | None:
        """Percentage of the maximum over the answered indicators (None when none is answered)."""
        return round(100.0 * self.points / (2 * self.answered), 1) if self.answered else None


@dataclass
class DiagnosticView:
    """Everything a diagnostic page needs: definition, answers, results per dimension and overall."""

    tool: DiagnosticTool | None
    diagnostic: Diagnostic | None
    dimensions: list[DimensionResult]
    answers: dict[int, DiagnosticAnswer]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.dimensions)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.dimensions)

    @property
    def complete(self) -> bool:
        return self.total > 0 and all(d.complete for d in self.dimensions)

    @property
    def score(self) -> float | None:
        answered = self.answered
        return round(100.0 * sum(d.points for d in self.dimensions) / (2 * answered), 1) if answered else None

    @property
    def state(self) -> str | None:
        return self.diagnostic.state if self.diagnostic else None

    def lowest(self, n: int = 2) -> list[DimensionResult]:
        """The n lowest-scoring dimensions (ties broken by position), where priorities matter most."""
        scored = [d for d in self.dimensions if d.score is not None]
        return sorted(scored, key=lambda d: (d.score, d.dimension.position))[:n]


def score_levels(levels: list[int | None]) -> float | None:
    """Percentage of the maximum for a list of levels; unanswered (None) levels are left out."""
    answered = [level for level in levels if level is not None]
    if not answered:
        return None
    return round(100.0 * sum(answered) / (2 * len(answered)), 1)


def diagnostic_of(mc: MunicipalCycle) -> Diagnostic | None:
    """The diagnostic of a municipality's cycle, if started."""
    return review.record_of(Diagnostic, mc)


def get_or_start(mc: MunicipalCycle) -> Diagnostic:
    """The diagnostic of a municipality's cycle, starting it the first time (safe under races)."""
    return review.start_record(Diagnostic, mc)


def definition() -> tuple[DiagnosticTool | None, list[DiagnosticDimension], list[DiagnosticIndicator]]:
    """The active diagnostic definition (three queries)."""
    tool = db.session.scalar(select(DiagnosticTool).order_by(DiagnosticTool.id).limit(1))
    dimensions = list(
        db.session.scalars(
            select(DiagnosticDimension).where(DiagnosticDimension.active).order_by(DiagnosticDimension.position)
        )
    )
    indicators = list(
        db.session.scalars(
            select(DiagnosticIndicator)
            .join(DiagnosticDimension, DiagnosticDimension.id == DiagnosticIndicator.dimension_id)
            .where(DiagnosticIndicator.active, DiagnosticDimension.active)
            .order_by(DiagnosticDimension.position, DiagnosticIndicator.position)
        )
    )
    return tool, dimensions, indicators


def view(mc: MunicipalCycle | None, diagnostic: Diagnostic | None = None) -> DiagnosticView:
    """Definition, answers and results of a municipality's diagnostic (a constant number of queries)."""
    tool, dimensions, indicators = definition()
    if diagnostic is None and mc is not None:
        diagnostic = diagnostic_of(mc)
    answers = {}
    if diagnostic is not None:
        answers = {
            a.indicator_id: a
            for a in db.session.scalars(select(DiagnosticAnswer).where(DiagnosticAnswer.diagnostic_id == diagnostic.id))
        }
    levels = {indicator_id: answer.level for indicator_id, answer in answers.items()}
    return DiagnosticView(tool, diagnostic, _results(dimensions, indicators, levels), answers)


def _results(
    dimensions: list[DiagnosticDimension], indicators: list[DiagnosticIndicator], levels: dict[int, int | None]
) -> list[DimensionResult]:
    """Results per dimension from the level answered for each indicator id (the scoring rule's input)."""
    by_dimension = {d.id: DimensionResult(d, []) for d in dimensions}
    for indicator in indicators:
        result = by_dimension[indicator.dimension_id]
        result.indicators.append(indicator)
        level = levels.get(indicator.id)
        if level is not None:
            result.answered += 1
            result.points += level
            if level == LEVEL_FULLY:
                result.fully.append(indicator)
            elif level == LEVEL_ABSENT:
                result.absent.append(indicator)
    return list(by_dimension.values())


def views_for(diagnostics: list[Diagnostic]) -> dict[int | None, DiagnosticView]:
    """Results of many diagnostics at once, by diagnostic id, in a constant number of queries (the
    certification stages read them for a whole programme table). Answers are not loaded as objects.
    The key None holds the view of a diagnostic not yet started (the definition, nothing answered)."""
    tool, dimensions, indicators = definition()
    levels: dict[int, dict[int, int | None]] = {d.id: {} for d in diagnostics}
    if diagnostics:
        for diagnostic_id, indicator_id, level in db.session.execute(
            select(DiagnosticAnswer.diagnostic_id, DiagnosticAnswer.indicator_id, DiagnosticAnswer.level).where(
                DiagnosticAnswer.diagnostic_id.in_(sorted(levels))
            )
        ):
            levels[diagnostic_id][indicator_id] = level
    views: dict[int | None, DiagnosticView] = {
        d.id: DiagnosticView(tool, d, _results(dimensions, indicators, levels[d.id]), {}) for d in diagnostics
    }
    views[None] = DiagnosticView(tool, None, _results(dimensions, indicators, {}), {})
    return views


@dataclass(frozen=True)
class AnswerInput:
    """One indicator's answer as sent by the form or the autosave script."""

    indicator_id: int
    level: int | None
    note: str
    link: str


def clean_link(link: str) -> str:
    """An optional http(s) link; anything else is refused."""
    link = (link or "").strip()
    if not link:
        return ""
    if len(link) > LINK_MAX or not link.lower().startswith(("http://", "https://")) or any(c.isspace() for c in link):
        raise DiagnosticError("link", link[:80])
    return link


def save_answers(actor: User, mc: MunicipalCycle, inputs: list[AnswerInput]) -> Diagnostic:
    """Save answers (draft or returned only). Every input is checked before anything is written."""
    diagnostic = get_or_start(mc)
    if not review.editable(diagnostic.state):
        raise DiagnosticError("locked")
    active = {i.id for i in db.session.scalars(select(DiagnosticIndicator).where(DiagnosticIndicator.active))}
    cleaned = []
    for item in inputs:
        if item.indicator_id not in active:
            raise DiagnosticError("indicator")
        if item.level is not None and item.level not in LEVELS:
            raise DiagnosticError("level")
        if len(item.note) > NOTE_MAX:
            raise DiagnosticError("note")
        cleaned.append((item.indicator_id, item.level, item.note.strip(), clean_link(item.link)))
    existing = {
        a.indicator_id: a
        for a in db.session.scalars(
            select(DiagnosticAnswer).where(
                DiagnosticAnswer.diagnostic_id == diagnostic.id,
                DiagnosticAnswer.indicator_id.in_([c[0] for c in cleaned] or [0]),
            )
        )
    }
    now = utcnow()
    changed = False
    for indicator_id, level, note, link in cleaned:
        answer = existing.get(indicator_id)
        if answer is None:
            if level is None and not note and not link:
                continue
            answer = DiagnosticAnswer(diagnostic_id=diagnostic.id, indicator_id=indicator_id)
            db.session.add(answer)
        elif (answer.level, answer.evidence_note, answer.link) == (level, note, link):
            continue
        answer.level, answer.evidence_note, answer.link = level, note, link
        answer.updated_at, answer.updated_by_id = now, actor.id
        changed = True
    if changed:
        diagnostic.updated_at = now
    db.session.flush()
    return diagnostic


def submit(actor: User, mc: MunicipalCycle) -> Diagnostic:
    """Submit for IOM's validation: only when every indicator of every dimension is answered."""
    diagnostic = get_or_start(mc)
    current = view(mc, diagnostic)
    if not current.complete:
        missing = [d.dimension for d in current.dimensions if not d.complete]
        raise DiagnosticError("incomplete", ", ".join(str(d.position) for d in missing))
    review.transition(actor, mc, SUBJECT_DIAGNOSTIC, diagnostic, SUBMITTED)
    return diagnostic


def decide(
    actor: User, mc: MunicipalCycle, validate: bool, comment: str, dimension_comments: dict[str, str] | None = None
) -> Diagnostic:
    """IOM validates the diagnostic, or returns it with a comment per dimension."""
    diagnostic = diagnostic_of(mc)
    if diagnostic is None:
        raise DiagnosticError("missing")
    comments = {k: v.strip() for k, v in (dimension_comments or {}).items() if v and v.strip()}
    review.transition(
        actor,
        mc,
        SUBJECT_DIAGNOSTIC,
        diagnostic,
        VALIDATED if validate else RETURNED,
        comment=comment,
        details={} if validate else comments,
    )
    return diagnostic


def comparison(mc: MunicipalCycle, current: DiagnosticView) -> dict[int, float | None] | None:
    """Score per dimension id in the municipality's previous cycle (None when there is no previous one)."""
    from app.services.cycles import previous_cycle_of

    previous = previous_cycle_of(mc)
    if previous is None:
        return None
    earlier = diagnostic_of(previous)
    if earlier is None or earlier.state not in (SUBMITTED, VALIDATED, RETURNED):
        return None
    old = view(previous, earlier)
    return {d.dimension.id: d.score for d in old.dimensions}


def states_in_cycle(cycle_id: int) -> dict[int, str]:
    """Diagnostic state per municipality id in a cycle (one query; a table of states, not of scores)."""
    rows = db.session.execute(
        select(MunicipalCycle.municipality_id, Diagnostic.state)
        .join(Diagnostic, Diagnostic.municipal_cycle_id == MunicipalCycle.id)
        .where(MunicipalCycle.cycle_id == cycle_id)
    ).all()
    return dict(rows)
