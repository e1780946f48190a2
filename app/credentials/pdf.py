"""The certificate as a PDF: A4 landscape, DejaVu Sans embedded, a QR code to the verify page.

The layout is generic so that every kind of certificate uses it: a heading (the programme), a title,
the subject (the holder's or the municipality's name, printed large), a statement, a list of lines
(modules and hours, or stages) and the issue date, code and verification address. The caller gives
every text already translated into the certificate's language.
"""

from __future__ import annotations

import io
import pathlib
from dataclasses import dataclass, field
from datetime import datetime

import segno
from fpdf import FPDF

FONT_DIR = pathlib.Path(__file__).parent / "fonts"
INK = (33, 37, 41)
ACCENT = (0, 84, 130)


@dataclass
class Document:
    """Everything printed on a certificate, already in its language."""

    language: str
    heading: str
    title: str
    subject: str
    statement: str
    lines: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # issue date, issuer, code...
    verify_url: str = ""
    verify_hint: str = ""
    author: str = ""
    keywords: str = ""
    created_at: datetime | None = None


def qr_png(url: str, scale: int = 6) -> bytes:
    """The QR code of a URL as PNG bytes (error correction M, quiet zone included)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def render(doc: Document) -> bytes:
    """The PDF bytes of a certificate."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{doc.title} — {doc.subject}")
    pdf.set_author(doc.author)
    pdf.set_subject(doc.statement)
    pdf.set_keywords(doc.keywords)
    pdf.set_creator("MigraCiudades Campus")
    pdf.set_lang(doc.language)
    pdf.set_display_mode("fullpage")
    if doc.created_at is not None:
        pdf.set_creation_date(doc.created_at)
    pdf.add_page()
    width, height = pdf.w, pdf.h
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, width - 26, height - 26)

    pdf.set_text_color(*ACCENT)
    pdf.set_xy(20, 22)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(width - 40, 7, doc.heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_xy(20, 34)
    pdf.set_font("DejaVu", "B", 26)
    pdf.multi_cell(width - 40, 12, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("DejaVu", "B", 22)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width - 40, 13, doc.subject, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(2)
    pdf.set_x(30)
    pdf.set_font("DejaVu", "", 11.5)
    pdf.multi_cell(width - 60, 6, doc.statement, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10.5)
    for line in doc.lines:
        pdf.set_x(40)
        pdf.multi_cell(width - 80, 5.6, "• " + line, align="L", new_x="LMARGIN", new_y="NEXT")

    qr_size = 42
    qr_x, qr_y = width - 20 - qr_size, height - 20 - qr_size
    pdf.image(
        io.BytesIO(qr_png(doc.verify_url)),
        x=qr_x,
        y=qr_y,
        w=qr_size,
        h=qr_size,
        alt_text=doc.verify_hint or doc.verify_url,
    )
    pdf.set_font("DejaVu", "", 9.5)
    y = height - 20 - 5.2 * (len(doc.details) + 2)
    for text in doc.details:
        pdf.set_xy(22, y)
        pdf.cell(qr_x - 30, 5.2, text)
        y += 5.2
    pdf.set_xy(22, y)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(qr_x - 30, 4.4, f"{doc.verify_hint} {doc.verify_url}".strip())
    return bytes(pdf.output())
