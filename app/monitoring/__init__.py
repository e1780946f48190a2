"""Monitoring: progress and gender balance by municipality, module and area, with exports."""
from flask import Blueprint

bp = Blueprint("monitoring", __name__)

from app.monitoring import routes  # noqa: E402,F401
