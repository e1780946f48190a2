"""The one completion rule: the Python predicates and the SQL expressions agree on the same data,
including a module without a quiz and attempts graded before the pass mark changed."""

from datetime import timedelta

import pytest
from sqlalchemy import case, select

from app.models import Lesson, Module, Quiz, QuizAttempt, utcnow
from app.services import completion, summaries
from app.services import monitoring as M
from app.services import progress as progress_service


def _module_without_quiz(session):
    module = Module(
        key="sin-evaluacion",
        position=3,
        hours=1,
        title={"es": "Sin evaluación"},
        summary={"es": "Un módulo sin evaluación."},
        objectives=[],
    )
    session.add(module)
    session.flush()
    session.add(
        Lesson(
            module_id=module.id,
            key="unica",
            position=1,
            minutes=5,
            title={"es": "Única"},
            body_html={"es": "<p>Texto.</p>"},
        )
    )
    empty = Module(
        key="sin-lecciones",
        position=4,
        hours=1,
        title={"es": "Sin lecciones"},
        summary={"es": "Todavía sin lecciones."},
        objectives=[],
    )
    session.add(empty)
    session.flush()
    session.add(Quiz(module_id=empty.id, pass_mark=70))
    session.flush()


def _complete_lessons(session, user_id, module_key, skip_last=False):
    lessons = session.scalars(
        select(Lesson).join(Module).where(Module.key == module_key, Lesson.active).order_by(Lesson.position)
    ).all()
    for lesson in lessons[:-1] if skip_last else lessons:
        progress_service.complete_lesson(user_id, lesson.id, utcnow())  # keeps the summary row
    session.flush()


def _attempt(session, user_id, module_key, score, pass_mark, number=1):
    quiz = session.scalar(select(Quiz).join(Module).where(Module.key == module_key))
    now = utcnow() - timedelta(days=1)
    session.add(
        QuizAttempt(
            user_id=user_id,
            quiz_id=quiz.id,
            number=number,
            status="submitted",
            started_at=now,
            submitted_at=now,
            score=score,
            passed=completion.attempt_passed(score, pass_mark),
            pass_mark=pass_mark,
        )
    )
    session.flush()
    summaries.refresh_quiz(user_id, quiz.id)  # what grading does after storing a score
    return quiz


@pytest.fixture
def scenario(session, make_user):
    """Five learners covering every disagreement the old copies of the rule had."""
    people = {name: make_user(name=name) for name in ("todo", "nota_subio", "nota_bajo", "sin_quiz_a_medias", "nada")}
    _module_without_quiz(session)
    for name in ("todo", "nota_subio", "nota_bajo", "sin_quiz_a_medias"):
        for key in ("basico", "avanzado"):
            _complete_lessons(session, people[name].id, key)
        _complete_lessons(session, people[name].id, "sin-evaluacion", skip_last=(name == "sin_quiz_a_medias"))
    _attempt(session, people["todo"].id, "basico", 100.0, 70)
    _attempt(session, people["todo"].id, "avanzado", 75.0, 70)
    # passed at 65 under a mark of 60, then the mark was raised to 70: the frozen mark counts (passed)
    quiz = _attempt(session, people["nota_subio"].id, "basico", 65.0, 60)
    _attempt(session, people["nota_subio"].id, "avanzado", 80.0, 70)
    # failed at 75 under a mark of 80, then the mark was lowered to 70: still not passed
    _attempt(session, people["nota_bajo"].id, "basico", 75.0, 80)
    _attempt(session, people["nota_bajo"].id, "avanzado", 90.0, 70)
    _attempt(session, people["sin_quiz_a_medias"].id, "basico", 100.0, 70)
    _attempt(session, people["sin_quiz_a_medias"].id, "avanzado", 100.0, 70)
    quiz.pass_mark = 70
    session.flush()
    return people


def _sql_answers():
    um = M.per_official_module(M.officials(None, M.Filters()))
    modules = {m.id: m.key for m in M.db.session.scalars(select(Module))}
    per_module = {
        (row.user_id, modules[row.module_id]): (bool(row.passed), bool(row.completed))
        for row in M.db.session.execute(select(um.c.user_id, um.c.module_id, um.c.passed, um.c.completed))
    }
    stats = M.per_official(M.officials(None, M.Filters()))
    n = M.module_count()
    training = dict(
        M.db.session.execute(
            select(stats.c.user_id, case((completion.training_complete_sql(stats.c.completed, n), 1), else_=0))
        ).all()
    )
    return per_module, {user: bool(value) for user, value in training.items()}


def _python_answers(user_ids):
    per_module, training = {}, {}
    for user_id in user_ids:
        progress = progress_service.learner_progress(user_id)
        for p in progress:
            if p.counts:
                per_module[(user_id, p.module.key)] = (p.passed, p.completed)
        training[user_id] = progress_service.training_complete(progress)
    return per_module, training


def test_python_and_sql_give_the_same_answers_on_the_same_data(session, scenario):
    """The learner's pages read lessons and attempts; the monitoring SQL reads the summaries kept as
    they changed: the same answers, and the summaries equal a recomputation from scratch."""
    sql_modules, sql_training = _sql_answers()
    py_modules, py_training = _python_answers([p.id for p in scenario.values()])
    assert py_modules == sql_modules
    assert py_training == sql_training
    assert summaries.drift() == (0, [])
    summaries.rebuild()
    assert _sql_answers() == (sql_modules, sql_training)


def test_the_two_disagreement_cases_are_decided_as_documented(session, scenario):
    py_modules, py_training = _python_answers([p.id for p in scenario.values()])
    ids = {name: person.id for name, person in scenario.items()}
    assert py_modules[(ids["todo"], "sin-evaluacion")] == (False, True), (
        "a module without a quiz completes on its lessons"
    )
    assert py_modules[(ids["nota_subio"], "basico")] == (True, True), "a pass under the frozen mark stays a pass"
    assert py_modules[(ids["nota_bajo"], "basico")] == (False, False), "a fail under the frozen mark stays a fail"
    assert py_training == {
        ids["todo"]: True,
        ids["nota_subio"]: True,
        ids["nota_bajo"]: False,
        ids["sin_quiz_a_medias"]: False,
        ids["nada"]: False,
    }
    assert all(key[1] != "sin-lecciones" for key in py_modules), "a module without lessons does not count"


def test_best_score_and_passed_can_come_from_different_attempts(session, make_user):
    person = make_user()
    _attempt(session, person.id, "basico", 75.0, 70, number=1)
    _attempt(session, person.id, "basico", 78.0, 80, number=2)
    basico = next(p for p in progress_service.learner_progress(person.id) if p.module.key == "basico")
    assert basico.best_score == 78.0
    assert basico.passed


def test_predicates_on_plain_values():
    assert completion.attempt_passed(70.0, 70) and not completion.attempt_passed(69.9, 70)
    assert not completion.attempt_passed(None, 0)
    assert completion.quiz_passed([(50.0, 70), (65.0, 60)]) and not completion.quiz_passed([])
    assert not completion.training_complete(0, 0)
    assert completion.training_complete(3, 3) and not completion.training_complete(2, 3)
