"""`flask content check` and `flask content sync`: validation with file and line, idempotent loading."""

import shutil

import pytest
from sqlalchemy import func, select

from app.models import Choice, Lesson, LessonProgress, Module, Question, QuizAttempt, utcnow
from app.services import quiz as quiz_service
from app.services.content import load_content, render_markdown, sync_content
from tests.conftest import FIXTURE_CONTENT


@pytest.fixture
def tree(tmp_path):
    """A writable copy of the fixture content."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    return root


def _messages(report):
    return [str(issue) for issue in report.errors]


def test_fixture_content_is_valid_with_warnings_for_missing_translations():
    bundle, report = load_content(FIXTURE_CONTENT)
    assert report.errors == []
    assert any("no 'en' translation" in str(w) for w in report.warnings)
    assert [m.key for m in bundle.modules] == ["basico", "avanzado"]


def test_invalid_yaml_is_reported_with_file_and_line(tree):
    quiz = tree / "modules/01-basico/quiz.yaml"
    lines = quiz.read_text(encoding="utf-8").splitlines()
    lines[5] = "questions: [unclosed"
    quiz.write_text("\n".join(lines), encoding="utf-8")
    _, report = load_content(tree)
    assert any(m.startswith("content/modules/01-basico/quiz.yaml:") and "invalid YAML" in m for m in _messages(report))


def test_single_choice_question_with_two_correct_answers_is_an_error_on_its_line(tree):
    quiz = tree / "modules/01-basico/quiz.yaml"
    text = quiz.read_text(encoding="utf-8")
    text = text.replace(
        '{key: b, text: {es: "No", en: "No", pt: Não}}', '{key: b, text: {es: "No", en: "No", pt: Não}, correct: true}'
    )
    quiz.write_text(text, encoding="utf-8")
    _, report = load_content(tree)
    line = next(i for i, line in enumerate(text.splitlines(), start=1) if line.strip() == "choices:")
    assert (
        f"content/modules/01-basico/quiz.yaml:{line}: a single-choice question needs exactly one correct choice (has 2)"
        in _messages(report)
    )


def test_unquoted_yes_no_is_explained(tree):
    quiz = tree / "modules/01-basico/quiz.yaml"
    quiz.write_text(
        quiz.read_text(encoding="utf-8").replace('es: "No", en: "No"', 'es: No, en: "No"'), encoding="utf-8"
    )
    _, report = load_content(tree)
    assert any("was read as False" in m and "quotes" in m for m in _messages(report))


def test_missing_fields_and_bad_values_are_each_reported(tree):
    module = tree / "modules/01-basico/module.yaml"
    module.write_text("key: Bad Key\nposition: zero\nhours: 2\nsummary: {es: Algo}\n", encoding="utf-8")
    _, report = load_content(tree)
    messages = _messages(report)
    assert any("module.yaml:1: 'key' is required" in m for m in messages)
    assert any("module.yaml:2: 'position' must be a whole number" in m for m in messages)
    assert any("'title' is required" in m for m in messages)


def test_more_questions_per_attempt_than_the_bank_is_an_error(tree):
    quiz = tree / "modules/02-avanzado/quiz.yaml"
    quiz.write_text(
        quiz.read_text(encoding="utf-8").replace("questions_per_attempt: 1", "questions_per_attempt: 3"),
        encoding="utf-8",
    )
    _, report = load_content(tree)
    assert any("questions_per_attempt is 3 but the bank has only 1" in m for m in _messages(report))


def test_lesson_without_front_matter_or_spanish_file_is_an_error(tree):
    lessons = tree / "modules/01-basico/lessons"
    (lessons / "01-leccion-1.en.md").write_text("No front matter here", encoding="utf-8")
    (lessons / "02-leccion-2.es.md").unlink()
    (lessons / "notes.txt").write_text("x", encoding="utf-8")
    _, report = load_content(tree)
    messages = _messages(report)
    assert (
        "content/modules/01-basico/lessons/01-leccion-1.en.md:1: missing front matter: the file must start with '---', title and minutes, '---'"
        in messages
    )
    assert any("lesson 'leccion-2' has no Spanish file" in m for m in messages)
    assert any(m.startswith("content/modules/01-basico/lessons/notes.txt:1:") for m in messages)


def test_check_command_fails_on_errors_and_writes_nothing(app, tree):
    (tree / "areas.yaml").write_text("areas: nope\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "sync", "--path", str(tree)])
    assert result.exit_code == 1
    assert "areas.yaml:1: 'areas' must be a non-empty list" in result.output
    with app.app_context():
        from app.extensions import db

        assert db.session.scalar(select(func.count(Module.id))) == 0


def test_check_strict_fails_on_missing_translations(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["content", "check", "--path", str(FIXTURE_CONTENT)]).exit_code == 0
    strict = runner.invoke(args=["content", "check", "--path", str(FIXTURE_CONTENT), "--strict"])
    assert strict.exit_code == 1
    assert "has no 'pt' translation" in strict.output


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y>")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_sync_twice_changes_nothing(session, tree):
    bundle, _ = load_content(tree)
    first = sync_content(bundle)
    assert first.created["modules"] == 2 and first.created["questions"] == 6
    second = sync_content(load_content(tree)[0])
    assert not second.changed
    assert second.summary() == "no changes"


def test_editing_a_lesson_keeps_progress(session, tree, make_user):
    learner = make_user()
    sync_content(load_content(tree)[0])
    lesson = session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
    session.add(LessonProgress(user_id=learner.id, lesson_id=lesson.id, completed_at=utcnow()))
    session.flush()
    path = tree / "modules/01-basico/lessons/01-leccion-1.es.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Texto de la lección", "Texto corregido de la lección"),
        encoding="utf-8",
    )
    result = sync_content(load_content(tree)[0])
    assert result.updated == {"lessons": 1}
    session.refresh(lesson)
    assert "Texto corregido" in lesson.body_html["es"]
    assert session.scalar(select(func.count(LessonProgress.id)).where(LessonProgress.lesson_id == lesson.id)) == 1


def test_removing_a_question_keeps_past_attempts_readable(session, tree, make_user):
    learner = make_user()
    sync_content(load_content(tree)[0])
    module = session.scalar(select(Module).where(Module.key == "avanzado"))
    from app.models import Quiz

    quiz = session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    attempt = quiz_service.start_or_resume(learner.id, quiz)
    quiz_service.submit(attempt, {})
    quiz_file = tree / "modules/02-avanzado/quiz.yaml"
    quiz_file.write_text(quiz_file.read_text(encoding="utf-8").replace("key: a-01", "key: a-02"), encoding="utf-8")
    result = sync_content(load_content(tree)[0])
    assert result.retired.get("questions") == 1 and result.created.get("questions") == 1
    old = session.scalar(select(Question).where(Question.key == "a-01"))
    assert old.active is False
    drawn = quiz_service.drawn_questions(session.get(QuizAttempt, attempt.id))
    assert [dq.question.key for dq in drawn] == ["a-01"]
    assert {c.key for c in drawn[0].choices} == {"true", "false"}
    # and new attempts only draw active questions
    fresh = quiz_service.start_or_resume(learner.id, quiz)
    assert [dq.question.key for dq in quiz_service.drawn_questions(fresh)] == ["a-02"]


def test_removing_a_lesson_retires_it_and_renumbering_keeps_it(session, tree):
    sync_content(load_content(tree)[0])
    lessons = tree / "modules/01-basico/lessons"
    for lang in ("es", "en", "pt"):
        (lessons / f"02-leccion-2.{lang}.md").unlink()
        (lessons / f"01-leccion-1.{lang}.md").rename(lessons / f"03-leccion-1.{lang}.md")
    result = sync_content(load_content(tree)[0])
    assert result.retired == {"lessons": 1}
    kept = session.scalar(select(Lesson).where(Lesson.key == "leccion-1"))
    assert kept.position == 3 and kept.active
    assert session.scalar(select(Choice).limit(1)) is not None
