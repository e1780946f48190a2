"""Gender balance: counts per self-declared category, women's share, parity band and suppression.

Rules (one place for all of them):
- Categories: woman, man, non-binary/other, prefer not to say. Women's share is computed among people
  who declared a gender (woman + man + non-binary), never among everyone.
- Parity band: a share inside [low, high] (both ends included) is within parity; otherwise the group
  is flagged as below or above.
- Suppression: a cell counting from 1 to (minimum group size - 1) people is hidden. When only one cell
  of a row is hidden, the smallest other non-zero cell is hidden too, so the hidden one cannot be
  recovered by subtracting from the total. Zeros are shown: they identify no one.
- The exact women's share is one more equation (women / declared) that, with the total, would let a
  hidden cell be worked out, so it is shown only when no cell of the row is hidden. The parity flag
  (within / below / above) only says on which side of the band the share falls, which identifies no
  one, so it is shown whenever at least the minimum group size declared a gender.
- Anything derived from a hidden count (a rate, an average) is hidden as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field

WOMAN, MAN, NONBINARY, UNDISCLOSED = "woman", "man", "nonbinary", "undisclosed"
CATEGORIES = (WOMAN, MAN, NONBINARY, UNDISCLOSED)
DECLARED = (WOMAN, MAN, NONBINARY)

WITHIN, BELOW, ABOVE = "within", "below", "above"


@dataclass(frozen=True)
class Policy:
    """The configurable thresholds."""

    parity_low: float = 40.0
    parity_high: float = 60.0
    min_group: int = 5

    @classmethod
    def from_config(cls, config) -> "Policy":
        """Read the thresholds from a Flask config mapping."""
        return cls(
            parity_low=float(config.get("PARITY_BAND_LOW", 40)),
            parity_high=float(config.get("PARITY_BAND_HIGH", 60)),
            min_group=int(config.get("MIN_GROUP_SIZE", 5)),
        )


@dataclass(frozen=True)
class Cell:
    """A count that may be hidden. `value` is None when suppressed; `complementary` when it is hidden
    only so that a small cell cannot be recovered (it is not itself small)."""

    value: int | None
    suppressed: bool = False
    complementary: bool = False


@dataclass
class Balance:
    """Gender balance of one group, ready to show."""

    total: Cell
    cells: dict[str, Cell]
    declared: int
    women_share: float | None
    parity: str | None
    share_suppressed: bool = False
    raw: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def flagged(self) -> bool:
        return self.parity in (BELOW, ABOVE)


def women_share(counts: dict[str, int]) -> float | None:
    """Women as a percentage of those who declared a gender; None when nobody declared."""
    declared = sum(counts.get(c, 0) for c in DECLARED)
    if not declared:
        return None
    return 100.0 * counts.get(WOMAN, 0) / declared


def parity_status(share: float | None, policy: Policy) -> str | None:
    """Within, below or above the parity band (ends included); None without a share."""
    if share is None:
        return None
    if share < policy.parity_low:
        return BELOW
    if share > policy.parity_high:
        return ABOVE
    return WITHIN


def is_small(count: int, policy: Policy) -> bool:
    """A count that could single someone out (zero never does)."""
    return 0 < count < policy.min_group


def _hidden_cells(counts: dict[str, int], policy: Policy) -> set[str]:
    """Small cells, plus the smallest other non-zero cell when only one is small (no recovery by subtraction)."""
    hidden = {c for c in CATEGORIES if is_small(counts.get(c, 0), policy)}
    if len(hidden) == 1:
        others = [c for c in CATEGORIES if c not in hidden and counts.get(c, 0) > 0]
        if others:
            hidden.add(min(others, key=lambda c: (counts[c], CATEGORIES.index(c))))
    return hidden


def _cells(counts: dict[str, int], hidden: set[str], policy: Policy) -> dict[str, Cell]:
    return {
        c: Cell(None, True, not is_small(counts.get(c, 0), policy)) if c in hidden else Cell(counts.get(c, 0))
        for c in CATEGORIES
    }


def suppress_row(counts: dict[str, int], policy: Policy) -> dict[str, Cell]:
    """Hide small cells of a row, plus one more when a single hidden cell could be recovered."""
    return _cells(counts, _hidden_cells(counts, policy), policy)


def balance(counts: dict[str, int], policy: Policy) -> Balance:
    """Counts per category, total, women's share and parity flag, with suppression applied."""
    counts = {c: int(counts.get(c, 0) or 0) for c in CATEGORIES}
    total = sum(counts.values())
    declared = sum(counts[c] for c in DECLARED)
    hidden = _hidden_cells(counts, policy)
    cells = _cells(counts, hidden, policy)
    exact = women_share(counts)
    big_enough = declared >= policy.min_group
    share_visible = big_enough and not hidden
    return Balance(
        total=Cell(total), cells=cells, declared=declared, women_share=exact if share_visible else None,
        parity=parity_status(exact, policy) if big_enough else None,
        share_suppressed=declared > 0 and not share_visible, raw=counts,
    )


def safe_count(count: int, policy: Policy) -> Cell:
    """A single count, hidden when small."""
    return Cell(None, True) if is_small(count, policy) else Cell(count)


def safe_rate(numerator: int, denominator: int, policy: Policy) -> float | None:
    """numerator/denominator in percent, hidden when either count is small or the denominator is zero."""
    if not denominator or is_small(numerator, policy) or is_small(denominator, policy):
        return None
    return 100.0 * numerator / denominator


def safe_mean(value: float | None, people: int, policy: Policy) -> float | None:
    """An average over `people` persons, hidden when they are too few to protect."""
    if value is None or people < policy.min_group:
        return None
    return float(value)
