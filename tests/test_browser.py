"""End-to-end in a real browser (Debian's chromium driven by Playwright): what only JavaScript does."""

import os
import re
import shutil
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AttemptQuestion, QuizAttempt, WorkbookEntry

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
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    page = browser.new_context(locale="es-AR").new_page()  # the texts checked below are Spanish
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page_without_js(browser, live_server):
    page = browser.new_context(java_script_enabled=False, locale="es-AR").new_page()
    page.set_default_timeout(10_000)
    return page


def _sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server}/auth/login")
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/auth/login" not in url)


def _open_quiz(page, live_server, user, module="basico") -> int:
    """Sign in, start a module's quiz and return the attempt id."""
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/modules/{module}")
    page.click("#quiz button[type=submit]")
    page.wait_for_url("**/attempts/*")
    return int(page.url.rsplit("/", 1)[1])


def test_quiz_answers_are_saved_automatically_and_survive_a_reload(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    first = page.locator("fieldset.question").first
    first.locator("input[type=radio], input[type=checkbox]").first.check()
    status = page.locator("#save-status")
    playwright.expect(status).to_have_text(status.get_attribute("data-saved"), timeout=20_000)

    def saved():
        attempt = db.session.get(QuizAttempt, attempt_id)
        return [
            item.selected
            for item in db.session.scalars(
                select(AttemptQuestion)
                .where(AttemptQuestion.attempt_id == attempt.id)
                .order_by(AttemptQuestion.position)
            )
        ]

    selections = in_app(saved)
    assert selections[0] and not any(selections[1:]), "only the clicked answer was stored"
    page.reload()
    assert page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first.is_checked()


def test_pressing_enter_in_the_quiz_never_submits(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    for fieldset in page.locator("fieldset.question").all():  # every question answered: nothing to warn about
        fieldset.locator("input[type=radio], input[type=checkbox]").first.check()
    choice = page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first
    choice.focus()
    choice.press("Enter")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/attempts/{attempt_id}"), "still on the questions"
    assert "Respuestas guardadas. Puede seguir" not in page.content(), "with the script, Enter does nothing at all"
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open"


def test_without_javascript_enter_only_saves_and_the_review_page_submits(
    page_without_js, live_server, make_user, in_app
):
    page = page_without_js
    attempt_id = _open_quiz(page, live_server, make_user())
    choice = page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first
    choice.check()
    choice.press("Enter")
    page.wait_for_load_state()
    assert page.url.endswith(f"/attempts/{attempt_id}")
    assert "Respuestas guardadas. Puede seguir" in page.content(), "Enter saved the answers"
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open"
    saved = in_app(
        lambda: [
            i.selected
            for i in db.session.scalars(
                select(AttemptQuestion)
                .where(AttemptQuestion.attempt_id == attempt_id)
                .order_by(AttemptQuestion.position)
            )
        ]
    )
    assert saved[0] and not any(saved[1:])
    page.click("button[value=review]")
    page.wait_for_url(f"**/attempts/{attempt_id}/review")
    assert "Respondió 1 de 4 preguntas." in page.content()
    page.click("#submit-attempt")
    page.wait_for_selector(".result-panel")
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "submitted"


def test_submitting_goes_through_the_review_page_and_its_dialog(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first.check()
    page.click("button[value=review]")
    page.wait_for_url(f"**/attempts/{attempt_id}/review")
    assert "3 preguntas no tienen respuesta" in page.content()
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open"
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#submit-attempt")
    page.wait_for_timeout(300)
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "open", "cancelled: nothing sent"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-attempt")
    page.wait_for_selector(".result-panel")
    assert in_app(lambda: db.session.get(QuizAttempt, attempt_id).status) == "submitted"


def test_a_timed_attempt_shows_a_countdown(page, live_server, make_user):
    _open_quiz(page, live_server, make_user(), module="avanzado")
    countdown = page.locator("#countdown")
    playwright.expect(countdown).to_be_visible()
    playwright.expect(countdown).to_contain_text(re.compile(r"Tiempo restante: (10:00|9:[0-5]\d)"))


def test_workbook_answers_are_saved_automatically(page, live_server, make_user, in_app):
    user = make_user()
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/modules/basico/lessons/leccion-1")
    page.click("text=Responder en mi cuaderno")
    page.fill("#text", "Centro de salud del barrio: atiende sin pedir DNI.")
    status = page.locator("#workbook-status")
    # The script waits 1.5 s after the last keystroke; a busy CI machine needs more than the default 5 s.
    playwright.expect(status).to_have_text(status.get_attribute("data-saved"), timeout=20_000)
    texts = in_app(
        lambda: [e.text for e in db.session.scalars(select(WorkbookEntry).where(WorkbookEntry.user_id == user.id))]
    )
    assert texts == ["Centro de salud del barrio: atiende sin pedir DNI."]


def test_an_answer_clicked_just_before_leaving_the_page_is_kept(page, live_server, make_user, in_app):
    attempt_id = _open_quiz(page, live_server, make_user())
    page.locator("fieldset.question").first.locator("input[type=radio], input[type=checkbox]").first.check()
    page.goto(f"{live_server}/my-progress")  # at once: before the 600 ms pause of the automatic save

    def first_selection():
        return db.session.scalar(
            select(AttemptQuestion.selected).where(
                AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 1
            )
        )

    for _ in range(50):
        if in_app(first_selection):
            break
        page.wait_for_timeout(100)
    assert in_app(first_selection), "the beacon sent on pagehide stored the answer"


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
    assert (narrow["tabindex"], narrow["role"]) == ("0", "region") and narrow["label"] in (
        "Municipios",
        "Municipalities",
    )
    assert narrow["font"] >= 12, "chart text stays readable"
