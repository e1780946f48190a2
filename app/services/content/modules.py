"""The training modules and reference lists (areas, municipalities): reading and syncing them.

Objects are matched by their stable keys, updated in place, and retired (never deleted) when they
disappear, so learners' progress and past attempts stay.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, union

from app.extensions import db
from app.models import Area, Choice, Lesson, LessonProgress, Module, Municipality, Question, Quiz, QuizAttempt
from app.models.learning import REVEAL_AFTER_PASS_OR_LAST, REVEAL_POLICIES
from app.services.content.common import (
    LANGUAGES,
    SOURCE,
    Checker,
    CONTROL_RE,
    Report,
    line_of,
    parse_yaml,
    read_yaml,
    rel_path,
    SyncResult,
    render_markdown,
    retire,
    upsert,
)

LESSON_FILE_RE = re.compile(r"^(?P<pos>\d+)-(?P<key>[a-z0-9][a-z0-9-]*)\.(?P<lang>[a-z]{2})\.md$")
FRONT_MATTER_RE = re.compile(r"\A---\n(?P<meta>.*?\n)---\n(?P<body>.*)\Z", re.S)
QUESTION_KINDS = ("single", "multiple", "true_false")
DEFAULT_REVEAL = REVEAL_AFTER_PASS_OR_LAST
LESSON_KEY_MAX = 120  # Lesson.key
CHOICE_KEY_MAX = 40  # Choice.key
TRUE_FALSE_TEXTS = {
    "true": {"es": "Verdadero", "en": "True", "pt": "Verdadeiro"},
    "false": {"es": "Falso", "en": "False", "pt": "Falso"},
}


# --------------------------------------------------------------------------- bundle


@dataclass
class ChoiceData:
    key: str
    text: dict
    correct: bool


@dataclass
class QuestionData:
    key: str
    kind: str
    text: dict
    explanation: dict
    choices: list[ChoiceData]
    applied: bool = False
    line: int = 1


@dataclass
class QuizData:
    pass_mark: int
    max_attempts: int
    questions_per_attempt: int
    time_limit_minutes: int | None
    questions: list[QuestionData]
    estimated_minutes: int = 0
    reveal_answers: str = DEFAULT_REVEAL
    rel: str = "quiz.yaml"


@dataclass
class LessonData:
    key: str
    position: int
    minutes: int
    title: dict
    body_html: dict
    source_hash: str
    activity_minutes: int = 0
    activity_title: dict | None = None
    activity_prompt_html: dict | None = None


@dataclass
class ModuleData:
    key: str
    position: int
    hours: int
    title: dict
    summary: dict
    objectives: list[dict]
    lessons: list[LessonData]
    quiz: QuizData | None

    @property
    def lesson_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)

    @property
    def activity_minutes(self) -> int:
        return sum(lesson.activity_minutes for lesson in self.lessons)

    @property
    def quiz_minutes(self) -> int:
        return self.quiz.estimated_minutes if self.quiz else 0


def computed_hours(lesson_minutes: int, activity_minutes: int, quiz_minutes: int) -> int:
    """A module's hours: lesson, activity and quiz minutes summed, in hours rounded to the nearest
    whole hour (halves up)."""
    return (lesson_minutes + activity_minutes + quiz_minutes + 30) // 60


def load_modules(root: Path, report: Report, bundle) -> None:
    """Read and validate areas, municipalities and the training modules into the bundle."""
    bundle.areas = _load_areas(root, report)
    bundle.municipalities = _load_municipalities(root, report)
    modules_dir = root / "modules"
    folders = sorted(p for p in modules_dir.iterdir() if p.is_dir()) if modules_dir.is_dir() else []
    if not folders:
        report.error("modules", 1, "no module folders found")
    seen_keys: dict[str, str] = {}
    seen_positions: dict[int, str] = {}
    for folder in folders:
        module = _load_module(root, folder, report)
        if module is None:
            continue
        rel = rel_path(root, folder / "module.yaml")
        if module.key in seen_keys:
            report.error(rel, 1, f"module key '{module.key}' already used by {seen_keys[module.key]}")
            continue
        if module.position in seen_positions:
            report.error(rel, 1, f"position {module.position} already used by {seen_positions[module.position]}")
        seen_keys[module.key] = rel
        seen_positions[module.position] = rel
        bundle.modules.append(module)
    bundle.modules.sort(key=lambda m: m.position)


def _load_areas(root: Path, report: Report) -> list[dict]:
    rel = rel_path(root, root / "areas.yaml")
    data = read_yaml(root / "areas.yaml", rel, report)
    if data is None:
        return []
    check = Checker(report, rel)
    out, seen = [], set()
    for position, item in enumerate(check.items(data, "areas") if isinstance(data, dict) else [], start=1):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "areas"), "each area must be a mapping with key and name")
            continue
        key, name = check.key(item), check.text(item, "name")
        if key in seen:
            report.error(rel, line_of(item, "key"), f"area key '{key}' is repeated")
            continue
        if key and name:
            seen.add(key)
            out.append({"key": key, "name": name, "position": position})
    if not isinstance(data, dict):
        report.error(rel, 1, "expected a mapping with an 'areas' list")
    return out


def _load_municipalities(root: Path, report: Report) -> list[dict]:
    rel = rel_path(root, root / "municipalities.yaml")
    data = read_yaml(root / "municipalities.yaml", rel, report)
    if data is None:
        return []
    if not isinstance(data, dict):
        report.error(rel, 1, "expected a mapping with a 'municipalities' list")
        return []
    check = Checker(report, rel)
    out, seen = [], set()
    for item in check.items(data, "municipalities"):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "municipalities"), "each municipality must be a mapping")
            continue
        key = check.key(item)
        name, province = check.string(item, "name", 160), check.string(item, "province", 120)
        country = item.get("country", "AR")
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            report.error(rel, line_of(item, "country"), "'country' must be a two-letter ISO code such as AR")
            continue
        if key in seen:
            report.error(rel, line_of(item, "key"), f"municipality key '{key}' is repeated")
            continue
        if key and name and province:
            seen.add(key)
            out.append({"key": key, "name": name, "province": province, "country": country})
    return out


def _load_module(root: Path, folder: Path, report: Report) -> ModuleData | None:
    rel = rel_path(root, folder / "module.yaml")
    data = read_yaml(folder / "module.yaml", rel, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.error(rel, 1, "expected a mapping")
        return None
    check = Checker(report, rel)
    errors_before = len(report.errors)
    key = check.key(data)
    position = check.integer(data, "position", None, 1, 99)
    hours = check.integer(data, "hours", 0, 0, 200)
    title = check.text(data, "title")
    summary = check.text(data, "summary")
    objectives = []
    raw_objectives = data.get("objectives", [])
    if not isinstance(raw_objectives, list):
        report.error(rel, line_of(data, "objectives"), "'objectives' must be a list")
        raw_objectives = []
    for item in raw_objectives:
        text = check.text({"objective": item}, "objective")
        if text:
            objectives.append(text)
    lessons = _load_lessons(root, folder, report)
    quiz = _load_quiz(root, folder, report)
    if len(report.errors) > errors_before:
        return None
    module = ModuleData(key, position, hours, title, summary, objectives, lessons, quiz)
    expected = computed_hours(module.lesson_minutes, module.activity_minutes, module.quiz_minutes)
    if hours != expected:
        report.error(
            rel,
            line_of(data, "hours"),
            f"'hours' is {hours} but the module adds up to {expected}: lessons {module.lesson_minutes} min "
            f"+ activities {module.activity_minutes} min + quiz {module.quiz_minutes} min "
            f"= {module.lesson_minutes + module.activity_minutes + module.quiz_minutes} min "
            "(hours = round(total / 60)); set 'hours' to the sum or revise the estimates",
        )
    return module


def _load_lessons(root: Path, folder: Path, report: Report) -> list[LessonData]:
    lessons_dir = folder / "lessons"
    rel_dir = rel_path(root, lessons_dir)
    if not lessons_dir.is_dir():
        report.error(rel_dir, 1, "lessons folder not found")
        return []
    files: dict[str, dict[str, tuple[int, Path]]] = {}
    for path in sorted(lessons_dir.iterdir()):
        if path.name.startswith("."):
            continue
        match = LESSON_FILE_RE.match(path.name)
        if not match:
            report.error(rel_path(root, path), 1, "lesson file names look like NN-lesson-key.es.md")
            continue
        if len(match["key"]) > LESSON_KEY_MAX:
            report.error(
                rel_path(root, path),
                1,
                f"the lesson key is {len(match['key'])} characters long; at most {LESSON_KEY_MAX} are stored",
            )
            continue
        if match["lang"] not in LANGUAGES:
            report.error(rel_path(root, path), 1, f"unknown language '{match['lang']}'")
            continue
        files.setdefault(match["key"], {})[match["lang"]] = (int(match["pos"]), path)
    lessons, positions = [], {}
    for key, by_lang in files.items():
        if SOURCE not in by_lang:
            any_path = next(iter(by_lang.values()))[1]
            report.error(rel_path(root, any_path), 1, f"lesson '{key}' has no Spanish file ({key}.es.md)")
            continue
        position = by_lang[SOURCE][0]
        if position in positions:
            report.error(
                rel_path(root, by_lang[SOURCE][1]),
                1,
                f"lesson number {position} is also used by '{positions[position]}'",
            )
            continue
        positions[position] = key
        titles, bodies, minutes, digest = {}, {}, 0, hashlib.sha256()
        activity_minutes, activity_titles, prompts, spanish_times = 0, {}, {}, None
        for lang in LANGUAGES:
            if lang not in by_lang:
                report.warn(rel_path(root, by_lang[SOURCE][1]), 1, f"lesson '{key}' has no '{lang}' translation")
                continue
            lang_pos, path = by_lang[lang]
            rel = rel_path(root, path)
            if lang_pos != position:
                report.error(rel, 1, f"number {lang_pos} differs from the Spanish file's {position}")
            parsed = _parse_lesson_file(path, rel, report)
            if parsed is None:
                continue
            meta, body, raw = parsed
            digest.update(raw.encode("utf-8"))
            titles[lang] = meta["title"]
            bodies[lang] = render_markdown(body)
            activity = meta["activity"]
            times = (meta["minutes"], activity["minutes"] if activity else None)
            if lang == SOURCE:
                minutes, spanish_times = meta["minutes"], times
                activity_minutes = activity["minutes"] if activity else 0
            elif spanish_times is not None and times != spanish_times:
                report.error(
                    rel,
                    2,
                    "'minutes' and 'activity.minutes' must be the same in every language "
                    f"(Spanish file: {spanish_times[0]} and {spanish_times[1]}; this file: "
                    f"{times[0]} and {times[1]})",
                )
            if activity:
                activity_titles[lang] = activity["title"]
                prompts[lang] = render_markdown(activity["prompt"])
        if SOURCE in titles:
            if activity_titles:
                for lang in LANGUAGES:
                    if lang in titles and lang not in activity_titles:
                        report.warn(rel_path(root, by_lang[lang][1]), 2, f"lesson '{key}' has no activity in '{lang}'")
            lessons.append(
                LessonData(
                    key,
                    position,
                    minutes,
                    titles,
                    bodies,
                    digest.hexdigest(),
                    activity_minutes,
                    activity_titles or None,
                    prompts or None,
                )
            )
    if not lessons and not report.errors:
        report.error(rel_dir, 1, "a module needs at least one lesson")
    lessons.sort(key=lambda lesson: lesson.position)
    return lessons


def _parse_lesson_file(path: Path, rel: str, report: Report) -> tuple[dict, str, str] | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.error(rel, 1, f"not valid UTF-8 ({exc.reason})")
        return None
    raw = raw.replace("\r\n", "\n")
    match = FRONT_MATTER_RE.match(raw)
    if not match:
        report.error(rel, 1, "missing front matter: the file must start with '---', title and minutes, '---'")
        return None
    errors_before = len(report.errors)
    meta = parse_yaml(match["meta"], rel, report, line_offset=1)  # the front matter starts on line 2
    if meta is None or len(report.errors) > errors_before:
        return None
    if not isinstance(meta, dict):
        report.error(rel, 2, "front matter must be a mapping with title and minutes")
        return None
    ok = True
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        report.error(rel, line_of(meta, "title") + 1, "'title' is required in the front matter")
        ok = False
    minutes = meta.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 600:
        report.error(rel, line_of(meta, "minutes") + 1, "'minutes' must be a whole number from 0 to 600")
        ok = False
    activity = _parse_activity(meta, rel, report) if "activity" in meta else None
    if "activity" in meta and activity is None:
        ok = False
    body = match["body"]
    if not body.strip():
        body_line = match["meta"].count("\n") + 3
        report.error(rel, body_line, "the lesson has no text")
        ok = False
    if CONTROL_RE.search(raw):
        report.error(
            rel, raw[: CONTROL_RE.search(raw).start()].count("\n") + 1, "the file contains a control character"
        )
        ok = False
    if not ok:
        return None
    return {"title": title.strip(), "minutes": minutes, "activity": activity}, body, raw


def _parse_activity(meta: dict, rel: str, report: Report) -> dict | None:
    """The lesson's practical activity: `activity: {minutes, title, prompt}` (the prompt is Markdown)."""
    activity = meta["activity"]
    line = line_of(meta, "activity") + 1
    if not isinstance(activity, dict):
        report.error(rel, line, "'activity' must be a mapping with minutes, title and prompt")
        return None
    ok = True
    minutes = activity.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 600:
        report.error(rel, line_of(activity, "minutes") + 1, "'activity.minutes' must be a whole number from 1 to 600")
        ok = False
    for name in ("title", "prompt"):
        value = activity.get(name)
        if not isinstance(value, str) or not value.strip():
            report.error(rel, line_of(activity, name) + 1, f"'activity.{name}' is required (a text)")
            ok = False
    for name in activity:
        if name not in ("minutes", "title", "prompt"):
            report.error(
                rel, line_of(activity, name) + 1, f"'activity.{name}' is not a known field (minutes, title, prompt)"
            )
            ok = False
    if not ok:
        return None
    return {"minutes": minutes, "title": activity["title"].strip(), "prompt": activity["prompt"]}


def _load_quiz(root: Path, folder: Path, report: Report) -> QuizData | None:
    rel = rel_path(root, folder / "quiz.yaml")
    data = read_yaml(folder / "quiz.yaml", rel, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.error(rel, 1, "expected a mapping")
        return None
    check = Checker(report, rel)
    pass_mark = check.integer(data, "pass_mark", 70, 1, 100)
    max_attempts = check.integer(data, "max_attempts", 3, 0, 100)
    per_attempt = check.integer(data, "questions_per_attempt", 8, 1, 200)
    time_limit = check.integer(data, "time_limit_minutes", None, 1, 600, allow_null=True)
    estimated = check.integer(data, "estimated_minutes", 0, 0, 600)
    reveal = data.get("reveal_answers", DEFAULT_REVEAL)
    if reveal not in REVEAL_POLICIES:
        report.error(
            rel,
            line_of(data, "reveal_answers"),
            f"'reveal_answers' must be one of {', '.join(REVEAL_POLICIES)} (got {reveal!r})",
        )
        reveal = DEFAULT_REVEAL
    questions, seen = [], set()
    for item in check.items(data, "questions"):
        if not isinstance(item, dict):
            report.error(rel, line_of(data, "questions"), "each question must be a mapping")
            continue
        question = _load_question(item, check, rel, report)
        if question is None:
            continue
        if question.key in seen:
            report.error(rel, line_of(item, "key"), f"question key '{question.key}' is repeated")
            continue
        seen.add(question.key)
        questions.append(question)
    if questions and per_attempt and per_attempt > len(questions):
        report.error(
            rel,
            line_of(data, "questions_per_attempt"),
            f"questions_per_attempt is {per_attempt} but the bank has only {len(questions)} questions",
        )
    return QuizData(pass_mark, max_attempts, per_attempt, time_limit, questions, estimated, reveal, rel)


def _load_question(item: dict, check: Checker, rel: str, report: Report) -> QuestionData | None:
    errors_before = len(report.errors)
    key = check.key(item)
    kind = item.get("type")
    if kind not in QUESTION_KINDS:
        report.error(rel, line_of(item, "type"), f"'type' must be one of {', '.join(QUESTION_KINDS)} (got {kind!r})")
    text = check.text(item, "text")
    explanation = check.text(item, "explanation")
    applied = item.get("applied", False)
    if not isinstance(applied, bool):
        report.error(rel, line_of(item, "applied"), "'applied' must be true or false")
    choices: list[ChoiceData] = []
    if kind == "true_false":
        answer = item.get("answer")
        if not isinstance(answer, bool):
            report.error(rel, line_of(item, "answer"), "a true_false question needs 'answer: true' or 'answer: false'")
        else:
            choices = [
                ChoiceData("true", TRUE_FALSE_TEXTS["true"], answer is True),
                ChoiceData("false", TRUE_FALSE_TEXTS["false"], answer is False),
            ]
        if "choices" in item:
            report.error(rel, line_of(item, "choices"), "a true_false question takes 'answer', not 'choices'")
    elif kind in ("single", "multiple"):
        raw = check.items(item, "choices")
        seen = set()
        for choice in raw:
            if not isinstance(choice, dict):
                report.error(rel, line_of(item, "choices"), "each choice must be a mapping with key and text")
                continue
            ckey = check.key(choice, max_len=CHOICE_KEY_MAX)
            ctext = check.text(choice, "text")
            correct = choice.get("correct", False)
            if not isinstance(correct, bool):
                report.error(rel, line_of(choice, "correct"), "'correct' must be true or false")
                continue
            if ckey in seen:
                report.error(rel, line_of(choice, "key"), f"choice key '{ckey}' is repeated")
                continue
            if ckey and ctext:
                seen.add(ckey)
                choices.append(ChoiceData(ckey, ctext, correct))
        if raw and not 2 <= len(raw) <= 8:
            report.error(rel, line_of(item, "choices"), "a question needs 2 to 8 choices")
        n_correct = sum(c.correct for c in choices)
        if kind == "single" and raw and n_correct != 1:
            report.error(
                rel,
                line_of(item, "choices"),
                f"a single-choice question needs exactly one correct choice (has {n_correct})",
            )
        if kind == "multiple" and raw and n_correct < 1:
            report.error(rel, line_of(item, "choices"), "a multiple-choice question needs at least one correct choice")
    if len(report.errors) > errors_before:
        return None
    return QuestionData(key, kind, text, explanation, choices, applied, line_of(item))


# --------------------------------------------------------------------------- sync


def sync_modules(bundle, result: SyncResult) -> None:
    """Write areas, municipalities and modules of a validated bundle; a second run changes nothing."""
    areas = {a.key: a for a in db.session.scalars(select(Area))}
    for item in bundle.areas:
        upsert(areas, item["key"], Area, {**item, "active": True}, "areas", result)
    db.session.flush()
    retire(areas.values(), {areas[i["key"]].id for i in bundle.areas}, "areas", result)

    municipalities = {m.key: m for m in db.session.scalars(select(Municipality))}
    for item in bundle.municipalities:
        upsert(municipalities, item["key"], Municipality, item, "municipalities", result)

    modules = {m.key: m for m in db.session.scalars(select(Module))}
    lessons = {(lesson.module_id, lesson.key): lesson for lesson in db.session.scalars(select(Lesson))}
    quizzes = {q.module_id: q for q in db.session.scalars(select(Quiz))}
    questions = {(q.quiz_id, q.key): q for q in db.session.scalars(select(Question))}
    choices = {(c.question_id, c.key): c for c in db.session.scalars(select(Choice))}

    kept_modules = set()
    for mdata in bundle.modules:
        module = upsert(
            modules,
            mdata.key,
            Module,
            {
                "key": mdata.key,
                "position": mdata.position,
                "hours": mdata.hours,
                "title": mdata.title,
                "summary": mdata.summary,
                "objectives": mdata.objectives,
                "active": True,
            },
            "modules",
            result,
        )
        db.session.flush()
        kept_modules.add(module.id)
        kept_lessons = set()
        for ldata in mdata.lessons:
            lesson = upsert(
                lessons,
                (module.id, ldata.key),
                Lesson,
                {
                    "module_id": module.id,
                    "key": ldata.key,
                    "position": ldata.position,
                    "minutes": ldata.minutes,
                    "title": ldata.title,
                    "body_html": ldata.body_html,
                    "source_hash": ldata.source_hash,
                    "active": True,
                    "activity_minutes": ldata.activity_minutes,
                    "activity_title": ldata.activity_title,
                    "activity_prompt_html": ldata.activity_prompt_html,
                },
                "lessons",
                result,
            )
            db.session.flush()
            kept_lessons.add(lesson.id)
        retire([v for (mid, _), v in lessons.items() if mid == module.id], kept_lessons, "lessons", result)
        if mdata.quiz is not None:
            _sync_quiz(module, mdata.quiz, quizzes, questions, choices, result)
    retire(modules.values(), kept_modules, "modules", result)
    db.session.flush()


def _sync_quiz(
    module: Module, qdata: QuizData, quizzes: dict, questions: dict, choices: dict, result: SyncResult
) -> None:
    quiz = upsert(
        quizzes,
        module.id,
        Quiz,
        {
            "module_id": module.id,
            "pass_mark": qdata.pass_mark,
            "max_attempts": qdata.max_attempts,
            "questions_per_attempt": qdata.questions_per_attempt,
            "time_limit_minutes": qdata.time_limit_minutes,
            "estimated_minutes": qdata.estimated_minutes,
            "reveal_answers": qdata.reveal_answers,
        },
        "quizzes",
        result,
    )
    db.session.flush()
    kept_questions = set()
    for position, question_data in enumerate(qdata.questions, start=1):
        question = upsert(
            questions,
            (quiz.id, question_data.key),
            Question,
            {
                "quiz_id": quiz.id,
                "key": question_data.key,
                "kind": question_data.kind,
                "position": position,
                "text": question_data.text,
                "explanation": question_data.explanation,
                "active": True,
            },
            "questions",
            result,
        )
        db.session.flush()
        kept_questions.add(question.id)
        kept_choices = set()
        for cpos, cdata in enumerate(question_data.choices, start=1):
            choice = upsert(
                choices,
                (question.id, cdata.key),
                Choice,
                {
                    "question_id": question.id,
                    "key": cdata.key,
                    "position": cpos,
                    "text": cdata.text,
                    "is_correct": cdata.correct,
                    "active": True,
                },
                "choices",
                result,
            )
            db.session.flush()
            kept_choices.add(choice.id)
        retire([c for (qid, _), c in choices.items() if qid == question.id], kept_choices, "choices", result)
    retire([q for (qid, _), q in questions.items() if qid == quiz.id], kept_questions, "questions", result)


# --------------------------------------------------------------------------- retiring modules


@dataclass
class RetiredModule:
    """An active module that a sync would retire, and how many learners have progress in it."""

    key: str
    title: dict
    learners: int


class RetireRefused(Exception):
    """`content sync` would retire modules that learners have used; run it with --retire to confirm."""

    def __init__(self, modules: list[RetiredModule]):
        super().__init__(", ".join(m.key for m in modules))
        self.modules = modules


def modules_to_retire(bundle) -> list[RetiredModule]:
    """Active modules in the database whose key the bundle no longer has, with their learners
    (people with lesson progress or quiz attempts in them); two queries."""
    keys = {m.key for m in bundle.modules}
    doomed = [
        m
        for m in db.session.scalars(select(Module).where(Module.active).order_by(Module.position))
        if m.key not in keys
    ]
    if not doomed:
        return []
    ids = [m.id for m in doomed]
    people = union(
        select(Lesson.module_id.label("module_id"), LessonProgress.user_id.label("user_id"))
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(Lesson.module_id.in_(ids)),
        select(Quiz.module_id.label("module_id"), QuizAttempt.user_id.label("user_id"))
        .join(QuizAttempt, QuizAttempt.quiz_id == Quiz.id)
        .where(Quiz.module_id.in_(ids)),
    ).subquery()
    counts = dict(
        db.session.execute(
            select(people.c.module_id, func.count(people.c.user_id.distinct())).group_by(people.c.module_id)
        ).all()
    )
    return [RetiredModule(m.key, m.title, counts.get(m.id, 0)) for m in doomed]
