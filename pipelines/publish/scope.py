"""What one report covers: a programme (or all of them) and a reporting period.

The **data period** is the span of the whole warehouse: from the first to the last
session anyone attended in any group, registered or not; without registers, from the
first to the last interview. It is not the period the indicators stage measures
against: that stage ends each programme's period at the last attended session of the
programme's own registered groups. A report for the data period reads the warehouse
as it is.

A report for another period (``--period 2024`` or ``2024-01..2024-06``) reads a
*slice* of the warehouse, rebuilt in memory by the same code that built the warehouse:
sessions held in the period, groups started by its end, and the survey waves completed
by its end, each whole (so a follow-up in the period is compared with the baseline
before it, and a wave's cells are the same in every report: docs/disclosure.md). The
indicators stage then recomputes the tables with its own primary and secondary
suppression, and the impact stage its estimates. Figures are never recomputed by the
report itself: a count the report added up on its own would escape the suppression
rules that protect the people behind the tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from datetime import date

import duckdb
import pandas as pd

from pipelines.impact.estimates import build_impact
from pipelines.impact.tables import write_impact
from pipelines.indicators.build import build_indicators
from pipelines.periods import NO_DATA, Period, period_label
from pipelines.publish import queries
from pipelines.settings import ClaimsConfig
from pipelines.warehouse import table_exists

ALL_PROGRAMMES = "all"


def data_period(con: duckdb.DuckDBPyConnection) -> Period | None:
    """First to last attended session, else first to last interview; None with no data."""
    for table in ("attendance", "survey"):
        if table_exists(con, table):
            start, end = con.cursor().execute(queries.sql(f"data_period_{table}")).fetchone()
            if start is not None:
                return Period(start, end, period_label(start, end))
    return None


def programmes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every programme with a group or a survey, in order."""
    found: set[str] = set()
    for table in ("groups", "survey"):
        if table_exists(con, table):
            found |= {r[0] for r in con.cursor().execute(
                f"select distinct programme_id from {table} where programme_id is not null").fetchall()}
    return sorted(found)


# The dates each programme's figures rest on: attended sessions of its registered groups
# and its interviews (a slice's survey waves are whole, so a baseline can predate the period).
_SPAN_PARTS = {
    ("attendance", "groups"): "select g.programme_id, a.session_date as day from attendance a "
                              "join groups g using (group_id) where a.attended and a.session_date is not null",
    ("survey",): "select programme_id, interview_date as day from survey where interview_date is not null",
}


def programme_spans(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[date, date]]:
    """programme → (first, last) day of the sessions and interviews it has; a programme
    with neither (in a period's slice: none in the period) is absent."""
    parts = [sql for tables, sql in _SPAN_PARTS.items() if all(table_exists(con, t) for t in tables)]
    if not parts:
        return {}
    rows = con.cursor().execute(
        f"select programme_id, min(day), max(day) from ({' union all '.join(parts)}) "
        "where programme_id is not null group by programme_id").fetchall()
    return {programme: (first, last) for programme, first, last in rows}


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    return con.cursor().execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]


@contextmanager
def period_warehouse(
    con: duckdb.DuckDBPyConnection, period: Period, full: Period, min_cell: int,
    national: pd.DataFrame | None = None, claims_config: ClaimsConfig | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse as it would be for ``period``: ``con`` itself when the period
    covers the data period ``full``, else an in-memory slice rebuilt by the indicators
    and impact stages. ``national`` figures go into the slice's domain scores (callers
    pass ``catalogue.national_indicators_for(root)``, as the pipeline used); None means
    the packaged file."""
    if NO_DATA in (period, full) or period.covers(full):
        yield con
        return
    path = _database_path(con)
    if not path:
        raise ValueError("a period other than the data period needs the warehouse file, not an in-memory database")
    mem = duckdb.connect()
    try:
        # ATTACH takes no parameters; the path is the warehouse's own, quoted.
        mem.execute(f"attach '{_sql_string(path)}' as wh (read_only)")
        for statement in queries.statements("period_slice"):
            params = {k: v for k, v in (("start", period.start), ("end", period.end)) if f"${k}" in statement}
            mem.execute(statement, params or None)
        mem.execute("detach wh")
        build_indicators(mem, min_cell, national)
        write_impact(mem, build_impact(mem, min_cell, claims_config), min_cell)
        yield mem
    finally:
        mem.close()


def _sql_string(text: str) -> str:
    return text.replace("'", "''")
