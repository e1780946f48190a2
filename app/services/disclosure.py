"""Disclosure control: the one place every published aggregate (page, chart, export) goes through.

Rules (also in the README, section "Disclosure control"):

1. Recode before suppressing. In aggregates, "non-binary or other" and "not declared" are published as
   one category, "other or not declared" (`OTHER`); a person's own record keeps the exact answer
   (`app.models.people.GENDERS`). Parity is about the women's share among women and men only:
   share = women / (women + men).
2. Primary suppression. Any count of 1 to `min_group - 1` people is hidden, in every table (modules,
   areas, funnel, overview, gender, workshops, certification). Any average, rate or score computed
   over fewer than `min_group` people is hidden, and so is a rate whose numerator or denominator is a
   hidden count. Zero is shown: it names no one.
3. Secondary suppression that holds in both directions. A table is a set of linear equations: every
   row adds up to its row total, every column to its column total, the totals to the grand total.
   Written as a flow network (source -> row -> column -> sink -> source, one edge per cell and per
   total), a hidden cell can be worked out exactly when no cycle of hidden cells lets it move by one
   unit while every other hidden cell stays >= 0 (a flow's residual graph). `protect_table` adds the
   cheapest such cycle for every hidden cell (cost: the people a cell holds, plus one; totals cost far
   more, so a total is hidden only when nothing else can protect a cell; a row total the viewer knows
   anyway is never hidden). Every hidden cell reads the same ("hidden"): a label that said "<5" for
   some cells and "hidden" for others would give the reader bounds to solve with.
4. Shares. The exact women's share is shown when women and men are both shown. When either is hidden
   the share is shown rounded to 5, else 10 points (`SHARE_STEPS`; "about 70 %") if, together with
   the table's other published figures, that does not pin down a hidden cell; otherwise only the
   parity flag is shown, and not even that when it would pin one down. The parity flag (within, below or above the
   band, both ends included) needs at least `min_group` women and men together.
5. Differencing. Registration-date filters work in whole calendar months, and adjacent allowed
   boundaries are merged until every municipality in view gains either nobody or at least
   `min_group` people between them (`registration_periods`), so two filter settings never differ
   by a group smaller than `min_group`. For viewers who may not see individuals (focal points) a
   filter leaving 1 to `min_group - 1` people shows no figures ("the filter is too narrow").
   Gender figures are published for whole groups only: a view sliced by registration date or area
   shows no gender breakdown (two slices of the same people, or a slice and the whole, are more
   equations on the same cells, and the people list tells coordinators who is in each slice). A
   province filter only chooses which rows of the table protected as a whole are shown; the totals
   of a subset are shown only when none of their parts is hidden (routes and tables apply this).

Per viewer (`Viewer.sees_people`): coordinators in scope and IOM officers see the list of officials
with area, registration date, progress and scores, but never anyone's gender. So:
- rules 1, 3 and 4 and rule 2 for anything split by gender apply to everyone (they protect gender);
- rule 2 for figures not split by gender (progress, scores, funnel, areas, distributions) applies only
  to viewers who do not see people: for the others it would hide what the list already shows;
- rule 5's month boundaries apply to everyone (two day-level settings would give away the gender of
  the one person the list says registered that day); "too narrow" applies only to focal points;
- headcounts (row totals: registered per municipality or area) are "known" to people-list viewers, so
  protection never relies on hiding them for those viewers; for focal points they are ordinary counts.

Generic protected table (for new aggregates):

    table = protect_table({"Salud": {"woman": 6, "man": 2, "other": 0}, ...}, policy,
                          columns=CATEGORIES, row_totals=FIXED, column_totals=SHOWN, grand_total=SHOWN)
    table.cell("Salud", "man")      -> Cell(value=None, suppressed=True, ...)
    table.row_total("Salud"), table.column_total("man"), table.grand_total
    table.hidden_keys()             -> keys of every hidden cell or total

Margins: SHOWN (published, may be suppressed), FIXED (published, never suppressed: the viewer knows
it anyway), NONE (not published). `recoverable(table)` is the check the tests use.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from typing import Hashable, Iterable, Mapping

from app.models.people import GENDER_MAN, GENDER_NONBINARY, GENDER_UNDISCLOSED, GENDER_WOMAN

WOMAN, MAN, OTHER = GENDER_WOMAN, GENDER_MAN, "other"
CATEGORIES = (WOMAN, MAN, OTHER)
RECODE = {GENDER_WOMAN: WOMAN, GENDER_MAN: MAN, GENDER_NONBINARY: OTHER, GENDER_UNDISCLOSED: OTHER}
WITHIN, BELOW, ABOVE = "within", "below", "above"
SHARE_STEPS = (5, 10)  # percentage points a share may be rounded to, finest first
SHARE_STEP = SHARE_STEPS[-1]  # the coarsest, for the reading note

SHOWN, FIXED, NONE = "shown", "fixed", "none"


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
class Viewer:
    """What a viewer can see anyway: `sees_people` for coordinators in scope and IOM officers."""

    sees_people: bool = False


@dataclass(frozen=True)
class Cell:
    """A published count. `value` is None when hidden; `complementary` when hidden only to protect
    another cell (it is not itself small)."""

    value: int | None
    suppressed: bool = False
    complementary: bool = False


# --------------------------------------------------------------------------- rule 1: recoding, share, parity


def recode(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per self-declared answer -> counts per published category (woman, man, other or not declared)."""
    result = dict.fromkeys(CATEGORIES, 0)
    for key, value in counts.items():
        result[RECODE.get(key, key if key in CATEGORIES else OTHER)] += int(value or 0)
    return result


def women_share(counts: Mapping[str, int]) -> float | None:
    """Women as a percentage of women and men; None when there are neither."""
    recoded = recode(counts)
    pair = recoded[WOMAN] + recoded[MAN]
    return 100.0 * recoded[WOMAN] / pair if pair else None


def parity_status(share: float | None, policy: Policy) -> str | None:
    """Within, below or above the parity band (ends included); None without a share."""
    if share is None:
        return None
    if share < policy.parity_low:
        return BELOW
    if share > policy.parity_high:
        return ABOVE
    return WITHIN


# --------------------------------------------------------------------------- rule 2: primary suppression


def is_small(count: int | None, policy: Policy) -> bool:
    """A count that could single someone out (zero never does)."""
    return count is not None and 0 < count < policy.min_group


def safe_count(count: int, policy: Policy) -> Cell:
    """A single count, hidden when small."""
    return Cell(None, True) if is_small(count, policy) else Cell(int(count))


def safe_rate(numerator: int, denominator: int, policy: Policy) -> float | None:
    """numerator/denominator in percent; hidden when the numerator is small or the denominator is
    under the minimum group size (or zero)."""
    if not denominator or denominator < policy.min_group or is_small(numerator, policy):
        return None
    return 100.0 * numerator / denominator


def safe_mean(value: float | None, people: int, policy: Policy) -> float | None:
    """An average over `people` persons, hidden when they are too few to protect."""
    if value is None or people < policy.min_group:
        return None
    return float(value)


def rate(numerator: Cell, denominator: Cell, policy: Policy) -> float | None | str:
    """A rate between two published counts: 'hidden' when either is hidden or the denominator is under
    the minimum group size, None when the denominator is zero."""
    if numerator.suppressed or denominator.suppressed:
        return "hidden"
    if not denominator.value:
        return None
    if denominator.value < policy.min_group:
        return "hidden"
    return 100.0 * (numerator.value or 0) / denominator.value


# --------------------------------------------------------------------------- rule 3: protected tables


_SOURCE, _SINK = ("S",), ("T",)


@dataclass
class _Edge:
    key: tuple
    tail: tuple
    head: tuple
    value: int
    mode: str  # SHOWN, FIXED or NONE
    cost: int


@dataclass
class ProtectedTable:
    """A rows x columns table of counts with its totals, after primary and secondary suppression."""

    rows: list
    columns: list
    values: dict  # key -> true value (never shown when hidden)
    modes: dict  # key -> SHOWN | FIXED | NONE
    hidden: set = field(default_factory=set)
    primary: set = field(default_factory=set)

    def _cell(self, key) -> Cell:
        if key in self.hidden:
            return Cell(None, True, key not in self.primary)
        return Cell(self.values[key])

    def cell(self, row, column) -> Cell:
        """The published cell of a row and a column."""
        return self._cell(("cell", row, column))

    def row_total(self, row) -> Cell:
        """The published total of a row."""
        return self._cell(("row", row))

    def column_total(self, column) -> Cell:
        """The published total of a column."""
        return self._cell(("col", column))

    @property
    def grand_total(self) -> Cell:
        return self._cell(("all",))

    def row_cells(self, row) -> dict:
        """Column key -> published cell, for one row."""
        return {c: self.cell(row, c) for c in self.columns}

    def hidden_keys(self) -> set:
        """Keys of every published figure that is hidden (unpublished totals excluded)."""
        return {k for k in self.hidden if self.modes[k] != NONE}

    def edges(self) -> list[_Edge]:
        return _edges(self)


def _edges(table: ProtectedTable) -> list[_Edge]:
    edges = []
    for key, value in table.values.items():
        mode = table.modes[key]
        if key[0] == "cell":
            edges.append(_Edge(key, ("r", key[1]), ("c", key[2]), value, mode, 1 + value))
        elif key[0] == "row":
            edges.append(_Edge(key, _SOURCE, ("r", key[1]), value, mode, 60 + value))
        elif key[0] == "col":
            edges.append(_Edge(key, ("c", key[1]), _SINK, value, mode, 400 + value))
        else:
            edges.append(_Edge(key, _SINK, _SOURCE, value, mode, 100000 + value))
    return edges


def _arcs(edges: Iterable[_Edge], usable) -> dict:
    """Residual arcs (node -> [(next node, edge)]): forward always (no upper bound is published),
    backward when the edge's value can go down by one (values never go below zero)."""
    graph: dict = {}
    for edge in edges:
        if not usable(edge):
            continue
        graph.setdefault(edge.tail, []).append((edge.head, edge))
        if edge.value >= 1:
            graph.setdefault(edge.head, []).append((edge.tail, edge))
    return graph


def _reaches(graph: dict, start, goal) -> bool:
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, _edge in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def _movable(edge: _Edge, edges: list[_Edge], hidden: set) -> bool:
    """Can this hidden edge take another value while every published figure stays the same?"""
    graph = _arcs(edges, lambda e: e.key in hidden and e.key != edge.key)
    if _reaches(graph, edge.head, edge.tail):  # one unit more, sent back round a cycle
        return True
    return edge.value >= 1 and _reaches(graph, edge.tail, edge.head)  # one unit less


def _cheapest_cycle(edge: _Edge, edges: list[_Edge], hidden: set) -> list[_Edge] | None:
    """The cheapest set of figures to hide so that `edge` lies on a movable cycle of hidden figures."""
    graph = _arcs(edges, lambda e: e.key != edge.key and (e.key in hidden or e.mode != FIXED))
    best = None
    directions = [(edge.head, edge.tail)] + ([(edge.tail, edge.head)] if edge.value >= 1 else [])
    for start, goal in directions:
        dist, prev, heap, counter = {start: 0}, {}, [(0, 0, start)], 1
        while heap:
            cost, _n, node = heapq.heappop(heap)
            if node == goal:
                break
            if cost > dist.get(node, float("inf")):
                continue
            for nxt, e in graph.get(node, ()):
                step = 0 if e.key in hidden else e.cost
                if cost + step < dist.get(nxt, float("inf")):
                    dist[nxt] = cost + step
                    prev[nxt] = (node, e)
                    heapq.heappush(heap, (cost + step, counter, nxt))
                    counter += 1
        if goal not in dist:
            continue
        path, node = [], goal
        while node != start:
            node, e = prev[node]
            path.append(e)
        if best is None or dist[goal] < best[0]:
            best = (dist[goal], path)
    return None if best is None else [e for e in best[1] if e.key not in hidden]


def protect_table(
    counts: Mapping[Hashable, Mapping[Hashable, int]],
    policy: Policy,
    *,
    columns: Iterable | None = None,
    row_totals: str = SHOWN,
    column_totals: str = SHOWN,
    grand_total: str = SHOWN,
    row_total_values: Mapping | None = None,
    hide_small: bool = True,
) -> ProtectedTable:
    """Primary and secondary suppression of a table of counts and its totals.

    counts: row -> column -> count. Margins: SHOWN (published, may be hidden), FIXED (published and
    known to the viewer anyway: never hidden) or NONE (not published). `row_total_values` gives row
    totals when a row holds more than the sum of its cells (not used by additive tables).
    `hide_small=False` skips primary suppression (figures a viewer may see person by person).
    """
    rows = list(counts)
    columns = list(columns) if columns is not None else sorted({c for r in counts.values() for c in r}, key=str)
    values, modes = {}, {}
    for r in rows:
        for c in columns:
            values[("cell", r, c)] = int(counts[r].get(c, 0) or 0)
            modes[("cell", r, c)] = SHOWN
        values[("row", r)] = int((row_total_values or {}).get(r, sum(int(counts[r].get(c, 0) or 0) for c in columns)))
        modes[("row", r)] = row_totals
    for c in columns:
        values[("col", c)] = sum(values[("cell", r, c)] for r in rows)
        modes[("col", c)] = column_totals
    values[("all",)] = sum(values[("row", r)] for r in rows)
    modes[("all",)] = grand_total
    table = ProtectedTable(rows, columns, values, modes)
    if row_total_values:  # non-additive rows: the remainder is an unpublished column
        for r in rows:
            rest = values[("row", r)] - sum(values[("cell", r, c)] for c in columns)
            if rest:
                values[("cell", r, "_rest")] = rest
                modes[("cell", r, "_rest")] = NONE
    table.hidden = {k for k, m in modes.items() if m == NONE}
    if hide_small:
        table.primary = {k for k, v in values.items() if modes[k] == SHOWN and is_small(v, policy)}
    table.hidden |= table.primary
    table.hidden = set(_secondary_suppression(_table_key(table)))
    return table


def _table_key(table: ProtectedTable) -> tuple:
    """Everything a table's protection depends on, hashable: the key of the memos below."""
    return (
        tuple(table.rows),
        tuple(table.columns),
        tuple(table.values.items()),
        tuple(table.modes.items()),
        frozenset(table.hidden),
        frozenset(table.primary),
    )


def _table_from_key(key: tuple) -> ProtectedTable:
    rows, columns, values, modes, hidden, primary = key
    return ProtectedTable(list(rows), list(columns), dict(values), dict(modes), set(hidden), set(primary))


# Secondary suppression and the exact share check are pure functions of the table's figures and can
# take seconds on a country-wide table (500 municipalities); a dashboard shows the same figures again
# and again (they change when people register, not when they study), so both are memoised by their
# exact inputs: a hit returns what the computation would, never a stale answer.
MEMO_SIZE = 64


@lru_cache(maxsize=MEMO_SIZE)
def _secondary_suppression(key: tuple) -> frozenset:
    """The hidden keys after secondary suppression of a table whose small figures are hidden."""
    table = _table_from_key(key)
    edges = _edges(table)
    by_key = {e.key: e for e in edges}
    for primary in sorted(table.primary, key=lambda k: (by_key[k].value, str(k))):
        edge = by_key[primary]
        if _movable(edge, edges, table.hidden):
            continue
        path = _cheapest_cycle(edge, edges, table.hidden)
        if path is None:  # nothing can move it: everything it is tied to goes
            table.hidden |= {e.key for e in edges if e.mode != FIXED}
            break
        table.hidden |= {e.key for e in path}
    return frozenset(table.hidden)


def recoverable(table: ProtectedTable) -> set:
    """Keys of hidden figures that the published ones determine exactly (empty when the table is safe)."""
    edges = _edges(table)
    return {
        e.key
        for e in edges
        if e.key in table.hidden and table.modes[e.key] != NONE and not _movable(e, edges, table.hidden)
    }


def protect_column(
    counts: Mapping[Hashable, int], policy: Policy, *, total: str = SHOWN, hide_small: bool = True
) -> ProtectedTable:
    """One column of counts over rows that do not overlap, with its total (e.g. people per area)."""
    return protect_table(
        {r: {"n": v} for r, v in counts.items()},
        policy,
        columns=["n"],
        row_totals=NONE,
        column_totals=total,
        grand_total=NONE,
        hide_small=hide_small,
    )


def protect_values(counts: Mapping[Hashable, int], policy: Policy, *, hide_small: bool = True) -> dict:
    """Counts that are not parts of one whole (funnel steps, modules): primary suppression only."""
    return {k: (safe_count(v, policy) if hide_small else Cell(int(v))) for k, v in counts.items()}


# --------------------------------------------------------------------------- rule 4: gender rows and shares


@dataclass(frozen=True)
class Share:
    """A women's share as published: exact, rounded to SHARE_STEP, or withheld; and the parity flag."""

    value: float | None
    rounded: bool = False
    withheld: bool = False
    parity: str | None = None
    step: int = 0  # points the value is rounded to (when rounded)


def _row_solutions(total: int | None, cells: Mapping[str, Cell], share: Share, policy: Policy):
    """Every (woman, man, other) the published row allows (total and shown cells fixed, shares kept)."""
    fixed = {c: cells[c].value for c in CATEGORIES if not cells[c].suppressed}
    if total is None:
        return None
    for w in [fixed[WOMAN]] if WOMAN in fixed else range(total + 1):
        for m in [fixed[MAN]] if MAN in fixed else range(total - w + 1):
            o = total - w - m
            if o < 0 or (OTHER in fixed and fixed[OTHER] != o):
                continue
            pair = w + m
            if share.parity is not None:
                if pair < policy.min_group or parity_status(100.0 * w / pair, policy) != share.parity:
                    continue
            if share.value is not None:
                exact = 100.0 * w / pair if pair else None
                if exact is None or pair < policy.min_group:
                    continue
                if share.rounded and _round_share(exact, share.step) != share.value:
                    continue
                if not share.rounded and round(exact, 1) != round(share.value, 1):
                    continue
            yield w, m, o


def _round_share(share: float, step: int) -> float:
    return float(step * int(share / step + 0.5))


def _pins(total: int | None, cells: Mapping[str, Cell], share: Share, policy: Policy) -> bool:
    """True when the row's published figures leave a hidden cell a single possible value."""
    if total is None:
        return False
    hidden = [i for i, c in enumerate(CATEGORIES) if cells[c].suppressed]
    if not hidden:
        return False
    seen = {i: set() for i in hidden}
    for solution in _row_solutions(total, cells, share, policy):
        for i in hidden:
            seen[i].add(solution[i])
    return any(len(values) < 2 for values in seen.values())


def gender_share(counts: Mapping[str, int], cells: Mapping[str, Cell], total: Cell, policy: Policy) -> Share:
    """The women's share and parity flag a row may publish next to its (already protected) cells.

    Memoised per worker by its exact inputs (the row's counts, its protected cells and total, the
    policy): a country-wide table asks this of hundreds of rows on every view, and a hit is the
    computation's own answer (Share is immutable)."""
    return _gender_share(tuple(sorted(counts.items())), tuple(cells[c] for c in CATEGORIES), total, policy)


@lru_cache(maxsize=8192)
def _gender_share(counts_items: tuple, cells_in_order: tuple, total: Cell, policy: Policy) -> Share:
    counts, cells = dict(counts_items), dict(zip(CATEGORIES, cells_in_order, strict=True))
    recoded = recode(counts)
    pair = recoded[WOMAN] + recoded[MAN]
    if pair < policy.min_group:
        return Share(None, withheld=pair > 0)
    exact = 100.0 * recoded[WOMAN] / pair
    flag = parity_status(exact, policy)
    if not cells[WOMAN].suppressed and not cells[MAN].suppressed:
        return Share(exact, parity=flag)
    known_total = None if total.suppressed else total.value
    candidates = [Share(_round_share(exact, step), rounded=True, parity=flag, step=step) for step in SHARE_STEPS]
    for candidate in (*candidates, Share(None, withheld=True, parity=flag)):
        if not _pins(known_total, cells, candidate, policy):
            return candidate
    return Share(None, withheld=True)


@dataclass
class GenderRow:
    """One group's published gender figures."""

    cells: dict
    total: Cell
    share: Share
    counts: dict


def _share_allows(w: int, m: int, share: Share, policy: Policy) -> bool:
    """Would a row with w women and m men publish this share and flag?"""
    pair = w + m
    if share.parity is not None:
        if pair < policy.min_group or parity_status(100.0 * w / pair, policy) != share.parity:
            return False
    if share.value is not None:
        if pair < policy.min_group:
            return False
        exact = 100.0 * w / pair
        if share.rounded and _round_share(exact, share.step) != share.value:
            return False
        if not share.rounded and round(exact, 1) != round(share.value, 1):
            return False
    return True


def _pinned(table: ProtectedTable, shares: Mapping[Hashable, Share], policy: Policy, budget: int = 200_000) -> bool:
    """`_pinned_exact`, memoised by its exact inputs (see MEMO_SIZE)."""
    share_key = tuple(
        (row, (share.value, share.rounded, share.withheld, share.parity, share.step)) for row, share in shares.items()
    )
    return _pinned_memo(_table_key(table), share_key, policy, budget)


@lru_cache(maxsize=MEMO_SIZE)
def _pinned_memo(key: tuple, share_key: tuple, policy: Policy, budget: int) -> bool:
    shares = {row: Share(*fields) for row, fields in share_key}
    return _pinned_exact(_table_from_key(key), shares, policy, budget)


def _pinned_exact(table: ProtectedTable, shares: Mapping[Hashable, Share], policy: Policy, budget: int) -> bool:
    """Exact check of a gender table with its shares and flags: True when some hidden cell or row total
    has a single possible value (or when the check would exceed `budget` states: then assume the worst).

    Rows are listed with every (woman, man, other) their published figures allow, then chained through
    the published column totals by dynamic programming (reachable from the first row, completable to
    the last). Only rows with a hidden cell have more than one possibility.
    """
    cap = table.values[("all",)]
    columns = [c for c in CATEGORIES if table.modes[("col", c)] != NONE and ("col", c) not in table.hidden]
    use_grand = table.modes[("all",)] != NONE and ("all",) not in table.hidden
    target = tuple([table.values[("col", c)] for c in columns] + ([cap] if use_grand else []))

    def options(row):
        cells = table.row_cells(row)
        total = table.row_total(row)
        fixed = {c: cells[c].value for c in CATEGORIES if not cells[c].suppressed}
        found = []
        for t in [total.value] if not total.suppressed else range(cap + 1):
            for w in [fixed[WOMAN]] if WOMAN in fixed else range(t + 1):
                for m in [fixed[MAN]] if MAN in fixed else range(t - w + 1):
                    o = t - w - m
                    if o < 0 or (OTHER in fixed and fixed[OTHER] != o):
                        continue
                    if _share_allows(w, m, shares[row], policy):
                        found.append((w, m, o))
                    if len(found) > budget:
                        return None
        return found

    def contribution(vector):
        index = {WOMAN: 0, MAN: 1, OTHER: 2}
        return tuple([vector[index[c]] for c in columns] + ([sum(vector)] if use_grand else []))

    # Each row's possible contributions to the published totals. A row with a single possibility adds
    # a constant: it is folded into the target, and only rows with several possibilities are chained
    # (the same reachable sums in far fewer steps; 500 municipalities have only a few such rows).
    listed: dict = {}
    offset = [0] * len(target)
    for row in table.rows:
        found = options(row)
        if found is None:
            return True
        cells, total = table.row_cells(row), table.row_total(row)
        has_hidden = total.suppressed or any(cells[c].suppressed for c in CATEGORIES)
        if len(found) == 1:
            if has_hidden:
                return True  # a hidden figure with one possible value is pinned down
            offset = [a + b for a, b in zip(offset, contribution(found[0]), strict=True)]
            continue
        listed[row] = [(v, contribution(v)) for v in found]
    target = tuple(t - o for t, o in zip(target, offset, strict=True))
    if any(t < 0 for t in target):
        return True  # inconsistent with the published totals: cannot happen with real data; be safe
    rows = list(listed)
    forward = [{tuple(0 for _ in target)}]
    for row in rows:
        step = {tuple(a + b for a, b in zip(s, c, strict=True)) for s in forward[-1] for _v, c in listed[row]}
        step = {s for s in step if all(a <= b for a, b in zip(s, target, strict=True))}
        if len(step) > budget:
            return True
        forward.append(step)
    backward = [set() for _ in range(len(rows) + 1)]
    backward[-1] = {target}
    for i in range(len(rows) - 1, -1, -1):
        backward[i] = {
            tuple(a - b for a, b in zip(s, c, strict=True)) for s in backward[i + 1] for _v, c in listed[rows[i]]
        }
        backward[i] = {s for s in backward[i] if all(x >= 0 for x in s)}
        if len(backward[i]) > budget:
            return True
    for i, row in enumerate(rows):
        cells, total = table.row_cells(row), table.row_total(row)
        hidden = [j for j, c in enumerate(CATEGORIES) if cells[c].suppressed]
        if not hidden and not total.suppressed:
            continue
        seen: dict = {j: set() for j in hidden + ["total"]}
        for v, c in listed[row]:
            if any(tuple(a + b for a, b in zip(s, c, strict=True)) in backward[i + 1] for s in forward[i]):
                for j in hidden:
                    seen[j].add(v[j])
                seen["total"].add(sum(v))
        if any(len(seen[j]) < 2 for j in hidden) or (total.suppressed and len(seen["total"]) < 2):
            return True
    return False


def gender_rows(
    groups: Mapping[Hashable, Mapping[str, int]],
    policy: Policy,
    *,
    totals_known: bool = True,
    column_totals: str = SHOWN,
) -> tuple[dict, ProtectedTable]:
    """Gender figures of several groups at once (recoded, protected as one table with its totals).

    Returns group -> GenderRow and the protected table (whose column totals are the programme's).
    `totals_known`: the viewer knows each group's headcount anyway (it is never hidden then).
    Shares and flags next to hidden cells are checked together with the whole table (`_pinned`):
    if they would pin a hidden cell down, rounded shares are withdrawn first, then those flags.

    Memoised per worker by its exact inputs (every group's key and counts, in order, the policy and
    both options): a country-wide level protects hundreds of groups as one table, the same kept figures
    are shown many times a minute (other pages of the table, other sort orders), and a hit is the
    computation's own answer. Callers read what it returns and never change it.
    """
    key = tuple((k, tuple(sorted(v.items()))) for k, v in groups.items())
    # One group is cheap to protect, and pages ask it of many (a workshop's attendance, a stage's
    # figures): it would only push whole tables out of the small memo.
    compute = _gender_rows if len(key) > 1 else _gender_rows.__wrapped__
    result, table = compute(key, policy, totals_known, column_totals)
    return dict(result), table


@lru_cache(maxsize=8)  # a protected 500-municipality table holds about 2.4 MiB
def _gender_rows(
    groups_items: tuple, policy: Policy, totals_known: bool, column_totals: str
) -> tuple[dict, ProtectedTable]:
    recoded = {k: recode(dict(v)) for k, v in groups_items}
    table = protect_table(
        recoded,
        policy,
        columns=CATEGORIES,
        row_totals=FIXED if totals_known else SHOWN,
        column_totals=column_totals if len(recoded) > 1 else NONE,
        grand_total=column_totals if len(recoded) > 1 else NONE,
    )
    shares = {
        key: gender_share(counts, table.row_cells(key), table.row_total(key), policy) for key, counts in recoded.items()
    }
    partial = [k for k in recoded if table.cell(k, WOMAN).suppressed or table.cell(k, MAN).suppressed]
    if partial and any(shares[k].value is not None or shares[k].parity is not None for k in partial):
        if _pinned(table, shares, policy):
            shares.update({k: Share(None, withheld=True, parity=shares[k].parity) for k in partial})
            if _pinned(table, shares, policy):
                shares.update({k: Share(None, withheld=True) for k in partial})
    result = {
        key: GenderRow(table.row_cells(key), table.row_total(key), shares[key], counts)
        for key, counts in recoded.items()
    }
    return result, table


def gender_row(counts: Mapping[str, int], policy: Policy, *, totals_known: bool = True) -> GenderRow:
    """Gender figures of a single group."""
    rows, _table = gender_rows({"all": counts}, policy, totals_known=totals_known)
    return rows["all"]


def programme_row(table: ProtectedTable, policy: Policy) -> GenderRow:
    """The totals row of a protected gender table (the programme's figures on that page)."""
    counts = {c: table.values[("col", c)] for c in CATEGORIES}
    cells = {c: table.column_total(c) for c in CATEGORIES}
    total = table.grand_total
    return GenderRow(cells, total, gender_share(counts, cells, total, policy), counts)


# --------------------------------------------------------------------------- rule 5: differencing


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def registration_periods(
    counts: Mapping[tuple[int, int], Mapping[Hashable, int]], policy: Policy
) -> list[tuple[date, date]]:
    """Whole-month periods a date filter may start and end on.

    counts: (year, month) -> group -> people registered. Consecutive months are merged until every
    group gains either nobody or at least `min_group` people, so any two allowed settings differ by
    whole periods. The last period absorbs a short tail.
    """
    months = sorted(counts)
    periods: list[list] = []  # [first month, last month, counts per group]
    pending: dict = {}
    start = None
    for ym in months:
        if start is None:
            start = ym
        for group, n in counts[ym].items():
            pending[group] = pending.get(group, 0) + int(n or 0)
        if all(n == 0 or n >= policy.min_group for n in pending.values()):
            periods.append([start, ym, pending])
            start, pending = None, {}
    if start is not None:
        periods.append([start, months[-1], pending])
    # A short tail is merged backwards until every period is safe (or one period is left: no filter).
    while len(periods) > 1 and not all(n == 0 or n >= policy.min_group for n in periods[-1][2].values()):
        last = periods.pop()
        merged = dict(periods[-1][2])
        for group, n in last[2].items():
            merged[group] = merged.get(group, 0) + n
        periods[-1] = [periods[-1][0], last[1], merged]
    starts = [date(a[0], a[1], 1) for a, _b, _c in periods]
    ends = [date.fromordinal(s.toordinal() - 1) for s in starts[1:]]  # no gap between periods
    ends.append(month_end(date(periods[-1][1][0], periods[-1][1][1], 1)) if periods else None)
    return list(zip(starts, ends, strict=False))


def snap_dates(
    start: date | None, end: date | None, periods: list[tuple[date, date]]
) -> tuple[date | None, date | None]:
    """Widen a date range to whole allowed periods (None stays open)."""
    if not periods:
        return (month_start(start) if start else None, month_end(end) if end else None)
    new_start = new_end = None
    if start is not None:
        new_start = month_start(start)
        for a, b in periods:
            if a <= start <= b:
                new_start = a
        if start > periods[-1][1]:
            new_start = periods[-1][0]
        if new_start <= periods[0][0]:
            new_start = None  # from the first period on is no filter at all
    if end is not None:
        new_end = month_end(end)
        for a, b in periods:
            if a <= end <= b:
                new_end = b
        if end < periods[0][0]:
            new_end = periods[0][1]
        if new_end >= periods[-1][1]:
            new_end = None
    return new_start, new_end


def too_narrow(group_size: int, policy: Policy) -> bool:
    """A filtered group a viewer who may not see people must not get figures for."""
    return 0 < group_size < policy.min_group


# --------------------------------------------------------------------------- exports


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
