"""One table cell of the monitoring pages as HTML: what the `value` and `parity` macros of
templates/monitoring/_table.html show, written in Python because a country-wide table has thousands
of cells and a Jinja macro call per cell cost most of the page's time (issue 12).

The translated words and the reader's number patterns are looked up once per request (`_Format`, kept
in `g`), not once per cell: Flask-Babel finds the locale and catalogue again on every call. Formatted
numbers come from app.i18n, memoised per worker by language, pattern and value: a table of thousands of
cells holds a few hundred distinct figures, and Babel's formatting (decimal rounding) cost most of a
large page.
"""

from __future__ import annotations

from flask import current_app, g
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.i18n import format_number, format_share

PARITY = {"within": ("flag flag-ok", "✓"), "below": ("flag flag-warn", "▼"), "above": ("flag flag-warn", "▲")}


class _Format:
    """The words and number patterns of one request's language."""

    def __init__(self):
        self.locale = get_locale()
        self.no_data = Markup('<span aria-label="%s">—</span>') % _("sin datos")
        self.no_parity = Markup('<span class="meta">—</span>')
        words = {"within": _("Dentro de la banda"), "below": _("Por debajo"), "above": _("Por encima")}
        self.parity = {
            key: Markup('<span class="%s"><span aria-hidden="true">%s</span> %s</span>') % (css, icon, words[key])
            for key, (css, icon) in PARITY.items()
        }
        self._locale_key = str(self.locale)
        self._hidden: dict = {}
        self._rounded: dict = {}

    def hidden(self, min_group: int) -> Markup:
        if min_group not in self._hidden:
            self._hidden[min_group] = Markup('<abbr class="hidden-cell" title="%s">%s</abbr>') % (
                _("Oculto para proteger a grupos de menos de %(n)s personas", n=min_group),
                _("oculto"),
            )
        return self._hidden[min_group]

    def rounded_title(self, step: int) -> str:
        if step not in self._rounded:
            self._rounded[step] = _("Redondeado a %(step)s puntos para no revelar una cifra oculta", step=step)
        return self._rounded[step]

    def number(self, value, digits: int = 0) -> str:
        """As the `number` filter (app.i18n.format_number)."""
        return format_number(value, digits, self._locale_key)

    def percent(self, value, digits: int = 0) -> str:
        """As the `percent` filter: a share given in points (0-100) (app.i18n.format_share)."""
        return format_share(value, digits, self._locale_key)


def _format() -> _Format:
    if "_cell_format" not in g:
        g._cell_format = _Format()
    return g._cell_format


def parity(v) -> Markup:
    """The parity flag: a word and an icon, never colour alone."""
    f = _format()
    return f.parity.get(v, f.no_parity)


def _cell(f: _Format, v, kind: str) -> Markup:
    if v is None:
        return f.no_data
    name = type(v).__name__
    if name == "Hidden":
        return f.hidden(v.min_group)
    if name == "Rounded":
        return Markup('<abbr class="rounded-cell" title="%s">≈&#8239;%s</abbr>') % (
            f.rounded_title(v.step),
            f.percent(v.value, 0),
        )
    if kind in ("pct", "share"):
        return escape(f.percent(v, 1))
    if kind == "score":
        return escape(f.number(v, 1))
    if kind == "parity":
        return f.parity.get(v, f.no_parity)
    if kind == "date":
        return escape(current_app.jinja_env.filters["datetime"](v, "short") if v else "—")
    if kind == "int":
        return escape(f.number(v))
    return escape(v)


def cell(v, kind: str) -> Markup:
    """A figure as published: '—' for no data, 'oculto' with the reason, '≈' for a rounded share, else
    the number formatted for the reader's language (`kind`: int, pct, share, score, parity, date)."""
    return _cell(_format(), v, kind)


def row_cells(row: dict, columns) -> Markup:
    """Every cell of a table row but the first (the row's heading), as `<td>` elements."""
    f = _format()
    numeric, plain = Markup('<td class="num">%s</td>'), Markup('<td class="">%s</td>')
    return Markup("").join((numeric if c.numeric else plain) % _cell(f, row.get(c.key), c.kind) for c in columns[1:])
