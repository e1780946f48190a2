"""The monitoring table cells written in Python (app/monitoring/cells.py) and the template filters show
numbers exactly as Babel formats them, in every language, including through the per-worker memo of
formatted numbers (app.i18n.format_number and format_share)."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template_string
from flask_babel import format_decimal, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from app.monitoring import cells

LANGUAGES = ("es", "en", "pt")

numbers = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=3),
)


def _babel(value, kind) -> str:
    """The reference: Flask-Babel's own formatting, no memo."""
    if kind == "pct":
        return format_percent(value / 100, format="#,##0.0 %")
    return format_decimal(value, format="#,##0.0" if kind == "score" else "#,##0")


def _both(app, lang, value, kind):
    """(the cell, Babel's formatting), after checking that the template filter shows Babel's too."""
    filters = {"int": "number", "score": "number(1)", "pct": "percent(1)"}
    with app.test_request_context(headers={"Accept-Language": lang}):
        expected = _babel(value, kind)
        assert render_template_string("{{ v | " + filters[kind] + " }}", v=value) == expected
        return str(cells.cell(value, kind)), expected


@settings(max_examples=150, deadline=None)
@given(value=numbers, lang=st.sampled_from(LANGUAGES), kind=st.sampled_from(("int", "score", "pct")))
def test_cells_and_filters_format_numbers_as_babel_does(app, value, lang, kind):
    # twice: the second answer comes from the memo
    for _ in range(2):
        shown, expected = _both(app, lang, value, kind)
        assert shown == expected


def test_equal_keys_of_different_types_share_a_memo_entry_exactly(app):
    for lang in LANGUAGES:
        for value in (1, 1.0, Decimal("1.000"), 1234567, 1234567.0, 0, -0.0):
            for kind in ("int", "score", "pct"):
                shown, expected = _both(app, lang, value, kind)
                assert shown == expected, (lang, value, kind)


def test_the_reader_language_decides_the_separators(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert str(cells.cell(12345.5, "score")) == "12,345.5"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert str(cells.cell(12345.5, "score")) == "12.345,5"
