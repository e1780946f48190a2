"""Monitoring: progress and gender balance by municipality, module and area, with exports."""

from flask import Blueprint

bp = Blueprint("monitoring", __name__)

from app.monitoring import routes  # noqa: E402,F401


@bp.context_processor
def _disclosure_globals():
    from app.services.disclosure import SHARE_STEP

    return {"share_step": SHARE_STEP}


@bp.app_template_filter("date")
def _format_date(value, fmt: str = "medium") -> str:
    """A date written out in the user's language."""
    from flask_babel import format_date

    return format_date(value, fmt) if value else ""


@bp.app_template_global("render_cell")
def _render_cell(v, kind):
    from app.monitoring.cells import cell

    return cell(v, kind)


@bp.app_template_global("render_parity")
def _render_parity(v):
    from app.monitoring.cells import parity

    return parity(v)


@bp.app_template_global("render_row_cells")
def _render_row_cells(row, columns):
    from app.monitoring.cells import row_cells

    return row_cells(row, columns)
