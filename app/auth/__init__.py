"""Accounts: registration, login, logout, password and personal settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
