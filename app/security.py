"""What every request goes through: the secret key check, trusted proxies, input hygiene, security
headers, and one log line per request with a request id."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, abort, g, has_request_context, request
from sqlalchemy import inspect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import DEVELOPMENT_SECRET_KEY

MIN_SECRET_KEY_LENGTH = 32
WEAK_SECRET_KEYS = {DEVELOPMENT_SECRET_KEY, "test", "secret", "changeme", "change-me", "dev", "development"}
# The largest id a route accepts: the database's 32-bit integer (a larger one is simply "not found").
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000  # beyond any real list; keeps OFFSET within the database's range
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

access_log = logging.getLogger("app.request")


def bounded_int_arg(name: str, default: int | None = None, maximum: int = MAX_ID) -> int | None:
    """A query-string integer made of ASCII digits within 1..maximum; anything else gives `default`."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return default
    value = int(raw)
    return value if 1 <= value <= maximum else default


class InsecureConfiguration(RuntimeError):
    """The app refuses to start with settings that would make it unsafe."""


def check_secret_key(config) -> None:
    """Refuse to start outside development and tests without a long, non-default SECRET_KEY."""
    if config.get("APP_ENV") in ("development", "test"):
        return
    key = config.get("SECRET_KEY")
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    problem = None
    if not key:
        problem = "SECRET_KEY is not set"
    elif key.strip().lower() in WEAK_SECRET_KEYS:
        problem = "SECRET_KEY is a known default value"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if problem:
        raise InsecureConfiguration(
            f"{problem} (APP_ENV={config.get('APP_ENV')}). It signs sessions, remember-me cookies and email "
            "links, so anyone who knows it can sign in as anyone. Make one with\n"
            "    python -c 'import secrets; print(secrets.token_urlsafe(48))'\n"
            "and set it in the environment or in .env as SECRET_KEY=...; for local work only, set "
            "APP_ENV=development instead."
        )


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in routes: ids beyond the database's integer range are a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Bound integer route arguments (before any blueprint is registered)."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def install_proxy_fix(app: Flask) -> None:
    """Take the client address and scheme from X-Forwarded-* only through the configured proxies."""
    proxies = int(app.config.get("TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def _contains_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or '-') to every log record, so each line names its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    """One handler for the app's loggers: time, level, request id, logger, message (tracebacks included)."""
    root = logging.getLogger("app")
    if not any(getattr(h, "_campus", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._campus = True
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
        root.addHandler(handler)
        for name in ("flask-limiter", "app.mail"):
            logging.getLogger(name).addHandler(handler)
    level = app.config.get("LOG_LEVEL") or ("WARNING" if app.testing else "INFO")
    root.setLevel(level)
    # Flask's own logger (app.logger, named "app" after the package) logs unhandled exceptions with
    # their traceback; the client only ever sees the 500 page.


def register_request_hooks(app: Flask) -> None:
    """Request id, refusal of NUL bytes, security headers, no caching of pages, access log line."""

    @app.before_request
    def start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        # NUL cannot be stored in PostgreSQL text and is never meaningful in a path, a form or a query.
        if "\x00" in request.path:
            abort(404)
        if _contains_nul(request.args) or (
            request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _contains_nul(request.form)
        ):
            abort(400)

    @app.after_request
    def security_headers(response):
        """No framing, no sniffing, assets only from this site, HSTS in production, pages never cached."""
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if app.config.get("APP_ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages and exports may carry personal data: never kept by the browser or a shared cache.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("Pragma", "no-cache")
        headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def log_request(error=None):
        started = g.get("request_started")
        if started is None:
            return
        user_id = "-"
        user = g.get("_login_user")  # what Flask-Login loaded for this request, if anything
        # is_anonymous, not is_authenticated: the latter reads `active`, which a view's commit has expired
        if user is not None and not getattr(user, "is_anonymous", True):
            identity = inspect(user).identity  # read without touching the database
            user_id = str(identity[0]) if identity else "?"
        status = g.get("response_status", 500 if error else "-")
        access_log.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            status,
            (time.perf_counter() - started) * 1000,
            user_id,
        )

    @app.after_request
    def remember_status(response):
        g.response_status = response.status_code
        return response
