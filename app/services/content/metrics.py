"""Surface cues in the question banks: what a test-wise learner could exploit without knowing the subject.

Measured per bank on the Spanish (source) text, and reported by `flask content check`:
- length cue: share of single-choice items whose correct option is strictly the longest;
- true/false balance: share of true/false items whose answer is "true";
- applied share: share of questions marked `applied: true` (a municipal scenario);
- absolute words ("solo", "siempre", "nunca"...): share of correct and of wrong options that carry one;
- "all/none of the above" options;
- duplicates across banks: question texts that are the same once normalised, or nearly so.
Warnings fire outside the limits of issue 10 (the constants below).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from app.services.content.common import SOURCE, Report

MIN_QUESTIONS = 24
MAX_FIRST_CUE = 0.4
MAX_LENGTH_CUE = 1 / 3
TRUE_SHARE_RANGE = (0.40, 0.60)
MIN_APPLIED_SHARE = 0.40
DUPLICATE_SIMILARITY = 0.75  # difflib ratio of the normalised texts (unrelated shipped questions stay below 0.6)
MIN_SHARED_WORDS = 0.3  # below this share of common words two texts cannot reach DUPLICATE_SIMILARITY in practice
MAX_ABSOLUTE_GAP = 0.10  # keys and distractors carry absolute words at shares at most 10 points apart
ABSOLUTE_WORDS = (
    "solo",
    "solamente",
    "unicamente",
    "exclusivamente",
    "siempre",
    "nunca",
    "jamas",
    "todos",
    "todas",
    "ninguno",
    "ninguna",
    "ningun",
    "en ningun caso",
    "cualquier",
)
ABSOLUTE_RE = re.compile(r"\b(" + "|".join(ABSOLUTE_WORDS) + r")\b")
ALL_NONE_ABOVE_RE = re.compile(
    r"\b(todas|ninguna|ambas) (de )?las (anteriores|opciones anteriores)\b"
    r"|\b(all|none|both) of the above\b|\b(todas|nenhuma) as (anteriores|alternativas anteriores)\b"
)


def normalise(text: str) -> str:
    """Lowercase, without accents, punctuation or repeated spaces (for comparing texts)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", text))


@dataclass
class BankMetrics:
    """The surface-cue figures of one module's question bank."""

    module: str
    rel: str
    questions: int = 0
    single: int = 0
    longest_is_key: int = 0
    key_first: int = 0  # single-choice items whose correct option is written first in the file
    true_false: int = 0
    true_answers: int = 0
    applied: int = 0
    multiple: int = 0
    keys: int = 0
    keys_absolute: int = 0
    distractors: int = 0
    distractors_absolute: int = 0
    all_none_above: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def length_cue(self) -> float | None:
        return self.longest_is_key / self.single if self.single else None

    @property
    def first_cue(self) -> float | None:
        return self.key_first / self.single if self.single else None

    @property
    def true_share(self) -> float | None:
        return self.true_answers / self.true_false if self.true_false else None

    @property
    def applied_share(self) -> float | None:
        return self.applied / self.questions if self.questions else None

    @property
    def keys_absolute_share(self) -> float | None:
        return self.keys_absolute / self.keys if self.keys else None

    @property
    def distractors_absolute_share(self) -> float | None:
        return self.distractors_absolute / self.distractors if self.distractors else None

    def summary(self) -> str:
        """One line for `flask content check`."""

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{round(100 * value)}%"

        return (
            f"{self.module}: {self.questions} questions; applied {self.applied}/{self.questions} "
            f"({pct(self.applied_share)}); key longest {self.longest_is_key}/{self.single} single-choice "
            f"({pct(self.length_cue)}); key first {self.key_first}/{self.single} ({pct(self.first_cue)}); true {self.true_answers}/{self.true_false} true/false ({pct(self.true_share)}); "
            f"{self.multiple} multiple-choice; absolute words in {self.keys_absolute}/{self.keys} keys "
            f"({pct(self.keys_absolute_share)}) vs {self.distractors_absolute}/{self.distractors} distractors "
            f"({pct(self.distractors_absolute_share)}); {len(self.duplicates)} cross-bank duplicates"
        )


def _measure(module) -> BankMetrics:
    quiz = module.quiz
    metrics = BankMetrics(module=module.key, rel=quiz.rel, questions=len(quiz.questions))
    for question in quiz.questions:
        metrics.applied += question.applied
        if question.kind == "true_false":
            metrics.true_false += 1
            metrics.true_answers += any(c.correct and c.key == "true" for c in question.choices)
            continue
        metrics.multiple += question.kind == "multiple"
        texts = [(c, c.text.get(SOURCE, "")) for c in question.choices]
        if question.kind == "single" and texts:
            key_len = max(len(t.strip()) for c, t in texts if c.correct)
            others = [len(t.strip()) for c, t in texts if not c.correct]
            metrics.single += 1
            metrics.longest_is_key += bool(others) and key_len > max(others)
            metrics.key_first += question.choices[0].correct
        for choice, text in texts:
            has_absolute = bool(ABSOLUTE_RE.search(normalise(text)))
            if choice.correct:
                metrics.keys += 1
                metrics.keys_absolute += has_absolute
            else:
                metrics.distractors += 1
                metrics.distractors_absolute += has_absolute
            for lang_text in choice.text.values():
                if ALL_NONE_ABOVE_RE.search(normalise(lang_text)):
                    metrics.all_none_above.append((f"{question.key}/{choice.key}", question.line))
                    break
    return metrics


def _similar(a: str, b: str, words_a: set, words_b: set) -> bool:
    """Same normalised text, or nearly so. Texts sharing few words are skipped before the (slow) ratio."""
    if a == b:
        return True
    if len(words_a & words_b) < MIN_SHARED_WORDS * len(words_a | words_b):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return (
        matcher.real_quick_ratio() >= DUPLICATE_SIMILARITY
        and matcher.quick_ratio() >= DUPLICATE_SIMILARITY
        and matcher.ratio() >= DUPLICATE_SIMILARITY
    )


def _duplicates(modules, metrics: dict[str, BankMetrics], report: Report) -> None:
    """Questions of different banks whose normalised Spanish texts are the same or nearly so."""
    items = [
        (m, q, text, set(text.split()))
        for m in modules
        for q in m.quiz.questions
        for text in [normalise(q.text.get(SOURCE, ""))]
    ]
    for i, (module_a, question_a, text_a, words_a) in enumerate(items):
        for module_b, question_b, text_b, words_b in items[i + 1 :]:
            if module_a.key == module_b.key or not _similar(text_a, text_b, words_a, words_b):
                continue
            metrics[module_a.key].duplicates.append(f"{question_a.key} ~ {module_b.key}/{question_b.key}")
            metrics[module_b.key].duplicates.append(f"{question_b.key} ~ {module_a.key}/{question_a.key}")
            report.warn(
                module_b.quiz.rel,
                question_b.line,
                f"question '{question_b.key}' repeats question '{question_a.key}' of module "
                f"'{module_a.key}' ({module_a.quiz.rel}:{question_a.line}); no question may repeat "
                "across modules",
            )


def check_banks(modules, report: Report) -> list[BankMetrics]:
    """Measure every bank, warn where a bank falls outside the limits, and return the figures."""
    banks = [m for m in modules if m.quiz is not None]
    metrics = {m.key: _measure(m) for m in banks}
    for module in banks:
        m, rel = metrics[module.key], module.quiz.rel
        if m.questions < MIN_QUESTIONS:
            report.warn(rel, 1, f"the bank has {m.questions} questions; at least {MIN_QUESTIONS} are needed")
        if m.length_cue is not None and m.length_cue > MAX_LENGTH_CUE:
            report.warn(
                rel,
                1,
                f"the correct option is the longest in {m.longest_is_key} of {m.single} "
                f"single-choice questions ({round(100 * m.length_cue)}%); at most a third",
            )
        if m.first_cue is not None and m.first_cue > MAX_FIRST_CUE:
            # Choices are shown shuffled, but their ids follow the file's order: a key usually written
            # first would be the choice with the smallest id, a cue a learner could read in the page.
            report.warn(
                rel,
                1,
                f"the correct option is written first in {m.key_first} of {m.single} single-choice "
                f"questions ({round(100 * m.first_cue)}%); vary its position (at most 40%)",
            )
        if m.true_share is not None and not TRUE_SHARE_RANGE[0] <= m.true_share <= TRUE_SHARE_RANGE[1]:
            report.warn(
                rel,
                1,
                f"{m.true_answers} of {m.true_false} true/false questions are true "
                f"({round(100 * m.true_share)}%); keep it within 40-60%",
            )
        if m.applied_share is not None and m.applied_share < MIN_APPLIED_SHARE:
            report.warn(
                rel,
                1,
                f"{m.applied} of {m.questions} questions are applied "
                f"({round(100 * m.applied_share)}%); at least 40% must be",
            )
        gap = (m.distractors_absolute_share or 0) - (m.keys_absolute_share or 0)
        if m.keys and m.distractors and abs(gap) > MAX_ABSOLUTE_GAP:
            report.warn(
                rel,
                1,
                f"absolute words (solo, siempre, nunca...) are in {round(100 * m.keys_absolute_share)}% "
                f"of correct options but {round(100 * m.distractors_absolute_share)}% of wrong ones; "
                "keep them about as frequent in both",
            )
        for where, line in m.all_none_above:
            report.warn(rel, line, f"option {where} is 'all/none of the above': write a real option instead")
    _duplicates(banks, metrics, report)
    return list(metrics.values())
