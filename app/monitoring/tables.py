"""Monitoring tables: one description of each table, shown as HTML and exported as CSV/XLSX alike.

Building the table once (with disclosure control applied by `app.services.disclosure`) is what
guarantees that a page, its charts and its export show the same figures and hide the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import tr
from app.services import disclosure as d
from app.services.monitoring import Funnel, GenderOutcome, GroupRow, MunicipalityRow, QuestionRow

GENDER_LABELS = {
    d.WOMAN: _l("Mujeres"),
    d.MAN: _l("Varones"),
    d.OTHER: _l("Otra identidad o sin declarar"),
}
PARITY_LABELS = {d.WITHIN: _l("Dentro de la banda"), d.BELOW: _l("Por debajo"), d.ABOVE: _l("Por encima")}


# The default viewer: staff who may see the people list anyway (a frozen value, shared safely).
STAFF = d.Viewer(True)


@dataclass(frozen=True)
class Hidden:
    """A suppressed figure. Every hidden figure reads the same, whatever the reason: a small count,
    a figure hidden so that a small one cannot be worked out, or a rate or mean over too few people."""

    min_group: int
    derived: bool = False

    def __str__(self) -> str:
        return _("oculto")


@dataclass(frozen=True)
class Rounded:
    """A women's share published rounded (to `step` points)."""

    value: float
    step: int = 5

    def __str__(self) -> str:
        return "≈" + str(int(self.value))


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | pct | score | parity | date | share
    numeric: bool = True


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""
    links: dict = field(default_factory=dict)  # row index -> url for the first column
    footer: dict | None = None  # a totals row, shown last and never sorted
    shares: list = field(default_factory=list)  # gender tables: women's share per measure

    def pairs(self, label_key: str, value_key: str) -> list[tuple]:
        """(label, value) pairs of two columns, for a chart: hidden values stay Hidden, never 0."""
        return [(row[label_key], row[value_key]) for row in self.rows]


def _show(cell: d.Cell, policy: d.Policy):
    return Hidden(policy.min_group, cell.complementary) if cell.suppressed else cell.value


def _share_value(share: d.Share, policy: d.Policy):
    if share.value is None:
        return Hidden(policy.min_group, True) if share.withheld else None
    return Rounded(share.value, share.step) if share.rounded else share.value


def _mean(value, people: int, policy: d.Policy, viewer: d.Viewer, gendered: bool = False):
    """A mean over `people`: hidden under the minimum group size (for everyone when split by gender)."""
    if value is None:
        return None
    if (gendered or not viewer.sees_people) and people < policy.min_group:
        return Hidden(policy.min_group, True)
    return value


def _rate(numerator: d.Cell, denominator: d.Cell, policy: d.Policy, viewer: d.Viewer, gendered: bool = False):
    """A rate between two published counts, hidden with them (or over too few people when protected)."""
    if numerator.suppressed or denominator.suppressed:
        return Hidden(policy.min_group, True)
    if not denominator.value:
        return None
    if (gendered or not viewer.sees_people) and denominator.value < policy.min_group:
        return Hidden(policy.min_group, True)
    return 100.0 * (numerator.value or 0) / denominator.value


def gender_columns(prefix: str = "") -> list[Column]:
    """Columns for the three published categories, women's share and the parity flag."""
    return [
        *[Column(f"{prefix}{key}", str(label)) for key, label in GENDER_LABELS.items()],
        Column(f"{prefix}share", _("Mujeres entre mujeres y varones (%)"), "share"),
        Column(f"{prefix}parity", _("Paridad"), "parity", numeric=False),
    ]


def gender_cells(row: d.GenderRow, policy: d.Policy, prefix: str = "") -> dict:
    """Published gender cells, share and parity flag for one row."""
    cells = {f"{prefix}{key}": _show(cell, policy) for key, cell in row.cells.items()}
    cells[f"{prefix}share"] = _share_value(row.share, policy)
    cells[f"{prefix}parity"] = row.share.parity
    return cells


def reading_note(policy: d.Policy) -> str:
    """How to read these figures: recoding, suppression, rounding, the band (pages and exports)."""
    return _(
        "Cómo leer estas cifras: «Otra identidad o sin declarar» reúne a las personas no binarias o de otra "
        "identidad y a quienes no declararon su género. Se ocultan los grupos de 1 a %(k)s personas, los promedios "
        "y tasas calculados sobre menos de %(n)s personas y las cifras que permitirían deducirlos por sumas o "
        "restas; toda cifra oculta dice «oculto». La proporción de mujeres se calcula entre mujeres y varones; "
        "«≈» indica que está redondeada a 5 o %(step)s puntos para no revelar una cifra oculta. Banda de paridad: "
        "%(low)s–%(high)s %% de mujeres, extremos incluidos.",
        k=policy.min_group - 1,
        n=policy.min_group,
        step=d.SHARE_STEP,
        low=_num(policy.parity_low),
        high=_num(policy.parity_high),
    )


def suppression_note(policy: d.Policy) -> str:
    """Kept for callers of the former name: the reading note."""
    return reading_note(policy)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def withheld_row(total: d.Cell) -> d.GenderRow:
    """Gender figures withheld as a whole (in views sliced by registration date or area)."""
    return d.GenderRow({c: d.Cell(None, True, True) for c in d.CATEGORIES}, total, d.Share(None, withheld=True), {})


def overview_table(
    rows: list[MunicipalityRow],
    n_modules: int,
    policy: d.Policy,
    viewer: d.Viewer = STAFF,
    gender: bool = True,
    keep: set | None = None,
) -> tuple[Table, d.GenderRow | None]:
    """The programme overview (one row per municipality) and the programme's gender figures.

    `rows` are every municipality in scope; `keep` (ids) the ones a province filter leaves on the
    page: protection is computed on all of them, so a filtered page hides what the full one hides, and
    a totals row of a subset shows a sum only when none of its parts is hidden. `gender=False`
    withholds the gender columns (views sliced by registration date or area).
    """
    table = Table(
        "overview",
        _("Municipios"),
        [
            Column("name", _("Municipio"), "text", numeric=False),
            Column("province", _("Provincia"), "text", numeric=False),
            Column("registered", _("Inscriptas/os")),
            Column("active", _("Activas/os (30 días)")),
            Column("modules_completed", _("Módulos completados")),
            Column("all_modules", _("Completaron los %(n)s módulos", n=n_modules)),
            Column("avg_score", _("Puntaje promedio"), "score"),
            *gender_columns(),
        ],
        note="",  # the reading note is on the page once and at the top of every export
    )
    with_people = [r for r in rows if r.registered]
    genders, protected = d.gender_rows({r.id: r.genders for r in with_people}, policy, totals_known=viewer.sees_people)
    hide = not viewer.sees_people
    counts = {
        name: d.protect_column({r.id: getattr(r, name) for r in with_people}, policy, hide_small=hide)
        for name in ("active", "modules_completed", "all_modules")
    }
    empty = d.GenderRow({c: d.Cell(0) for c in d.CATEGORIES}, d.Cell(0), d.Share(None), {})
    if not gender:
        genders = {key: withheld_row(g.total) for key, g in genders.items()}
    shown_rows = [r for r in rows if keep is None or r.id in keep]
    for row in shown_rows:
        g = genders.get(row.id, empty)
        published = {name: (_show(counts[name].cell(row.id, "n"), policy) if row.registered else 0) for name in counts}
        table.rows.append(
            {
                "id": row.id,
                "name": row.name,
                "province": row.province,
                "registered": _show(g.total, policy),
                **published,
                "avg_score": _mean(row.avg_score, row.scored_people, policy, viewer),
                **gender_cells(g, policy),
            }
        )
    programme = None
    subset = [r for r in with_people if keep is None or r.id in keep]
    footer_counts = {name: counts[name].column_total("n") for name in counts}
    if not gender:
        programme = withheld_row(d.Cell(sum(r.registered for r in subset)))
    elif len(with_people) == 1 and subset:
        programme = genders[with_people[0].id]
    elif len(subset) == len(with_people) and with_people:
        programme = d.programme_row(protected, policy)
    elif subset:
        programme = _subset_row([genders[r.id] for r in subset], policy)
        footer_counts = {
            name: (
                d.Cell(None, True, True)
                if any(counts[name].cell(r.id, "n").suppressed for r in subset)
                else d.Cell(sum(getattr(r, name) for r in subset))
            )
            for name in counts
        }
    if len(shown_rows) > 1 and programme is not None:
        scored = sum(r.scored for r in shown_rows)
        table.footer = {
            "name": _("Total"),
            "province": "",
            "registered": _show(programme.total, policy),
            **{name: _show(cell, policy) for name, cell in footer_counts.items()},
            "avg_score": _mean(
                round(sum(r.best_sum for r in shown_rows) / scored, 1) if scored else None,
                sum(r.scored_people for r in shown_rows),
                policy,
                viewer,
            ),
            **gender_cells(programme, policy),
        }
    return table, programme


def _subset_row(rows: list[d.GenderRow], policy: d.Policy) -> d.GenderRow:
    """The sum of some protected rows: a category's sum is shown only when none of its parts is hidden
    (otherwise it would be one more equation on them); the share follows the same rule."""
    counts = {c: sum(r.counts.get(c, 0) for r in rows) for c in d.CATEGORIES}
    cells = {
        c: (d.Cell(None, True, True) if any(r.cells[c].suppressed for r in rows) else d.Cell(counts[c]))
        for c in d.CATEGORIES
    }
    total = d.Cell(None, True, True) if any(r.total.suppressed for r in rows) else d.Cell(sum(counts.values()))
    if cells[d.WOMAN].suppressed or cells[d.MAN].suppressed:
        return d.GenderRow(cells, total, d.Share(None, withheld=True), counts)
    return d.GenderRow(cells, total, d.gender_share(counts, cells, total, policy), counts)


def module_table(rows: list[GroupRow], policy: d.Policy, title: str | None = None, viewer: d.Viewer = STAFF) -> Table:
    """Per module: started, lessons done, passed, completed, rates and average score."""
    table = Table(
        "modules",
        title or _("Por módulo"),
        [
            Column("label", _("Módulo"), "text", numeric=False),
            Column("started", _("Empezaron")),
            Column("lessons_done", _("Terminaron las lecciones")),
            Column("passed", _("Aprobaron la evaluación")),
            Column("completed", _("Completaron el módulo")),
            Column("completion_rate", _("Tasa de finalización"), "pct"),
            Column("avg_score", _("Puntaje promedio"), "score"),
            Column("avg_attempts", _("Intentos promedio"), "score"),
        ],
        note="",  # the reading note is on the page once and at the top of every export
    )
    hide = not viewer.sees_people
    for row in rows:
        cells = d.protect_values(
            {k: getattr(row, k) for k in ("started", "lessons_done", "passed", "completed")}, policy, hide_small=hide
        )
        table.rows.append(
            {
                "id": row.id,
                "label": tr(row.label),
                **{k: _show(c, policy) for k, c in cells.items()},
                "completion_rate": _rate(cells["completed"], cells["started"], policy, viewer),
                "avg_score": _mean(row.avg_score, row.scored_people, policy, viewer),
                "avg_attempts": _mean(row.avg_attempts, row.attempted, policy, viewer),
            }
        )
    return table


def area_table(
    rows: list[GroupRow],
    policy: d.Policy,
    n_modules: int,
    viewer: d.Viewer = STAFF,
    totals: dict | None = None,
    gender: bool = True,
) -> tuple[Table, d.GenderRow | None, dict]:
    """Per government area: officials, progress, average score and gender balance.

    The areas add up to the whole group, so they are protected as one table whose totals are the
    group's gender figures and funnel counts. `totals` (gender counts of everyone in view) adds a row
    for people without an area when they exist. Returns the table, the group's gender figures and the
    published totals of 'started' and 'completed every module' (for the funnel).
    """
    table = Table(
        "areas",
        _("Por área de gobierno"),
        [
            Column("label", _("Área"), "text", numeric=False),
            Column("people", _("Inscriptas/os")),
            Column("started", _("Empezaron")),
            Column("completed", _("Completaron los %(n)s módulos", n=n_modules)),
            Column("avg_score", _("Puntaje promedio"), "score"),
            *gender_columns(),
        ],
        note="",  # the reading note is on the page once and at the top of every export
    )
    groups = {row.id: row.genders for row in rows}
    labels = {row.id: tr(row.label) for row in rows}
    if totals is not None:
        rest = {k: int(totals.get(k, 0) or 0) - sum(r.genders.get(k, 0) for r in rows) for k in totals}
        if any(rest.values()):
            groups["none"] = rest
            labels["none"] = _("Sin área registrada")
    genders, protected = d.gender_rows(groups, policy, totals_known=viewer.sees_people)
    if not gender:
        genders = {key: withheld_row(g.total) for key, g in genders.items()}
    hide = not viewer.sees_people
    started = d.protect_column({r.id: r.started for r in rows}, policy, hide_small=hide)
    completed = d.protect_column({r.id: r.completed for r in rows}, policy, hide_small=hide)
    for row in rows:
        g = genders[row.id]
        table.rows.append(
            {
                "id": row.id,
                "label": labels[row.id],
                "people": _show(g.total, policy),
                "started": _show(started.cell(row.id, "n"), policy),
                "completed": _show(completed.cell(row.id, "n"), policy),
                "avg_score": _mean(row.avg_score, row.scored_people, policy, viewer),
                **gender_cells(g, policy),
            }
        )
    if "none" in genders:
        g = genders["none"]
        table.rows.append(
            {
                "id": None,
                "label": labels["none"],
                "people": _show(g.total, policy),
                "started": None,
                "completed": None,
                "avg_score": None,
                **gender_cells(g, policy),
            }
        )
    if not groups:
        overall = None
    elif len(groups) == 1:
        overall = next(iter(genders.values()))
    elif not gender:
        overall = withheld_row(protected.grand_total)
    else:
        overall = d.programme_row(protected, policy)
    published = {"started": started.column_total("n"), "all_modules": completed.column_total("n")}
    if "none" in groups:  # the area columns do not add up to the whole: the funnel protects itself
        published = {}
    return table, overall, published


FUNNEL_LABELS = {
    "registered": _l("Inscriptas/os"),
    "started": _l("Empezaron al menos una lección"),
    "lessons": _l("Terminaron las lecciones de al menos un módulo"),
    "passed": _l("Aprobaron al menos una evaluación"),
    "all_modules": _l("Completaron todos los módulos"),
}


def funnel_table(
    funnel: Funnel, policy: d.Policy | None = None, viewer: d.Viewer = STAFF, published: dict | None = None
) -> Table:
    """The completion funnel as a table (the chart's text alternative).

    `published` overrides steps already published (and protected) elsewhere on the page, so that the
    same count is hidden or shown alike everywhere.
    """
    policy = policy or d.Policy()
    table = Table(
        "funnel",
        _("Embudo de avance"),
        [
            Column("step", _("Etapa"), "text", numeric=False),
            Column("people", _("Personas")),
            Column("share", _("Proporción de inscriptas/os"), "pct"),
        ],
    )
    cells = d.protect_values(dict(funnel.steps()), policy, hide_small=not viewer.sees_people)
    cells.update(published or {})
    for key, _value in funnel.steps():
        table.rows.append(
            {
                "step": str(FUNNEL_LABELS[key]),
                "people": _show(cells[key], policy),
                "share": _rate(cells[key], cells["registered"], policy, viewer),
            }
        )
    return table


def distribution_table(
    buckets: list[tuple[int, int]], policy: d.Policy | None = None, viewer: d.Viewer = STAFF
) -> Table:
    """Best scores in ten-point bands."""
    policy = policy or d.Policy()
    table = Table(
        "scores",
        _("Distribución del mejor puntaje"),
        [
            Column("band", _("Puntaje"), "text", numeric=False),
            Column("people", _("Personas")),
        ],
    )
    cells = d.protect_column(dict(buckets), policy, total=d.NONE, hide_small=not viewer.sees_people)
    for low, _count in buckets:
        high = 100 if low == 90 else low + 9
        table.rows.append({"band": f"{low}–{high}", "people": _show(cells.cell(low, "n"), policy)})
    return table


def attempts_table(rows: list[tuple[int, int]], policy: d.Policy | None = None, viewer: d.Viewer = STAFF) -> Table:
    """How many attempts officials used."""
    policy = policy or d.Policy()
    table = Table(
        "attempts",
        _("Intentos usados"),
        [
            Column("attempts", _("Intentos"), "text", numeric=False),
            Column("people", _("Personas")),
        ],
    )
    cells = d.protect_values(dict(rows), policy, hide_small=not viewer.sees_people)
    for attempts, _count in rows:
        table.rows.append({"attempts": str(attempts), "people": _show(cells[attempts], policy)})
    return table


def missed_table(rows: list[QuestionRow], policy: d.Policy | None = None, viewer: d.Viewer = STAFF) -> Table:
    """Questions most often answered wrong."""
    policy = policy or d.Policy()
    table = Table(
        "questions",
        _("Preguntas con más respuestas incorrectas"),
        [
            Column("key", _("Código"), "text", numeric=False),
            Column("text", _("Pregunta"), "text", numeric=False),
            Column("answered", _("Respondida")),
            Column("wrong", _("Incorrectas")),
            Column("wrong_rate", _("Proporción de respuestas incorrectas"), "pct"),
        ],
        note=_("Solo preguntas respondidas al menos 5 veces en intentos enviados."),
    )
    hide = not viewer.sees_people
    for row in rows:
        text = tr(row.text) + ("" if row.active else " " + _("(retirada del banco)"))
        cells = d.protect_values({"answered": row.answered, "wrong": row.wrong}, policy, hide_small=hide)
        table.rows.append(
            {
                "key": row.key,
                "text": text,
                "answered": _show(cells["answered"], policy),
                "wrong": _show(cells["wrong"], policy),
                "wrong_rate": _rate(cells["wrong"], cells["answered"], policy, viewer),
            }
        )
    return table


MEASURES = ("enrolled", "completed", "passed")


def gender_outcome_tables(
    outcomes: list[GenderOutcome],
    policy: d.Policy,
    level: str,
    viewer: d.Viewer = STAFF,
    titles: dict | None = None,
    shown: slice | None = None,
) -> list[Table]:
    """Outcomes per gender category for every group of a level, protected together.

    For each measure (enrolled, completed, passed) the groups form one table (groups x categories),
    so a hidden cell can be recovered neither within a group nor across groups. Every group is
    protected; tables are built for the groups `shown` selects (a page of them; all by default), so a
    page hides exactly what the whole level hides.
    """
    module_level = level == "module"
    protected = {
        name: d.gender_rows(
            {o.key: getattr(o, name) for o in outcomes}, policy, totals_known=viewer.sees_people, column_totals=d.NONE
        )[0]
        for name in MEASURES
    }
    # words looked up once, not once per group (a country-wide level has hundreds of groups)
    columns = [
        Column("category", _("Género"), "text", numeric=False),
        Column("enrolled", _("Empezaron el módulo") if module_level else _("Inscriptas/os")),
        Column("completed", _("Completaron el módulo") if module_level else _("Completaron todos los módulos")),
        Column("completion_rate", _("Tasa de finalización"), "pct"),
        Column("passed", _("Aprobaron la evaluación") if module_level else _("Aprobaron al menos una evaluación")),
        Column("pass_rate", _("Tasa de aprobación"), "pct"),
        Column("avg_score", _("Puntaje promedio"), "score"),
    ]
    labels = {key: str(label) for key, label in GENDER_LABELS.items()}
    total_label = _("Total")
    tables = []
    for outcome in outcomes if shown is None else outcomes[shown]:
        title = (titles or {}).get(outcome.key, tr(outcome.label))
        table = Table(f"gender-{outcome.key}", title, list(columns), note="")
        rows = {name: protected[name][outcome.key] for name in MEASURES}
        best_sum, best_n = d.recode(outcome.best_sum), d.recode(outcome.best_n)
        scored = d.recode(outcome.scored_people or outcome.best_n)
        for key, label in labels.items():
            e, c, p = (rows[name].cells[key] for name in MEASURES)
            table.rows.append(
                {
                    "category": label,
                    "enrolled": _show(e, policy),
                    "completed": _show(c, policy),
                    "completion_rate": _rate(c, e, policy, viewer, gendered=True),
                    "passed": _show(p, policy),
                    "pass_rate": _rate(p, e, policy, viewer, gendered=True),
                    "avg_score": _mean(
                        best_sum[key] / best_n[key] if best_n[key] else None, scored[key], policy, viewer, gendered=True
                    ),
                }
            )
        e, c, p = (rows[name].total for name in MEASURES)
        n_all = sum(outcome.best_n.values())
        table.rows.append(
            {
                "category": total_label,
                "enrolled": _show(e, policy),
                "completed": _show(c, policy),
                "completion_rate": _rate(c, e, policy, viewer),
                "passed": _show(p, policy),
                "pass_rate": _rate(p, e, policy, viewer),
                "avg_score": _mean(
                    sum(outcome.best_sum.values()) / n_all if n_all else None, sum(scored.values()), policy, viewer
                ),
                "_total": True,
            }
        )
        for name, column in (("enrolled", 1), ("completed", 2), ("passed", 4)):
            share = rows[name].share
            table.shares.append(
                {"measure": table.columns[column].label, "share": _share_value(share, policy), "parity": share.parity}
            )
        tables.append(table)
    return tables


def gender_outcome_table(
    outcome: GenderOutcome, policy: d.Policy, level: str, title: str, viewer: d.Viewer = STAFF
) -> Table:
    """One group's outcome table (protected on its own; pages use `gender_outcome_tables`)."""
    return gender_outcome_tables([outcome], policy, level, viewer, {outcome.key: title})[0]


def certificates_table(rows: list, policy: d.Policy, viewer: d.Viewer = STAFF, gender: bool = True) -> Table:
    """Training certificates per municipality: valid and revoked, valid ones by gender (one protected table);
    `gender=False` withholds the gender columns (views sliced by registration date or area)."""
    table = Table(
        "certificates",
        _("Certificados de capacitación por municipio"),
        [
            Column("name", _("Municipio"), "text", numeric=False),
            Column("province", _("Provincia"), "text", numeric=False),
            Column("valid", _("Certificados vigentes")),
            Column("revoked", _("Revocados")),
            *gender_columns(),
        ],
        note="",  # the reading note is on the page once and at the top of every export
    )
    with_certificates = [r for r in rows if r.valid]
    genders, _protected = d.gender_rows(
        {r.id: r.genders for r in with_certificates}, policy, totals_known=viewer.sees_people
    )
    if not gender:
        genders = {key: withheld_row(g.total) for key, g in genders.items()}
    hide = not viewer.sees_people
    revoked = d.protect_column({r.id: r.revoked for r in rows}, policy, total=d.NONE, hide_small=hide)
    empty = d.GenderRow({c: d.Cell(0) for c in d.CATEGORIES}, d.Cell(0), d.Share(None), {})
    for row in rows:
        g = genders.get(row.id, empty)
        table.rows.append(
            {
                "name": row.name,
                "province": row.province,
                "valid": _show(g.total, policy),
                "revoked": _show(revoked.cell(row.id, "n"), policy),
                **gender_cells(g, policy),
            }
        )
    return table
