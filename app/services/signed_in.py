"""What every signed-in request reads first, in one statement: the account its session cookie names,
the content version (app.services.content_cache) and the id of the municipal cycle the person is focal
point or substitute of, for the header's "my municipality" link (app.services.cycles)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Date, bindparam, select

from app.extensions import db
from app.models import User
from app.services import content_cache
from app.services.accounts import parse_session_id, session_token_matches
from app.services.cycles import designation_id_sql, note_designation, today


@lru_cache(maxsize=1)
def _statement():
    """Built once per process (bound parameters: the user id and today's date)."""
    return select(
        User,
        content_cache.version_sql(),
        designation_id_sql(User.id, User.municipality_id, bindparam("today", type_=Date)),
    ).where(User.id == bindparam("user_id"))


def load_user(session_id: str) -> User | None:
    """The account named by a session or remember-me cookie while its token holds (Flask-Login's loader)."""
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, token = parsed
    row = db.session.execute(_statement(), {"user_id": user_id, "today": today()}).first()
    if row is None:
        return None
    user, version, designation_id = row
    content_cache.note_version(version)
    if not session_token_matches(user, token):
        return None
    note_designation(user, designation_id)
    return user
