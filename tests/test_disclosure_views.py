"""Disclosure control in the pages and exports: who gets what, filters, headline figures, safe files."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, User


def _rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def _table(rows: list[list[str]], first: str) -> tuple[list[str], list[list[str]]]:
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    return rows[start], [r for r in rows[start + 1 :] if r]


@pytest.fixture
def demo(make_user, in_app):
    """Córdoba and Rosario as in the demo data: 18/8/1/1 and 12/7/1/0, with staff of every kind."""
    made = {"cordoba": [], "rosario": []}
    for municipality, counts in (
        ("cordoba", {"woman": 18, "man": 8, "nonbinary": 1, "undisclosed": 1}),
        ("rosario", {"woman": 12, "man": 7, "nonbinary": 1}),
    ):
        for gender, n in counts.items():
            for i in range(n):
                made[municipality].append(
                    make_user(municipality=municipality, gender=gender, area=("salud", "educacion", "empleo")[i % 3])
                )
    coordinator = make_user(role="coordinator", municipality=None, area=None, email="coord@example.org")

    def scope():
        user = db.session.get(User, coordinator.id)
        user.all_municipalities = True

    in_app(scope)
    focal = make_user(municipality="rosario", is_focal_point=True, gender="woman", email="focal@example.org")
    ids = in_app(lambda: {m.key: m.id for m in db.session.scalars(select(Municipality))})
    return {**made, "coordinator": coordinator, "focal": focal, "ids": ids}


def test_overview_shows_the_headline_for_large_municipalities(client, login, demo):
    login(demo["coordinator"])
    header, rows = _table(_rows(client.get("/monitoring/?format=csv").get_data(as_text=True)), "Municipio")
    share, parity = header.index("Mujeres entre mujeres y varones (%)"), header.index("Paridad")
    by_name = {r[0]: r for r in rows}
    assert by_name["Córdoba"][header.index("Inscriptas/os")] == "28"
    assert by_name["Córdoba"][share] == "≈70" and by_name["Córdoba"][parity] == "Por encima"
    assert by_name["Rosario"][share] not in ("", "oculto") and by_name["Rosario"][parity] == "Por encima"
    assert by_name["Total"][share] not in ("", "oculto"), "the programme's share is shown"
    assert by_name["Córdoba"][header.index("Otra identidad o sin declarar")] == "oculto"
    html = client.get("/monitoring/").get_data(as_text=True)
    assert "demasiado chic" not in html
    assert 'tabindex="0" role="region" aria-label="Municipios"' in html
    assert "Cómo leer estas cifras" in html


def test_a_chart_bar_reads_hidden_only_when_its_table_cell_does(client, login, demo):
    login(demo["coordinator"])
    html = client.get("/monitoring/").get_data(as_text=True)
    chart = html[
        html.index('id="chart-municipality-shares"') : html.index(
            "</figure>", html.index('id="chart-municipality-shares"')
        )
    ]
    values = re.findall(r'class="bar-value">(.*?)</span>\s*</li>', chart, re.S)
    table = html[html.index('id="table-overview"') :]
    assert len(values) == 2
    assert not any("oculto" in v for v in values), "both shares are published, so no bar is hidden"
    assert "≈" in values[0] and "≈" in table


def test_focal_points_get_no_figures_for_a_group_under_five(client, login, demo, in_app):
    def move_registration():
        for user in db.session.scalars(select(User).where(User.email.in_([u.email for u in demo["rosario"][:3]]))):
            user.created_at = datetime(2026, 3, 10, tzinfo=timezone.utc)
        for user in db.session.scalars(select(User).where(User.municipality_id == demo["ids"]["rosario"])):
            if user.created_at.year != 2026 or user.created_at.month != 3:
                user.created_at = datetime(2026, 6, 10, tzinfo=timezone.utc)

    in_app(move_registration)
    login(demo["focal"])
    rosario = demo["ids"]["rosario"]
    html = client.get(
        f"/monitoring/municipalities/{rosario}?registered_from=2026-03-01&registered_to=2026-03-31"
    ).get_data(as_text=True)
    assert "estas fechas abarcan a todas las personas" in html, (
        "three people in March: March joins June, which is everyone"
    )
    whole = client.get(f"/monitoring/municipalities/{rosario}").get_data(as_text=True)
    assert "demasiado estrecho" not in whole
    body = client.get(f"/monitoring/municipalities/{rosario}?format=csv&table=funnel").get_data(as_text=True)
    header, rows = _table(_rows(body), "Etapa")
    assert rows[0][1] == "21"


def test_a_focal_point_of_a_tiny_municipality_is_told_the_group_is_too_small(client, login, make_user, in_app):
    focal = make_user(municipality="rosario", is_focal_point=True, email="solo@example.org")
    make_user(municipality="rosario", gender="man")
    login(focal)
    rosario = in_app(lambda: db.session.scalar(select(Municipality.id).where(Municipality.key == "rosario")))
    html = client.get(f"/monitoring/municipalities/{rosario}").get_data(as_text=True)
    assert "demasiado estrecho" in html and "Embudo de avance" not in html
    body = client.get(f"/monitoring/municipalities/{rosario}?format=csv&table=funnel").get_data(as_text=True)
    assert _table(_rows(body), "Etapa")[1] == [], "the export is empty too"


def test_focal_points_see_small_progress_counts_hidden_and_staff_see_them(client, login, demo, in_app):
    from tests.test_monitoring import _progress

    in_app(lambda: _progress(demo["rosario"][0].id, ("basico",)))
    rosario = demo["ids"]["rosario"]
    login(demo["focal"])
    header, rows = _table(
        _rows(client.get(f"/monitoring/municipalities/{rosario}?format=csv&table=modules").get_data(as_text=True)),
        "Módulo",
    )
    basico = rows[0]
    assert basico[header.index("Empezaron")] == "oculto" and basico[header.index("Puntaje promedio")] == "oculto"
    client.post("/auth/logout")
    login(demo["coordinator"])
    header, rows = _table(
        _rows(client.get(f"/monitoring/municipalities/{rosario}?format=csv&table=modules").get_data(as_text=True)),
        "Módulo",
    )
    assert rows[0][header.index("Empezaron")] == "1", "the people list shows it anyway"


def test_registration_dates_work_in_whole_months(client, login, demo, in_app):
    """The issue's case: two settings one day apart used to differ by the one person registered that day."""

    def dates():
        users = db.session.scalars(
            select(User).where(User.municipality_id == demo["ids"]["cordoba"]).order_by(User.id)
        ).all()
        for i, user in enumerate(users):
            user.created_at = datetime(2026, 9 + (i % 2), 10 + i % 17, tzinfo=timezone.utc)
        users[0].created_at = datetime(2026, 10, 26, 12, tzinfo=timezone.utc)

    in_app(dates)
    login(demo["coordinator"])
    a = client.get("/monitoring/?registered_to=2026-10-26&format=csv").get_data(as_text=True)
    b = client.get("/monitoring/?registered_to=2026-10-25&format=csv").get_data(as_text=True)
    assert _table(_rows(a), "Municipio") == _table(_rows(b), "Municipio")


def test_views_sliced_by_area_publish_no_gender_figures(client, login, demo):
    login(demo["coordinator"])
    everyone = client.get("/monitoring/?registered_from=2026-01-01&format=csv").get_data(as_text=True)
    assert _table(_rows(everyone), "Municipio")[1][0][3] != "oculto", "a date before every period is no filter"
    for query in (f"area={_area_id(client)}",):
        header, rows = _table(_rows(client.get(f"/monitoring/?{query}&format=csv").get_data(as_text=True)), "Municipio")
        for row in rows:
            assert row[header.index("Mujeres")] in ("oculto", "0"), (query, row)
        page = client.get(f"/monitoring/gender?{query}").get_data(as_text=True)
        assert "solo sin filtros" in page and "table-gender" not in page


def _area_id(client):
    from app.models import Area

    with client.application.app_context():
        return db.session.scalar(select(Area.id).where(Area.key == "salud"))


def test_the_gender_page_protects_groups_together(client, login, demo):
    login(demo["coordinator"])
    body = client.get("/monitoring/gender?level=municipality&format=csv&table=gender-" + str(demo["ids"]["cordoba"]))
    header, rows = _table(_rows(body.get_data(as_text=True)), "Género")
    other = next(r for r in rows if r[0] == "Otra identidad o sin declarar")
    assert other[header.index("Inscriptas/os")] == "oculto"
    assert other[header.index("Tasa de finalización")] == "oculto"


PAYLOADS = ['=HYPERLINK("http://x","y")', "+54 11 1234", "-1+1", "@SUM(A1:A2)", "\tTab", "\rReturn"]


def _export(app, fmt, text):
    from app.monitoring.export import export
    from app.monitoring.tables import Column, Table

    table = Table(
        "t",
        "Prueba",
        [Column("name", "Nombre", "text", numeric=False), Column("n", "N")],
        rows=[{"name": text, "n": -3}],
    )
    with app.test_request_context():
        return export(table, fmt, [text]).get_data()


@pytest.mark.parametrize("text", PAYLOADS)
def test_csv_export_neutralises_every_formula_prefix(app, text):
    rows = _rows(_export(app, "csv", text).decode())
    assert ["'" + text, "-3"] in rows, rows
    assert ["'" + text] in rows, "context lines too"


@pytest.mark.parametrize("text", PAYLOADS)
def test_xlsx_export_writes_formula_like_text_as_text(app, text):
    import zipfile

    data = _export(app, "xlsx", text)
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [
        c
        for row in sheet.iter_rows()
        for c in row  # XML reads a carriage return back as a newline
        if isinstance(c.value, str) and c.value.replace("\n", "\r") == text.replace("\n", "\r")
    ]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells), "string cells, never formulas"
    assert any(c.value == -3 for row in sheet.iter_rows() for c in row), "numbers stay numbers"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_a_self_registered_formula_name_is_inert_in_both_exports(client, login, make_user, in_app):
    name = '=HYPERLINK("http://x","y")'
    make_user(municipality="cordoba", name=name, email="payload@example.org")
    login(make_user(role="iom_officer", municipality=None, area=None, email="iom@example.org"))
    cordoba = in_app(lambda: db.session.scalar(select(Municipality.id).where(Municipality.key == "cordoba")))
    rows = _rows(client.get(f"/monitoring/municipalities/{cordoba}?format=csv&table=officials").get_data(as_text=True))
    assert any(r and r[0] == "'" + name for r in rows)
    data = client.get(f"/monitoring/municipalities/{cordoba}?format=xlsx&table=officials").data
    cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows() for c in row if c.value == name]
    assert cells and all(c.data_type == "s" for c in cells)
