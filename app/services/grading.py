"""Grading rules for quiz attempts.

Every question is worth one point. Single-choice and true/false questions score when the one chosen
answer is the correct one. Multiple-choice questions are graded all or nothing: the point is given only
when the selected set equals the set of correct choices (no partial credit, so guessing every box never
pays). The score is the percentage of points over the questions drawn, rounded to one decimal; the
attempt passes when the score reaches the pass mark (the rule lives in app.services.completion).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.completion import attempt_passed


@dataclass(frozen=True)
class GradedQuestion:
    """The outcome for one question."""

    correct: bool


@dataclass(frozen=True)
class Grade:
    """The outcome of an attempt."""

    score: float
    passed: bool
    questions: tuple[GradedQuestion, ...]

    @property
    def points(self) -> int:
        return sum(q.correct for q in self.questions)


def question_is_correct(selected: set[int], correct: set[int]) -> bool:
    """All or nothing: the selection must be exactly the set of correct choices (and not empty)."""
    return bool(selected) and selected == correct


def grade(answers: list[tuple[set[int], set[int]]], pass_mark: int) -> Grade:
    """Grade a list of (selected choice ids, correct choice ids) pairs against a pass mark in percent."""
    graded = tuple(GradedQuestion(question_is_correct(sel, cor)) for sel, cor in answers)
    total = len(graded)
    score = round(100.0 * sum(g.correct for g in graded) / total, 1) if total else 0.0
    return Grade(score=score, passed=attempt_passed(score, pass_mark), questions=graded)


def best_score(scores: list[float | None]) -> float | None:
    """The best of the graded scores, or None when nothing was graded yet."""
    graded = [s for s in scores if s is not None]
    return max(graded) if graded else None
