"""Public pages."""

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.auth.routes import _safe_next
from app.extensions import db
from app.public import bp


@bp.route("/")
def index():
    """What the programme and the platform are, in plain words."""
    return render_template("public/index.html")


@bp.route("/privacy")
def privacy():
    """The personal-data notice that registration asks people to accept."""
    return render_template("public/privacy.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language and come back to the same page; saved for signed-in users."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = lang
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("public.index"))
