"""What `make load` serves under gunicorn: the campus as configured by the environment, with a bare
Flask "hello" mounted at /__hello in the same process, so both run under the same gunicorn workers.

Two floors are mounted in the campus itself, for the load run only: /__floor/signed answers "ok" to a
signed-in official (session, CSRF, Flask-Login's account read, the request hooks, no page) and
/__floor/layout renders the site's layout around an empty page for them. What a learner page costs
beyond the second is its own statements and content; the second is what no page can go below.

Only the rate limits are off (every simulated learner signs in from 127.0.0.1, which the per-address
login limit would refuse after ten); CSRF, sessions, logging and everything else are as deployed.
"""

from flask import Flask, render_template
from flask_login import login_required
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from app import create_app
from app.gc_tuning import freeze_startup_objects
from app.readonly import reads_only
from config import Config


class LoadConfig(Config):
    RATELIMIT_ENABLED = False


hello = Flask("hello")


@hello.get("/")
def say_hello():
    return "Hello, World!"


campus = create_app(LoadConfig)
EMPTY_PAGE = campus.jinja_env.from_string(
    '{% extends "base.html" %}{% block title %}Floor{% endblock %}{% block content %}<h1>Floor</h1>{% endblock %}'
)


@reads_only
@login_required
def signed_floor():
    return "ok"


@reads_only
@login_required
def layout_floor():
    return render_template(EMPTY_PAGE)


campus.add_url_rule("/__floor/signed", "bench_signed_floor", signed_floor)
campus.add_url_rule("/__floor/layout", "bench_layout_floor", layout_floor)
freeze_startup_objects()  # as wsgi.py does in production
app = DispatcherMiddleware(campus, {"/__hello": hello})
