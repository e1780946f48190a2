"""Configuration read from the environment (a `.env` file is honoured)."""

import os
import pathlib
from datetime import timedelta

from dotenv import load_dotenv

BASE_DIR = pathlib.Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _database_url(url: str | None, default: str) -> str:
    """Normalise a database URL so PostgreSQL always goes through psycopg 3."""
    url = url or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


# Keys that must never sign cookies outside development and tests (see app.security.check_secret_key).
DEVELOPMENT_SECRET_KEY = "dev-only-change-me"


class Config:
    """Settings for running the platform; every value can be overridden from the environment."""

    # production (default), development or test: only development and test may run without a real key.
    APP_ENV = os.environ.get("APP_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY") or (DEVELOPMENT_SECRET_KEY if APP_ENV == "development" else None)
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / 'migraciudades.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL pool per worker process (app/dbpool.py): a sync worker uses one connection at a time.
    DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", 2))
    DATABASE_MAX_OVERFLOW = int(os.environ.get("DATABASE_MAX_OVERFLOW", 3))
    # A pooled connection unused for longer than this is checked before use (instead of on every request).
    DATABASE_PING_AFTER_IDLE = float(os.environ.get("DATABASE_PING_AFTER_IDLE", 10))
    REDIS_URL = os.environ.get("REDIS_URL")
    # Monitoring figures are kept this many seconds, in Redis when configured (app/services/figures_cache.py);
    # 0 computes them on every view.
    FIGURES_CACHE_SECONDS = int(os.environ.get("FIGURES_CACHE_SECONDS", 60))
    # Redis down: every limit goes on in each worker's memory (a warning is logged) rather than failing
    # (app/ratelimit.py); without REDIS_URL the limits live in memory only.
    RATELIMIT_STORAGE_URI = ("fallback+" + REDIS_URL) if REDIS_URL else "memory://"
    RATELIMIT_ENABLED = True
    # Failed sign-ins per client address (successful ones are not counted, so a room behind one NAT
    # can sign in) and per account (the email typed).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute;20 per hour")
    # Registrations, reset and verification emails per email address, and per client address.
    EMAIL_RATE_LIMIT = os.environ.get("EMAIL_RATE_LIMIT", "3 per hour;10 per day")
    EMAIL_CLIENT_RATE_LIMIT = os.environ.get("EMAIL_CLIENT_RATE_LIMIT", "20 per hour")
    # How many proxies in front of the app set X-Forwarded-For / X-Forwarded-Proto (0: trust none).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))

    # Email: "smtp" sends through MAIL_SERVER; "console" prints messages to the log (development).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console" if APP_ENV == "development" else "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _flag("MAIL_USE_TLS")  # STARTTLS
    MAIL_USE_SSL = _flag("MAIL_USE_SSL")  # TLS from the first byte (port 465)
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 10))
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "MigraCiudades Campus <no-reply@localhost>")

    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(BASE_DIR / "content"))
    LANGUAGES = ("es", "en", "pt")
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "America/Argentina/Buenos_Aires")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    # Gender balance: women's share inside [low, high] percent is within parity; aggregates hide
    # any cell counting fewer people than MIN_GROUP_SIZE.
    PARITY_BAND_LOW = float(os.environ.get("PARITY_BAND_LOW", 40))
    PARITY_BAND_HIGH = float(os.environ.get("PARITY_BAND_HIGH", 60))
    MIN_GROUP_SIZE = int(os.environ.get("MIN_GROUP_SIZE", 5))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Uploaded files (the mayor's letter of intent) live outside the web root.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    LETTER_MAX_BYTES = int(os.environ.get("LETTER_MAX_BYTES", 5 * 1024 * 1024))
    # Certificates: the absolute address printed in QR codes and used for the credentials' https ids;
    # the Ed25519 key that signs Open Badges credentials (a PEM or JWK file, or the key itself in a
    # variable). Without a key, development makes one in instance/ and production refuses to issue.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    CREDENTIAL_KEY_FILE = os.environ.get("CREDENTIAL_KEY_FILE")
    CREDENTIAL_SIGNING_KEY = os.environ.get("CREDENTIAL_SIGNING_KEY")
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per hour")

    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_COOKIE_DAYS", 14)))
    # Seconds of grace given to a timed quiz submission that left the browser just before the deadline.
    QUIZ_SUBMIT_GRACE_SECONDS = 30


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, fast hashing, no rate limit by default."""

    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test"
    PUBLIC_BASE_URL = "https://campus.example.org"
    MAIL_BACKEND = "smtp"  # tests/conftest.py points it at an in-process SMTP server
    MAIL_SERVER = "127.0.0.1"
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"), "sqlite://"
    )
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    FIGURES_CACHE_SECONDS = 0  # the tests read live figures; tests/test_figures_cache.py turns it on
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
