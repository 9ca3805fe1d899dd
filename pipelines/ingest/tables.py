"""The staging tables ingestion writes, and the one ``raw_files`` row per file.

``staging_<kind>`` holds each file's rows in the contract's typed columns with their
provenance; ``staging_problems`` every problem of a cell, row or record;
``raw_files`` what was decided about each path (``FileResult``). Validation
(``pipelines/validate``) builds the warehouse tables from these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from pipelines.ingest import convert
from pipelines.ingest.plan import FilePlan
from schemas import CONTRACTS

# source_row: the record (header = 1, as DuckDB and a spreadsheet count rows);
# source_line: the physical line where that record starts (a quoted cell may span
# lines); source_column: the cell's column (1 = A) for a grid register, 0 otherwise.
PROVENANCE_DDL = "source_file VARCHAR, source_row BIGINT, source_line BIGINT, source_column INTEGER"
SUBMISSION_DDL = ", submission_id VARCHAR, submitted_at TIMESTAMP"  # KoboToolbox edits, survey only


def staging_ddl(kind: str) -> str:
    columns = ", ".join(
        f'"{name}" {convert.SQL_TYPES.get(meta.get("parse"), "VARCHAR")}'
        for name, meta in convert.contract_columns(kind).items()
    )
    extra = SUBMISSION_DDL if kind == "survey" else ""
    return f"CREATE OR REPLACE TABLE staging_{kind} ({columns}, {PROVENANCE_DDL}, record VARCHAR{extra})"


RAW_FILES_DDL = """
CREATE OR REPLACE TABLE raw_files (
    source_file VARCHAR, sha256 VARCHAR, kind VARCHAR, encoding VARCHAR, delimiter VARCHAR,
    rows_read BIGINT, status VARCHAR, message VARCHAR, columns_ignored VARCHAR, plan VARCHAR, mapping VARCHAR
)"""
# effect: 'row' when the problem keeps the row out of its table, 'cell' when only that
# cell was loaded as NULL (an optional item).
PROBLEMS_DDL = f"""
CREATE OR REPLACE TABLE staging_problems (
    {PROVENANCE_DDL}, table_name VARCHAR, column_name VARCHAR, rule VARCHAR, value VARCHAR, reason VARCHAR,
    effect VARCHAR
)"""



@dataclass
class FileResult:
    source_file: str
    sha256: str | None
    kind: str = "unknown"
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    status: str = "read"
    message: str = ""
    notes: list[str] = field(default_factory=list)
    columns_ignored: list[str] = field(default_factory=list)
    plan: FilePlan | None = None
    mapping: str | None = None  # the mapping file applied (mappings/brc.yaml)
    # a file whose reading failed: the physical line of the last record read (None
    # before any), found before its tables were dropped, for the sentence of its log
    last_line: int | None = None


# The answers a mapping's declared indicators read, one row per survey row and item
# (item: the column as the mapping names it), as numbers: NULL where the answer could
# not be read, which quarantine then holds as a cell; validate keeps those of the rows
# that loaded (survey_items).
ITEMS_DDL = f"CREATE OR REPLACE TABLE staging_items ({PROVENANCE_DDL}, mapping VARCHAR, item VARCHAR, value DOUBLE)"


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_FILES_DDL)
    con.execute(PROBLEMS_DDL)
    con.execute(ITEMS_DDL)
    for kind in CONTRACTS:
        con.execute(staging_ddl(kind))


def log_file(con, result: FileResult) -> None:
    con.execute(
        "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.source_file, result.sha256, result.kind, result.encoding, result.delimiter,
            result.rows_read, result.status, "; ".join(filter(None, [result.message, *result.notes])),
            ", ".join(result.columns_ignored),
            None if result.plan is None else _plan_json(result.plan), result.mapping,
        ],
    )


def _plan_json(plan: FilePlan) -> str:
    return json.dumps(plan.to_dict(), ensure_ascii=False, default=str)

