"""Learning pages: thin views over app.services.progress and app.services.quiz."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from app.credentials.keys import KeyNotConfigured
from app.extensions import db
from app.learning import bp
from app.models import QuizAttempt, utcnow
from app.models.learning import ATTEMPT_OPEN
from app.readonly import begin_writing, reads_only
from app.services import certificates as certificate_service
from app.services import content_cache, permissions
from app.services.content_cache import LessonInfo, ModuleInfo, QuizInfo
from app.services import progress as progress_service
from app.services import quiz as quiz_service

QUIZ_MESSAGES = {
    "limit": lambda quiz: ngettext(
        "Ya usó el único intento permitido para esta evaluación.",
        "Ya usó los %(num)s intentos permitidos para esta evaluación.",
        quiz.max_attempts,
    ),
    "empty": lambda quiz: _("Este cuestionario todavía no tiene preguntas."),
    "closed": lambda quiz: _("Este intento ya fue enviado; no se puede cambiar."),
    "time_up": lambda quiz: _("Se terminó el tiempo: el intento se calificó con las respuestas guardadas a tiempo."),
    "stale": lambda quiz: _("Ya había respuestas guardadas más recientes; se conservaron esas."),
}
SAVE_ACTIONS = ("save", "review", "submit")  # "submit" from an old page goes to the review page too


def _module_or_404(key: str) -> ModuleInfo:
    """An active module by key (from app.services.content_cache); 404 when there is none."""
    module = content_cache.current().module_by_key.get(key)
    if module is None:
        abort(404)
    return module


def _lessons(module: ModuleInfo) -> list[LessonInfo]:
    return content_cache.current().lessons_of(module.id)


def _quiz(module: ModuleInfo) -> QuizInfo | None:
    return content_cache.current().quiz_by_module.get(module.id)


def _quiz_and_module(attempt: QuizAttempt | quiz_service.SavingAttempt) -> tuple[QuizInfo, ModuleInfo]:
    """The quiz of an attempt and its module (retired modules too: old attempts stay readable)."""
    catalogue = content_cache.current()
    quiz = catalogue.quiz_by_id[attempt.quiz_id]
    return quiz, catalogue.module_by_id[quiz.module_id]


def _own_or_404(attempt):
    """Learners only ever reach their own attempts (permissions.can_take_attempt); anyone else's is
    'not found'."""
    if not permissions.can_take_attempt(current_user, attempt):
        abort(404)
    return attempt


def _own_attempt_or_404(attempt_id: int) -> QuizAttempt:
    return _own_or_404(db.session.get(QuizAttempt, attempt_id))


def _own_attempt_for_saving_or_404(attempt_id: int):
    """What a save reads of the learner's own attempt, as plain data (quiz_service.attempt_for_saving)."""
    attempt, items = quiz_service.attempt_for_saving(attempt_id)
    return _own_or_404(attempt), items


def _own_attempt_with_items_or_404(attempt_id: int):
    """The learner's own attempt and its drawn items, in one query."""
    attempt, items = quiz_service.attempt_with_items(attempt_id)
    return _own_or_404(attempt), items


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _posted_answers() -> dict[int, list[int]]:
    """The answer set posted by the quiz form; a malformed one is a 400 (see quiz_service.answers_from_form)."""
    try:
        return quiz_service.answers_from_form(request.form)
    except quiz_service.QuizError:
        abort(400)


def _expire_if_due(attempt: QuizAttempt) -> bool:
    """Grade an attempt whose time ran out (viewing it does): a write, so off the read-only connection."""
    if not quiz_service.expiry_due(attempt):
        return False
    begin_writing()
    return quiz_service.expire_if_due(attempt)


@bp.route("/modules")
@login_required
@reads_only
def catalogue():
    """The four modules with the learner's progress on each."""
    return render_template("learning/catalogue.html", progress=progress_service.learner_progress(current_user.id))


@bp.route("/my-progress")
@login_required
@reads_only
def my_progress():
    """The learner's own progress across every module (personal: no group figures here)."""
    progress = progress_service.learner_progress(current_user.id)
    counted = [p for p in progress if p.counts]
    return render_template(
        "learning/my_progress.html",
        progress=progress,
        completed=sum(p.completed for p in counted),
        total=len(counted),
        training_complete=progress_service.training_complete(progress),
        certificate=certificate_service.training_certificate_shown(current_user.id),
    )


def _issue_certificate_if_due() -> None:
    """Issue the training certificate in this request's transaction the moment the rule is met.

    Without a configured signing key nothing is issued (the learner's progress is still saved); the
    error is logged and `flask credentials issue-pending` issues what is owed once a key is set.
    """
    try:
        certificate = certificate_service.issue_training_if_complete(current_user)
    except KeyNotConfigured as error:
        current_app.logger.error("training certificate not issued to user %s: %s", current_user.id, error)
        flash(
            _(
                "Terminó la capacitación. Su certificado se emitirá en cuanto la plataforma tenga "
                "configurada su firma digital."
            ),
            "info",
        )
        return
    if certificate is not None:
        flash(_("¡Terminó la capacitación! Su certificado está listo en «Mi progreso»."), "success")


@bp.route("/modules/<key>")
@login_required
@reads_only
def module(key: str):
    """A module's overview: objectives, lessons with status, and its quiz."""
    module = _module_or_404(key)
    lessons = _lessons(module)
    states = progress_service.lesson_states(current_user.id, module.id)
    quiz = _quiz(module)
    attempts = quiz_service.attempts_for(current_user.id, quiz.id) if quiz else []
    summary = next(p for p in progress_service.learner_progress(current_user.id) if p.module.id == module.id)
    extras = quiz_service.extra_attempts_for(current_user.id, quiz.id) if quiz else []
    helpers = quiz_service.who_can_help(current_user) if summary.out_of_attempts else []
    return render_template(
        "learning/module.html",
        module=module,
        lessons=lessons,
        states=states,
        quiz=quiz,
        attempts=attempts,
        summary=summary,
        extras=extras,
        helpers=helpers,
    )


@bp.route("/modules/<key>/lessons/<lesson_key>")
@login_required
@reads_only
def lesson(key: str, lesson_key: str):
    """Read a lesson; opening it records that the learner started it."""
    catalogue = content_cache.current()
    module = catalogue.module_by_key.get(key)
    lessons = catalogue.lessons_of(module.id) if module is not None else []
    index = next((i for i, item in enumerate(lessons) if item.key == lesson_key), None)
    if index is None:
        abort(404)
    current = lessons[index]
    state, entry = progress_service.lesson_reading(current_user.id, current.id)
    if state is None:  # the first view writes (once); later views only read
        begin_writing()
        state = progress_service.record_lesson_view(current_user.id, current.id)
        db.session.commit()
    return render_template(
        "learning/lesson.html",
        module=module,
        lesson=current,
        state=state,
        number=index + 1,
        entry=entry,
        total=len(lessons),
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
    )


@bp.route("/modules/<key>/lessons/<lesson_key>/complete", methods=["POST"])
@login_required
def complete_lesson(key: str, lesson_key: str):
    """Mark a lesson complete and go on to the next one (or back to the module)."""
    module = _module_or_404(key)
    lessons = _lessons(module)
    index = next((i for i, item in enumerate(lessons) if item.key == lesson_key), None)
    if index is None:
        abort(404)
    progress_service.complete_lesson(current_user.id, lessons[index].id, utcnow())
    _issue_certificate_if_due()
    db.session.commit()
    flash(_("Lección completada."), "success")
    if index + 1 < len(lessons):
        return redirect(url_for("learning.lesson", key=key, lesson_key=lessons[index + 1].key))
    return redirect(url_for("learning.module", key=key, _anchor="quiz"))


@bp.route("/modules/<key>/quiz", methods=["POST"])
@login_required
def start_quiz(key: str):
    """Resume the open attempt or start a new one."""
    module = _module_or_404(key)
    quiz = _quiz(module)
    if quiz is None:
        abort(404)
    try:
        attempt_id = quiz_service.start_or_resume(current_user.id, quiz).id
        db.session.commit()
    except quiz_service.QuizError as error:
        db.session.rollback()
        flash(QUIZ_MESSAGES[error.code](quiz), "error")
        return redirect(url_for("learning.module", key=key, _anchor="quiz"))
    except IntegrityError:  # two tabs started an attempt at once: the other one won, resume it
        db.session.rollback()
        attempt_id = quiz_service.start_or_resume(current_user.id, quiz).id
        db.session.commit()
    return redirect(url_for("learning.attempt", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
@reads_only
def attempt(attempt_id: int):
    """An open attempt as a form (save or submit), or a closed one's results."""
    if request.method == "POST":
        return _save_from_form(attempt_id)
    attempt, items = _own_attempt_with_items_or_404(attempt_id)
    quiz, module = _quiz_and_module(attempt)
    if _expire_if_due(attempt):
        _issue_certificate_if_due()
        db.session.commit()
        flash(QUIZ_MESSAGES["time_up"](quiz), "error")
        items = None  # graded just now: read the items again
    drawn = quiz_service.drawn_questions(attempt, items)
    if attempt.status == ATTEMPT_OPEN:
        return render_template(
            "learning/attempt.html", attempt=attempt, quiz=quiz, module=module, drawn=drawn, now=utcnow()
        )
    attempts = quiz_service.attempts_for(current_user.id, quiz.id)
    extra = quiz_service.extra_attempt_count(current_user.id, quiz.id)
    return render_template(
        "learning/result.html",
        attempt=attempt,
        quiz=quiz,
        module=module,
        drawn=drawn,
        attempts_used=len(attempts),
        attempts_allowed=quiz.max_attempts + extra if quiz.max_attempts else None,
        reveal=quiz_service.answers_revealed(quiz, attempts, extra),
        lessons=_lessons(module),
    )


def _save_from_form(attempt_id: int):
    """The quiz form's save: store the answers, then back to the attempt (or on to the review page).
    Saving never submits: "review" saves, then shows the review page, whose button submits."""
    attempt, items = _own_attempt_for_saving_or_404(attempt_id)
    quiz, _module = _quiz_and_module(attempt)
    action = request.form.get("action", "save")
    if action not in SAVE_ACTIONS:
        action = "save"
    if attempt.status != ATTEMPT_OPEN:
        flash(QUIZ_MESSAGES["closed"](quiz), "info")
    else:
        answers = _posted_answers()
        try:
            revision = quiz_service.revision_from_form(request.form, required=False)
            drawn = quiz_service.drawn_questions(attempt, items)
            quiz_service.save_answers(attempt, answers, revision=revision, drawn=drawn)
        except quiz_service.QuizError as error:
            if error.code == "invalid":
                db.session.rollback()
                abort(400)
            flash(QUIZ_MESSAGES[error.code](quiz), "error")
        else:
            if action != "save":
                db.session.commit()
                return redirect(url_for("learning.review", attempt_id=attempt_id))
            flash(_("Respuestas guardadas. Puede seguir más tarde desde donde quedó."), "success")
        db.session.commit()
    return redirect(url_for("learning.attempt", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
@reads_only
def review(attempt_id: int):
    """Before submitting: which questions are answered and which are not, then an explicit 'submit'."""
    attempt, items = _own_attempt_with_items_or_404(attempt_id)
    quiz, module = _quiz_and_module(attempt)
    if _expire_if_due(attempt):
        _issue_certificate_if_due()
        db.session.commit()
        flash(QUIZ_MESSAGES["time_up"](quiz), "error")
    if attempt.status != ATTEMPT_OPEN:
        return redirect(url_for("learning.attempt", attempt_id=attempt_id))
    drawn = quiz_service.drawn_questions(attempt, items)
    unanswered = [dq for dq in drawn if not dq.item.selected]
    return render_template(
        "learning/review.html",
        attempt=attempt,
        quiz=quiz,
        module=module,
        drawn=drawn,
        unanswered=unanswered,
        now=utcnow(),
    )


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    """Grade the attempt with the answers saved on the server (the review page's button)."""
    attempt = _own_attempt_or_404(attempt_id)
    quiz, _module = _quiz_and_module(attempt)
    if attempt.status != ATTEMPT_OPEN:
        flash(QUIZ_MESSAGES["closed"](quiz), "info")
    else:
        late = quiz_service.is_past_deadline(attempt, utcnow())
        if quiz_service.submit(attempt, {}):
            if late:
                flash(QUIZ_MESSAGES["time_up"](quiz), "error")
            _issue_certificate_if_due()
        db.session.commit()
    return redirect(url_for("learning.attempt", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/autosave", methods=["POST"])
@login_required
def autosave(attempt_id: int):
    """Save answers in the background (the page's script, also through navigator.sendBeacon).

    Format: the quiz form's fields, form-encoded or multipart (`csrf_token`, `revision`, `asked`,
    `q<item id>`); anything else is 415, a malformed or foreign answer 400. Answers JSON: 200 when
    stored, 409 when refused (closed, time up, or a newer save already stored), nothing written then."""
    attempt, items = _own_attempt_for_saving_or_404(attempt_id)
    if request.mimetype not in FORM_TYPES:
        return jsonify({"saved": False, "reason": "unsupported_media_type"}), 415
    try:
        answers = quiz_service.answers_from_form(request.form)
        revision = quiz_service.revision_from_form(request.form, required=True)
        drawn = quiz_service.drawn_questions(attempt, items)
        saved_at = utcnow()
        stored = quiz_service.save_answers(attempt, answers, now=saved_at, revision=revision, drawn=drawn)
    except quiz_service.QuizError as error:
        if error.code == "invalid":
            db.session.rollback()
            return jsonify({"saved": False, "reason": "invalid"}), 400
        db.session.commit()  # an attempt that ran out of time has just been graded
        body = {"saved": False, "reason": error.code}
        if error.code != "stale":
            body["redirect"] = url_for("learning.attempt", attempt_id=attempt_id)
        return jsonify(body), 409
    db.session.commit()
    return jsonify({"saved": True, "revision": stored, "saved_at": saved_at.isoformat()})
