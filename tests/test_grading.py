"""Grading rules: one point per question, multiple choice all or nothing, best attempt counts."""

from app.services.grading import best_score, grade, question_is_correct
from app.services.completion import module_complete


def test_single_choice_scores_only_the_right_answer():
    assert question_is_correct({1}, {1})
    assert not question_is_correct({2}, {1})


def test_unanswered_question_is_wrong_even_if_no_choice_is_correct():
    assert not question_is_correct(set(), set())
    assert not question_is_correct(set(), {1})


def test_multiple_choice_is_all_or_nothing():
    assert question_is_correct({1, 2}, {1, 2})
    assert not question_is_correct({1}, {1, 2}), "a partial selection earns nothing"
    assert not question_is_correct({1, 2, 3}, {1, 2}), "ticking every box earns nothing"


def test_score_is_percentage_rounded_to_one_decimal():
    result = grade([({1}, {1}), ({2}, {1}), ({3}, {3})], pass_mark=70)
    assert result.score == 66.7
    assert result.points == 2
    assert not result.passed


def test_pass_mark_is_inclusive():
    answers = [({1}, {1})] * 7 + [({2}, {1})] * 3
    assert grade(answers, pass_mark=70).score == 70.0
    assert grade(answers, pass_mark=70).passed
    assert not grade(answers, pass_mark=71).passed


def test_empty_attempt_scores_zero():
    assert grade([], pass_mark=70).score == 0.0


def test_best_score_ignores_ungraded_attempts():
    assert best_score([40.0, None, 85.5, 60.0]) == 85.5
    assert best_score([None]) is None


def test_module_completion_needs_every_lesson_and_a_passed_quiz():
    assert module_complete(4, 4, has_quiz=True, passed=True)
    assert not module_complete(4, 3, has_quiz=True, passed=True)
    assert not module_complete(4, 4, has_quiz=True, passed=False)
    assert module_complete(2, 2, has_quiz=False, passed=False)
    assert not module_complete(0, 0, has_quiz=False, passed=False), "an empty module is never complete"
