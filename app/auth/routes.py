"""Account pages."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from pytz import common_timezones

from app.auth import bp
from app.auth.forms import LoginForm, PasswordForm, RegistrationForm, SettingsForm
from app.extensions import db, limiter
from app.i18n import tr
from app.services.accounts import AccountError, authenticate, create_user, hash_method, registration_choices

AMERICAS_TIMEZONES = [tz for tz in common_timezones if tz.startswith("America/")] + ["Europe/Lisbon", "Europe/Madrid", "UTC"]


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


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign up as a municipal official."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.catalogue"))
    form = RegistrationForm()
    form.municipality.choices, form.area.choices = registration_choices(tr)
    if form.validate_on_submit():
        try:
            user = create_user(
                name=form.name.data, email=form.email.data, password=form.password.data,
                municipality_id=form.municipality.data, area_id=form.area.data, gender=form.gender.data,
                locale=session.get("locale") or request.accept_languages.best_match(("es", "en", "pt")),
            )
        except AccountError:
            form.email.errors.append(_("Ya existe una cuenta con ese correo. ¿Quiere iniciar sesión?"))
        else:
            db.session.commit()
            login_user(user)
            flash(_("¡Bienvenida/o, %(name)s! Su cuenta está lista.", name=user.name), "success")
            return redirect(url_for("learning.catalogue"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
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
    """Sign out (POST only, so a link cannot log someone out)."""
    logout_user()
    flash(_("Cerró su sesión."), "info")
    return redirect(url_for("public.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("La contraseña actual no es correcta."))
        else:
            current_user.set_password(form.password.data, method=hash_method())
            db.session.commit()
            flash(_("Su contraseña fue cambiada."), "success")
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
    return render_template("auth/settings.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from a link given by the programme's coordination (single use, 72 hours)."""
    from app.auth.forms import ResetPasswordForm
    from app.services.admin import reset_password as do_reset
    from app.services.admin import user_for_reset

    user = user_for_reset(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        do_reset(user, form.password.data)
        db.session.commit()
        flash(_("Su nueva contraseña quedó guardada. Ya puede iniciar sesión."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
