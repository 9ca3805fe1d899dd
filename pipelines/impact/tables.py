"""Column contracts of the three impact tables, and how they are written."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.disclosure.impact import protect
from pipelines.impact.withheld import reword

IMPACT_ESTIMATES = {
    # The columns, in its order.
    "indicator": "VARCHAR",
    "programme_id": "VARCHAR",
    "group_id": "VARCHAR",
    "sex": "VARCHAR",
    "age_band": "VARCHAR",
    "method": "VARCHAR",
    "estimate": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "p_value": "DOUBLE",
    "n": "BIGINT",
    "note": "VARCHAR",
    # Added by this stage.
    "wave": "VARCHAR",
    "unit": "VARCHAR",
    "mde": "DOUBLE",
    "n_outcomes": "BIGINT",
    "n_tests": "BIGINT",
    "bh_significant": "BOOLEAN",
    "sentence": "VARCHAR",
    # Added with group clustering (docs/impact.md, "Methods").
    "se": "DOUBLE",
    "df": "DOUBLE",
    "n_clusters": "BIGINT",
    "clustering": "VARCHAR",
    # What the programme's report may claim (pipelines/impact/claims.py).
    "role": "VARCHAR",
    "family_size": "BIGINT",
    "survives": "BOOLEAN",
}

ATTRITION = {
    "programme_id": "VARCHAR",
    "arm": "VARCHAR",
    "wave": "VARCHAR",
    "indicator": "VARCHAR",
    "unit": "VARCHAR",
    "n_baseline": "BIGINT",
    "n_retained": "BIGINT",
    "n_lost": "BIGINT",
    "lost_pct": "DOUBLE",
    "baseline_retained": "DOUBLE",
    "baseline_lost": "DOUBLE",
    "difference": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "p_value": "DOUBLE",
    "note": "VARCHAR",
    "se": "DOUBLE",
    "df": "DOUBLE",
    "n_clusters": "BIGINT",
    "clustering": "VARCHAR",
}

DOSE_RESPONSE = {
    "programme_id": "VARCHAR",
    "wave": "VARCHAR",
    "indicator": "VARCHAR",
    "unit": "VARCHAR",
    "tertile": "BIGINT",
    "sessions_min": "BIGINT",
    "sessions_max": "BIGINT",
    "n": "BIGINT",
    "change": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "trend_slope": "DOUBLE",
    "trend_ci_low": "DOUBLE",
    "trend_ci_high": "DOUBLE",
    "trend_p": "DOUBLE",
    "note": "VARCHAR",
    "df": "DOUBLE",
    "n_clusters": "BIGINT",
    "trend_df": "DOUBLE",
}

_PANDAS_TYPES = {"VARCHAR": "string", "DOUBLE": "float64", "BIGINT": "Int64", "BOOLEAN": "boolean"}


def frame(rows: list[dict], columns: dict[str, str]) -> pd.DataFrame:
    """Rows as a DataFrame with exactly the contract's columns and types (maybe empty)."""
    df = pd.DataFrame(rows, columns=list(columns))
    return df.astype(_types(columns))


def write_table(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, columns: dict[str, str]) -> None:
    """Replace table `name` (a constant of this module, never user input) with `df`."""
    ddl = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f'create or replace table "{name}" ({ddl})').fetchall()
    if len(df):
        view = f"_impact_{name}"
        con.register(view, df[list(columns)])
        try:
            con.execute(f'insert into "{name}" select * from "{view}"').fetchall()
        finally:
            con.unregister(view)


def write_impact(con: duckdb.DuckDBPyConnection, tables, min_cell: int) -> int:
    """Write the three tables of the impact stage (an ``ImpactTables``), then hide the
    sizes an attacker could combine with the published cells to pin a small count
    (``disclosure.impact.protect``) and reword the notes that printed them
    (``withheld.reword``); ``tables`` is updated to what was written. Returns how many
    sizes were hidden."""
    write_table(con, "impact_estimates", tables.estimates, IMPACT_ESTIMATES)
    write_table(con, "attrition", tables.attrition, ATTRITION)
    write_table(con, "dose_response", tables.dose_response, DOSE_RESPONSE)
    hidden = protect(con, min_cell)
    if hidden:
        reword(con, hidden)
        tables.estimates = con.execute("select * from impact_estimates").df().astype(_types(IMPACT_ESTIMATES))
        tables.attrition = con.execute("select * from attrition").df().astype(_types(ATTRITION))
        tables.dose_response = con.execute("select * from dose_response").df().astype(_types(DOSE_RESPONSE))
    return len(hidden)


def _types(columns: dict[str, str]) -> dict[str, str]:
    return {c: _PANDAS_TYPES[t] for c, t in columns.items()}
