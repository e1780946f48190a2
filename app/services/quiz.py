"""Quiz attempts: drawing questions, saving answers as the learner goes, submitting once, time limits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import (
    AttemptQuestion,
    ExtraAttempt,
    Module,
    Quiz,
    QuizAttempt,
    User,
    coordinator_municipality,
    utcnow,
)
from app.models.learning import (
    ATTEMPT_EXPIRED,
    ATTEMPT_OPEN,
    ATTEMPT_SUBMITTED,
    REVEAL_AFTER_EACH,
    REVEAL_AFTER_PASS_OR_LAST,
)
from app.models.people import ROLE_COORDINATOR, ROLE_IOM
from app.services import compiled, content_cache, summaries
from app.services.content_cache import ChoiceInfo, QuestionInfo
from app.services.grading import grade

SINGLE_ANSWER_KINDS = ("single", "true_false")
EXTRA_REASON_MAX = 500  # characters of the reason for an extra attempt
MAX_ID = 2**31 - 1  # ids and revision numbers are the database's 32-bit integers


class QuizError(Exception):
    """A quiz action that cannot be done; `code` names the reason for the view to explain."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class DrawnQuestion:
    """A question as shown in an attempt: text and choices in the attempt's order."""

    item: AttemptQuestion | SavingItem  # the ORM's item, or only what a save reads of it
    question: QuestionInfo
    choices: list[ChoiceInfo]

    @property
    def correct_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}


def _grace() -> timedelta:
    return timedelta(seconds=current_app.config.get("QUIZ_SUBMIT_GRACE_SECONDS", 30))


def attempts_for(user_id: int, quiz_id: int) -> list[QuizAttempt]:
    """All attempts of a learner at a quiz, oldest first."""
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
            .order_by(QuizAttempt.number)
        )
    )


def is_past_deadline(attempt: QuizAttempt, now: datetime) -> bool:
    """True when a timed attempt's deadline (plus a short grace for the network) has passed."""
    return attempt.deadline_at is not None and now > attempt.deadline_at + _grace()


def start_or_resume(
    user_id: int, quiz: Quiz, now: datetime | None = None, rng: random.Random | None = None, _retried: bool = False
) -> QuizAttempt:
    """Return the learner's open attempt, or draw a new one; refuse past the attempt limit.

    Two simultaneous starts: the unique (user, quiz, number) lets one insert win; the other rolls back
    to a savepoint and resumes the winner's attempt."""
    now = now or utcnow()
    attempts = attempts_for(user_id, quiz.id)
    for attempt in attempts:
        if attempt.status == ATTEMPT_OPEN:
            if not expire_if_due(attempt, now):
                return attempt
    # Extra attempts are counted only once the quiz's own limit is reached (the usual start asks nothing).
    if (
        quiz.max_attempts
        and len(attempts) >= quiz.max_attempts
        and len(attempts) >= quiz.max_attempts + extra_attempt_count(user_id, quiz.id)
    ):
        raise QuizError("limit")
    rng = rng or random.SystemRandom()
    catalogue = content_cache.current()
    question_ids = list(catalogue.active_questions.get(quiz.id, []))
    if not question_ids:
        raise QuizError("empty")
    drawn = rng.sample(question_ids, k=min(quiz.questions_per_attempt, len(question_ids)))
    choices_by_question = {question_id: list(catalogue.active_choices.get(question_id, [])) for question_id in drawn}
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=quiz.id,
        number=len(attempts) + 1,
        status=ATTEMPT_OPEN,
        started_at=now,
        pass_mark=quiz.pass_mark,
        deadline_at=now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        if _retried:
            raise
        return start_or_resume(user_id, quiz, now, rng, _retried=True)
    summaries.refresh(user_id, quiz.module_id)
    for position, question_id in enumerate(drawn, start=1):
        order = choices_by_question.get(question_id, [])
        rng.shuffle(order)
        db.session.add(
            AttemptQuestion(
                attempt_id=attempt.id,
                question_id=question_id,
                position=position,
                choice_order=order,
                selected=[],
            )
        )
    db.session.flush()
    return attempt


def attempt_with_items(attempt_id: int) -> tuple[QuizAttempt | None, list[AttemptQuestion]]:
    """An attempt and its drawn items in order, in one query, read afresh (None, [] when it does not exist).

    Pass the items to `drawn_questions` or `save_answers` only before anything in the request wrote."""
    rows = db.session.execute(
        select(QuizAttempt, AttemptQuestion)
        .outerjoin(AttemptQuestion, AttemptQuestion.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.id == attempt_id)
        .order_by(AttemptQuestion.position)
        .execution_options(populate_existing=True)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [item for _, item in rows if item is not None]


@dataclass(frozen=True)
class SavingAttempt:
    """What a save needs of an attempt, read without the ORM (`attempt_for_saving`)."""

    id: int
    user_id: int
    quiz_id: int
    status: str
    deadline_at: datetime | None


@dataclass(frozen=True)
class SavingItem:
    """What a save needs of a drawn item: its id, question and choice order (which never change)."""

    id: int
    question_id: int
    choice_order: list[int]


def _saving_statement():
    """The attempt and its drawn items as a save reads them (bound: the attempt id), run compiled once
    (app.services.compiled)."""
    return (
        select(
            QuizAttempt.id,
            QuizAttempt.user_id,
            QuizAttempt.quiz_id,
            QuizAttempt.status,
            QuizAttempt.deadline_at,
            AttemptQuestion.id.label("item_id"),
            AttemptQuestion.question_id,
            AttemptQuestion.choice_order,
        )
        .outerjoin(AttemptQuestion, AttemptQuestion.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.id == bindparam("attempt_id", type_=Integer))
        .order_by(AttemptQuestion.position)
    )


def attempt_for_saving(attempt_id: int) -> tuple[SavingAttempt | None, list[SavingItem]]:
    """What the two save requests (the form's and the autosave) read: the attempt and its drawn items in
    order, in one query and as plain data (None, [] when the attempt does not exist). A save writes
    with one conditional UPDATE that decides on the stored row, not on what was read here; building
    the ORM's objects cost 0.4 ms of a 2.6 ms save (issue 12)."""
    rows = compiled.execute(_saving_statement, {"attempt_id": attempt_id}).all()
    if not rows:
        return None, []
    first = rows[0]
    attempt = SavingAttempt(first.id, first.user_id, first.quiz_id, first.status, first.deadline_at)
    items = [SavingItem(row.item_id, row.question_id, list(row.choice_order)) for row in rows if row.item_id]
    return attempt, items


def drawn_questions(
    attempt: QuizAttempt | SavingAttempt, items: list[AttemptQuestion] | list[SavingItem] | None = None
) -> list[DrawnQuestion]:
    """The attempt's questions with their choices in the attempt's order (one query unless `items`, read
    by `attempt_with_items` in this request, are given; questions and choices come from
    app.services.content_cache).

    Rows are read afresh (populate_existing), so what another request committed is seen."""
    if items is None:
        items = db.session.scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
            .execution_options(populate_existing=True)
        ).all()
    catalogue = content_cache.current()
    choices = catalogue.choices
    return [
        DrawnQuestion(
            item,
            catalogue.questions[item.question_id],
            [choices[cid] for cid in item.choice_order if cid in choices],
        )
        for item in items
    ]


def _parse_id(raw: str) -> int:
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10) or not 0 < int(raw) <= MAX_ID:
        raise QuizError("invalid")
    return int(raw)


def answers_from_form(form) -> dict[int, list[int]]:
    """The answer set in the documented form format (see README, "Quiz answers"): `asked` lists every
    drawn item id, `q<item id>` holds the chosen choice ids. Anything malformed is QuizError('invalid')."""
    answers: dict[int, list[int]] = {}
    for raw in form.getlist("asked"):
        answers.setdefault(_parse_id(raw), [])
    for name in form:
        if name.startswith("q"):
            item_id = _parse_id(name[1:])
            answers[item_id] = [_parse_id(value) for value in form.getlist(name)]
    return answers


def revision_from_form(form, required: bool) -> int | None:
    """The client's revision number of a save (1 .. 2^31-1); required for background saves."""
    raw = form.get("revision")
    if raw is None or raw == "":
        if required:
            raise QuizError("invalid")
        return None
    return _parse_id(raw)


def _validated(drawn: list[DrawnQuestion], answers: dict[int, list[int]]) -> dict[int, list[int]]:
    """The complete answer set for the attempt: every drawn item, its choices checked against that
    question's choices. An unknown item, a choice of another question or two answers to a one-answer
    question is QuizError('invalid'); nothing is written then."""
    by_item = {dq.item.id: dq for dq in drawn}
    if not set(answers) <= set(by_item):
        raise QuizError("invalid")
    complete = {}
    for item_id, dq in by_item.items():
        picked = list(dict.fromkeys(answers.get(item_id, [])))
        if not set(picked) <= set(dq.item.choice_order):
            raise QuizError("invalid")
        if dq.question.kind in SINGLE_ANSWER_KINDS and len(picked) > 1:
            raise QuizError("invalid")
        complete[item_id] = picked
    return complete


def _store_statement(items: int):
    """One UPDATE writing the answers of `items` drawn items (bound: `id_<k>` and `selected_<k>`), run
    compiled once per count (app.services.compiled)."""
    table = AttemptQuestion.__table__
    ids = [bindparam(f"id_{k}", type_=Integer) for k in range(items)]
    return (
        update(table)
        .where(table.c.id.in_(ids))
        .values(
            selected=case(
                *[(table.c.id == ids[k], bindparam(f"selected_{k}", type_=table.c.selected.type)) for k in range(items)]
            )
        )
    )


def _store(drawn: list[DrawnQuestion], complete: dict[int, list[int]]) -> None:
    """Replace the whole answer set (inside the caller's transaction, which holds the attempt's row).

    Every item is written, whatever this session last read of it: one UPDATE for all the items."""
    params = {}
    for k, dq in enumerate(drawn):
        params[f"id_{k}"] = dq.item.id
        params[f"selected_{k}"] = complete[dq.item.id]
    compiled.execute(_store_statement, params, len(drawn))
    for dq in drawn:
        if isinstance(dq.item, AttemptQuestion):  # the ORM's item, if that is what was read, kept in step
            set_committed_value(dq.item, "selected", complete[dq.item.id])


def _save_statement(timed: bool, numbered: bool):
    """The conditional UPDATE that decides a save (bound: attempt id, the save's time, and the deadline
    floor and the client's revision where they apply), run compiled once per variant."""
    table = QuizAttempt.__table__
    conditions = [table.c.id == bindparam("attempt_id", type_=Integer), table.c.status == ATTEMPT_OPEN]
    if timed:
        conditions.append(table.c.deadline_at >= bindparam("deadline_floor", type_=table.c.deadline_at.type))
    if numbered:
        revision = bindparam("revision", type_=Integer)
        conditions.append(table.c.revision < revision)
    return (
        update(table)
        .where(*conditions)
        .values(
            revision=revision if numbered else table.c.revision + 1,
            saved_at=bindparam("saved_at", type_=table.c.saved_at.type),
        )
        .returning(table.c.revision)
    )


def save_answers(
    attempt: QuizAttempt | SavingAttempt,
    answers: dict[int, list[int]],
    now: datetime | None = None,
    revision: int | None = None,
    drawn: list[DrawnQuestion] | None = None,
) -> int:
    """Store an open attempt's whole answer set at once; returns the stored revision.

    One conditional UPDATE decides, and locks the attempt's row until the request commits: the attempt
    must be open, within its time, and (when the client numbers its saves) `revision` newer than the
    stored one. So a save never lands after a submission and an older save arriving late never
    overwrites a newer one. Refusals: 'closed', 'time_up', 'stale', 'invalid'; nothing is written.
    `drawn`: the attempt's drawn questions when the caller already read them (only ids and choice
    orders are used, which never change; every item is written whatever was read)."""
    now = now or utcnow()
    drawn = drawn if drawn is not None else drawn_questions(attempt)
    complete = _validated(drawn, answers)
    timed, numbered = attempt.deadline_at is not None, revision is not None
    stored = compiled.execute(
        _save_statement,
        {
            "attempt_id": attempt.id,
            "saved_at": now,
            "deadline_floor": now - _grace(),
            "revision": revision,
        },
        timed,
        numbered,
    ).scalar()
    if stored is None:
        # the stored attempt, read afresh (the object given, if the caller holds the ORM's)
        current = db.session.get(QuizAttempt, attempt.id, populate_existing=True)
        if current.status != ATTEMPT_OPEN:
            raise QuizError("closed")
        if expire_if_due(current, now):
            raise QuizError("time_up")
        raise QuizError("stale")
    if isinstance(attempt, QuizAttempt):  # keep the ORM's object, if that is what the caller holds, in step
        set_committed_value(attempt, "revision", stored)
        set_committed_value(attempt, "saved_at", now)
    _store(drawn, complete)
    return stored


def _claim(attempt: QuizAttempt, status: str, now: datetime) -> bool:
    """Atomically move an open attempt to a closed status; False when someone else already closed it."""
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == ATTEMPT_OPEN)
        .values(status=status, submitted_at=now)
        .returning(QuizAttempt.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        db.session.refresh(attempt)  # see what the other request stored
        return False
    set_committed_value(attempt, "status", status)
    set_committed_value(attempt, "submitted_at", now)
    return True


def _grade_attempt(attempt: QuizAttempt, drawn: list[DrawnQuestion]) -> None:
    outcome = grade([(set(dq.item.selected), dq.correct_ids) for dq in drawn], attempt.pass_mark)
    for dq, graded in zip(drawn, outcome.questions, strict=True):
        dq.item.is_correct = graded.correct
    attempt.score = outcome.score
    attempt.passed = outcome.passed
    db.session.flush()
    summaries.refresh_quiz(attempt.user_id, attempt.quiz_id)


def submit(attempt: QuizAttempt, answers: dict[int, list[int]], now: datetime | None = None) -> bool:
    """Grade an attempt once. Returns False when it had already been submitted (a double post).

    Answers are validated first (QuizError('invalid'), nothing written); the claim then waits for any
    save holding the attempt's row, and the answers are read afresh after it."""
    now = now or utcnow()
    complete = _validated(drawn_questions(attempt), answers) if answers else None
    late = is_past_deadline(attempt, now)
    if not _claim(attempt, ATTEMPT_EXPIRED if late else ATTEMPT_SUBMITTED, now):
        return False
    drawn = drawn_questions(attempt)
    if not late and complete is not None:  # answers sent after the deadline are not taken
        _store(drawn, complete)
    _grade_attempt(attempt, drawn)
    return True


def expiry_due(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Whether an attempt is open and its time ran out (so that viewing it grades it)."""
    return attempt.status == ATTEMPT_OPEN and is_past_deadline(attempt, now or utcnow())


def expire_if_due(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Grade an open attempt whose time ran out with the answers saved in time. True if it did."""
    now = now or utcnow()
    if not expiry_due(attempt, now):
        return False
    if _claim(attempt, ATTEMPT_EXPIRED, now):
        _grade_attempt(attempt, drawn_questions(attempt))
    return True


def attempt_count(user_id: int, quiz_id: int) -> int:
    """How many attempts a learner has used at a quiz."""
    return (
        db.session.scalar(
            select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
        )
        or 0
    )


# --------------------------------------------------------------------------- review policy


def answers_revealed(quiz: Quiz, attempts: list[QuizAttempt], extra: int = 0) -> bool:
    """Whether a learner may see the correct options and explanations of their graded attempts.

    Per the quiz's `reveal_answers`: after every attempt; never; or (the default) once the quiz is
    passed or every allowed attempt (the limit plus extra attempts granted) is used and none is open.
    The score and which questions were right or wrong are always shown.
    """
    if quiz.reveal_answers == REVEAL_AFTER_EACH:
        return True
    if quiz.reveal_answers != REVEAL_AFTER_PASS_OR_LAST:
        return False
    if any(a.passed for a in attempts):
        return True
    if not quiz.max_attempts or any(a.status == ATTEMPT_OPEN for a in attempts):
        return False
    return len(attempts) >= quiz.max_attempts + extra


# --------------------------------------------------------------------------- extra attempts


def extra_attempt_count(user_id: int, quiz_id: int) -> int:
    """How many extra attempts a learner has been granted at a quiz."""
    return (
        db.session.scalar(
            select(func.count(ExtraAttempt.id)).where(ExtraAttempt.user_id == user_id, ExtraAttempt.quiz_id == quiz_id)
        )
        or 0
    )


def extra_attempts_for(user_id: int, quiz_id: int) -> list[tuple[ExtraAttempt, User | None]]:
    """The extra attempts granted to a learner at a quiz, oldest first, with who granted each."""
    return list(
        db.session.execute(
            select(ExtraAttempt, User)
            .outerjoin(User, User.id == ExtraAttempt.granted_by_id)
            .where(ExtraAttempt.user_id == user_id, ExtraAttempt.quiz_id == quiz_id)
            .order_by(ExtraAttempt.granted_at)
        ).tuples()
    )


def needs_extra_attempt(user_id: int, quiz: Quiz) -> bool:
    """True when the learner used every allowed attempt without passing (and none is open)."""
    attempts = attempts_for(user_id, quiz.id)
    if not quiz.max_attempts or any(a.passed or a.status == ATTEMPT_OPEN for a in attempts):
        return False
    return len(attempts) >= quiz.max_attempts + extra_attempt_count(user_id, quiz.id)


def grant_extra_attempt(
    actor: User, learner: User, quiz: Quiz, reason: str, now: datetime | None = None
) -> ExtraAttempt:
    """Give a learner who used every attempt without passing one more, with a reason, in the audit log.

    The caller checks `permissions.can_grant_extra_attempt(actor, learner)`.
    """
    from app.services.admin import record  # admin imports much of the app; keep this module light

    reason = (reason or "").strip()
    if not reason or len(reason) > EXTRA_REASON_MAX:
        raise QuizError("reason")
    if not needs_extra_attempt(learner.id, quiz):
        raise QuizError("not_needed")
    grant = ExtraAttempt(
        user_id=learner.id,
        quiz_id=quiz.id,
        granted_by_id=actor.id,
        reason=reason,
        after_attempts=attempt_count(learner.id, quiz.id),
        granted_at=now or utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
    except IntegrityError:  # someone else granted it a moment ago
        raise QuizError("not_needed") from None
    module = db.session.get(Module, quiz.module_id)
    record(actor, "quiz_extra_attempt", target=learner, details={"module": module.key, "reason": reason})
    db.session.flush()
    return grant


def who_can_help(learner: User) -> list[User]:
    """Who a learner out of attempts can ask for one more: the coordinators whose scope includes their
    municipality (or all municipalities); IOM officers when there is none. Two queries at most."""
    coordinators = list(
        db.session.scalars(
            select(User)
            .where(
                User.role == ROLE_COORDINATOR,
                User.active,
                User.id != learner.id,
                or_(
                    User.all_municipalities,
                    User.id.in_(
                        select(coordinator_municipality.c.user_id).where(
                            coordinator_municipality.c.municipality_id == learner.municipality_id
                        )
                    ),
                ),
            )
            .order_by(User.all_municipalities, User.name)
            .limit(5)
        )
    )
    if coordinators:
        return coordinators
    return list(
        db.session.scalars(
            select(User).where(User.role == ROLE_IOM, User.active, User.id != learner.id).order_by(User.name).limit(5)
        )
    )
