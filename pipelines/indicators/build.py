"""Run the indicator SQL against a DuckDB connection.

Every count and value is computed by DuckDB from the SQL files beside this module;
Python reads the catalogue, fills the generated part of ``observations.sql`` from it,
computes the intervals from per-group aggregates (``intervals.py``) and loops the
secondary-suppression round until it changes nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.indicators.intervals import add_intervals
from pipelines.settings import DEFAULT_MIN_CELL, MAX_MIN_CELL

SQL_DIR = Path(__file__).parent
MAX_SUPPRESSION_ROUNDS = 100
# one round of secondary suppression (recoverable.sql defines the view)
SUPPRESS_RECOVERABLE = "UPDATE indicators SET suppressed = true WHERE rowid IN (SELECT cell FROM recoverable_cells)"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def indicator_column(row: pd.Series) -> str:
    """``CASE WHEN <population> AND <answered> THEN CAST((<rule>) AS DOUBLE) END AS "<code>"``."""
    low, high = catalogue.age_range(row["population"])
    conditions = [f"{item} IS NOT NULL" for item in row["items"].split("|")]
    if low is not None:
        conditions.insert(0, f"age >= {low:d}")
    if high is not None:
        conditions.insert(1, f"age <= {high:d}")
    return (
        f"CASE WHEN {' AND '.join(conditions)} "
        f"THEN CAST(({row['rule_sql']}) AS DOUBLE) END AS {_quote(row['code'])}"
    )


def observations_sql() -> str:
    """observations.sql with one column per survey indicator of the catalogue."""
    survey = catalogue.survey_indicators()
    columns = ",\n        ".join(indicator_column(row) for _, row in survey.iterrows())
    names = ", ".join(_quote(code) for code in survey["code"])
    return sql("observations").replace("/*indicator_columns*/", columns).replace("/*indicator_names*/", names)


def _table_from_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Copy a DataFrame into temp table ``name`` (a constant of this module)."""
    view = f"{name}_df"
    con.register(view, frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}").fetchall()
    finally:
        con.unregister(view)


def register_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    """``indicator_catalogue`` (code, kind, counts) and ``aai_weights`` as temp tables."""
    _table_from_frame(con, "indicator_catalogue", catalogue.indicators()[["code", "kind", "counts"]])
    _table_from_frame(con, "aai_weights", catalogue.aai_weights())


def register_programme_country(con: duckdb.DuckDBPyConnection) -> None:
    """The ``programme_country`` view that suppression and domain scores both read."""
    con.execute(sql("programme_country")).fetchall()


def create_recoverable_view(con: duckdb.DuckDBPyConnection) -> None:
    """The ``recoverable_cells`` view over ``indicators`` (used by the build and its check)."""
    register_programme_country(con)
    con.execute(sql("recoverable")).fetchall()


def build_observations(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``indicator_observations`` from ``survey`` and ``groups``; return its row count."""
    con.execute(observations_sql()).fetchall()
    return con.execute("SELECT count(*) FROM indicator_observations").fetchall()[0][0]


def build_indicator_table(con: duckdb.DuckDBPyConnection, min_cell: int) -> dict[str, int]:
    """Create ``indicators`` (suppression applied) and the ``indicators_public`` view."""
    if not DEFAULT_MIN_CELL <= min_cell <= MAX_MIN_CELL:
        raise ValueError(f"min_cell must be from {DEFAULT_MIN_CELL} to {MAX_MIN_CELL}, got {min_cell}")
    register_catalogue(con)
    con.execute(sql("programme")).fetchall()
    con.execute(sql("indicators")).fetchall()
    add_intervals(con)
    primary = con.execute(
        "UPDATE indicators SET suppressed = true WHERE denominator < $min_cell", {"min_cell": min_cell}
    ).fetchall()[0][0]
    create_recoverable_view(con)
    secondary = 0
    for _ in range(MAX_SUPPRESSION_ROUNDS):
        changed = con.execute(SUPPRESS_RECOVERABLE).fetchall()[0][0]
        if not changed:
            break
        secondary += changed
    else:
        raise RuntimeError("secondary suppression did not settle")
    con.execute(sql("public")).fetchall()
    rows = con.execute("SELECT count(*) FROM indicators").fetchall()[0][0]
    return {"rows": rows, "suppressed_primary": primary, "suppressed_secondary": secondary}


def build_domain_scores(
    con: duckdb.DuckDBPyConnection, national: pd.DataFrame | None = None
) -> int:
    """Create ``domain_scores`` from the visible cells of ``indicators`` and national figures."""
    register_catalogue(con)
    if national is None:
        national = catalogue.national_indicators()
    national = national[["country", "sex", "indicator", "value"]].astype({"value": float})
    _table_from_frame(con, "national_values", national)
    register_programme_country(con)
    con.execute(sql("domain_scores")).fetchall()
    con.execute(sql("aggregate")).fetchall()
    con.execute(sql("domain_scores_out")).fetchall()
    return con.execute("SELECT count(*) FROM domain_scores").fetchall()[0][0]


def build_indicators(
    con: duckdb.DuckDBPyConnection, min_cell: int, national: pd.DataFrame | None = None
) -> dict[str, int]:
    """Build every table of this stage from ``survey``, ``attendance`` and ``groups``."""
    counts = {"indicator_observations": build_observations(con)}
    counts |= build_indicator_table(con, min_cell)
    counts["domain_scores"] = build_domain_scores(con, national)
    return counts
