"""Configuration read from the environment (a `.env` file is honoured)."""
import os
import pathlib

from dotenv import load_dotenv

BASE_DIR = pathlib.Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _database_url(url: str | None, default: str) -> str:
    """Normalise a database URL so PostgreSQL always goes through psycopg 3."""
    url = url or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings for running the platform; every value can be overridden from the environment."""

    APP_ENV = os.environ.get("APP_ENV", "production")

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL"), f"sqlite:///{BASE_DIR / 'instance' / 'migraciudades.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")

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
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
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

    # Seconds of grace given to a timed quiz submission that left the browser just before the deadline.
    QUIZ_SUBMIT_GRACE_SECONDS = 30


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, fast hashing, no rate limit by default."""

    TESTING = True
    APP_ENV = "test"
    SECRET_KEY = "test"
    PUBLIC_BASE_URL = "https://campus.example.org"
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"), "sqlite://"
    )
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
