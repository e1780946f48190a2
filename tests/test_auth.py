"""Registration, login, logout, password change and the login rate limits."""

import logging
import socket

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, Municipality, User
from app.services import accounts
from tests.conftest import PASSWORD, links_in


def _ids(in_app):
    return in_app(
        lambda: (
            db.session.scalar(select(Municipality.id).where(Municipality.key == "cordoba")),
            db.session.scalar(select(Area.id).where(Area.key == "salud")),
        )
    )


def _form(municipality, area, **overrides):
    data = {
        "name": "Ana Pérez",
        "email": "Ana.Perez@Cordoba.gob.ar",
        "password": "clave-larga-1",
        "password2": "clave-larga-1",
        "municipality": str(municipality),
        "area": str(area),
        "gender": "woman",
        "consent": "y",
    }
    data.update(overrides)
    return data


def test_registration_creates_an_unverified_official_and_emails_a_verification_link(client, content, in_app, mailbox):
    municipality, area = _ids(in_app)
    response = client.post("/auth/register", data=_form(municipality, area))
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/check-email?reason=register")
    user = in_app(lambda: db.session.scalar(select(User)))
    assert user.email == "ana.perez@cordoba.gob.ar"
    assert user.role == "official" and user.gender == "woman" and user.consent_at is not None
    assert user.password_hash != "clave-larga-1"
    assert user.email_verified_at is None
    assert [m["To"] for m in mailbox] == ["ana.perez@cordoba.gob.ar"]
    link = next(link for link in links_in(mailbox[0]) if "/auth/verify/" in link)
    # an unverified account can sign in
    assert client.post("/auth/login", data={"email": user.email, "password": "clave-larga-1"}).status_code == 302
    assert client.get("/modules").status_code == 200
    assert client.get(link.replace("http://localhost", "")).status_code == 302
    assert in_app(lambda: accounts.email_verified(db.session.get(User, user.id)))
    assert client.get(link.replace("http://localhost", "")).status_code == 400, "the link works once"


def test_registration_errors_are_listed_and_input_is_kept(client, content, in_app):
    municipality, area = _ids(in_app)
    data = _form(municipality, area, email="no-es-un-correo", password="corta", password2="otra", consent="")
    data.pop("consent")
    data.pop("gender")
    response = client.post("/auth/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hay un problema" in html
    assert 'href="#email"' in html and 'href="#consent"' in html and 'href="#gender-0"' in html
    assert "La contraseña debe tener al menos 10 caracteres." in html
    assert 'value="no-es-un-correo"' in html and 'value="Ana Pérez"' in html
    assert in_app(lambda: db.session.scalar(select(func.count(User.id)))) == 0


def test_registration_rejects_unknown_municipality_and_duplicate_email(client, content, in_app, make_user):
    municipality, area = _ids(in_app)
    response = client.post("/auth/register", data=_form(99999, area))
    assert "Elija su municipio de la lista." in response.get_data(
        as_text=True
    ) or "Not a valid choice" in response.get_data(as_text=True)
    assert in_app(lambda: db.session.scalar(select(func.count(User.id)))) == 0


def test_registration_with_an_existing_address_answers_the_same_and_emails_its_owner(
    client, content, in_app, make_user, mailbox
):
    municipality, area = _ids(in_app)
    make_user(email="ana.perez@cordoba.gob.ar")
    existing = client.post("/auth/register", data=_form(municipality, area))
    new = client.post("/auth/register", data=_form(municipality, area, email="nueva@cordoba.gob.ar"))
    assert existing.status_code == new.status_code == 302
    assert existing.headers["Location"] == new.headers["Location"]
    assert "Ya existe" not in client.get(existing.headers["Location"]).get_data(as_text=True)
    assert in_app(lambda: db.session.scalar(select(func.count(User.id)))) == 2
    assert [m["To"] for m in mailbox] == ["ana.perez@cordoba.gob.ar", "nueva@cordoba.gob.ar"]
    assert "ya tiene una" in mailbox[0].get_content()


def test_login_and_logout(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/my-progress").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    response = client.get("/my-progress")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_and_deactivated_account_cannot_log_in(client, make_user, in_app):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": "incorrecta"})
    assert "El correo o la contraseña no son correctos." in response.get_data(as_text=True)
    in_app(lambda: setattr(db.session.get(User, user.id), "active", False))
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_login_does_not_redirect_off_site(client, make_user):
    user = make_user()
    response = client.post("/auth/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/modules"
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/my-progress", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/my-progress"


def test_change_password(client, make_user, login, in_app):
    user = login(make_user())
    response = client.post(
        "/auth/password", data={"current": "mal", "password": "nueva-clave-99", "password2": "nueva-clave-99"}
    )
    assert "La contraseña actual no es correcta." in response.get_data(as_text=True)
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "password": "nueva-clave-99", "password2": "nueva-clave-99"}
    )
    assert response.status_code == 302
    assert in_app(lambda: db.session.get(User, user.id).check_password("nueva-clave-99"))


def test_logout_requires_post(client, make_user, login):
    login(make_user())
    assert client.get("/auth/logout").status_code == 405


@pytest.fixture
def limited_app(make_app):
    """An app with rate limits on (in memory); the shared limiter is reset and switched off afterwards."""
    from app.extensions import limiter

    def make(**overrides):
        return make_app(RATELIMIT_ENABLED=True, **overrides)

    yield make
    limiter.reset()
    limiter.enabled = False


def test_failed_logins_are_limited_per_client_address(make_user, limited_app):
    user = make_user()
    client = limited_app(LOGIN_RATE_LIMIT="10 per minute", LOGIN_ACCOUNT_RATE_LIMIT="100 per minute").test_client()
    codes = [
        client.post("/auth/login", data={"email": f"x{i}@example.org", "password": "mal"}).status_code
        for i in range(11)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    response = client.post("/auth/login", data={"email": user.email, "password": "mal"})
    assert "Demasiados intentos" in response.get_data(as_text=True)


def test_failed_logins_are_limited_per_account_from_any_address(make_user, limited_app):
    user = make_user()
    app = limited_app(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="5 per minute")
    codes = [
        app.test_client()
        .post(
            "/auth/login",
            data={"email": user.email.upper(), "password": "mal"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        )
        .status_code
        for i in range(6)
    ]
    assert codes == [200] * 5 + [429]
    other = make_user()
    assert app.test_client().post("/auth/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_a_training_room_behind_one_address_can_all_sign_in(make_user, limited_app):
    people = [make_user() for _ in range(30)]
    app = limited_app(LOGIN_RATE_LIMIT="10 per minute")
    codes = [
        app.test_client().post("/auth/login", data={"email": p.email, "password": PASSWORD}).status_code for p in people
    ]
    assert codes == [302] * 30


def test_registrations_and_reset_requests_are_limited_per_email_address(content, in_app, limited_app, mailbox):
    municipality, area = _ids(in_app)
    app = limited_app(EMAIL_RATE_LIMIT="2 per hour", EMAIL_CLIENT_RATE_LIMIT="100 per hour")
    codes = [
        app.test_client()
        .post(
            "/auth/register",
            data=_form(municipality, area, email="ana@example.org"),
            environ_base={"REMOTE_ADDR": f"10.0.1.{i}"},
        )
        .status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]
    assert len(mailbox) == 2, "the address got two emails, not three"
    other = app.test_client().post("/auth/register", data=_form(municipality, area, email="otra@example.org"))
    assert other.status_code == 302, "another address is not affected"
    codes = [
        app.test_client()
        .post("/auth/forgot", data={"email": "ANA@example.org"}, environ_base={"REMOTE_ADDR": f"10.0.2.{i}"})
        .status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_logins_keep_working_with_a_warning_when_redis_is_unreachable(make_user, limited_app, caplog):
    user = make_user()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = limited_app(RATELIMIT_STORAGE_URI=f"fallback+redis://127.0.0.1:{port}/0", LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="app.ratelimit"):
        assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert any("unreachable" in record.getMessage() for record in caplog.records)
    client.post("/auth/logout")
    codes = [client.post("/auth/login", data={"email": user.email, "password": "mal"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429], "the limit still holds, in memory"


def test_forms_are_protected_by_csrf(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/auth/login", data={"email": "x@example.org", "password": "whatever"})
    assert response.status_code == 400
    assert "no se guardó ningún cambio" in response.get_data(as_text=True)


def test_login_limit_is_kept_in_redis_when_configured(make_user, make_app):
    """With REDIS_URL the counts live in Redis, so every worker and host shares one limit."""
    import redis

    from app.extensions import limiter

    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    client.flushdb()
    user = make_user()
    limited = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        RATELIMIT_STORAGE_URI="fallback+redis://127.0.0.1:6379/15",
    )
    try:
        web = limited.test_client()
        codes = [web.post("/auth/login", data={"email": user.email, "password": "mal"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert any(b"login" in key for key in client.keys("*")), "the counter is stored in Redis"
    finally:
        limiter.enabled = False
        client.flushdb()


def test_users_create_command_makes_the_first_iom_officer(app, content, in_app):
    from app.models import User as Account

    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Jefa@IOM.int",
            "--name",
            "Jefa OIM",
            "--role",
            "iom_officer",
            "--password",
            "una-clave-muy-larga",
        ]
    )
    assert result.exit_code == 0, result.output
    user = in_app(lambda: db.session.scalar(select(Account).where(Account.email == "jefa@iom.int")))
    assert user.role == "iom_officer" and user.check_password("una-clave-muy-larga")
    again = runner.invoke(
        args=["users", "create", "--email", "jefa@iom.int", "--name", "Otra", "--password", "una-clave-muy-larga"]
    )
    assert again.exit_code != 0 and "email_taken" in again.output
    unknown = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@iom.int",
            "--name",
            "X",
            "--municipality",
            "atlantis",
            "--password",
            "una-clave-muy-larga",
        ]
    )
    assert unknown.exit_code != 0 and "atlantis" in unknown.output
