"""What one report covers: a programme (or all of them) and a reporting period.

The **data period** is the span of the whole warehouse: from the first to the last
session anyone attended in any group, registered or not; without registers, from the
first to the last interview. It is not the period the indicators stage measures
against: that stage ends each programme's period at the last attended session of the
programme's own registered groups. A report for the data period reads the warehouse
as it is.

A report for another period (``--period 2024`` or ``2024-01..2024-06``) reads a
*slice* of the warehouse, rebuilt by the same code that built the warehouse (into its
own file by the ``period_tables`` asset, ``write_period_warehouse``; in memory by
``period_warehouse``, for a script or a test):
sessions held in the period, groups started by its end, and the survey waves completed
by its end, each whole (so a follow-up in the period is compared with the baseline
before it, and a wave's cells are the same in every report: docs/disclosure.md). The
indicators stage then recomputes the tables with its own primary and secondary
suppression, and the impact stage its estimates. Figures are never recomputed by the
report itself: a count the report added up on its own would escape the suppression
rules that protect the people behind the tables.

Each report is a ``Scope`` (one programme, or ``all``); ``scope_data`` is what its
charts and its text both read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import files
from pipelines.disclosure.periods import guard as guard_periods
from pipelines.impact.claims import attrition_claims, claims
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


def _fill_slice(target: duckdb.DuckDBPyConnection, warehouse: str, period: Period, min_cell: int,
                national: pd.DataFrame | None, claims_config: ClaimsConfig | None) -> None:
    """Fill ``target`` with ``period``'s slice of the warehouse file, then let the
    indicators and impact stages build their tables in it, suppression included."""
    # ATTACH takes no parameters; the path is the warehouse's own, quoted.
    target.execute(f"attach '{_sql_string(warehouse)}' as wh (read_only)")
    for statement in queries.statements("period_slice"):
        params = {k: v for k, v in (("start", period.start), ("end", period.end)) if f"${k}" in statement}
        target.execute(statement, params or None)
    target.execute("detach wh")
    build_indicators(target, min_cell, national)
    write_impact(target, build_impact(target, min_cell, claims_config), min_cell)


def is_whole(period: Period, full: Period) -> bool:
    """Whether a report of ``period`` reads the warehouse itself rather than a slice."""
    return NO_DATA in (period, full) or period.covers(full)


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
    if is_whole(period, full):
        yield con
        return
    path = _database_path(con)
    if not path:
        raise ValueError("a period other than the data period needs the warehouse file, not an in-memory database")
    mem = duckdb.connect()
    try:
        _fill_slice(mem, path, period, min_cell, national, claims_config)
        yield mem
    finally:
        mem.close()


def write_period_warehouse(
    warehouse: Path, period: Period, out: Path, min_cell: int,
    national: pd.DataFrame | None = None, claims_config: ClaimsConfig | None = None,
    finish: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> None:
    """``period``'s slice, its indicators and impact tables written to the DuckDB file
    ``out`` (the ``period_tables`` asset), whole or not at all: built under a temporary
    name and renamed, so a killed run leaves the previous file. ``finish`` adds the
    tables of later stages (the results table) inside the same all-or-nothing write."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with files.replacing(out) as part:
        target = duckdb.connect(str(part))
        try:
            _fill_slice(target, str(warehouse), period, min_cell, national, claims_config)
            if finish is not None:
                finish(target)
            target.execute("checkpoint")
        finally:
            target.close()


@dataclass(frozen=True)
class Scope:
    """What one report covers: a programme, or every programme of the period (``total``).
    ``key`` names its folder and its Dagster partition."""

    key: str
    programmes: list[str]
    total: bool


CHARTS_FOLDER = "charts"


def report_folder(reports: Path, key: str, period_label: str, lang: str) -> Path:
    """Where one report and its charts (``charts/`` inside) live:
    ``<reports>/<programme or all>/<period>/<lang>/``."""
    return Path(reports) / key / period_label / lang


def scope_keys(programme_ids: Iterable[str]) -> dict[str, str]:
    """Each programme of a warehouse → its folder and partition key: its ``files.slug``,
    never ``all`` (the total's) and never another programme's, in any letter case
    (``files.slugs``); ``FolderCollision`` naming both ids if two would still meet."""
    return files.slugs(programme_ids, reserved=[ALL_PROGRAMMES])


def export_key(con: duckdb.DuckDBPyConnection, programme: str) -> str:
    """The name of a programme's exports (``exports/<key>/``, ``<key>_results.csv``): its
    report folder's key among the warehouse's programmes, so ``BRC-WWC`` and ``brc-wwc``
    never share a folder or a file where letter case is not told apart."""
    return scope_keys([*programmes(con), programme])[programme]


def scope_key(programme: str) -> str:
    """One programme's key, as ``scope_keys`` gives it beside programmes that differ
    from it by more than letter case."""
    return scope_keys([programme])[programme]


def report_scopes(con: duckdb.DuckDBPyConnection, period: Period, full: Period,
                  key: str | None = None, *, among: Iterable[str] = ()) -> list[Scope]:
    """The reports of ``period`` read from ``con`` (the period's own warehouse: the
    warehouse itself or its slice): one per programme with data in the period and one
    for all of them — or only the one named by ``key`` (a programme's key or ``all``).
    Keys are given among the programmes of ``con`` and ``among`` (the whole
    warehouse's, for a slice: a programme keeps its key in every period). A key no
    programme has, or a programme without data in the period, is refused with a
    sentence naming what there is; two programmes that would share a folder, with
    ``FolderCollision``."""
    known = programmes(con)
    keys = scope_keys([*known, *among])
    spans = programme_spans(con)
    shown = known if is_whole(period, full) else [p for p in known if p in spans]
    scopes = [Scope(keys[p], [p], False) for p in shown] + [Scope(ALL_PROGRAMMES, shown, True)]
    if key is None:
        return scopes
    chosen = [s for s in scopes if s.key == key]
    if chosen:
        return chosen
    if key in {keys[p] for p in known}:
        raise ValueError(f"programme {key!r} has no sessions or interviews in the period {period.label}")
    raise ValueError(f"no programme {key!r} in the warehouse; known: {', '.join(known) or 'none'}")


def scope_data(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period, reports: Path, *, min_cell: int,
               claims_config: ClaimsConfig | None = None) -> queries.PeriodData:
    """Everything one report and its charts show, read from the period's warehouse
    ``con``: its programmes' rows only (the total also answers for files that fed no
    programme); figures hidden that would difference to a small count against a
    overlapping period already published under ``reports``; and the report's own claim
    family (``claimed``). Charts and report call this with the same arguments, so they
    show the same figures."""
    data = guard_periods(queries.read_period(con, min_cell=min_cell), period.label, reports, min_cell)
    return claimed(data.only(scope.programmes, every_file=scope.total), claims_config or ClaimsConfig())


def claimed(data: queries.PeriodData, config: ClaimsConfig) -> queries.PeriodData:
    """The report's own claim families: the primary tests of the programmes it covers,
    and their attrition tests, each corrected together (a programme's report: its own;
    the all-programmes report: the union, and an estimate only if its programme's own
    report claims it too, so it claims less, never more). ``role``, ``family_size`` and
    ``survives`` of ``data.impact``, and ``family_size`` and ``survives`` of
    ``data.attrition_differences``, then say what *this* report may state."""
    return replace(data, impact=claims(data.impact, config) if not data.impact.empty else data.impact,
                   attrition_differences=attrition_claims(data.attrition_differences, config))


def check_period(period: Period, full: Period) -> None:
    """Refuse a period that holds no data, in one sentence."""
    if NO_DATA not in (period, full) and not period.overlaps(full):
        raise ValueError(f"no data in the period {period.label}: the warehouse holds {full.label}")


def _sql_string(text: str) -> str:
    return text.replace("'", "''")
