"""The one completion rule: when a quiz is passed, a module is complete and the training is complete.

Each rule is offered twice, as a Python predicate over plain values and as a SQL expression over
columns, and a test checks that both give the same answers on the same data. The learner's pages
(`progress`), grading (`grading`), monitoring (`monitoring`) and certificates use these and no copy.

The rules:
- An attempt passes when it was graded and its score reaches the pass mark FROZEN ON THE ATTEMPT
  (`QuizAttempt.pass_mark`, copied from the quiz when the attempt starts). Why frozen and not the
  quiz's current mark: the learner was told "passed" or "not passed" on the result page against the
  mark in force when they sat the quiz; a later change of the mark (in content/) must not silently
  take a pass away from someone (nor hand one to someone who was told they failed), and a module,
  the training or an issued certificate must not change state because of an edit made afterwards.
  A changed mark applies to attempts started after the change.
- A quiz is passed when at least one of the learner's attempts passes. (The best score is reported
  separately; with frozen marks, the best score and "passed" can come from different attempts.)
- A module counts for the training only when it is active and has at least one active lesson (a
  module without lessons is not taught yet, and counts neither for nor against anyone).
- A module is complete when it counts, every active lesson is complete and, if the module has a quiz,
  the quiz is passed. A module WITHOUT a quiz is complete when its lessons are: there is nothing to
  pass, and refusing completion would leave a learner stuck through no fault of their own.
- The training is complete when at least one module counts and every counting module is complete.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, case, func, or_


def attempt_passed(score: float | None, pass_mark: int | float) -> bool:
    """A graded attempt passes when its score reaches the pass mark frozen on it."""
    return score is not None and score >= pass_mark


def attempt_passed_sql(score, pass_mark):
    """SQL twin of attempt_passed, over an attempt's score and frozen pass-mark columns."""
    return and_(score.is_not(None), score >= pass_mark)


def quiz_passed(attempts: Iterable[tuple[float | None, int | float]]) -> bool:
    """A quiz is passed when any of the learner's (score, frozen pass mark) attempts passes."""
    return any(attempt_passed(score, mark) for score, mark in attempts)


def quiz_passed_sql(score, pass_mark):
    """SQL aggregate (use with GROUP BY learner and quiz): 1 when any attempt passes, else 0."""
    return func.max(case((attempt_passed_sql(score, pass_mark), 1), else_=0))


def module_counts(lessons_total: int) -> bool:
    """A module counts for the training when it has at least one active lesson."""
    return lessons_total > 0


def module_complete(lessons_total: int, lessons_done: int, has_quiz: bool, passed: bool) -> bool:
    """Every lesson complete and, when the module has a quiz, the quiz passed."""
    return module_counts(lessons_total) and lessons_done >= lessons_total and (passed or not has_quiz)


def module_complete_sql(lessons_total, lessons_done, has_quiz, passed):
    """SQL twin of module_complete; `has_quiz` and `passed` are SQL booleans."""
    return and_(lessons_total > 0, lessons_done >= lessons_total, or_(passed, ~has_quiz))


def training_complete(modules_complete: int, modules_counted: int) -> bool:
    """Every counting module complete (and at least one module counts)."""
    return modules_counted > 0 and modules_complete >= modules_counted


def training_complete_sql(modules_complete, modules_counted):
    """SQL twin of training_complete."""
    return and_(modules_counted > 0, modules_complete >= modules_counted)
