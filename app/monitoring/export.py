"""CSV and XLSX exports of monitoring tables, with the same cells (and suppression) as the page.

Exports are safe to open: a text cell starting with =, +, -, @, tab or carriage return would be run as
a formula by spreadsheet programs ("CSV injection"). In CSV such a cell gets a leading apostrophe; in
XLSX every text cell is written as a string cell, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re

from flask import Response
from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.models import utcnow
from app.monitoring.tables import PARITY_LABELS, Hidden, Rounded, Table
from app.services.disclosure import neutralise


def _words() -> dict:
    """The words a file repeats in every row, translated once per export (a country-wide table has
    thousands of hidden cells)."""
    return {"hidden": str(Hidden(0)), "parity": {key: str(label) for key, label in PARITY_LABELS.items()}}


def _value(value, kind: str, words: dict):
    """A cell as written to a file: numbers stay numbers, hidden cells say 'hidden', text stays text but
    loses the control characters a spreadsheet cannot hold (older names may still carry one)."""
    if isinstance(value, Hidden):
        return words["hidden"]
    if isinstance(value, Rounded):
        return str(value)
    if value is None:
        return ""
    if kind == "parity":
        return words["parity"].get(value, "")
    if kind in ("pct", "score", "share"):
        return round(float(value), 1)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _meta_lines(title: str, context: list[str]) -> list[list[str]]:
    now = utcnow()
    return [
        [title],
        [_("Extraído el %(date)s", date=format_datetime(now, "long"))],
        *[[ILLEGAL_CHARACTERS_RE.sub("", str(line))] for line in context if line],
    ]


def _filename(title: str, ext: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower().encode("ascii", "ignore").decode()).strip("-") or "export"
    return f"migraciudades-{slug}-{utcnow():%Y%m%d}.{ext}"


def _csv_safe(row: list) -> list:
    return [neutralise(v) if isinstance(v, str) else v for v in row]


def _append_as_text(sheet, row: list) -> int:
    """Append a row; text goes in as a string cell whatever it starts with (never a formula). Returns the
    row's number (counted here: `sheet.max_row` scans every cell, which made large exports quadratic)."""
    line = getattr(sheet, "_campus_rows", 0) + 1
    sheet._campus_rows = line
    for index, v in enumerate(row, start=1):
        cell = sheet.cell(row=line, column=index)
        cell.value = v
        if isinstance(v, str):
            cell.data_type = "s"
    return line


def export(table: Table, fmt: str, context: list[str]) -> Response:
    """The table as a CSV or XLSX download, headed by its title, extraction date, scope, filters and
    the note on how to read the figures."""
    meta = _meta_lines(table.title, [*context, table.note if table.note not in context else ""])
    header = [c.label for c in table.columns]
    words = _words()
    rows = [
        [_value(row.get(c.key), c.kind, words) for c in table.columns]
        for row in table.rows + ([table.footer] if table.footer else [])
    ]
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = re.sub(r"[\[\]\*\?/\\:]", "", table.title)[:31] or "Datos"
        for line in meta:
            _append_as_text(sheet, line)
        sheet["A1"].font = Font(bold=True, size=13)
        _append_as_text(sheet, [])
        header_row = _append_as_text(sheet, header)
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in rows:
            _append_as_text(sheet, row)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(45, len(column.label) + 2))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return Response(
            buffer.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{_filename(table.title, "xlsx")}"'},
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_csv_safe(line) for line in meta)
    writer.writerow([])
    writer.writerow(_csv_safe(header))
    writer.writerows(_csv_safe(row) for row in rows)
    return Response(
        "\ufeff" + buffer.getvalue(),  # BOM so spreadsheet programs read the accents right
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(table.title, "csv")}"'},
    )
