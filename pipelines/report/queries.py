"""What the report reads beyond the charts' loaders: impact, attrition, dose-response,
input files and the group timeline. The SQL is in ``sql/``; each loader returns an
empty frame with its columns when the table does not exist yet (impact not run)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.charts.queries import table_exists

SQL_DIR = Path(__file__).parent / "sql"

# loader name → (table it needs, columns)
_LOADERS = {
    "impact_totals": ("impact_estimates", ["indicator", "programme_id", "wave", "method", "unit", "estimate", "ci_low",
                                           "ci_high", "p_value", "n", "mde", "n_outcomes", "bh_significant"]),
    "attrition_counts": ("attrition", ["programme_id", "arm", "wave", "n_baseline", "n_retained", "n_lost"]),
    "attrition_differences": ("attrition", ["programme_id", "arm", "wave", "indicator", "difference", "ci_low",
                                            "ci_high"]),
    "dose_response": ("dose_response", ["programme_id", "wave", "indicator", "unit", "tertile", "sessions_min",
                                        "sessions_max", "n", "change", "ci_low", "ci_high", "trend_slope",
                                        "trend_ci_low", "trend_ci_high", "trend_p"]),
    "inputs": ("ingest_log", ["source_file", "sha256"]),
    "groups_timeline": ("groups", ["programme_id", "year", "started", "meeting"]),
}


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def load(con: duckdb.DuckDBPyConnection, name: str, programmes: list[str] | None = None) -> pd.DataFrame:
    """Run ``sql/<name>.sql``; keep only ``programmes`` when given."""
    table, columns = _LOADERS[name]
    if not table_exists(con, table):
        return pd.DataFrame(columns=columns)
    df = con.cursor().execute(_sql(name)).df()
    df = df[columns] if not df.empty else pd.DataFrame(columns=columns)
    if programmes is not None and "programme_id" in columns:
        df = df[df["programme_id"].isin(programmes)].reset_index(drop=True)
    return df


def impact_available(con: duckdb.DuckDBPyConnection) -> bool:
    """True once the impact stage has written its tables."""
    return table_exists(con, "impact_estimates")
