"""The disclosure audit: the attacker's linear program over everything published.

Run by the blocking asset checks and by ``aai audit`` on a finished data root. It
reads the warehouse's published tables — ``indicators_public`` (through the flags of
``indicators``), ``domain_scores``, the impact tables — and, for ``aai audit``, every
``headline_figures.json`` under ``processed/reports/``, and fails when any protected
count is pinned to within ±0.5 (docs/disclosure.md). To know which counts are
protected it reads the true counts too: a cell's true size decides whether it is a
target, never what the attacker is given.

What leaves this module (check metadata, the command's output) names cells and the
*width* of the attacker's range, never a hidden count or value.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure import attack, domains, impact, model, periods
from pipelines.disclosure.system import build_systems
from pipelines.warehouse import markdown_table, table_exists

KEY = ["indicator", "programme_id", "country", "region", "group_id", "arm", "wave", "sex", "age_band", "disability"]
WIDTH_BINS = [1, 2, 5, 10, np.inf]
WIDTH_LABELS = ["1–2", "2–5", "5–10", "10 or more"]
SHOWN_FAILURES = 50


@dataclass
class Failure:
    """A protected count the attacker pins (or a published figure that should not be)."""

    source: str  # indicators, domain_scores, impact, reports
    cell: str  # the cell, as key=value pairs
    what: str
    width: float | None = None  # the attacker's range, max − min (never the count)
    key: dict[str, str] | None = None  # the cell as data, for the planner that repairs it


@dataclass
class AuditResult:
    targets: int = 0
    components: int = 0
    solved: int = 0
    seconds: float = 0.0
    widths: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    exact: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    failures: list[Failure] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # what else was checked, and how much

    @property
    def passed(self) -> bool:
        return not self.failures

    def histogram(self) -> dict[str, int]:
        """Protection widths of the targets, by bin (a lower bound where not solved exactly)."""
        finite = self.widths[np.isfinite(self.widths)]
        counts = pd.cut(finite, WIDTH_BINS, right=False, labels=WIDTH_LABELS).value_counts().reindex(WIDTH_LABELS)
        out = {label: int(n) for label, n in counts.fillna(0).items()}
        out["unbounded"] = int((~np.isfinite(self.widths)).sum())
        out["under 1 (pinned or exempt zero)"] = int((finite < 1).sum())
        return out

    def narrowest(self, k: int = 5) -> list[float]:
        """The smallest exact widths at or above 1 (the protected counts nearest to pinned)."""
        exact = self.widths[self.exact & (self.widths >= 1)]
        return sorted(float(w) for w in exact.nsmallest(k))

    def metadata(self) -> dict:
        """Aggregates for Dagster metadata: no hidden count or value."""
        from dagster import MetadataValue

        failing = pd.DataFrame([{"source": f.source, "cell": f.cell, "what": f.what,
                                 "width": None if f.width is None else round(f.width, 3)}
                                for f in self.failures[:SHOWN_FAILURES]])
        return {
            "protected counts checked": self.targets,
            "pinned": len(self.failures),
            "linear programs solved": self.solved,
            "blocks (item set × arm × wave)": self.components,
            "seconds": round(self.seconds, 2),
            "protection widths (attacker's max − min)": MetadataValue.md(
                markdown_table(pd.DataFrame(list(self.histogram().items()), columns=["width", "targets"]))),
            "narrowest widths": ", ".join(f"{w:g}" for w in self.narrowest()) or "none",
            **{f"checked: {k}": v for k, v in self.checked.items()},
            "failing (cell, width; never the count)": MetadataValue.md(markdown_table(failing)),
        }


def describe(row: pd.Series, columns=KEY) -> str:
    """``indicator=2.1 programme_id=X group_id=G sex=male`` (breakdowns at ``all`` left out)."""
    return " ".join(f"{c}={row[c]}" for c in columns if c in row and row[c] != "all")


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The temp tables the model reads, rebuilt from the warehouse (read-only is fine)."""
    from pipelines.indicators.build import register_catalogue, sql  # the indicators stage's own SQL

    register_catalogue(con)
    if not table_exists(con, "programme_observations"):
        con.execute(sql("programme")).fetchall()
    model.register_rules(con)


def audit_indicators(con: duckdb.DuckDBPyConnection, min_cell: int, result: AuditResult) -> model.Structure:
    """Attack ``indicators_public`` as published (the ``suppressed`` flags of ``indicators``)."""
    prepare(con)
    structure = model.build(con)
    systems = build_systems(structure)
    hidden = set(structure.rows.loc[structure.rows["suppressed"], "row"])
    findings = attack.run(structure, systems, hidden, min_cell, attack.AUDIT_WIDTH)
    table = findings.table
    result.targets += len(table)
    result.components += len(systems)
    result.solved += findings.solved
    result.widths = pd.concat([result.widths, (table["high"] - table["low"]).astype(float)], ignore_index=True)
    result.exact = pd.concat([result.exact, table["exact"].astype(bool)], ignore_index=True)
    info = structure.rows.set_index("row")
    for target in findings.pinned.itertuples(index=False):
        cell = describe(info.loc[target.row])
        if target.other >= 0:
            cell += f" minus {info.loc[target.other, 'indicator']}"
        result.failures.append(Failure("indicators", cell, target.what, float(target.high - target.low)))
    return structure


def audit(con: duckdb.DuckDBPyConnection, min_cell: int, *, national: pd.DataFrame | None = None,
          reports: Path | None = None, with_impact: bool = True) -> AuditResult:
    """Everything the warehouse behind ``con`` publishes, and the reports under ``reports``
    (``with_impact=False`` leaves the impact tables to their own check)."""
    started = time.perf_counter()
    result = AuditResult()
    if not table_exists(con, "indicators"):
        return result
    audit_indicators(con, min_cell, result)
    if table_exists(con, "domain_scores"):
        from pipelines import catalogue

        bad = domains.unreproducible(con, catalogue.national_indicators() if national is None else national)
        result.checked["domain scores"] = int(con.cursor().execute(
            "SELECT count(*) FROM domain_scores WHERE value IS NOT NULL").fetchall()[0][0])
        for _, row in bad.iterrows():
            result.failures.append(Failure("domain_scores", describe(row, [*domains.UNIT, "item"]),
                                           "not a function of the published cells"))
    if with_impact:
        impact.audit(con, min_cell, result)
    if reports is not None:
        periods.audit(reports, min_cell, result)
    result.seconds = time.perf_counter() - started
    return result
