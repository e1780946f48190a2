"""Locust scenarios for `make load` (run by tools/bench/load.py; headless, loopback only).

Each scenario is one user class, chosen with locust's class-name argument:
- Hello: the bare-Flask ceiling (GET /__hello/).
- LessonReader / Catalogue / MyProgress: a signed-in official reading, no think time.
- SignedFloor / LayoutFloor: the same official asking for the floors of tools/bench/wsgi_bench.py (a
  signed-in request without a page; the layout around an empty page): what the learner pages cost
  beyond them is their own.
- QuizTaker: a fresh learner from the pool: start an attempt, view it, save eight times (form saves and
  autosaves), review, submit, see the result; the submitted attempt ids go to LOAD_SUBMITTED (a file) so
  the run can be checked in the database afterwards. Once an account has used every attempt (four
  quizzes of LOAD_MAX_ATTEMPTS each) the user signs in as the next fresh account, so runs of any length
  work; the number of accounts taken is written to LOAD_SUBMITTED too, so the next run starts after them.
- PacedQuizTaker: the same path at a steady pace (LOAD_PACE requests per second each), for capacity:
  N takers at 0.02 req/s reach the server as N x 0.02 req/s, which fewer, faster simulated users
  reproduce (sessions are cookies: how many distinct people send the requests costs the server nothing).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from urllib.parse import urlencode

import gevent
import gevent.event
from locust import FastHttpUser, constant, constant_throughput, events, task

PASSWORD = "benchmark-pass"
READERS = int(os.environ.get("LOAD_READERS", "5000"))  # official0..N-1 (they have progress)
TAKERS = int(os.environ.get("LOAD_TAKERS", "40"))  # learner0..N-1 (fresh accounts)
FIRST_TAKER = int(os.environ.get("LOAD_FIRST_TAKER", "0"))  # a later run starts with unused accounts
MODULE = os.environ.get("LOAD_MODULE", "gobernanza-migratoria")
LESSON = os.environ.get("LOAD_LESSON", "")
OUT = os.environ.get("LOAD_SUBMITTED", "/tmp/campus-load-submitted.json")
MAX_ATTEMPTS = int(os.environ.get("LOAD_MAX_ATTEMPTS", "3"))  # max_attempts of every quiz in content/
# When set, the run stops this many seconds after every user has signed in (locust's -t is then only a
# safety limit), so a slow sign-in phase on a busy machine does not eat into the measured time.
MEASURE = float(os.environ.get("LOAD_MEASURE_SECONDS") or 0)
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrf_token"')
FIELD = re.compile(r'name="(q\d+)"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="(q\d+)"')
ASKED = re.compile(r'name="asked"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="asked"')
MODULE_KEYS = os.environ.get(
    "LOAD_MODULES", "gobernanza-migratoria,acceso-a-derechos,integracion,politicas-publicas"
).split(",")

_lock = threading.Lock()
_ready = gevent.event.Event()  # set once every user has signed in: the figures count from then on
_signed_in = {"n": 0}
_ready_at: list[float] = []  # wall-clock time at which every user had signed in
_next = {"reader": 0, "taker": 0}
submitted: list[int] = []  # attempts whose submission the server confirmed (302)
sent: list[int] = []  # attempts whose submission was sent


def _take(kind: str, size: int) -> int:
    with _lock:
        n = _next[kind] % size
        _next[kind] += 1
        return n


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form(fields: dict) -> str:
    """Form-encode, repeating a name for each of its values (as a browser does)."""
    return urlencode(fields, doseq=True)


def _csrf(html: str | None) -> str | None:
    match = CSRF.search(html or "")
    return (match.group(1) or match.group(2)) if match else None


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def log_in(self, email: str) -> None:
        """Sign in as `email` (forgetting any earlier session); keeps the CSRF token for later forms."""
        self.client.cookiejar.clear()
        token = None
        while token is None:  # a refused connection under overload is a failure already counted: retry
            token = _csrf(self.client.get("/auth/login", name="sign-in page").text)
        self.client.post(
            "/auth/login",
            data={"csrf_token": token, "email": email, "password": PASSWORD},
            name="sign in",
            allow_redirects=False,
        )
        self.csrf = token

    def sign_in(self, email: str) -> None:
        """The first sign-in of a user; waits until every user of the run has signed in."""
        self.log_in(email)
        _signed_in["n"] += 1
        if _signed_in["n"] >= self.environment.runner.target_user_count and not _ready.is_set():
            self.environment.stats.reset_all()  # steady state only: sign-ins are not what is measured
            _ready_at.append(time.time())
            _ready.set()
            if MEASURE:
                gevent.spawn_later(MEASURE, self.environment.runner.quit)
        _ready.wait()
        # Start the measured part on fresh connections: a keep-alive worker class (gthread) closes a
        # connection left idle past its --keep-alive (2 s) while the user waited here, and the first
        # request on it would fail without ever reaching the application.
        self.client.client.close()


class Hello(FastHttpUser):
    wait_time = constant(0)

    @task
    def hello(self):
        self.client.get("/__hello/", name="bare Flask hello")


class Reader(SignedIn):
    abstract = True

    def on_start(self):
        self.sign_in(f"official{_take('reader', READERS)}@bench.example.org")


class LessonReader(Reader):
    @task
    def lesson(self):
        self.client.get(f"/modules/{MODULE}/lessons/{LESSON}", name="lesson")


class Catalogue(Reader):
    @task
    def catalogue(self):
        self.client.get("/modules", name="catalogue")


class MyProgress(Reader):
    @task
    def my_progress(self):
        self.client.get("/my-progress", name="my progress")


class SignedFloor(Reader):
    @task
    def signed_floor(self):
        self.client.get("/__floor/signed", name="signed-in floor")


class LayoutFloor(Reader):
    @task
    def layout_floor(self):
        self.client.get("/__floor/layout", name="layout floor")


class QuizTaker(SignedIn):
    """Takes quizzes one after another; each account has four quizzes of three attempts, after which the
    user moves on to the next fresh account of the pool."""

    def on_start(self):
        self.sign_in(self.next_account())
        self.round = 0

    @staticmethod
    def next_account() -> str:
        return f"learner{(FIRST_TAKER + _take('taker', TAKERS)) % TAKERS}@bench.example.org"

    def switch_account(self) -> None:
        self.log_in(self.next_account())
        self.round = 0

    def before_round(self) -> None:
        """A hook for subclasses (a locust task overridden in a subclass would run as a second task)."""

    @task
    def take_quiz(self):
        self.before_round()
        if self.round >= len(MODULE_KEYS) * MAX_ATTEMPTS:
            self.switch_account()
        module = MODULE_KEYS[self.round % len(MODULE_KEYS)]
        self.round += 1
        with self.client.post(
            f"/modules/{module}/quiz",
            data={"csrf_token": self.csrf},
            name="quiz start",
            allow_redirects=False,
            catch_response=True,
        ) as start:
            location = (start.headers or {}).get("Location", "")
            if "/attempts/" not in location:
                start.failure(f"no attempt started ({start.status_code} {location})")
                if start.status_code == 302:  # refused (e.g. no attempts left): a fresh account next time
                    self.round = len(MODULE_KEYS) * MAX_ATTEMPTS
                return
        url = "/attempts/" + location.rsplit("/attempts/", 1)[1]
        page = self.client.get(url, name="quiz view").text or ""
        answers = {"asked": [a or b for a, b in ASKED.findall(page)]}
        for name1, value1, value2, name2 in FIELD.findall(page):
            answers.setdefault(name1 or name2, [value1 or value2])
        self.csrf = _csrf(page) or self.csrf
        for save in range(8):
            if save % 2:
                self.client.post(
                    f"{url}/autosave",
                    data=_form({**answers, "csrf_token": self.csrf, "revision": str(100 + save)}),
                    headers=FORM,
                    name="quiz autosave",
                )
            else:
                self.client.post(
                    url,
                    data=_form({**answers, "csrf_token": self.csrf, "action": "save"}),
                    headers=FORM,
                    name="quiz save",
                    allow_redirects=False,
                )
        self.client.get(f"{url}/review", name="quiz review")
        with _lock:  # sent: if the run stops before the answer arrives, the server may still grade it
            sent.append(int(url.rsplit("/", 1)[1]))
        with self.client.post(
            f"{url}/submit",
            data={"csrf_token": self.csrf},
            name="quiz submit",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"submit answered {response.status_code}")
                return
        with _lock:
            submitted.append(int(url.rsplit("/", 1)[1]))
        self.client.get(url, name="quiz result")


class PacedQuizTaker(QuizTaker):
    """LOAD_PACE requests per second each (13 requests a round), first round at a random moment of the
    first period, so the arrival rate is steady rather than a burst at spawn."""

    wait_time = constant_throughput(float(os.environ.get("LOAD_PACE", "0.02")) / 13)

    def on_start(self):
        super().on_start()
        gevent.sleep(random.uniform(0, 13 / float(os.environ.get("LOAD_PACE", "0.02"))))

    def before_round(self) -> None:
        """Each round on a fresh connection, as a real taker's browser after minutes idle: a keep-alive
        worker class (gthread) has closed the previous one, and a request on it would fail unseen."""
        self.client.client.close()


@events.test_stop.add_listener
def write_submitted(environment, **kwargs):
    """The submitted attempt ids, how many pool accounts this run took (for the next run's offset) and
    when the measured part began (every user signed in)."""
    with open(OUT, "w") as handle:
        json.dump(
            {
                "submitted": submitted,
                "sent": sent,
                "accounts": _next["taker"],
                "ready_at": _ready_at[0] if _ready_at else None,
            },
            handle,
        )
