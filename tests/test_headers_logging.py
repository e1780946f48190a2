"""Security headers, no caching of personal pages, one log line per request with a request id,
tracebacks to the log only, and an actor in every audit event."""

import logging

import pytest

from app.extensions import db
from app.services import admin as admin_service

STRONG_KEY = "a-production-key-of-sufficient-length-0123456789"


def test_pages_carry_permissions_policy_and_are_never_cached(client, make_user, login):
    response = client.get("/")
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    login(make_user(role="iom_officer", municipality=None))
    export = client.get("/monitoring/?format=csv")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    assert client.get("/monitoring/officials/1").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/campus.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_hsts_only_in_production(make_app):
    production = make_app(APP_ENV="production", SECRET_KEY=STRONG_KEY).test_client()
    assert "max-age=" in production.get("/").headers["Strict-Transport-Security"]
    development = make_app(APP_ENV="development").test_client()
    assert "Strict-Transport-Security" not in development.get("/").headers


def test_every_request_logs_one_line_with_its_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.request"):
        response = client.get("/privacy", headers={"X-Request-ID": "abc-123"})
        other = client.get("/")
    lines = [r for r in caplog.records if r.name == "app.request"]
    assert len(lines) == 2
    assert response.headers["X-Request-ID"] == "abc-123" and lines[0].request_id == "abc-123"
    assert "GET /privacy 200" in lines[0].getMessage()
    assert len(other.headers["X-Request-ID"]) == 32 and lines[1].request_id == other.headers["X-Request-ID"]
    weird = client.get("/", headers={"X-Request-ID": "bad id <script>"})
    assert weird.headers["X-Request-ID"] != "bad id <script>"


def test_errors_go_to_the_log_with_their_traceback_never_to_the_client(make_app, caplog):
    broken = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @broken.get("/_boom")
    def boom():
        raise RuntimeError("secret detail of the failure")

    with caplog.at_level(logging.ERROR):
        response = broken.test_client().get("/_boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret detail" not in body and "Traceback" not in body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert errors and "secret detail" in str(errors[0].exc_info[1])


def test_an_audit_event_without_an_actor_is_refused(session):
    with pytest.raises(ValueError):
        admin_service.record(None, "account_deactivated")
    assert not db.session.new
