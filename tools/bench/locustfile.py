"""Locust scenarios for `make load` (run by tools/bench/load.py; headless, loopback only).

Each scenario is one user class, chosen with locust's class-name argument:
- Hello: the bare-Flask ceiling (GET /__hello/).
- LessonReader / Catalogue / MyProgress: a signed-in official reading, no think time.
- QuizTaker: a fresh learner from the pool: start an attempt, view it, save eight times (form saves and
  autosaves), review, submit, see the result; the submitted attempt ids go to LOAD_SUBMITTED (a file) so
  the run can be checked in the database afterwards.
- PacedQuizTaker: the same path at a human pace (about 0.02 requests per second each), for capacity.
"""

from __future__ import annotations

import json
import os
import re
import threading
from urllib.parse import urlencode

from locust import FastHttpUser, constant, constant_throughput, events, task

PASSWORD = "benchmark-pass"
READERS = int(os.environ.get("LOAD_READERS", "5000"))  # official0..N-1 (they have progress)
TAKERS = int(os.environ.get("LOAD_TAKERS", "40"))  # learner0..N-1 (fresh accounts)
FIRST_TAKER = int(os.environ.get("LOAD_FIRST_TAKER", "0"))  # a later run starts with unused accounts
MODULE = os.environ.get("LOAD_MODULE", "gobernanza-migratoria")
LESSON = os.environ.get("LOAD_LESSON", "")
OUT = os.environ.get("LOAD_SUBMITTED", "/tmp/campus-load-submitted.json")
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"|value="([^"]+)"[^>]*?name="csrf_token"')
FIELD = re.compile(r'name="(q\d+)"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="(q\d+)"')
ASKED = re.compile(r'name="asked"[^>]*?value="(\d+)"|value="(\d+)"[^>]*?name="asked"')
MODULE_KEYS = os.environ.get(
    "LOAD_MODULES", "gobernanza-migratoria,acceso-a-derechos,integracion,politicas-publicas"
).split(",")

_lock = threading.Lock()
_next = {"reader": 0, "taker": 0}
submitted: list[int] = []


def _take(kind: str, size: int) -> int:
    with _lock:
        n = _next[kind] % size
        _next[kind] += 1
        return n


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form(fields: dict) -> str:
    """Form-encode, repeating a name for each of its values (as a browser does)."""
    return urlencode(fields, doseq=True)


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) or match.group(2)


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def sign_in(self, email: str) -> None:
        page = self.client.get("/auth/login", name="sign-in page")
        token = _csrf(page.text)
        self.client.post(
            "/auth/login",
            data={"csrf_token": token, "email": email, "password": PASSWORD},
            name="sign in",
            allow_redirects=False,
        )
        self.csrf = token


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


class QuizTaker(SignedIn):
    """Takes quizzes one after another; each account has four quizzes of three attempts."""

    def on_start(self):
        self.sign_in(f"learner{(FIRST_TAKER + _take('taker', TAKERS)) % TAKERS}@bench.example.org")
        self.round = 0

    @task
    def take_quiz(self):
        module = MODULE_KEYS[self.round % len(MODULE_KEYS)]
        self.round += 1
        with self.client.post(
            f"/modules/{module}/quiz",
            data={"csrf_token": self.csrf},
            name="quiz start",
            allow_redirects=False,
            catch_response=True,
        ) as start:
            location = start.headers.get("Location", "")
            if "/attempts/" not in location:
                start.failure(f"no attempt started ({start.status_code} {location})")
                return
        url = "/attempts/" + location.rsplit("/attempts/", 1)[1]
        page = self.client.get(url, name="quiz view").text
        answers = {"asked": [a or b for a, b in ASKED.findall(page)]}
        for name1, value1, value2, name2 in FIELD.findall(page):
            answers.setdefault(name1 or name2, [value1 or value2])
        self.csrf = _csrf(page)
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
    wait_time = constant_throughput(float(os.environ.get("LOAD_PACE", "0.02")) / 13)  # 13 requests a round


@events.test_stop.add_listener
def write_submitted(environment, **kwargs):
    with open(OUT, "w") as handle:
        json.dump(submitted, handle)
