"""End-to-end in a real browser (Debian's chromium driven by Playwright): what only JavaScript does."""
import os
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AttemptQuestion, QuizAttempt

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium package is not installed")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(live_server):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def _open_quiz(page, live_server, user) -> int:
    """Sign in, start the basic module's quiz and return the attempt id."""
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/modules/basico")
    page.click("#quiz button[type=submit]")
    page.wait_for_url("**/attempts/*")
    return int(page.url.rsplit("/", 1)[1])


def test_quiz_answers_are_saved_automatically_and_survive_a_reload(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio], input[type=checkbox]").first.check()
    status = page.locator("#save-status")
    playwright.expect(status).to_have_text(status.get_attribute("data-saved"))

    def saved():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return [item.selected for item in db.session.scalars(
            select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position))]
    selections = in_app(saved)
    assert selections[0] and not any(selections[1:]), "only the clicked answer was stored"
    page.reload()
    assert page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first.is_checked()


def test_submitting_with_unanswered_questions_asks_first(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("button[value=submit]")
    page.wait_for_timeout(300)
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open", "cancelled: nothing sent"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[value=submit]")
    page.wait_for_selector(".result-panel")
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "submitted"


def _sign_in(page, live_server, user):
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("main button[type=submit]")


def test_overview_fits_at_1280_and_scrolls_in_a_labelled_region_on_a_phone(page, live_server, make_user):
    for gender, n in (("woman", 18), ("man", 8), ("nonbinary", 1), ("undisclosed", 1)):
        for _ in range(n):
            make_user(municipality="cordoba", gender=gender)
    for gender, n in (("woman", 12), ("man", 7), ("nonbinary", 1)):
        for _ in range(n):
            make_user(municipality="rosario", gender=gender)
    _sign_in(page, live_server, make_user(role="iom_officer", municipality=None, area=None))
    measure = """() => {
      const wrap = document.querySelector('.table-wrap');
      const texts = [...document.querySelectorAll('.chart *')].filter(e => [...e.childNodes].some(
        n => n.nodeType === 3 && n.textContent.trim())).map(e => parseFloat(getComputedStyle(e).fontSize));
      return {scroll: wrap.scrollWidth, client: wrap.clientWidth, tabindex: wrap.getAttribute('tabindex'),
              role: wrap.getAttribute('role'), label: wrap.getAttribute('aria-label'), font: Math.min(...texts),
              page: document.documentElement.scrollWidth};
    }"""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/monitoring/")
    wide = page.evaluate(measure)
    assert wide["scroll"] <= wide["client"], "every overview column visible without scrolling"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/monitoring/")
    narrow = page.evaluate(measure)
    assert narrow["page"] <= 390, "the page itself does not scroll sideways"
    assert narrow["scroll"] > narrow["client"], "the table scrolls inside its region"
    assert (narrow["tabindex"], narrow["role"]) == ("0", "region") and narrow["label"] in ("Municipios", "Municipalities")
    assert narrow["font"] >= 12, "chart text stays readable"
