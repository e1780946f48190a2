"""The municipal cycle: cycles, each municipality's cycle page, designations and the application."""

from flask import Blueprint

bp = Blueprint("municipal", __name__)

from app.municipal import routes  # noqa: E402,F401
