"""An adversary for published gender tables, written independently of app.services.disclosure.

It reads only what a page shows (counts, "hidden", row totals, the totals row, exact or rounded women's
shares and parity flags) and solves for every hidden count by exact integer enumeration: each row's
possible values are listed, and rows are chained through the column totals by dynamic programming
(forward reachable partial sums, backward completable ones). A hidden count is *recovered* when only
one value is possible. This covers every linear combination of rows, columns and totals, and the
bounds that come with them (counts are never negative), so "Córdoba's two small cells must be 1 each"
is found as well as "Salta women = 37 - 18 - 12".

Several filter settings over the same people are attacked together: `layers` splits every row into
disjoint groups of people (e.g. registered before / after a month boundary) and each published table
is the sum of some of those layers, so differences between settings are part of the equations.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

CATS = ("woman", "man", "other")


@dataclass
class Published:
    """One published table: row -> category -> int or None (hidden); row totals; totals row; shares."""

    cells: dict
    totals: dict  # row -> int or None
    column_totals: dict = field(default_factory=dict)  # category -> int or None (missing: not published)
    grand_total: int | None = None
    shares: dict = field(default_factory=dict)  # row -> ("exact", value) | ("rounded", value) | None
    flags: dict = field(default_factory=dict)  # row -> "within" | "below" | "above" | None
    layers: tuple = (0,)  # which layers of people this table adds up
    all_rows: bool = True  # False: a row left out is not shown (a province filter), not empty


def _share_ok(w: int, m: int, share, flag, low: float, high: float, step: int, min_group: int) -> bool:
    pair = w + m
    if flag is not None:
        if pair < min_group:
            return False
        s = 100.0 * w / pair
        if flag != ("below" if s < low else "above" if s > high else "within"):
            return False
    if share is not None:
        kind, value = share[0], share[1]
        if pair < min_group:
            return False
        s = 100.0 * w / pair
        if kind == "exact" and round(s, 1) != round(value, 1):
            return False
        if kind == "rounded" and share[2] * int(s / share[2] + 0.5) != value:
            return False
    return True


def _fits(t: Published, row, vec, low, high, step, min_group) -> bool:
    if t.totals.get(row) is not None and sum(vec) != t.totals[row]:
        return False
    if any(t.cells[row][c] is not None and t.cells[row][c] != vec[i] for i, c in enumerate(CATS)):
        return False
    return _share_ok(vec[0], vec[1], t.shares.get(row), t.flags.get(row), low, high, step, min_group)


def _vectors(total: int, cap: int):
    """Every (woman, man, other) of non-negative counts summing to `total` (or up to cap if unknown)."""
    if total is not None and total < 0:
        return
    totals = [total] if total is not None else range(cap + 1)
    for t in totals:
        for w in range(t + 1):
            for m in range(t - w + 1):
                yield (w, m, t - w - m)


def feasible_values(
    tables: list[Published], n_layers: int = 1, *, low=40.0, high=60.0, step=5, min_group=5, cap: int = 60
) -> dict:
    """(table index, row, category or 'total') -> set of values the published figures allow."""
    rows = sorted({r for t in tables for r in t.cells}, key=str)

    def row_options(row):
        per_layer_totals = [None] * n_layers
        # A table covering a single layer with a published total fixes that layer's total.
        for t in tables:  # a row a table leaves out has nobody in that table's layers
            if row not in t.cells and t.all_rows:
                for k in t.layers:
                    per_layer_totals[k] = 0
        changed = True
        while changed:  # a table over several layers fixes the one layer total still unknown
            changed = False
            for t in tables:
                if t.totals.get(row) is None:
                    continue
                unknown = [k for k in t.layers if per_layer_totals[k] is None]
                if len(unknown) == 1:
                    per_layer_totals[unknown[0]] = t.totals[row] - sum(
                        per_layer_totals[k] for k in t.layers if k != unknown[0]
                    )
                    changed = True
        per_layer = []
        for k in range(n_layers):  # tables over this one layer prune its vectors before combining layers
            own = [t for t in tables if t.layers == (k,) and row in t.cells]
            per_layer.append(
                [
                    v
                    for v in _vectors(per_layer_totals[k], cap)
                    if all(_fits(t, row, v, low, high, step, min_group) for t in own)
                ]
            )
        options = []
        for combo in itertools.product(*per_layer):
            ok = True
            for t in tables:
                if row not in t.cells:
                    if t.all_rows and any(sum(combo[k]) for k in t.layers):
                        ok = False
                        break
                    continue
                vec = [sum(combo[k][i] for k in t.layers) for i in range(3)]
                if t.totals.get(row) is not None and sum(vec) != t.totals[row]:
                    ok = False
                    break
                if any(t.cells[row][c] is not None and t.cells[row][c] != vec[i] for i, c in enumerate(CATS)):
                    ok = False
                    break
                if not _share_ok(vec[0], vec[1], t.shares.get(row), t.flags.get(row), low, high, step, min_group):
                    ok = False
                    break
            if ok:
                options.append(combo)
        return options

    def contribution(combo, row):
        out = []
        for t in tables:
            vec = [sum(combo[k][i] for k in t.layers) for i in range(3)] if row in t.cells else [0, 0, 0]
            for i, c in enumerate(CATS):
                if t.column_totals.get(c) is not None:
                    out.append(vec[i])
            if t.grand_total is not None:
                out.append(sum(vec))
        return tuple(out)

    target = []
    for t in tables:
        target += [t.column_totals[c] for c in CATS if t.column_totals.get(c) is not None]
        if t.grand_total is not None:
            target.append(t.grand_total)
    target = tuple(target)
    options = {r: row_options(r) for r in rows}
    forward = [{tuple(0 for _ in target)}]
    for r in rows:
        nxt = set()
        for s in forward[-1]:
            for o in options[r]:
                v = tuple(a + b for a, b in zip(s, contribution(o, r), strict=False))
                if all(a <= b for a, b in zip(v, target, strict=False)):
                    nxt.add(v)
        forward.append(nxt)
    backward = [None] * (len(rows) + 1)
    backward[-1] = {target}
    for i in range(len(rows) - 1, -1, -1):
        prev = set()
        for b in backward[i + 1]:
            for o in options[rows[i]]:
                v = tuple(a - c for a, c in zip(b, contribution(o, rows[i]), strict=False))
                if all(x >= 0 for x in v):
                    prev.add(v)
        backward[i] = prev
    result: dict = {}
    for i, r in enumerate(rows):
        for o in options[r]:
            c = contribution(o, r)
            if not any(tuple(a + b for a, b in zip(s, c, strict=False)) in backward[i + 1] for s in forward[i]):
                continue
            for ti, t in enumerate(tables):
                if r not in t.cells:
                    continue
                vec = [sum(o[k][j] for k in t.layers) for j in range(3)]
                for j, cat in enumerate(CATS):
                    result.setdefault((ti, r, cat), set()).add(vec[j])
                result.setdefault((ti, r, "total"), set()).add(sum(vec))
    return result


def recovered(tables: list[Published], n_layers: int = 1, **kw) -> list:
    """Hidden figures (and hidden row totals) that only one value fits: the adversary's findings."""
    values = feasible_values(tables, n_layers, **kw)
    found = []
    for ti, t in enumerate(tables):
        for r, cells in t.cells.items():
            for c in CATS:
                if cells[c] is None and len(values.get((ti, r, c), ())) == 1:
                    found.append((ti, r, c, next(iter(values[(ti, r, c)]))))
            if t.totals.get(r, 0) is None and len(values.get((ti, r, "total"), ())) == 1:
                found.append((ti, r, "total", next(iter(values[(ti, r, "total")]))))
    return found
