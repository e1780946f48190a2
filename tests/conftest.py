"""Fixtures: app -> database -> client -> login, and factories returning callables.

Client tests never hold an application context across requests (Flask would reuse it and leak
`g`, hence the logged-in user, between requests); they use `in_app` for setup and checks.
Service tests use `session`, which holds one context for the whole test.
"""

from __future__ import annotations

import email
import email.policy
import os
import pathlib
import re
import socket
from types import SimpleNamespace

import pytest
from hypothesis import settings
from flask_migrate import upgrade
from sqlalchemy import select, text

from app import create_app
from app.services.cycles import today as utc_today
from app.credentials import keys
from app.extensions import db
from app.models import Area, Municipality
from app.services.accounts import create_user
from app.services.cycles import FOCAL, SUBSTITUTE, admit, create_cycle, current_cycle, designate
from app.services.content import load_content, sync_content
from config import TestConfig

# Property-based tests draw the same examples on every run (CI time stays predictable, failures
# reproduce); set HYPOTHESIS_PROFILE=explore locally to draw new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

FIXTURE_CONTENT = pathlib.Path(__file__).parent / "fixtures" / "content"
PASSWORD = "una-clave-segura"


class FixtureConfig(TestConfig):
    CONTENT_DIR = str(FIXTURE_CONTENT)
    CREDENTIAL_SIGNING_KEY = keys.to_pem(keys.generate())  # a fresh key for each test run


def _reset_schema() -> None:
    """Drop everything, then build the schema through the Alembic migrations (not create_all)."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(directory=str(pathlib.Path(__file__).parent.parent / "migrations"))


class _SMTPHandler:
    """Keeps every message the in-process SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port for the whole run; the app sends to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _SMTPHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield SimpleNamespace(port=port, handler=handler)
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    """The messages received during this test (email.message.EmailMessage objects), oldest first."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


def links_in(message) -> list[str]:
    """The http(s) links in a received message's text."""
    return re.findall(r"https?://\S+", message.get_content())


@pytest.fixture(scope="session")
def app(tmp_path_factory, smtp_server):
    """One app for the whole run, on a schema built by the migrations."""
    FixtureConfig.MAIL_PORT = smtp_server.port
    if FixtureConfig.SQLALCHEMY_DATABASE_URI == "sqlite://":
        # A file, not memory, so that extra apps made by a test see the same database.
        FixtureConfig.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    FixtureConfig.UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))
    application = create_app(FixtureConfig)
    with application.app_context():
        _reset_schema()
    yield application
    _dispose(application)


def _dispose(application) -> None:
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(app):
    """Factory: another app on the same test database, with some settings changed."""
    made = []

    def make(**overrides):
        made.append(create_app(type("OverrideConfig", (FixtureConfig,), overrides)))
        return made[-1]

    yield make
    for other in made:
        _dispose(other)


@pytest.fixture(autouse=True)
def _clean_tables(app):
    """Every test starts from empty tables."""
    yield
    with app.app_context():
        db.session.rollback()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                db.session.execute(text(f'DELETE FROM "{table}"'))
        db.session.commit()


@pytest.fixture
def in_app(app):
    """Run a function inside a short application context and return its result."""

    def run(fn, *args, **kwargs):
        with app.app_context():
            db.session().expire_on_commit = False  # returned objects stay readable after the context
            result = fn(*args, **kwargs)
            db.session.commit()
            return result

    return run


@pytest.fixture
def session(app):
    """A database session inside one application context for the whole test (service tests)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def content(app):
    """The small fixture content, synced."""
    with app.app_context():
        bundle, report = load_content(FIXTURE_CONTENT)
        assert not report.errors, report.errors
        sync_content(bundle)
        db.session.commit()
    return bundle


@pytest.fixture
def make_user(app, content):
    """Factory: create an account (committed) and return its id, email and password."""
    counter = {"n": 0}

    def make(
        role="official",
        municipality="cordoba",
        area="salud",
        gender="woman",
        is_focal_point=False,
        substitute=False,
        **kwargs,
    ):
        counter["n"] += 1
        with app.app_context():
            m = (
                db.session.scalar(select(Municipality).where(Municipality.key == municipality))
                if municipality
                else None
            )
            a = db.session.scalar(select(Area).where(Area.key == area)) if area else None
            user = create_user(
                name=kwargs.pop("name", f"Persona {counter['n']}"),
                email=kwargs.pop("email", f"persona{counter['n']}@example.org"),
                password=PASSWORD,
                role=role,
                municipality_id=m.id if m else None,
                area_id=a.id if a else None,
                gender=gender,
                **kwargs,
            )
            if is_focal_point or substitute:
                mc = current_municipal_cycle(m)
                designate(fixture_officer(), mc, SUBSTITUTE if substitute else FOCAL, user)
            db.session.commit()
            return SimpleNamespace(id=user.id, email=user.email, password=PASSWORD)

    return make


def fixture_officer():
    """An IOM officer who acts in fixtures (every audit event names an actor)."""
    from app.models import User

    officer = db.session.scalar(select(User).where(User.email == "oim.fixtures@example.org"))
    if officer is None:
        officer = create_user(
            name="OIM (fixtures)",
            email="oim.fixtures@example.org",
            password=PASSWORD,
            role="iom_officer",
            gender="undisclosed",
        )
    return officer


def current_municipal_cycle(municipality, actor=None):
    """The municipality's record in the current cycle, opening this year's cycle and admitting it if needed."""
    from datetime import date

    actor = actor or fixture_officer()
    cycle = current_cycle()
    if cycle is None:
        year = utc_today().year
        cycle = create_cycle(actor, year=year, name=str(year), starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    return admit(actor, cycle, municipality)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Log the test client in as a user made by make_user."""

    def do(user):
        response = client.post("/auth/login", data={"email": user.email, "password": user.password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do


def csrf_token_from(html: str) -> str:
    """The CSRF token embedded in a rendered form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf token in page"
    return match.group(1)


def submit_attempt(client, attempt_id: int, data: dict | None = None):
    """Submit an attempt as the pages do: save the answers through 'review', then confirm on the review
    page. Returns the response of the confirmation."""
    if data:
        client.post(f"/attempts/{attempt_id}", data={**data, "action": "review"})
    return client.post(f"/attempts/{attempt_id}/submit")
