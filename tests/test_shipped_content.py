"""The content we ship: valid, complete in three languages, and as substantial as promised."""

import pathlib
import re

import pytest

from app.services.content import load_content

CONTENT = pathlib.Path(__file__).parent.parent / "content"


@pytest.fixture(scope="module")
def shipped():
    return load_content(CONTENT)


def test_shipped_content_passes_strict_check(shipped):
    bundle, report = shipped
    assert [str(e) for e in report.errors] == []
    assert [str(w) for w in report.warnings] == [], "every field has es, en and pt"


def test_four_modules_in_order(shipped):
    bundle, _ = shipped
    assert [m.position for m in bundle.modules] == [1, 2, 3, 4]
    assert [m.key for m in bundle.modules] == [
        "gobernanza-migratoria",
        "acceso-a-derechos",
        "integracion",
        "politicas-publicas",
    ]


def test_every_module_has_four_substantial_lessons_with_sources(shipped):
    bundle, _ = shipped
    for module in bundle.modules:
        assert len(module.lessons) >= 4, module.key
        for lesson in module.lessons:
            for lang in ("es", "en", "pt"):
                text = re.sub(r"<[^>]+>", " ", lesson.body_html[lang])
                assert len(re.findall(r"\w+", text)) >= 600, (module.key, lesson.key, lang)
            assert re.search(r"<h2>(Fuentes|Referencias)", lesson.body_html["es"]), (module.key, lesson.key)


def test_every_quiz_has_a_bank_of_at_least_twelve_explained_questions(shipped):
    bundle, _ = shipped
    for module in bundle.modules:
        quiz = module.quiz
        assert quiz.pass_mark == 70 and quiz.max_attempts == 3 and quiz.time_limit_minutes is None
        assert quiz.questions_per_attempt >= 8
        assert len(quiz.questions) >= 12
        assert {q.kind for q in quiz.questions} == {"single", "multiple", "true_false"}
        for question in quiz.questions:
            assert all(question.explanation.get(lang) for lang in ("es", "en", "pt"))


# ==========================================================================================================
# EXPECTED TO FAIL ON BRANCH `assessment` UNTIL MODULES 1-3 ARE MERGED (branches mod1, mod2, mod3 rewrite
# their banks and add the lessons' activities). Do not weaken it: it is issue 10's check on what we ship.
# ==========================================================================================================
def test_shipped_banks_raise_no_cue_warning_and_every_lesson_has_an_activity(shipped):
    """Every bank within issue 10's limits (24+ questions, key longest in at most a third of single-choice
    items, 40-60% true, 40%+ applied, balanced absolute words, no 'all/none of the above', no question
    repeated across banks), and every lesson ends with a workbook activity."""
    bundle, report = shipped
    from app.services.content.metrics import MIN_QUESTIONS

    bank_files = {m.quiz.rel for m in bundle.modules if m.quiz}
    assert [str(w) for w in report.warnings if w.file in bank_files] == []
    assert all(metrics.questions >= MIN_QUESTIONS and not metrics.duplicates for metrics in bundle.bank_metrics)
    assert [(m.key, lesson.key) for m in bundle.modules for lesson in m.lessons if not lesson.activity_title] == []
