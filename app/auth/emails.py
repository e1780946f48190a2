"""Account emails: composed here (they need links to the site) and sent through app.services.mail."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from app.models import User
from app.services.mail import send_template


def send_verification(user: User, token: str) -> bool:
    """The link that confirms a new account's address."""
    return send_template(
        user.email,
        user.locale,
        _l("Confirme su correo en el Campus MigraCiudades"),
        "verify",
        name=user.name,
        link=url_for("auth.verify_email", token=token, _external=True),
    )


def send_already_registered(user: User) -> bool:
    """Told to the owner of an address someone tried to register again (the page does not say it exists)."""
    return send_template(
        user.email,
        user.locale,
        _l("Intento de registro con su correo"),
        "registration_existing",
        name=user.name,
        login_link=url_for("auth.login", _external=True),
        forgot_link=url_for("auth.forgot_password", _external=True),
    )


def send_reset(user: User, token: str, *, by_staff: bool) -> bool:
    """The link to choose a new password."""
    return send_template(
        user.email,
        user.locale,
        _l("Elija una nueva contraseña para el Campus MigraCiudades"),
        "reset",
        name=user.name,
        by_staff=by_staff,
        link=url_for("auth.reset_password", token=token, _external=True),
    )


def send_reset_unknown(email: str, locale: str | None) -> bool:
    """Answer to a reset asked for an address with no account (so the page never tells which exist)."""
    return send_template(
        email,
        locale,
        _l("Pedido de cambio de contraseña"),
        "reset_unknown",
        register_link=url_for("auth.register", _external=True),
    )
