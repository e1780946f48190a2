"""Secrets and sessions: the secret key check, revocable sessions and remember-me cookies, reset and
verification tokens that carry nothing about the account, forgot-password by email, equal timing."""

import base64
import json
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import bindparam, select

from app import create_app
from app.extensions import db
from app.models import AccountToken, User
from app.security import InsecureConfiguration, check_secret_key
from app.services import accounts
from config import Config
from tests.conftest import PASSWORD, links_in

REMEMBER = "remember_token"


@pytest.mark.parametrize("key", [None, "", "dev-only-change-me", "test", "short-but-not-default"])
def test_production_refuses_to_start_with_a_missing_default_or_short_secret_key(key):
    with pytest.raises(InsecureConfiguration, match="secrets.token_urlsafe"):
        check_secret_key({"APP_ENV": "production", "SECRET_KEY": key})


def test_create_app_refuses_a_default_key_outside_development():
    config = type("Production", (Config,), {"APP_ENV": "production", "SECRET_KEY": "dev-only-change-me"})
    with pytest.raises(InsecureConfiguration):
        create_app(config)


def test_a_long_random_key_and_development_without_a_key_are_accepted():
    check_secret_key({"APP_ENV": "production", "SECRET_KEY": "k" * 12 + "9f8a7b6c5d4e3f2a1b0c9d8e7f6a"})
    check_secret_key({"APP_ENV": "development", "SECRET_KEY": "dev-only-change-me"})
    check_secret_key({"APP_ENV": "test", "SECRET_KEY": "test"})


def _copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain)


def test_a_copied_session_cookie_stops_working_after_logout(app, client, make_user, login):
    login(make_user())
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert thief.get("/my-progress").status_code == 200
    client.post("/auth/logout")
    response = thief.get("/my-progress")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def _remember_login(client, user):
    response = client.post("/auth/login", data={"email": user.email, "password": user.password, "remember": "y"})
    assert response.status_code == 302
    return client.get_cookie(REMEMBER).value, response


def _with_only_remember_cookie(app, value):
    other = app.test_client()
    other.set_cookie(REMEMBER, value)
    return other


def test_remember_me_cookie_is_http_only_lax_short_lived_and_secure_when_configured(make_app, make_user):
    user = make_user()
    client = make_app(REMEMBER_COOKIE_SECURE=True).test_client()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}, base_url="https://localhost"
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER + "="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    expires = parsedate_to_datetime(
        next(part.split("=", 1)[1] for part in header.split("; ") if part.startswith("Expires="))
    )
    assert expires - datetime.now(timezone.utc) <= timedelta(days=14, minutes=1)


def test_remember_me_cookie_stops_working_after_logout(app, client, make_user):
    user = make_user()
    remembered, _ = _remember_login(client, user)
    assert _with_only_remember_cookie(app, remembered).get("/my-progress").status_code == 200
    client.post("/auth/logout")
    assert _with_only_remember_cookie(app, remembered).get("/my-progress").status_code == 302


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, make_user):
    user = make_user()
    elsewhere = app.test_client()
    remembered, _ = _remember_login(elsewhere, user)
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "password": "nueva-clave-99", "password2": "nueva-clave-99"}
    )
    assert response.status_code == 302
    assert client.get("/my-progress").status_code == 200, "the device that changed it stays signed in"
    assert elsewhere.get("/my-progress").status_code == 302
    assert _with_only_remember_cookie(app, remembered).get("/my-progress").status_code == 302


def test_deactivation_ends_every_session_of_the_account(app, client, make_user, login):
    person = make_user()
    theirs = app.test_client()
    remembered, _ = _remember_login(theirs, person)
    login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    client.post(f"/admin/users/{person.id}", data={"action": "deactivate"})
    assert theirs.get("/my-progress").status_code == 302
    client.post(f"/admin/users/{person.id}", data={"action": "reactivate"})
    assert theirs.get("/my-progress").status_code == 302, "reactivation does not bring old sessions back"
    assert _with_only_remember_cookie(app, remembered).get("/my-progress").status_code == 302


def test_cookies_in_the_old_format_holding_only_a_user_id_are_refused(in_app, make_user):
    user = make_user()
    assert in_app(lambda: accounts.user_for_session(str(user.id))) is None
    assert in_app(lambda: accounts.user_for_session(f"{user.id}:wrong")) is None
    assert in_app(lambda: accounts.user_for_session("99999999999999999999:x")) is None
    token = in_app(lambda: db.session.get(User, user.id).session_token)
    assert in_app(lambda: accounts.user_for_session(f"{user.id}:{token}")).id == user.id


def _forgot(client, email):
    return client.post("/auth/forgot", data={"email": email})


def _payload(token: str):
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_forgot_password_emails_a_single_use_link_that_carries_no_account_data(app, client, make_user, in_app, mailbox):
    user = make_user(email="ana@example.org")
    assert "/auth/forgot" in client.get("/auth/login").get_data(as_text=True)
    response = _forgot(client, "ANA@example.org")
    assert response.status_code == 302
    link = next(link for link in links_in(mailbox[0]) if "/auth/reset/" in link)
    token = link.rsplit("/", 1)[1]
    payload = _payload(token)
    stored = in_app(lambda: db.session.get(User, user.id))
    keys = in_app(lambda: db.session.scalars(select(AccountToken.key)).all())
    assert payload in keys, "the link carries only the random key of the token row (no id, no hash)"
    assert stored.password_hash[-12:] not in token
    path = link.replace("http://localhost", "")
    assert client.post(path, data={"password": "clave-nueva-123", "password2": "clave-nueva-123"}).status_code == 302
    assert in_app(lambda: db.session.get(User, user.id).check_password("clave-nueva-123"))
    assert client.get(path).status_code == 400


def test_forgot_password_answers_the_same_for_unknown_addresses(client, make_user, mailbox):
    make_user(email="ana@example.org")
    known = _forgot(client, "ana@example.org")
    unknown = _forgot(client, "nadie@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in mailbox] == ["ana@example.org", "nadie@example.org"]
    assert not any("/auth/reset/" in link for link in links_in(mailbox[1]))


def test_reset_links_expire_after_72_hours_and_are_bound_to_their_purpose(app, client, make_user, in_app, mailbox):
    user = make_user()
    verify = in_app(lambda: accounts.issue_token(db.session.get(User, user.id), "email_verification"))
    assert client.get(f"/auth/reset/{verify}").status_code == 400, "a verification token is no reset token"
    _forgot(client, user.email)
    path = next(link for link in links_in(mailbox[0]) if "/auth/reset/" in link).replace("http://localhost", "")
    assert client.get(path).status_code == 200

    def age_tokens():
        for row in db.session.scalars(select(AccountToken)):
            row.created_at = row.created_at - timedelta(hours=73)

    in_app(age_tokens)
    assert client.get(path).status_code == 400


def test_a_new_password_cancels_outstanding_reset_links(client, make_user, login, mailbox):
    user = make_user()
    _forgot(client, user.email)
    path = next(link for link in links_in(mailbox[0]) if "/auth/reset/" in link).replace("http://localhost", "")
    login(user)
    client.post(
        "/auth/password", data={"current": PASSWORD, "password": "nueva-clave-99", "password2": "nueva-clave-99"}
    )
    client.post("/auth/logout")
    assert client.get(path).status_code == 400


def test_unknown_emails_cost_one_password_check_like_known_ones(make_user, in_app, monkeypatch):
    user = make_user()
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    monkeypatch.setattr("app.models.people.check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert in_app(lambda: accounts.authenticate("nadie@example.org", "x")) is None
    assert in_app(lambda: accounts.authenticate(user.email, "x")) is None
    assert len(calls) == 2
    assert calls[0].split("$")[0] == calls[1].split("$")[0], "the same hashing method and cost"


def test_unverified_accounts_are_flagged_to_coordinators_and_can_verify_again(
    app, client, make_user, login, in_app, mailbox
):
    person = make_user(name="Sin Confirmar", verified=False)
    assert in_app(lambda: accounts.email_verified(db.session.get(User, person.id))) is False
    staff = app.test_client()
    staff.post(
        "/auth/login", data={"email": make_user(role="iom_officer", municipality=None).email, "password": PASSWORD}
    )
    assert "correo sin confirmar" in staff.get("/admin/users").get_data(as_text=True)
    assert "sin confirmar" in staff.get(f"/monitoring/officials/{person.id}").get_data(as_text=True)
    login(person)
    assert "sin confirmar" in client.get("/auth/settings").get_data(as_text=True)
    client.post("/auth/verify")
    link = next(link for link in links_in(mailbox[-1]) if "/auth/verify/" in link)
    client.get(link.replace("http://localhost", ""))
    assert in_app(lambda: accounts.email_verified(db.session.get(User, person.id))) is True


def test_client_address_comes_from_x_forwarded_for_only_through_configured_proxies(make_app):
    from flask import request

    def remote_of(app, headers):
        @app.get("/_remote")
        def remote():
            return request.remote_addr

        return (
            app.test_client()
            .get("/_remote", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
            .get_data(as_text=True)
        )

    forwarded = {"X-Forwarded-For": "203.0.113.7, 198.51.100.2"}
    assert remote_of(make_app(TRUSTED_PROXIES=0), forwarded) == "10.0.0.1"
    assert remote_of(make_app(TRUSTED_PROXIES=1), forwarded) == "198.51.100.2"
    assert remote_of(make_app(TRUSTED_PROXIES=2), forwarded) == "203.0.113.7"


def test_the_signed_in_account_is_read_once_and_behaves_as_an_orm_loaded_one(app, make_user):
    """The loader builds the account from one compiled read (issue 12): it is the session's persistent
    User with nothing pending, every column as stored; a change to it is saved by a commit; a session
    that already holds the account gets that object back; a wrong token or unknown id gets nobody."""
    from sqlalchemy import inspect

    from app.services.signed_in import load_user

    made = make_user(name="Ana Quispe", gender="woman", locale="pt")
    with app.test_request_context():
        stored = db.session.get(User, made.id)
        expected = {c.key: getattr(stored, c.key) for c in inspect(User).column_attrs}
        token = stored.session_token
        db.session.expunge_all()

        user = load_user(f"{made.id}:{token}")
        state = inspect(user)
        assert state.persistent and not state.modified and user in db.session
        assert {c.key: getattr(user, c.key) for c in inspect(User).column_attrs} == expected
        assert not db.session.dirty and not db.session.new
        assert db.session.get(User, made.id) is user  # the identity map holds it: no second read
        assert load_user(f"{made.id}:{token}") is user  # a session that holds it gets it back

        user.name = "Ana María Quispe"
        db.session.commit()
        assert user.name == "Ana María Quispe"  # expired by the commit, reloaded
        assert load_user(f"{made.id}:wrong-token") is None
        assert load_user(f"{made.id + 1000}:{token}") is None
    with app.app_context():
        assert db.session.get(User, made.id).name == "Ana María Quispe"


def test_compiled_reads_see_what_the_request_changed_through_the_orm(app, make_user):
    """A statement run compiled once (app.services.compiled) flushes the session first, as a query's
    autoflush would: it reads the request's own pending changes."""
    from app.services import compiled

    made = make_user(name="Antes")

    def by_id():
        return select(User.name).where(User.id == bindparam("user_id"))

    with app.app_context():
        db.session.get(User, made.id).name = "Después"
        assert compiled.execute(by_id, {"user_id": made.id}).scalar() == "Después"
        db.session.rollback()
        assert compiled.execute(by_id, {"user_id": made.id}).scalar() == "Antes"
