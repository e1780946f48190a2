"""Statements of the busiest requests, built and compiled once per process and database dialect (issue 12).

SQLAlchemy keeps compiled SQL in a cache, but it still builds the statement's cache key on every
execution, and a statement run through the ORM session adds the ORM's own set-up and, for an entity,
the objects it loads. Measured on PostgreSQL (docs/performance.md, fifth pass) that is 0.2-0.7 ms a
statement, where the round trip itself costs 0.1-0.35 ms; the learner's pages run two to four
statements, so on every signed-in request it is a tenth of the server's time or more.

`execute` runs a statement that a builder function returns, compiled once per dialect, as a Core
statement on the session's connection, in the session's transaction (or on the read-only connection of
app.readonly). The session is flushed first, as its autoflush would before any query, so a read sees
what the request changed through the ORM. Rows come back as Core rows (results typed as usual).
SQLAlchemy keeps no compiled form of an INSERT ... ON CONFLICT at all: those come compiled from here too
(app.services.summaries, app.services.progress).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy.engine import Compiled, CursorResult
from sqlalchemy.sql import Executable

from app.extensions import db


@lru_cache(maxsize=64)
def compiled(build: Callable[..., Executable], dialect, *args) -> Compiled:
    """The statement `build(*args)` returns, compiled for `dialect` (built and compiled once each).

    `build` is a module-level function and `args` a few plain values (which variant of the statement),
    never data: every value a request supplies is a bound parameter."""
    return build(*args).compile(dialect=dialect)


def execute(build: Callable[..., Executable], params: dict, *args) -> CursorResult:
    """Run `build(*args)`'s statement, compiled once, with `params` on the session's connection."""
    session = db.session
    session.flush()  # what autoflush does before a query (nothing pending: no statement, no cost)
    connection = session.connection()
    return connection.execute(compiled(build, connection.dialect, *args), params)
