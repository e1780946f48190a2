"""What changes only when the training content changes (modules, lessons with their rendered and
sanitised HTML, quizzes, questions, choices), kept in each worker's memory.

Every copy carries the content version it was read under (app.models.ContentVersion). The version
changes in the same transaction as any ORM change to those tables (`flask content sync`, an admin
edit, a test), so a worker on any host that reads a newer version from the database drops its copy and
reads the content again: nothing is invalidated by process-local events alone. The version is read
once per request (for signed-in people in the same statement as their account, see
app.services.signed_in). Bulk UPDATE/DELETE statements on these tables bypass the ORM and must call
`bump()` themselves.

The cached objects are frozen dataclasses with the attribute names of the models, shared between
requests: read them, never change them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Optional

from flask import current_app, g, has_app_context
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Choice, ContentVersion, Lesson, Module, Question, Quiz, utcnow

CONTENT_MODELS = (Module, Lesson, Quiz, Question, Choice)
VERSION_ROW = 1
_UNSET = object()


@dataclass(frozen=True)
class ModuleInfo:
    """A module as the learner's pages show it (see app.models.Module)."""

    id: int
    key: str
    position: int
    hours: int
    title: dict
    summary: dict
    objectives: list
    active: bool


@dataclass(frozen=True)
class LessonInfo:
    """A lesson with its body already rendered and sanitised per language (see app.models.Lesson)."""

    id: int
    module_id: int
    key: str
    position: int
    minutes: int
    title: dict
    body_html: dict
    active: bool
    activity_minutes: int
    activity_title: Optional[dict]
    activity_prompt_html: Optional[dict]

    @property
    def has_activity(self) -> bool:
        return bool(self.activity_title)


@dataclass(frozen=True)
class QuizInfo:
    """A module's quiz and its rules (see app.models.Quiz)."""

    id: int
    module_id: int
    pass_mark: int
    max_attempts: int
    questions_per_attempt: int
    time_limit_minutes: Optional[int]
    estimated_minutes: int
    reveal_answers: str


@dataclass(frozen=True)
class QuestionInfo:
    """A question of a quiz's bank, retired ones included (see app.models.Question)."""

    id: int
    quiz_id: int
    key: str
    kind: str
    position: int
    text: dict
    explanation: dict
    active: bool


@dataclass(frozen=True)
class ChoiceInfo:
    """A possible answer, retired ones included (see app.models.Choice)."""

    id: int
    question_id: int
    key: str
    position: int
    text: dict
    is_correct: bool
    active: bool


def _info(cls, row):
    return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass
class Catalogue:
    """The whole training content at one version."""

    version: str | None
    modules: list[ModuleInfo] = field(default_factory=list)  # active, in catalogue order
    module_by_key: dict[str, ModuleInfo] = field(default_factory=dict)  # active only
    module_by_id: dict[int, ModuleInfo] = field(default_factory=dict)  # retired ones too
    lessons: dict[int, list[LessonInfo]] = field(default_factory=dict)  # module id -> active lessons in order
    quiz_by_module: dict[int, QuizInfo] = field(default_factory=dict)
    quiz_by_id: dict[int, QuizInfo] = field(default_factory=dict)
    questions: dict[int, QuestionInfo] = field(default_factory=dict)
    active_questions: dict[int, list[int]] = field(default_factory=dict)  # quiz id -> active question ids
    choices: dict[int, ChoiceInfo] = field(default_factory=dict)
    active_choices: dict[int, list[int]] = field(default_factory=dict)  # question id -> active choice ids

    def lessons_of(self, module_id: int) -> list[LessonInfo]:
        """A module's active lessons in order."""
        return self.lessons.get(module_id, [])


def _load(version: str | None) -> Catalogue:
    """Read the whole content (five queries)."""
    catalogue = Catalogue(version)
    for row in db.session.scalars(select(Module).order_by(Module.position, Module.id)):
        module = _info(ModuleInfo, row)
        catalogue.module_by_id[module.id] = module
        if module.active:
            catalogue.modules.append(module)
            catalogue.module_by_key[module.key] = module
    for row in db.session.scalars(select(Lesson).where(Lesson.active).order_by(Lesson.position, Lesson.id)):
        catalogue.lessons.setdefault(row.module_id, []).append(_info(LessonInfo, row))
    for row in db.session.scalars(select(Quiz)):
        quiz = _info(QuizInfo, row)
        catalogue.quiz_by_id[quiz.id] = quiz
        catalogue.quiz_by_module[quiz.module_id] = quiz
    for row in db.session.scalars(select(Question).order_by(Question.position, Question.id)):
        question = _info(QuestionInfo, row)
        catalogue.questions[question.id] = question
        if question.active:
            catalogue.active_questions.setdefault(question.quiz_id, []).append(question.id)
    for row in db.session.scalars(select(Choice).order_by(Choice.position, Choice.id)):
        choice = _info(ChoiceInfo, row)
        catalogue.choices[choice.id] = choice
        if choice.active:
            catalogue.active_choices.setdefault(choice.question_id, []).append(choice.id)
    return catalogue


def version_sql():
    """A scalar subquery giving the content version (to read it in the same statement as something else)."""
    return select(ContentVersion.value).where(ContentVersion.id == VERSION_ROW).scalar_subquery()


def note_version(version: str | None) -> None:
    """Record the version read by another statement of this request (app.services.signed_in)."""
    g.content_version = version


def content_version() -> str | None:
    """The content version for this request: read once, then remembered until the request ends."""
    version = g.get("content_version", _UNSET)
    if version is _UNSET:
        version = db.session.scalar(select(ContentVersion.value).where(ContentVersion.id == VERSION_ROW))
        g.content_version = version
    return version


def current() -> Catalogue:
    """The content at the database's current version, from this worker's memory when it is up to date."""
    found = g.get("content_catalogue")
    if found is not None:
        return found
    version = content_version()
    store = current_app.extensions.setdefault("content_cache", {})
    catalogue = store.get("catalogue")
    if catalogue is None or version is None or catalogue.version != version:
        catalogue = _load(version)
        if version is not None:  # no version row (an emptied database): read afresh every time
            store["catalogue"] = catalogue
    g.content_catalogue = catalogue
    return catalogue


def bump(session: Session | None = None) -> None:
    """Give the content a new version (inside the caller's transaction)."""
    session = session or db.session
    values = {"value": secrets.token_hex(16), "changed_at": utcnow()}
    table = ContentVersion.__table__  # plain SQL: runs inside a flush, touches no ORM object
    result = session.execute(update(table).where(table.c.id == VERSION_ROW).values(**values))
    if result.rowcount == 0:
        session.execute(insert(table).values(id=VERSION_ROW, **values))
    if has_app_context():
        g.pop("content_version", None)
        g.pop("content_catalogue", None)


@event.listens_for(Session, "after_flush")
def _bump_on_content_change(session: Session, flush_context) -> None:
    """Any flushed change to a module, lesson, quiz, question or choice gives the content a new version."""
    for objects in (session.new, session.dirty, session.deleted):
        if any(isinstance(obj, CONTENT_MODELS) for obj in objects):
            bump(session)
            return
