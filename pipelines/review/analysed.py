"""The views the indicators and impact stages read instead of ``survey`` and
``attendance``: the validated rows less those a reviewer excluded (docs/review.md).

They are temporary views, defined on the connection that reads them, because the
indicators, impact and disclosure code also runs on in-memory warehouses (a report
period's slice, the tests' own tables): where no review stage ran there is no
``review_exclusions`` table, and the views pass every row through.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from pipelines.warehouse import table_exists

SQL_DIR = Path(__file__).parent
TABLES = ("survey", "attendance")
# the whole table, for a warehouse the review stage has not written (the name is one of TABLES)
PASS_THROUGH = "CREATE OR REPLACE TEMP VIEW {table}_analysed AS SELECT * FROM {table}"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def define_analysed(con: duckdb.DuckDBPyConnection) -> None:
    """``survey_analysed`` and ``attendance_analysed`` on ``con``, for each of the two
    tables that exists."""
    reviewed = table_exists(con, "review_exclusions")
    for table in TABLES:
        if table_exists(con, table):
            con.execute(sql(f"analysed_{table}") if reviewed else PASS_THROUGH.format(table=table)).fetchall()
