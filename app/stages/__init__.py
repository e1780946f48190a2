"""Certification stages: a municipality's certification page, the programme table, IOM's awards and the log."""

from flask import Blueprint

bp = Blueprint("stages", __name__)

from app.stages import routes  # noqa: E402,F401
