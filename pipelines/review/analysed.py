"""The views the indicators and impact stages read instead of ``survey`` and
``attendance``: the validated rows less those a reviewer excluded (docs/review.md).

They are temporary views, defined on the connection that reads them, because the
indicators, impact and disclosure code also runs on in-memory warehouses (a report
period's slice, the tests' own tables) where no review stage ran: there the views pass
every row through.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from pipelines.warehouse import table_exists

SQL_DIR = Path(__file__).parent

EXCLUSIONS = ("CREATE OR REPLACE TEMP VIEW analysed_exclusions AS "
              "SELECT table_name, source_file, source_row, source_column FROM review_exclusions")
NO_EXCLUSIONS = ("CREATE OR REPLACE TEMP VIEW analysed_exclusions AS "
                 "SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS source_file, NULL::BIGINT AS source_row, "
                 "NULL::INTEGER AS source_column WHERE false")


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def define_analysed(con: duckdb.DuckDBPyConnection) -> None:
    """``survey_analysed`` and ``attendance_analysed`` on ``con``."""
    con.execute(EXCLUSIONS if table_exists(con, "review_exclusions") else NO_EXCLUSIONS).fetchall()
    con.execute(sql("analysed")).fetchall()
