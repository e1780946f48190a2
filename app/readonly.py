"""Learner pages that only read run without a transaction on PostgreSQL (issue 12).

A page in a transaction costs two extra round trips to PostgreSQL: BEGIN before its first statement
and ROLLBACK when the connection goes back to the pool. The learner's pages (catalogue, module, lesson,
my progress, the quiz and its review) read two to four statements, so those two round trips are a
fifth of their time. Views marked `@reads_only` run their GET requests on a connection in autocommit
mode: each SELECT is its own snapshot, which is all a page of independent reads needs.

Writing stays transactional. A marked view that must write (the first view of a lesson, an attempt
whose time ran out) calls `begin_writing()` first: that ends the read-only connection, and the next
statement opens an ordinary transaction, committed or rolled back as in any other view. A write
without it is refused (an engine hook raises before the statement reaches the database), so no write
can ever run statement by statement; so is a row lock (SELECT ... FOR UPDATE), which would be released
at once. SQLite (tests, development) has no round trips to save: nothing
changes there. The "last seen" note written after the view rolls back first, so it runs in its own
transaction as before.
"""

from __future__ import annotations

from flask import g, request
from sqlalchemy import event

from app.extensions import db

READ_METHODS = ("GET", "HEAD")
MARK = "_reads_only"
OPTION = "campus_reads_only"  # on the request's connection; other autocommit work (migrations) is not guarded


class WriteWhileReadingOnly(RuntimeError):
    """A statement other than a read on a read-only connection (`begin_writing()` was not called)."""


def reads_only(view):
    """Mark a view whose GET requests only read (or call `begin_writing()` before they write)."""
    setattr(view, MARK, True)
    return view


def begin_writing() -> None:
    """Leave the read-only connection: the next statement opens a transaction."""
    if g.pop("reading_only", False):
        db.session.commit()  # on an autocommit connection this sends nothing; it releases the connection


def init_app(app) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return

    def start_reading_only():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if request.method in READ_METHODS and getattr(view, MARK, False):
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT", OPTION: True})
            g.reading_only = True

    # first of all the request hooks: the signed-in account is loaded by the next ones
    app.before_request_funcs.setdefault(None, []).insert(0, start_reading_only)

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_writes(conn, cursor, statement, parameters, context, executemany):
        if conn.get_execution_options().get(OPTION):
            # a write, or a row lock (released at once without a transaction: it would protect nothing)
            if statement.lstrip()[:6].upper() != "SELECT" or " FOR UPDATE" in statement.upper():
                raise WriteWhileReadingOnly(f"a write or lock on a read-only request: {statement[:60]}")
