"""What `make load` serves under gunicorn: the campus as configured by the environment, with a bare
Flask "hello" mounted at /__hello in the same process, so both run under the same gunicorn workers.

Only the rate limits are off (every simulated learner signs in from 127.0.0.1, which the per-address
login limit would refuse after ten); CSRF, sessions, logging and everything else are as deployed.
"""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app
from app.gc_tuning import freeze_startup_objects
from config import Config


class LoadConfig(Config):
    RATELIMIT_ENABLED = False


hello = Flask("hello")


@hello.get("/")
def say_hello():
    return "Hello, World!"


campus = create_app(LoadConfig)
freeze_startup_objects()  # as wsgi.py does in production
app = DispatcherMiddleware(campus, {"/__hello": hello})
