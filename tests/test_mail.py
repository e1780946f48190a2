"""Email delivery: SMTP settings from configuration, a console backend, failures logged not shown."""

import logging
import socket

from app.services.mail import build_message, send


def test_messages_go_through_the_configured_smtp_server(app, mailbox):
    with app.test_request_context():
        assert send(build_message("ana@example.org", "Asunto con ñ", "Cuerpo con ñ"))
    assert len(mailbox) == 1
    assert mailbox[0]["Subject"] == "Asunto con ñ" and mailbox[0]["To"] == "ana@example.org"
    assert "Cuerpo con ñ" in mailbox[0].get_content()
    assert "MigraCiudades" in mailbox[0]["From"]


def test_the_console_backend_prints_instead_of_sending(make_app, mailbox, caplog):
    console = make_app(MAIL_BACKEND="console")
    with console.test_request_context(), caplog.at_level(logging.WARNING, logger="app.mail"):
        assert send(build_message("ana@example.org", "Hola", "Un enlace: http://localhost/x"))
    assert mailbox == []
    assert "http://localhost/x" in caplog.text and "ana@example.org" in caplog.text


def test_an_unreachable_smtp_server_is_logged_and_the_page_still_answers(make_app, content, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broken = make_app(MAIL_PORT=port, MAIL_TIMEOUT=2)
    with caplog.at_level(logging.ERROR, logger="app.mail"):
        response = broken.test_client().post("/auth/forgot", data={"email": "nadie@example.org"})
    assert response.status_code == 302
    assert "could not send email" in caplog.text
