"""Administration: people, roles, coordinator scope, focal points, municipalities, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401
