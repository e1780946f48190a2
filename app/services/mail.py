"""Email: one function sends a plain-text message through SMTP (settings from configuration) or, in
development, prints it to the log ("console" backend)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger("app.mail")


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message from the configured sender."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].strip("> ") or None)
    message.set_content(body)
    return message


def send(message: EmailMessage) -> bool:
    """Deliver a message; False (and the error in the log, never to the user) when it could not be sent."""
    config = current_app.config
    backend = config.get("MAIL_BACKEND", "smtp")
    if backend == "console":
        log.warning(
            "email (console backend, not sent)\nFrom: %s\nTo: %s\nSubject: %s\n\n%s",
            message["From"],
            message["To"],
            message["Subject"],
            message.get_content(),
        )
        return True
    try:
        if config.get("MAIL_USE_SSL"):
            server = smtplib.SMTP_SSL(
                config["MAIL_SERVER"],
                config["MAIL_PORT"],
                timeout=config["MAIL_TIMEOUT"],
                context=ssl.create_default_context(),
            )
        else:
            server = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
        with server:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                server.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send email %r to %s", message["Subject"], message["To"])
        return False
    log.info("sent email %r to %s", message["Subject"], message["To"])
    return True


def send_template(to: str, locale: str | None, subject, template: str, **context) -> bool:
    """Render `email/<template>.txt` and its subject (a lazy gettext string) in the recipient's language."""
    with force_locale(locale or "es"):
        body = render_template(f"email/{template}.txt", **context)
        translated_subject = str(subject)
    return send(build_message(to, translated_subject, body))
