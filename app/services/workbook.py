"""The learner's private workbook: their written answers to each lesson's activity.

An entry belongs to one person and one lesson; only its author reads it (views answer 404 to anyone
else, IOM officers included, and no monitoring page or export reads this table). Saving is an upsert,
so two saves at once (the autosave and the button) never fail on the unique (user, lesson) pair.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

import nh3
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import tr
from app.models import Lesson, Module, WorkbookEntry, utcnow

MAX_TEXT = 50_000  # characters in one answer: about twenty pages
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class WorkbookError(Exception):
    """A workbook answer that cannot be saved; `code` names the reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class WorkbookItem:
    """A lesson with an activity, and the learner's answer if any."""

    lesson: Lesson
    entry: WorkbookEntry | None


@dataclass
class WorkbookSection:
    """A module's activities in the workbook."""

    module: Module
    items: list[WorkbookItem]

    @property
    def written(self) -> int:
        return sum(1 for item in self.items if item.entry and item.entry.text.strip())


def clean_text(text: str) -> str:
    """The answer as stored: control characters removed (tabs and line breaks kept), Windows line ends
    made plain; refused when longer than MAX_TEXT."""
    text = CONTROL_RE.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > MAX_TEXT:
        raise WorkbookError("too_long")
    return text


def entry_for(user_id: int, lesson_id: int) -> WorkbookEntry | None:
    """The learner's answer to a lesson's activity, if they wrote one."""
    return db.session.scalar(
        select(WorkbookEntry).where(WorkbookEntry.user_id == user_id, WorkbookEntry.lesson_id == lesson_id)
    )


def save_entry(user_id: int, lesson: Lesson, text: str, now: datetime | None = None) -> WorkbookEntry:
    """Store the learner's answer to the lesson's activity (create or replace)."""
    if not lesson.has_activity:
        raise WorkbookError("no_activity")
    text, now = clean_text(text), now or utcnow()
    entry = entry_for(user_id, lesson.id)
    if entry is None:
        try:
            with db.session.begin_nested():
                entry = WorkbookEntry(user_id=user_id, lesson_id=lesson.id, text=text, created_at=now, updated_at=now)
                db.session.add(entry)
            return entry
        except IntegrityError:  # the same person's other request created it a moment ago
            entry = entry_for(user_id, lesson.id)
    if entry.text != text:
        entry.text = text
        entry.updated_at = now
    db.session.flush()
    return entry


def workbook(user_id: int) -> list[WorkbookSection]:
    """Every active lesson with an activity, by module, with the learner's answers (three queries)."""
    modules = list(db.session.scalars(select(Module).where(Module.active).order_by(Module.position)))
    lessons = list(
        db.session.scalars(
            select(Lesson).where(Lesson.active, Lesson.activity_minutes > 0).order_by(Lesson.module_id, Lesson.position)
        )
    )
    entries = {
        e.lesson_id: e for e in db.session.scalars(select(WorkbookEntry).where(WorkbookEntry.user_id == user_id))
    }
    sections = []
    for module in modules:
        items = [WorkbookItem(lesson, entries.get(lesson.id)) for lesson in lessons if lesson.module_id == module.id]
        if items:
            sections.append(WorkbookSection(module, items))
    return sections


def _plain(html_text: str) -> str:
    """Rendered Markdown back to readable plain text (for the downloaded file)."""

    def number(match: re.Match) -> str:
        items = iter(range(1, 1000))
        return re.sub(r"<li>", lambda _: f"{next(items)}. ", match.group(0))

    text = re.sub(r"<ol>.*?</ol>", number, html_text, flags=re.S)
    text = re.sub(r"<li>", "- ", text)
    text = re.sub(r"</(p|li|h\d|tr)>", "\n", text)
    text = re.sub(r"\n\s*\n+", "\n\n", html.unescape(nh3.clean(text, tags=set())))
    return "\n".join(line.strip() for line in text.strip().splitlines())


def as_markdown(
    name: str, sections: list[WorkbookSection], heading: str, exported: str, no_answer: str, activity_label: str
) -> str:
    """The whole workbook as a Markdown (plain text) file, in the learner's language."""
    lines = [f"# {heading}", "", name, exported, ""]
    for section in sections:
        lines += [f"## {tr(section.module.title)}", ""]
        for item in section.items:
            lesson = item.lesson
            lines += [f"### {tr(lesson.title)}", "", f"**{activity_label}: {tr(lesson.activity_title)}**", ""]
            lines += [_plain(tr(lesson.activity_prompt_html)), ""]
            answer = item.entry.text.strip() if item.entry else ""
            lines += [answer or f"_{no_answer}_", ""]
    return "\n".join(lines).rstrip() + "\n"
