"""The connection pool checks a connection that sat idle before using it (app/dbpool.py), not on every
request: a connection PostgreSQL closed meanwhile is replaced instead of failing the request."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.extensions import db


def _backend_pid(application) -> int:
    with application.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.rollback()
        return pid


def _terminate(app, pid: int) -> None:
    with app.app_context():
        db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.commit()


@pytest.fixture
def postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("connections closed by the server: PostgreSQL only")


def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(app, make_app, postgresql_only):
    worker = make_app(DATABASE_PING_AFTER_IDLE=0.0)  # every returned connection counts as idle
    first = _backend_pid(worker)
    _terminate(app, first)
    assert _backend_pid(worker) != first  # a new connection, and no error


def test_a_connection_used_moments_ago_is_not_checked(app, make_app, postgresql_only):
    """The other side of the bargain (and proof the check above is what saves the request): within the
    idle allowance nothing is checked, so a connection killed meanwhile fails once."""
    worker = make_app(DATABASE_PING_AFTER_IDLE=3600.0)
    first = _backend_pid(worker)
    _terminate(app, first)
    with pytest.raises(OperationalError):
        _backend_pid(worker)
    assert _backend_pid(worker) != first  # the pool dropped the dead connection after the failure
