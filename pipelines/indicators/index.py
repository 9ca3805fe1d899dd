"""Domain scores and the overall AAI from any table of indicator values.

The engine behind ``aai index``: a regional statistics office or a researcher gives
``unit, sex, indicator, value`` (values on the 0–100 scale, codes ``1.1``…``4.6``)
and gets ``unit, sex, item, value, indicators_used`` with ``item`` one of ``D1``–``D4``
and ``AAI``. The aggregation is the SQL of the ``domain_scores`` asset
(``aggregate.sql``), run here on the caller's table in an in-memory DuckDB.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.indicators.build import register_catalogue, sql

INPUT_COLUMNS = ["unit", "sex", "indicator", "value"]
OUTPUT_COLUMNS = ["unit", "sex", "item", "value", "indicators_used"]


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in INPUT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"indicator table needs the columns {INPUT_COLUMNS}; missing {missing}")
    out = df[INPUT_COLUMNS].copy()
    for column in ["unit", "sex", "indicator"]:
        out[column] = out[column].astype(str).str.strip()
    out["value"] = pd.to_numeric(out["value"], errors="raise").astype(float)
    # The AAI scale is 0-100; a share given as 0-1 or a raw score would silently
    # give a meaningless index, so refuse it (NaN stays: an absent indicator).
    outside = out[out["value"].notna() & ~out["value"].between(0, 100)]
    if len(outside):
        first = outside.iloc[0]
        raise ValueError(
            f"values must be on the 0-100 scale; unit {first['unit']!r}, sex {first['sex']!r}, "
            f"indicator {first['indicator']!r} has {first['value']}"
        )
    known = set(catalogue.aai_weights().query("kind != 'domain'")["code"])
    unknown = sorted(set(out["indicator"]) - known)
    if unknown:
        raise ValueError(f"unknown AAI indicator codes {unknown}; expected codes 1.1 … 4.6")
    duplicated = out.duplicated(["unit", "sex", "indicator"])
    if duplicated.any():
        first = out.loc[duplicated].iloc[0]
        raise ValueError(
            f"more than one value for unit {first['unit']!r}, sex {first['sex']!r}, "
            f"indicator {first['indicator']!r}"
        )
    return out


def compute_index(df: pd.DataFrame) -> pd.DataFrame:
    """D1–D4 and the AAI per unit and sex.

    A domain with some indicators missing is scored over those present with their
    weights rescaled; the AAI row is left out when any domain has no score at all.
    Missing values (NaN) count as absent indicators.
    """
    values = _normalise(df)
    con = duckdb.connect()
    try:
        register_catalogue(con)
        con.register("values_df", values)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW index_input AS "
            "SELECT unit, sex, indicator, value, false AS national FROM values_df"
        ).fetchall()
        con.execute(sql("aggregate")).fetchall()
        result = con.execute(
            "SELECT unit, sex, item, value, CAST(indicators_used AS INTEGER) AS indicators_used "
            "FROM index_output WHERE value IS NOT NULL ORDER BY unit, sex, item"
        ).fetchdf()
    finally:
        con.close()
    return result[OUTPUT_COLUMNS].reset_index(drop=True)
