"""Public verification: anyone holding a code checks a certificate; the credentials' https ids resolve here."""

from flask import Blueprint

bp = Blueprint("verify", __name__)

from app.verify import routes  # noqa: E402,F401
