"""The disclosure audit: the attacker's linear program over everything published.

Run by the blocking asset checks and by ``aai audit`` on a finished data root. It
reads the warehouse's published tables — ``indicators_public`` (through the flags of
``indicators``), ``domain_scores``, the impact tables — and, for ``aai audit``, every
``headline_figures.json`` under ``processed/reports/``, and fails when any protected
count is pinned to within ±0.5 (docs/disclosure.md). To know which counts are
protected it reads the true counts too: a cell's true size decides whether it is a
target, never what the attacker is given.

It lives in the publish layer because it audits what is published, and it rebuilds
the observations it needs with the indicators stage's own SQL.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.disclosure import attack, domains, impact, model, periods
from pipelines.disclosure.result import AuditResult, Failure, describe
from pipelines.disclosure.system import build_systems
from pipelines.indicators.build import build_programme_observations, register_catalogue
from pipelines.warehouse import table_exists


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The temp tables the model reads, rebuilt from the warehouse (read-only is fine)."""
    register_catalogue(con)
    if not table_exists(con, "programme_observations"):
        build_programme_observations(con)
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


def audit_domains(con: duckdb.DuckDBPyConnection, national: pd.DataFrame | None, result: AuditResult) -> None:
    """Every published domain score is a function of the visible indicator cells (and the
    national figures), so it tells an attacker nothing the attack on the cells has not
    already given them: the scores need no attack of their own."""
    if not table_exists(con, "domain_scores"):
        return
    bad = domains.unreproducible(con, catalogue.national_indicators() if national is None else national)
    result.checked["domain scores"] = int(con.cursor().execute(
        "SELECT count(*) FROM domain_scores WHERE value IS NOT NULL").fetchall()[0][0])
    for _, row in bad.iterrows():
        result.failures.append(Failure("domain_scores", describe(row, [*domains.UNIT, "item"]),
                                       "not a function of the published cells"))


def audit(con: duckdb.DuckDBPyConnection, min_cell: int, *, national: pd.DataFrame | None = None,
          reports: Path | None = None, with_impact: bool = True) -> AuditResult:
    """Everything the warehouse behind ``con`` publishes, and the reports under ``reports``
    (``with_impact=False`` leaves the impact tables to their own check)."""
    started = time.perf_counter()
    result = AuditResult()
    if not table_exists(con, "indicators"):
        return result
    audit_indicators(con, min_cell, result)
    audit_domains(con, national, result)
    if with_impact:
        impact.audit(con, min_cell, result)
    if reports is not None:
        periods.audit(reports, min_cell, result)
    result.seconds = time.perf_counter() - started
    return result
