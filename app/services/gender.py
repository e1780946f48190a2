"""Gender balance of one group: the former API, now a thin layer over `app.services.disclosure`.

Kept so that existing callers (`balance`, `safe_count`, `safe_rate`, `safe_mean`, `Policy.from_config`)
keep working; every rule lives in `app.services.disclosure` (recoding into woman / man / other or not
declared, women's share among women and men, primary and secondary suppression, rounded shares).
New tables of several groups should call `disclosure.gender_rows` or `disclosure.protect_table`,
which protect the groups together (rows, columns and totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models.people import GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED, GENDER_WOMAN, GENDERS
from app.services import disclosure as d
from app.services.disclosure import (  # noqa: F401  (re-exported)
    ABOVE,
    BELOW,
    OTHER,
    WITHIN,
    Cell,
    Policy,
    is_small,
    parity_status,
    safe_count,
    safe_mean,
    safe_rate,
    women_share,
)

WOMAN, MAN, NONBINARY, UNDISCLOSED = GENDER_WOMAN, GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED
CATEGORIES = GENDERS  # the self-declared answers, as stored (SQL groups by them)
DECLARED = (WOMAN, MAN)  # parity is about women and men
PUBLISHED = d.CATEGORIES  # what aggregates show: woman, man, other or not declared


@dataclass
class Balance:
    """Gender balance of one group, ready to show (categories recoded, suppression applied)."""

    total: Cell
    cells: dict[str, Cell]
    declared: int
    women_share: float | None
    parity: str | None
    share_suppressed: bool = False
    share_rounded: bool = False
    raw: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def flagged(self) -> bool:
        return self.parity in (BELOW, ABOVE)


def _from_row(row: d.GenderRow) -> Balance:
    counts = row.counts
    return Balance(
        total=row.total,
        cells=row.cells,
        declared=counts[WOMAN] + counts[MAN],
        women_share=row.share.value,
        parity=row.share.parity,
        share_suppressed=row.share.withheld,
        share_rounded=row.share.rounded,
        raw=counts,
    )


def balance(counts: dict[str, int], policy: Policy, *, totals_known: bool = True) -> Balance:
    """Counts per category (recoded), total, women's share and parity flag, protected as one row."""
    return _from_row(d.gender_row(counts, policy, totals_known=totals_known))


def suppress_row(counts: dict[str, int], policy: Policy) -> dict[str, Cell]:
    """Published cells of one row (recoded categories) after primary and secondary suppression."""
    return d.gender_row(counts, policy).cells
