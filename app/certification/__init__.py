"""Certificates for signed-in people: holders download theirs; IOM officers revoke and re-issue."""

from flask import Blueprint

bp = Blueprint("certification", __name__)

from app.certification import routes  # noqa: E402,F401
