"""The database connection pool: sized for the worker model, and a liveness check only where it pays.

SQLAlchemy's `pool_pre_ping` costs a round trip to PostgreSQL on every request. A connection that
came back to the pool moments ago is alive; one that sat idle may have been closed by a database
restart, a failover or an idle timeout. So a connection is checked on checkout only after
DATABASE_PING_AFTER_IDLE seconds unused; a dead one is replaced before the request uses it
(SQLAlchemy's documented "pessimistic" handling, applied to idle connections only).
"""

from __future__ import annotations

import time

from sqlalchemy import event, exc


def engine_options(config) -> dict:
    """Engine options for the configured database (PostgreSQL: pool size and overflow from the config)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.pop("pool_pre_ping", None)  # replaced by the idle check below
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.setdefault("pool_size", config.get("DATABASE_POOL_SIZE", 2))
        options.setdefault("max_overflow", config.get("DATABASE_MAX_OVERFLOW", 3))
    return options


def install_idle_check(engine, idle_seconds: float) -> None:
    """Check a pooled connection on checkout when it has been idle longer than `idle_seconds`."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check_if_idle(dbapi_connection, record, proxy):
        returned = record.info.get("checked_in_at")
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new (just connected) or used moments ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # noqa: BLE001 (any failure means: this connection is gone)
            raise exc.DisconnectionError() from error
