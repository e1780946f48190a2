"""`flask content check` beyond the format: bank surface cues, module hours, repeated YAML keys,
values the database would reject, and `content sync` refusing to retire modules silently."""

import shutil

import pytest
import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.models import Lesson, LessonProgress, Module, Quiz, utcnow
from app.services.content import RetireRefused, computed_hours, load_content, sync_content
from app.services.content.metrics import normalise
from tests.conftest import FIXTURE_CONTENT


@pytest.fixture
def tree(tmp_path):
    """A writable copy of the fixture content."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


def _errors(report):
    return [str(issue) for issue in report.errors]


def _warnings(report):
    return [str(issue) for issue in report.warnings]


def _tr(text):
    return {"es": text, "en": text, "pt": text}


def _single(key, texts, correct=0, applied=False):
    return {
        "key": key,
        "type": "single",
        "applied": applied,
        "text": _tr(f"Pregunta {key}: ¿qué corresponde hacer?"),
        "choices": [
            {"key": k, "text": _tr(t), **({"correct": True} if i == correct else {})}
            for i, (k, t) in enumerate(zip("abcd", texts, strict=False))
        ],
        "explanation": _tr("Porque lo dice la lección."),
    }


def _true_false(key, answer, text=None):
    return {
        "key": key,
        "type": "true_false",
        "text": _tr(text or f"Afirmación número {key} sobre la ley."),
        "answer": answer,
        "explanation": _tr("Según la lección."),
    }


def _write_quiz(path, questions, per_attempt=4):
    data = {
        "estimated_minutes": 30,
        "pass_mark": 70,
        "max_attempts": 3,
        "questions_per_attempt": per_attempt,
        "questions": questions,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _cue_bank():
    """A bank built to fail every surface-cue limit: too small, the key always the longest, every
    true/false item false, nothing applied, absolute words only in distractors, an 'all of the above'."""
    questions = [
        _single(
            f"x-{n:02d}",
            [
                "La respuesta correcta que es claramente la más larga del grupo",
                "Siempre corto",
                "Nunca corto",
                "Solo esto",
            ],
        )
        for n in range(1, 7)
    ]
    questions.append(_single("x-07", ["Sí", "No", "Todas las anteriores"]))
    questions += [_true_false(f"x-{n:02d}", False) for n in range(8, 12)]
    return questions


def test_a_bank_built_to_fail_every_cue_limit_raises_every_warning(tree):
    _write_quiz(tree / "modules/01-basico/quiz.yaml", _cue_bank())
    bundle, report = load_content(tree)
    warnings = [w for w in _warnings(report) if "01-basico/quiz.yaml" in w]
    assert any("the bank has 11 questions; at least 24 are needed" in w for w in warnings)
    assert any("the correct option is the longest in 6 of 7 single-choice questions (86%)" in w for w in warnings)
    assert any("0 of 4 true/false questions are true (0%)" in w for w in warnings)
    assert any("0 of 11 questions are applied (0%)" in w for w in warnings)
    assert any("absolute words" in w and "0% of correct options" in w for w in warnings)
    assert any("option x-07/c is 'all/none of the above'" in w for w in warnings)
    assert any("the correct option is written first in 7 of 7 single-choice questions (100%)" in w for w in warnings)
    metrics = next(m for m in bundle.bank_metrics if m.module == "basico")
    assert (metrics.single, metrics.longest_is_key, metrics.true_false, metrics.true_answers) == (7, 6, 4, 0)
    assert metrics.key_first == 7
    assert (metrics.keys_absolute, metrics.distractors_absolute) == (0, 19)


def test_a_balanced_bank_raises_no_cue_warning(tree):
    lengths = ["Una opción de largo parecido", "Otra opción de largo similar", "Tercera opción, largo igual"]
    questions = [_single(f"x-{n:02d}", lengths, correct=n % 3, applied=n % 3 != 0) for n in range(1, 17)]
    questions += [_true_false(f"x-{n:02d}", n % 2 == 0) for n in range(17, 27)]
    _write_quiz(tree / "modules/01-basico/quiz.yaml", questions)
    _, report = load_content(tree)
    assert [w for w in _warnings(report) if "01-basico/quiz.yaml" in w] == []


def test_a_question_repeated_in_another_bank_with_small_changes_is_a_duplicate(tree):
    questions = [
        _true_false("x-01", True, "La Ley 25.871 reconoce la migración como un derecho humano esencial."),
        _true_false("x-02", False),
    ]
    _write_quiz(tree / "modules/01-basico/quiz.yaml", questions, per_attempt=2)
    _write_quiz(
        tree / "modules/02-avanzado/quiz.yaml",
        [_true_false("y-01", True, "¿La ley 25871 reconoce a la migración como derecho humano esencial?")],
        per_attempt=1,
    )
    _, report = load_content(tree)
    assert any(
        "02-avanzado/quiz.yaml" in w and "question 'y-01' repeats question 'x-01' of module 'basico'" in w
        for w in _warnings(report)
    )
    assert not any("x-02" in w and "repeats" in w for w in _warnings(report))


def test_normalise_ignores_case_accents_and_punctuation():
    assert normalise("¿Qué   ES la Migración?") == normalise("que es la migracion")


# --------------------------------------------------------------------------- hours


def test_hours_are_the_rounded_sum_of_lessons_activities_and_quiz():
    assert computed_hours(215, 345, 40) == 10
    assert computed_hours(60, 0, 29) == 1
    assert computed_hours(60, 0, 30) == 2  # halves round up


def test_hours_that_differ_from_the_sum_are_an_error(tree):
    module = tree / "modules/01-basico/module.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace("hours: 2", "hours: 10"), encoding="utf-8")
    bundle, report = load_content(tree)
    assert (
        "content/modules/01-basico/module.yaml:3: 'hours' is 10 but the module adds up to 2: lessons 20 min "
        "+ activities 60 min + quiz 30 min = 110 min (hours = round(total / 60)); set 'hours' to the sum or "
        "revise the estimates"
    ) in _errors(report)


def test_activity_is_loaded_rendered_and_sanitised(tree):
    path = tree / "modules/01-basico/lessons/01-leccion-1.es.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("2. Anote", "2. <script>x()</script> Anote"), encoding="utf-8"
    )
    bundle, report = load_content(tree)
    lesson = bundle.modules[0].lessons[0]
    assert lesson.activity_minutes == 60
    assert lesson.activity_title == {
        "es": "Servicios de mi municipio",
        "en": "Services in my municipality",
        "pt": "Serviços do meu município",
    }
    assert "<strong>tres servicios</strong>" in lesson.activity_prompt_html["es"]
    assert "<script" not in lesson.activity_prompt_html["es"]
    assert bundle.modules[0].lessons[1].activity_title is None


def test_activity_minutes_must_be_the_same_in_every_language(tree):
    path = tree / "modules/01-basico/lessons/01-leccion-1.pt.md"
    path.write_text(path.read_text(encoding="utf-8").replace("minutes: 60", "minutes: 45"), encoding="utf-8")
    _, report = load_content(tree)
    assert any(
        m.startswith(
            "content/modules/01-basico/lessons/01-leccion-1.pt.md:2: 'minutes' and "
            "'activity.minutes' must be the same in every language"
        )
        for m in _errors(report)
    )


def test_activity_without_prompt_and_unknown_reveal_policy_are_errors(tree):
    path = tree / "modules/01-basico/lessons/01-leccion-1.es.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("  prompt:")] + "---" + text[text.index("\n---\n") + 4 :], encoding="utf-8")
    quiz = tree / "modules/01-basico/quiz.yaml"
    quiz.write_text("reveal_answers: sometimes\n" + quiz.read_text(encoding="utf-8"), encoding="utf-8")
    _, report = load_content(tree)
    assert any("01-leccion-1.es.md" in m and "'activity.prompt' is required" in m for m in _errors(report))
    assert (
        "content/modules/01-basico/quiz.yaml:1: 'reveal_answers' must be one of after_each_attempt, "
        "after_pass_or_last_attempt, never (got 'sometimes')"
    ) in _errors(report)


# --------------------------------------------------------------------------- repeated keys and lengths


def test_a_key_repeated_in_one_mapping_is_an_error_with_file_and_line(tree):
    quiz = tree / "modules/02-avanzado/quiz.yaml"
    lines = quiz.read_text(encoding="utf-8").splitlines()
    answer = next(i for i, line in enumerate(lines) if line.strip() == "answer: true")
    lines.insert(answer + 1, "    answer: false")
    quiz.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, report = load_content(tree)
    assert (
        f"content/modules/02-avanzado/quiz.yaml:{answer + 2}: key 'answer' is repeated in the same mapping "
        f"(first at line {answer + 1}); keep one"
    ) in _errors(report)


def test_a_key_repeated_in_front_matter_is_an_error_on_the_file_line(tree):
    path = tree / "modules/01-basico/lessons/02-leccion-2.es.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("minutes: 10\n", "minutes: 10\nminutes: 20\n"), encoding="utf-8"
    )
    _, report = load_content(tree)
    assert (
        "content/modules/01-basico/lessons/02-leccion-2.es.md:4: key 'minutes' is repeated in the same "
        "mapping (first at line 3); keep one"
    ) in _errors(report)


def test_values_longer_than_their_columns_are_errors_not_sync_tracebacks(tree):
    quiz = tree / "modules/01-basico/quiz.yaml"
    quiz.write_text(
        quiz.read_text(encoding="utf-8").replace(
            "{key: c, text: {es: Tal vez", "{key: " + "c" * 41 + ", text: {es: Tal vez"
        ),
        encoding="utf-8",
    )
    municipalities = tree / "municipalities.yaml"
    municipalities.write_text(
        municipalities.read_text(encoding="utf-8").replace("name: Córdoba", "name: " + "Córdoba " * 25, 1),
        encoding="utf-8",
    )
    lessons = tree / "modules/02-avanzado/lessons"
    (lessons / "01-unica.es.md").rename(lessons / ("01-" + "u" * 121 + ".es.md"))
    module = tree / "modules/01-basico/module.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace("key: basico", "key: " + "b" * 81), encoding="utf-8")
    (tree / "areas.yaml").write_text('areas:\n  - key: salud\n    name: "Sa\\0lud"\n', encoding="utf-8")
    _, report = load_content(tree)
    errors = _errors(report)
    assert any("'key' is 41 characters long; at most 40 are stored" in m for m in errors)
    assert any("municipalities.yaml" in m and "'name' must be a text of 1 to 160 characters" in m for m in errors)
    assert any("the lesson key is 121 characters long; at most 120 are stored" in m for m in errors)
    assert any("module.yaml:1: 'key' is 81 characters long; at most 80 are stored" in m for m in errors)
    assert any("areas.yaml:3: 'name.es' contains a control character" in m for m in errors)


# --------------------------------------------------------------------------- retiring modules


def _learner_in_basico(session, make_user):
    learner = make_user()
    lesson = session.scalar(select(Lesson).join(Module).where(Module.key == "basico").limit(1))
    session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id, completed_at=utcnow()))
    session.flush()
    return learner


def test_sync_refuses_to_retire_a_renamed_module_and_writes_nothing(session, tree, make_user):
    _learner_in_basico(session, make_user)
    module = tree / "modules/01-basico/module.yaml"
    module.write_text(module.read_text(encoding="utf-8").replace("key: basico", "key: basico-nuevo"), encoding="utf-8")
    bundle, report = load_content(tree)
    assert report.errors == []
    with pytest.raises(RetireRefused) as refused:
        sync_content(bundle)
    assert [(m.key, m.learners) for m in refused.value.modules] == [("basico", 1)]
    assert session.scalar(select(func.count(Module.id)).where(Module.key == "basico-nuevo")) == 0
    assert session.scalar(select(Module.active).where(Module.key == "basico")) is True


def test_sync_with_retire_retires_the_module_and_keeps_progress(session, tree, make_user):
    learner = _learner_in_basico(session, make_user)
    shutil.rmtree(tree / "modules/01-basico")
    result = sync_content(load_content(tree)[0], allow_retire=True)
    assert result.retired.get("modules") == 1
    assert session.scalar(select(Module.active).where(Module.key == "basico")) is False
    assert session.scalar(select(func.count(LessonProgress.id)).where(LessonProgress.user_id == learner.id)) == 1


def test_sync_command_lists_what_it_would_retire_and_needs_the_flag(app, in_app, tree, make_user):
    in_app(lambda: _learner_in_basico(db.session, make_user))
    shutil.rmtree(tree / "modules/01-basico")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["content", "sync", "--path", str(tree)])
    assert refused.exit_code == 1
    assert "basico (Módulo básico): 1 learners with progress" in refused.output
    assert "--retire" in refused.output
    assert in_app(lambda: db.session.scalar(select(Module.active).where(Module.key == "basico"))) is True
    done = runner.invoke(args=["content", "sync", "--path", str(tree), "--retire"])
    assert done.exit_code == 0, done.output
    assert in_app(lambda: db.session.scalar(select(Module.active).where(Module.key == "basico"))) is False


def test_sync_stores_the_quiz_settings_and_activities(session, content):
    quiz = session.scalar(select(Quiz).join(Module).where(Module.key == "avanzado"))
    assert (quiz.estimated_minutes, quiz.reveal_answers) == (15, "after_each_attempt")
    basico = session.scalar(select(Quiz).join(Module).where(Module.key == "basico"))
    assert basico.reveal_answers == "after_pass_or_last_attempt"
    lesson = session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
    assert lesson.activity_minutes == 60 and lesson.has_activity
    assert "<strong>" in lesson.activity_prompt_html["en"]


def test_check_command_prints_hours_and_bank_figures(app):
    result = app.test_cli_runner().invoke(args=["content", "check", "--path", str(FIXTURE_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "basico: 2 h = lessons 20 min + activities 60 min + quiz 30 min" in result.output
    assert (
        "bank basico: 5 questions; applied 0/5 (0%); key longest 1/2 single-choice (50%); key first 2/2 (100%); "
        "true 1/2 true/false (50%); 1 multiple-choice"
    ) in result.output
