"""Account pages."""

import hashlib
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from pytz import common_timezones
from werkzeug.security import generate_password_hash


from app.auth import bp
from app.auth.emails import send_already_registered, send_reset, send_reset_unknown, send_verification
from app.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    RegistrationForm,
    ResendForm,
    ResetPasswordForm,
    SettingsForm,
)
from app.extensions import db, limiter
from app.i18n import current_language, tr
from app.models.people import TOKEN_EMAIL_VERIFICATION, TOKEN_PASSWORD_RESET
from app.services.accounts import (
    authenticate,
    create_user,
    email_verified,
    end_sessions,
    find_user_by_email,
    hash_method,
    issue_token,
    normalise_email,
    registration_choices,
    reset_password_with_token,
    set_password,
    token_user,
    verify_email_with_token,
)

AMERICAS_TIMEZONES = [tz for tz in common_timezones if tz.startswith("America/")] + [
    "Europe/Lisbon",
    "Europe/Madrid",
    "UTC",
]


def _safe_next(target: str | None) -> str | None:
    """Only local paths are followed after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["EMAIL_RATE_LIMIT"]


def _email_client_limit() -> str:
    return current_app.config["EMAIL_CLIENT_RATE_LIMIT"]


def _typed_email_key() -> str:
    """Rate-limit key for the email address typed in the posted form (hashed: keys stay short)."""
    email = normalise_email(request.form.get("email", ""))[:254]
    return "email:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _failed_login(response) -> bool:
    """Only failed sign-ins count (a successful one redirects), so a room behind one address can sign in."""
    return response.status_code != 302


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_email_client_limit, methods=["POST"], scope="register-client")
@limiter.limit(
    _email_limit,
    methods=["POST"],
    key_func=_typed_email_key,
    scope="register-email",
    deduct_when=lambda response: response.status_code == 302,
)
def register():
    """Sign up as a municipal official. The answer is the same whether the address is new or not."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.catalogue"))
    form = RegistrationForm()
    form.municipality.choices, form.area.choices = registration_choices(tr)
    if form.validate_on_submit():
        existing = find_user_by_email(form.email.data)
        if existing is not None:
            generate_password_hash(form.password.data, method=hash_method())  # same work as a new account
            send_already_registered(existing)
        else:
            user = create_user(
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                municipality_id=form.municipality.data,
                area_id=form.area.data,
                gender=form.gender.data,
                locale=session.get("locale") or request.accept_languages.best_match(("es", "en", "pt")),
                verified=False,
            )
            token = issue_token(user, TOKEN_EMAIL_VERIFICATION)
            db.session.commit()
            send_verification(user, token)
        session["email_sent_to"] = normalise_email(form.email.data)
        return redirect(url_for("auth.check_email", reason="register"))
    return render_template("auth/register.html", form=form)


@bp.route("/check-email")
def check_email():
    """Where registration and "forgot your password?" lead: look for our message."""
    reason = request.args.get("reason", "register")
    if reason not in ("register", "reset"):
        abort(404)
    return render_template("auth/check_email.html", reason=reason, email=session.get("email_sent_to"))


@bp.route("/verify/<token>")
def verify_email(token: str):
    """Confirm an address from the link sent to it."""
    user = verify_email_with_token(token)
    if user is None:
        db.session.rollback()
        return render_template("auth/verify_invalid.html"), 400
    # Someone who finished the training before confirming gets the certificate now.
    from app.services.certificates import issue_training_if_complete

    issue_training_if_complete(user)
    db.session.commit()
    flash(_("Su correo quedó confirmado. Gracias."), "success")
    return redirect(url_for("learning.catalogue") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/verify", methods=["POST"])
@login_required
@limiter.limit(
    _email_limit, scope="verify-resend", key_func=lambda: "user:" + (current_user.get_id() or "").split(":")[0]
)
def resend_verification():
    """Send the verification link again (the account's own address)."""
    form = ResendForm()
    if form.validate_on_submit() and not email_verified(current_user):
        token = issue_token(current_user, TOKEN_EMAIL_VERIFICATION)
        db.session.commit()
        send_verification(current_user, token)
        flash(_("Le enviamos un nuevo enlace a %(email)s.", email=current_user.email), "success")
    return redirect(url_for("auth.settings"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], scope="login-client", deduct_when=_failed_login)
@limiter.limit(
    _account_limit, methods=["POST"], key_func=_typed_email_key, scope="login-account", deduct_when=_failed_login
)
def login():
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.catalogue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.email.errors.append(_("El correo o la contraseña no son correctos."))
        else:
            login_user(user, remember=form.remember.data)
            if user.password_hash.split(":")[0] != hash_method().split(":")[0]:
                user.set_password(form.password.data, method=hash_method())
            db.session.commit()
            flash(_("Sesión iniciada."), "success")
            return redirect(_safe_next(request.args.get("next")) or url_for("learning.catalogue"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out everywhere (POST only, so a link cannot log someone out): every session and
    remember-me cookie of the account stops working."""
    if current_user.is_authenticated:
        end_sessions(current_user)
        db.session.commit()
    logout_user()
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("public.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_email_client_limit, methods=["POST"], scope="forgot-client")
@limiter.limit(
    _email_limit,
    methods=["POST"],
    key_func=_typed_email_key,
    scope="forgot-email",
    deduct_when=lambda response: response.status_code == 302,
)
def forgot_password():
    """Ask for a link to choose a new password; the answer never says whether the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.active:
            token = issue_token(user, TOKEN_PASSWORD_RESET)
            db.session.commit()
            send_reset(user, token, by_staff=False)
        elif user is None:
            send_reset_unknown(normalise_email(form.email.data), current_language())
        session["email_sent_to"] = normalise_email(form.email.data)
        return redirect(url_for("auth.check_email", reason="reset"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("La contraseña actual no es correcta."))
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            user = current_user._get_current_object()
            set_password(user, form.password.data)  # ends every other session of the account
            db.session.commit()
            login_user(user, remember=remembered)  # this one goes on, with the new token
            flash(_("Su contraseña fue cambiada. Se cerraron sus sesiones en otros dispositivos."), "success")
            return redirect(url_for("learning.my_progress"))
    return render_template("auth/password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """Language and time zone preferences."""
    form = SettingsForm(obj=current_user)
    form.timezone.choices = [(tz, tz.replace("_", " ")) for tz in AMERICAS_TIMEZONES]
    if request.method == "GET":
        form.locale.data = current_user.locale or "es"
        form.timezone.data = current_user.timezone or current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash(_("Preferencias guardadas."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, verified=email_verified(current_user), resend=ResendForm())


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a link sent by email (single use, 72 hours)."""
    user = token_user(token, TOKEN_PASSWORD_RESET)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if reset_password_with_token(token, form.password.data) is None:  # used meanwhile by another request
            db.session.rollback()
            return render_template("auth/reset_invalid.html"), 400
        db.session.commit()
        flash(_("Su nueva contraseña quedó guardada. Ya puede iniciar sesión."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
