"""Monitoring tables: one description of each table, shown as HTML and exported as CSV/XLSX alike.

Building the table once (with suppression applied) is what guarantees that a page and its export
show the same figures and hide the same cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import tr
from app.services import gender as g
from app.services.monitoring import Funnel, GenderOutcome, GroupRow, MunicipalityRow, QuestionRow

GENDER_LABELS = {
    g.WOMAN: _l("Mujeres"),
    g.MAN: _l("Varones"),
    g.NONBINARY: _l("No binario u otra"),
    g.UNDISCLOSED: _l("Sin declarar"),
}
PARITY_LABELS = {g.WITHIN: _l("Dentro de la banda"), g.BELOW: _l("Por debajo"), g.ABOVE: _l("Por encima")}


@dataclass(frozen=True)
class Hidden:
    """A suppressed cell: a small count shows '<k'; a figure derived from one (share, rate, mean) 'hidden'."""

    min_group: int
    derived: bool = False

    def __str__(self) -> str:
        return _("oculto") if self.derived else f"<{self.min_group}"


@dataclass
class Column:
    key: str
    label: str
    kind: str = "int"  # text | int | pct | score | parity | date
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

    def pairs(self, label_key: str, value_key: str) -> list[tuple]:
        """(label, value) pairs of two columns, for a chart."""
        return [(row[label_key], row[value_key]) for row in self.rows]


def _cell(cell: g.Cell, policy: g.Policy):
    """A count cell: small ones read '<k', the ones hidden only to protect them read 'hidden'."""
    return Hidden(policy.min_group, cell.complementary) if cell.suppressed else cell.value


def gender_columns(prefix: str = "") -> list[Column]:
    """Columns for the four categories, women's share and the parity flag."""
    return [
        *[Column(f"{prefix}{key}", str(label)) for key, label in GENDER_LABELS.items()],
        Column(f"{prefix}share", _("Mujeres (%)"), "pct"),
        Column(f"{prefix}parity", _("Paridad"), "parity", numeric=False),
    ]


def gender_cells(counts: dict, policy: g.Policy, prefix: str = "") -> dict:
    """Suppressed gender cells, share and parity flag for one row."""
    result = g.balance(counts, policy)
    cells = {f"{prefix}{key}": _cell(cell, policy) for key, cell in result.cells.items()}
    cells[f"{prefix}share"] = Hidden(policy.min_group, True) if result.share_suppressed else result.women_share
    cells[f"{prefix}parity"] = result.parity
    return cells


def suppression_note(policy: g.Policy) -> str:
    return _("Los valores de grupos de menos de %(n)s personas se muestran como «<%(n)s» para proteger la identidad; "
             "también se ocultan los datos que permitirían calcularlos. «Mujeres (%%)» se calcula entre quienes "
             "declararon su género. Banda de paridad: %(low)s–%(high)s %%.",
             n=policy.min_group, low=_num(policy.parity_low), high=_num(policy.parity_high))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def overview_table(rows: list[MunicipalityRow], n_modules: int, policy: g.Policy) -> Table:
    """The programme overview: one row per municipality."""
    table = Table(
        "overview", _("Municipios"),
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
        note=suppression_note(policy),
    )
    for row in rows:
        table.rows.append({
            "id": row.id, "name": row.name, "province": row.province, "registered": row.registered,
            "active": row.active, "modules_completed": row.modules_completed, "all_modules": row.all_modules,
            "avg_score": row.avg_score, **gender_cells(row.genders, policy),
        })
    if len(rows) > 1:
        scored = sum(r.scored for r in rows)
        genders = {key: sum(r.genders.get(key, 0) for r in rows) for key in g.CATEGORIES}
        table.footer = {
            "name": _("Total"), "province": "", "registered": sum(r.registered for r in rows),
            "active": sum(r.active for r in rows), "modules_completed": sum(r.modules_completed for r in rows),
            "all_modules": sum(r.all_modules for r in rows),
            "avg_score": round(sum(r.best_sum for r in rows) / scored, 1) if scored else None,
            **gender_cells(genders, policy),
        }
    return table


def module_table(rows: list[GroupRow], policy: g.Policy, title: str | None = None) -> Table:
    """Per module: started, lessons done, passed, completed, rates and average score."""
    table = Table(
        "modules", title or _("Por módulo"),
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
    )
    for row in rows:
        table.rows.append({
            "id": row.id, "label": tr(row.label), "started": row.started, "lessons_done": row.lessons_done,
            "passed": row.passed, "completed": row.completed,
            "completion_rate": 100.0 * row.completed / row.started if row.started else None,
            "avg_score": row.avg_score, "avg_attempts": row.avg_attempts,
        })
    return table


def area_table(rows: list[GroupRow], policy: g.Policy, n_modules: int) -> Table:
    """Per government area: officials, progress, average score and gender balance."""
    table = Table(
        "areas", _("Por área de gobierno"),
        [
            Column("label", _("Área"), "text", numeric=False),
            Column("people", _("Inscriptas/os")),
            Column("started", _("Empezaron")),
            Column("completed", _("Completaron los %(n)s módulos", n=n_modules)),
            Column("avg_score", _("Puntaje promedio"), "score"),
            *gender_columns(),
        ],
        note=suppression_note(policy),
    )
    for row in rows:
        table.rows.append({
            "id": row.id, "label": tr(row.label), "people": row.people, "started": row.started,
            "completed": row.completed, "avg_score": row.avg_score, **gender_cells(row.genders, policy),
        })
    return table


FUNNEL_LABELS = {
    "registered": _l("Inscriptas/os"),
    "started": _l("Empezaron al menos una lección"),
    "lessons": _l("Terminaron las lecciones de al menos un módulo"),
    "passed": _l("Aprobaron al menos una evaluación"),
    "all_modules": _l("Completaron todos los módulos"),
}


def funnel_table(funnel: Funnel) -> Table:
    """The completion funnel as a table (the chart's text alternative)."""
    table = Table("funnel", _("Embudo de avance"), [
        Column("step", _("Etapa"), "text", numeric=False),
        Column("people", _("Personas")),
        Column("share", _("Proporción de inscriptas/os"), "pct"),
    ])
    for key, value in funnel.steps():
        table.rows.append({
            "step": str(FUNNEL_LABELS[key]), "people": value,
            "share": 100.0 * value / funnel.registered if funnel.registered else None,
        })
    return table


def distribution_table(buckets: list[tuple[int, int]]) -> Table:
    """Best scores in ten-point bands."""
    table = Table("scores", _("Distribución del mejor puntaje"), [
        Column("band", _("Puntaje"), "text", numeric=False), Column("people", _("Personas")),
    ])
    for low, count in buckets:
        high = 100 if low == 90 else low + 9
        table.rows.append({"band": f"{low}–{high}", "people": count})
    return table


def attempts_table(rows: list[tuple[int, int]]) -> Table:
    """How many attempts officials used."""
    table = Table("attempts", _("Intentos usados"), [
        Column("attempts", _("Intentos"), "text", numeric=False), Column("people", _("Personas")),
    ])
    for attempts, count in rows:
        table.rows.append({"attempts": str(attempts), "people": count})
    return table


def missed_table(rows: list[QuestionRow]) -> Table:
    """Questions most often answered wrong."""
    table = Table("questions", _("Preguntas con más respuestas incorrectas"), [
        Column("key", _("Código"), "text", numeric=False),
        Column("text", _("Pregunta"), "text", numeric=False),
        Column("answered", _("Respondida")),
        Column("wrong", _("Incorrectas")),
        Column("wrong_rate", _("Proporción de respuestas incorrectas"), "pct"),
    ], note=_("Solo preguntas respondidas al menos 5 veces en intentos enviados."))
    for row in rows:
        text = tr(row.text) + ("" if row.active else " " + _("(retirada del banco)"))
        table.rows.append({"key": row.key, "text": text, "answered": row.answered, "wrong": row.wrong,
                           "wrong_rate": row.wrong_rate})
    return table


def gender_outcome_table(outcome: GenderOutcome, policy: g.Policy, level: str, title: str) -> Table:
    """Outcomes per gender category for one group, with totals, rates, shares and parity flags."""
    module_level = level == "module"
    table = Table(
        f"gender-{outcome.key}", title,
        [
            Column("category", _("Género"), "text", numeric=False),
            Column("enrolled", _("Empezaron el módulo") if module_level else _("Inscriptas/os")),
            Column("completed", _("Completaron el módulo") if module_level else _("Completaron todos los módulos")),
            Column("completion_rate", _("Tasa de finalización"), "pct"),
            Column("passed", _("Aprobaron la evaluación") if module_level else _("Aprobaron al menos una evaluación")),
            Column("pass_rate", _("Tasa de aprobación"), "pct"),
            Column("avg_score", _("Puntaje promedio"), "score"),
        ],
        note=suppression_note(policy),
    )
    enrolled = g.suppress_row(outcome.enrolled, policy)
    completed = g.suppress_row(outcome.completed, policy)
    passed = g.suppress_row(outcome.passed, policy)
    for key, label in GENDER_LABELS.items():
        e, c, p = outcome.enrolled.get(key, 0), outcome.completed.get(key, 0), outcome.passed.get(key, 0)
        hidden_e, hidden_c, hidden_p = enrolled[key].suppressed, completed[key].suppressed, passed[key].suppressed
        n_scored = outcome.best_n.get(key, 0)
        table.rows.append({
            "category": str(label),
            "enrolled": _cell(enrolled[key], policy),
            "completed": _cell(completed[key], policy),
            "completion_rate": Hidden(policy.min_group, True) if (hidden_e or hidden_c) and e else (100.0 * c / e if e else None),
            "passed": _cell(passed[key], policy),
            "pass_rate": Hidden(policy.min_group, True) if (hidden_e or hidden_p) and e else (100.0 * p / e if e else None),
            "avg_score": (Hidden(policy.min_group, True) if 0 < n_scored < policy.min_group
                          else (outcome.best_sum.get(key, 0) / n_scored if n_scored else None)),
        })
    totals = {name: sum(getattr(outcome, name).values()) for name in ("enrolled", "completed", "passed")}
    n_all = sum(outcome.best_n.values())
    table.rows.append({
        "category": _("Total"), "enrolled": totals["enrolled"], "completed": totals["completed"],
        "completion_rate": 100.0 * totals["completed"] / totals["enrolled"] if totals["enrolled"] else None,
        "passed": totals["passed"],
        "pass_rate": 100.0 * totals["passed"] / totals["enrolled"] if totals["enrolled"] else None,
        "avg_score": sum(outcome.best_sum.values()) / n_all if n_all else None,
        "_total": True,
    })
    share_rows = []
    for name, label in (("enrolled", table.columns[1].label), ("completed", table.columns[2].label),
                        ("passed", table.columns[4].label)):
        result = g.balance(getattr(outcome, name), policy)
        share_rows.append({"measure": label, "share": Hidden(policy.min_group, True) if result.share_suppressed else result.women_share,
                           "parity": result.parity})
    table.shares = share_rows  # type: ignore[attr-defined]
    return table
