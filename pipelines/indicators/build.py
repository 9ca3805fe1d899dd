"""Run the indicator SQL against a DuckDB connection.

Every count and value is computed by DuckDB from the SQL files beside this module;
Python reads the catalogue, fills the generated part of ``observations.sql`` from it
and computes the intervals from per-group aggregates (``intervals.py``). Which cells
are hidden is decided by ``pipelines.disclosure`` (primary rules, then secondary
suppression planned against the attacker's linear program).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.disclosure.plan import suppress
from pipelines.indicators.intervals import add_intervals
from pipelines.review import define_analysed
from pipelines.settings import DEFAULT_MIN_CELL, MAX_MIN_CELL

SQL_DIR = Path(__file__).parent


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def indicator_column(row: pd.Series) -> str:
    """``CASE WHEN <population> AND <answered> THEN CAST((<rule>) AS DOUBLE) END AS "<code>"``."""
    conditions = _age_conditions(row["population"], "age")
    conditions += [f"{item} IS NOT NULL" for item in row["items"].split("|")]
    return (
        f"CASE WHEN {' AND '.join(conditions)} "
        f"THEN CAST(({row['rule_sql']}) AS DOUBLE) END AS {_quote(row['code'])}"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _age_conditions(population: str, column: str) -> list[str]:
    low, high = catalogue.age_range(population)
    return ([f"{column} >= {low:d}"] if low is not None else []) + ([f"{column} <= {high:d}"] if high is not None else [])


def declared_observations(row: pd.Series) -> str:
    """``UNION ALL SELECT …`` the observations of one declared measure.

    Its items are pivoted from ``survey_items`` (the rows its mapping read), a reversed
    item ``v`` becomes ``lo + hi − v``, an answer ingestion could not read (NULL, its
    cell quarantined) counts as not answered, and the rule — bound against these item
    columns when the mapping loaded — runs over them alone before the row is joined to
    its respondent."""
    reversed_items = set(filter(None, row["reverse"].split("|")))
    items = []
    for name, column in zip(row["items"].split("|"), row["item_columns"].split("|"), strict=True):
        value = f"max(CASE WHEN item = {_literal(column)} THEN value END)"
        if name in reversed_items:
            value = f"{float(row['item_min'])!r} + {float(row['item_max'])!r} - {value}"
        items.append(f"{value} AS {_quote(name)}")
    answered = " AND ".join(f"{_quote(name)} IS NOT NULL" for name in row["items"].split("|"))
    population = " AND ".join(["true", *_age_conditions(row["population"], "r.age")])
    return (
        f"UNION ALL\nSELECT r.participant_id, r.programme_id, r.country, r.region, r.group_id, r.arm, r.wave, "
        f"r.sex, r.age_band, r.disability_code AS disability, {_literal(row['code'])} AS indicator, d.value\n"
        f"FROM respondents AS r JOIN (\n"
        f"    SELECT source_file, source_row, CAST(({row['rule_sql']}) AS DOUBLE) AS value FROM (\n"
        f"        SELECT source_file, source_row, {', '.join(items)}\n"
        f"        FROM survey_items WHERE mapping = {_literal(row['mapping'])} GROUP BY source_file, source_row)\n"
        f"    WHERE {answered}\n"
        f") AS d ON d.source_file = r.source_file AND d.source_row = r.source_row\n"
        f"WHERE {population}"
    )


def observations_sql() -> str:
    """observations.sql with one column per survey indicator of the catalogue, and one
    SELECT per declared measure of the data root."""
    survey = catalogue.survey_indicators()
    columns = ",\n        ".join(indicator_column(row) for _, row in survey.iterrows())
    names = ", ".join(_quote(code) for code in survey["code"])
    declared = "\n".join(declared_observations(row) for _, row in catalogue.declared().iterrows())
    return (sql("observations").replace("/*indicator_columns*/", columns).replace("/*indicator_names*/", names)
            .replace("/*declared_observations*/", declared))


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


def build_programme_observations(con: duckdb.DuckDBPyConnection) -> None:
    """The ``programme_observations`` temp table (programme.sql) from the attendance rows
    the review left in and the groups register."""
    define_analysed(con)
    con.execute(sql("programme")).fetchall()


def build_observations(con: duckdb.DuckDBPyConnection) -> int:
    """Create ``indicator_observations`` from ``survey`` and ``groups`` (less the rows a
    reviewer excluded); return its row count."""
    define_analysed(con)
    con.execute(observations_sql()).fetchall()
    return con.execute("SELECT count(*) FROM indicator_observations").fetchall()[0][0]


def build_indicator_table(con: duckdb.DuckDBPyConnection, min_cell: int) -> dict:
    """Create ``indicators`` (suppression applied) and the ``indicators_public`` view.

    Returns row and suppression counts, and ``disclosure``: the suppression plan
    (``pipelines.disclosure.plan.Plan``) for metadata."""
    if not DEFAULT_MIN_CELL <= min_cell <= MAX_MIN_CELL:
        raise ValueError(f"min_cell must be from {DEFAULT_MIN_CELL} to {MAX_MIN_CELL}, got {min_cell}")
    register_catalogue(con)
    build_programme_observations(con)
    con.execute(sql("indicators")).fetchall()
    add_intervals(con)
    plan = suppress(con, min_cell)
    con.execute(sql("public")).fetchall()
    rows = con.execute("SELECT count(*) FROM indicators").fetchall()[0][0]
    return {"rows": rows, "suppressed_primary": plan.primary, "suppressed_secondary": plan.secondary,
            "disclosure": plan}


def build_domain_scores(
    con: duckdb.DuckDBPyConnection, national: pd.DataFrame | None = None
) -> int:
    """Create ``domain_scores`` from the visible cells of ``indicators`` and national figures.

    Two scores per row: ``value`` over every indicator available (national figures
    included, as the AAI guidelines allow for a level), and ``comparable_value`` over
    the survey indicators every arm and wave of the place shares — the only one to
    compare across arms or waves (``domain_comparable.sql``).
    """
    register_catalogue(con)
    if national is None:
        national = catalogue.national_indicators()
    national = national[["country", "sex", "indicator", "value"]].astype({"value": float})
    _table_from_frame(con, "national_values", national)
    register_programme_country(con)
    con.execute(sql("domain_scores")).fetchall()
    con.execute(sql("aggregate")).fetchall()
    con.execute("ALTER TABLE index_output RENAME TO index_full").fetchall()
    # the same aggregation again, over the indicators every arm and wave of a place share
    con.execute(sql("domain_comparable")).fetchall()
    con.execute(sql("aggregate")).fetchall()
    con.execute(sql("domain_scores_out")).fetchall()
    con.execute("DROP TABLE index_full").fetchall()
    return con.execute("SELECT count(*) FROM domain_scores").fetchall()[0][0]


def build_indicators(
    con: duckdb.DuckDBPyConnection, min_cell: int, national: pd.DataFrame | None = None
) -> dict:
    """Build every table of this stage from ``survey``, ``attendance`` and ``groups``."""
    counts = {"indicator_observations": build_observations(con)}
    counts |= build_indicator_table(con, min_cell)
    counts["domain_scores"] = build_domain_scores(con, national)
    return counts
