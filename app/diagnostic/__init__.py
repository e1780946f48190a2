"""The municipality's diagnostic, its workshops, priorities and work plan (within a cycle)."""

from flask import Blueprint

bp = Blueprint("diagnostic", __name__)

from app.diagnostic import routes  # noqa: E402,F401
