"""Three languages: complete and current catalogues, locale choice, content in each language."""

import pathlib
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.extensions import db
from app.models import QuizAttempt, User
from app.services import quiz as quiz_service
from tests.conftest import submit_attempt

ROOT = pathlib.Path(__file__).parent.parent
TRANSLATIONS = ROOT / "translations"


def _catalog(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=lang)


def _t(lang, msgid):
    """The catalogue's translation of a message (so tests do not hard-code translators' wording)."""
    message = _catalog(lang)[msgid]
    assert message is not None and message.string, msgid
    return message.string


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_catalogue_is_complete_and_not_fuzzy(lang):
    catalog = _catalog(lang)
    untranslated = [
        m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
    assert problems == [], "placeholders must match between msgid and msgstr"


def test_catalogues_are_current_with_the_code(tmp_path):
    """Extracting again yields exactly the messages the catalogues hold."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(fresh, "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert extracted == template, "run `flask translate update`"
    for lang in ("en", "pt"):
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(lang) if m.id}
        assert ids == extracted, f"{lang} catalogue is stale: run `flask translate update`"


def test_default_is_spanish_and_the_browser_language_is_honoured(client, content):
    assert 'lang="es"' in client.get("/").get_data(as_text=True)
    html = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"}).get_data(as_text=True)
    assert 'lang="pt"' in html
    assert _t("pt", "Capacitación para gobiernos locales que reciben a personas migrantes") in html
    html = client.get("/", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert 'lang="es"' in html


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_pages_of_every_blueprint_render_in_each_language(client, make_user, login, in_app, lang):
    staff = make_user(role="iom_officer", municipality=None, email="iom@example.org")
    client.post("/language", data={"lang": lang, "next": "/"})

    def text(msgid):
        return msgid if lang == "es" else _t(lang, msgid)

    assert text("Qué puede hacer aquí") in client.get("/").get_data(as_text=True)
    assert text("Crear una cuenta") in client.get("/auth/register").get_data(as_text=True)
    login(staff)
    modules = client.get("/modules").get_data(as_text=True)
    assert text("Módulos de capacitación") in modules
    assert {"es": "Módulo básico", "en": "Basic module", "pt": "Módulo básico"}[lang] in modules
    lesson = client.get("/modules/basico/lessons/leccion-1").get_data(as_text=True)
    assert f"Lección 1 ({lang})" in lesson, "lesson content comes in the reader's language"
    assert text("Seguimiento del programa") in client.get("/monitoring/").get_data(as_text=True)
    assert text("Registro de cambios") in client.get("/admin/audit").get_data(as_text=True)
    assert text("No encontramos esta página") in client.get("/nowhere").get_data(as_text=True)


def test_missing_content_translation_falls_back_to_spanish(client, make_user, login):
    login(make_user())
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get("/modules/avanzado/lessons/unica").get_data(as_text=True)
    assert "Solo en castellano." in html


def test_language_choice_is_saved_for_a_signed_in_user(app, client, make_user, login, in_app):
    user = login(make_user())
    response = client.post("/language", data={"lang": "pt", "next": "/modules"})
    assert response.headers["Location"] == "/modules"
    assert in_app(lambda: db.session.get(User, user.id).locale) == "pt"
    other = app.test_client()
    other.post("/auth/login", data={"email": user.email, "password": user.password})
    assert 'lang="pt"' in other.get("/modules").get_data(as_text=True)


def test_language_switch_rejects_unknown_languages_and_foreign_redirects(client, content):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_grading_does_not_depend_on_the_language(client, make_user, login, in_app):
    user = login(make_user())
    scores = []
    for lang in ("en", "pt", "es"):
        client.post("/language", data={"lang": lang, "next": "/"})
        response = client.post("/modules/basico/quiz")
        attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])

        def answers(attempt_id=attempt_id):
            attempt = db.session.get(QuizAttempt, attempt_id)
            return {dq.item.id: sorted(dq.correct_ids) for dq in quiz_service.drawn_questions(attempt)}

        right = in_app(answers)
        data = {"action": "submit", "asked": list(right)}
        data.update({f"q{k}": v for k, v in right.items()})
        submit_attempt(client, attempt_id, data)
        scores.append(in_app(lambda attempt_id=attempt_id: db.session.get(QuizAttempt, attempt_id).score))
    assert scores == [100.0, 100.0, 100.0]
    assert in_app(lambda: db.session.get(User, user.id).locale) == "es"


def test_times_are_shown_in_the_users_time_zone(client, make_user, login, in_app):
    user = login(make_user())
    response = client.post("/modules/basico/quiz")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    submit_attempt(client, attempt_id)

    def fix_time():
        db.session.get(QuizAttempt, attempt_id).submitted_at = datetime(2026, 3, 15, 14, 0, tzinfo=timezone.utc)

    in_app(fix_time)
    assert "11:00" in client.get("/modules/basico").get_data(as_text=True), "Buenos Aires is UTC-3"
    in_app(lambda: setattr(db.session.get(User, user.id), "timezone", "America/Mexico_City"))
    assert "8:00" in client.get("/modules/basico").get_data(as_text=True), "Mexico City is UTC-6"


def test_settings_change_language_and_time_zone(client, make_user, login, in_app):
    user = login(make_user())
    response = client.post("/auth/settings", data={"locale": "en", "timezone": "America/Sao_Paulo"})
    assert response.status_code == 302
    saved = in_app(lambda: db.session.get(User, user.id))
    assert (saved.locale, saved.timezone) == ("en", "America/Sao_Paulo")
    response = client.post("/auth/settings", data={"locale": "xx", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert in_app(lambda: db.session.get(User, user.id).locale) == "en"


def test_shipped_content_passes_the_strict_check(app):
    result = app.test_cli_runner().invoke(args=["content", "check", "--strict", "--path", str(ROOT / "content")])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_login_prompt_follows_the_language(client, content):
    client.post("/language", data={"lang": "pt", "next": "/"})
    response = client.get("/monitoring/")  # anonymous: sent to the login page, in Portuguese
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _t("pt", "Inicie sesión para ver esta página.") in login_page


def test_built_in_form_messages_are_translated_too(client, make_user, login):
    """WTForms' own messages (here: a date that is not a date) follow the interface language."""
    login(make_user(role="iom_officer", municipality=None, email="iom@example.org"))
    spanish = client.get("/monitoring/?registered_from=not-a-date").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/"})
    assert "Not a valid date value." in client.get("/monitoring/?registered_from=not-a-date").get_data(as_text=True)
    assert "Not a valid date value." not in spanish


def test_the_tr_filter_follows_the_rendering_language_in_pages_and_in_macros(app):
    """Templates' `tr` reads the language from the page's context (issue 12): it must still be the
    language the page is rendered in, also under force_locale and inside a macro."""
    from flask import render_template_string
    from flask_babel import force_locale

    field = {"es": "hola", "en": "hello", "pt": "olá"}
    page = "{{ f | tr }}|{% macro m(x) %}{{ x | tr }}{% endmacro %}{{ m(f) }}|{{ f | tr('pt') }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page, f=field) == "hello|hello|olá"
        with force_locale("pt"):
            assert render_template_string(page, f=field) == "olá|olá|olá"
        with force_locale("es"):
            assert render_template_string(page, f=field) == "hola|hola|olá"


def test_a_lesson_s_completion_shows_the_day_in_the_reader_s_time_zone(client, make_user, login, in_app):
    """The lesson page says on which day the reader completed it: the day where they are (02:00 UTC on
    16 March is still 15 March in Buenos Aires), without a time of day."""
    from app.models import LessonProgress

    user = login(make_user())
    client.post("/modules/basico/lessons/leccion-1/complete")

    def fix_time():
        row = db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == user.id))
        row.completed_at = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)

    in_app(fix_time)
    html = client.get("/modules/basico/lessons/leccion-1").get_data(as_text=True)
    assert "Completó esta lección el 15 de marzo de 2026</p>" in html


_fragments = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_characters="%", blacklist_categories=("Cs",)), max_size=12),
        st.just("%(name)s"),
        st.just("%(num)s"),
        st.just("%%"),
        st.sampled_from(["Módulos", "Mi progreso", "Cerrar sesión", "Idioma"]),  # in the catalogues
    ),
    max_size=5,
).map("".join)


@settings(max_examples=120, deadline=None)
@given(
    message=_fragments,
    plural=_fragments,
    name=st.text(max_size=12),
    num=st.integers(min_value=0, max_value=3),
    lang=st.sampled_from(["es", "en", "pt"]),
    autoescape=st.booleans(),
)
def test_template_gettext_renders_exactly_what_jinja_s_own_newstyle_gettext_renders(
    app, message, plural, name, num, lang, autoescape
):
    """Templates' `_`, `gettext` and `ngettext` call the catalogue directly (issue 12); what they render,
    escaping of the variables included, is what Jinja's newstyle callables render with the same
    catalogue, or both refuse the same broken format string."""
    from flask_babel import get_translations
    from jinja2 import Environment

    source = (
        "{% autoescape " + ("true" if autoescape else "false") + " %}"
        "{{ _(m, name=name) }}|{{ gettext(m, name=name) }}|{{ ngettext(m, p, n, name=name) }}{% endautoescape %}"
    )
    values = {"m": message, "p": plural, "n": num, "name": name}
    with app.test_request_context("/", headers={"Accept-Language": lang}):
        catalogue = get_translations()
        reference = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # the block decides
        reference.install_gettext_callables(gettext=catalogue.ugettext, ngettext=catalogue.ungettext, newstyle=True)
        results = []
        for environment in (app.jinja_env, reference):
            try:
                results.append(environment.from_string(source).render(**values))
            except (KeyError, ValueError, TypeError) as error:
                results.append(type(error))
        assert results[0] == results[1]
