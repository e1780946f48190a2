"""Language and time-zone selection, and translation of content fields stored as {lang: text}."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from babel.numbers import parse_pattern
from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale as babel_locale
from flask_babel import get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

SOURCE_LANGUAGE = "es"
LANGUAGE_NAMES = {"es": "Español", "en": "English", "pt": "Português"}


def select_locale() -> str:
    """The user's saved language, else the one chosen this session, else the browser's, else Spanish."""
    if not has_request_context():  # CLI commands and services run outside a request: Spanish
        return SOURCE_LANGUAGE
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or SOURCE_LANGUAGE


def select_timezone() -> str:
    """The user's time zone, else the platform default."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_language() -> str:
    """The two-letter language of the current request (Spanish outside a request)."""
    try:
        return babel_locale().language
    except (RuntimeError, AttributeError):
        return SOURCE_LANGUAGE


def tr(field: dict | str | None, lang: str | None = None) -> str:
    """Pick the text of a translated content field in the given or current language, falling back to Spanish."""
    if field is None:
        return ""
    if isinstance(field, str):
        return field
    lang = lang or current_language()
    return field.get(lang) or field.get(SOURCE_LANGUAGE) or next(iter(field.values()), "")


def _request_translations():
    """Flask-Babel's translations for the current locale, looked up once per locale and request (the
    templates call gettext a few dozen times a page; Flask-Babel resolves the locale on every call)."""
    ctx = g.get("_flask_babel")
    cached = getattr(ctx, "campus_translations", None)
    if cached is not None and cached[0] is getattr(ctx, "babel_locale", None):
        return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None:
        ctx.campus_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def install_template_gettext(app) -> None:
    """Templates' `_`, `gettext` and `ngettext` through `_request_translations` (same catalogues, same
    newstyle formatting and escaping as Flask-Babel's own; installed after Flask-Babel).

    `_`, `gettext` and `ngettext` are then replaced by `_template_gettext` and `_template_ngettext`:
    Jinja's own newstyle callables reach the catalogue through three nested context calls, 20 us for
    each of the 20-40 strings of a page (issue 12); these do the same work in one."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


@pass_context
def _template_gettext(__context, __string: str, **variables) -> str:
    """Jinja's newstyle `gettext` (jinja2.ext._make_new_gettext), calling the catalogue directly."""
    rv = _request_translations().ugettext(__string)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 (our own catalogue's text, as Jinja marks it; variables are escaped by %)
    return rv % variables  # always a format string, as Jinja's: "%%" is "%" with or without variables


@pass_context
def _template_ngettext(__context, __singular: str, __plural: str, __num: int, **variables) -> str:
    """Jinja's newstyle `ngettext` (jinja2.ext._make_new_ngettext), calling the catalogue directly."""
    variables.setdefault("num", __num)
    rv = _request_translations().ungettext(__singular, __plural, __num)
    if __context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 (our own catalogue's text, as Jinja marks it; variables are escaped by %)
    return rv % variables


# --------------------------------------------------------------------------- numbers


def number_pattern(digits: int = 0, percent: bool = False) -> str:
    """The Babel pattern of the platform's numbers: grouped thousands, `digits` decimals, a percent sign."""
    return "#,##0" + ("." + "0" * digits if digits else "") + (" %" if percent else "")


def format_number(value, digits: int = 0, locale_key: str | None = None) -> str:
    """A number in the reader's (or `locale_key`'s) language: the `number` filter and the monitoring cells."""
    return _apply(number_pattern(digits), value, locale_key)


def format_share(value, digits: int = 0, locale_key: str | None = None) -> str:
    """A share given in points (0-100) as a percentage: the `percent` filter and the monitoring cells."""
    return _apply(number_pattern(digits, percent=True), value / 100, locale_key)


def _apply(pattern: str, value, locale_key: str | None) -> str:
    # a negative zero equals zero but Babel writes "-0": it gets its own entry
    negative_zero = value == 0 and str(value).startswith("-")
    return _formatted(locale_key or str(babel_locale()), pattern, value, negative_zero)


@lru_cache(maxsize=64)
def _pattern(pattern: str):
    return parse_pattern(pattern)


@lru_cache(maxsize=16384)
def _formatted(locale_key: str, pattern: str, value, negative_zero: bool = False) -> str:
    """`value` under a Babel number pattern in a language, memoised per worker: a page or table shows a
    few hundred distinct figures, and Babel's formatting (decimal rounding) cost most of a large page
    (issue 12). Keys that compare equal (1, 1.0, Decimal(1)) format alike under one pattern (it fixes
    the decimals), so sharing their entry is exact; the one exception, a negative zero, is told apart by
    the caller."""
    return _pattern(pattern).apply(value, Locale.parse(locale_key))
