"""Read every file of the drop zone into staging tables, batch by batch.

Per file: detect encoding, delimiter, kind and layout (``layout.py``); turn each
batch into contract rows (a grid register's cells into long rows), replace participant
ids by pseudonyms when ``$AAI_ID_SALT`` is set, parse them into the contract's typed
columns; apply the row rules of the contract; append the rows to
``staging_<kind>`` and their problems to ``staging_problems``. Cross-file rules
(duplicates, unknown groups) need every file and run afterwards in
``pipelines/validate``. A file that cannot be read is recorded and skipped: it never
stops the others.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.discover import RawFile, discover
from pipelines.ingest.layout import FilePlan, plan_file, rows_of
from pipelines.ingest.normalise import PROBLEM_COLUMNS, contract_columns, to_typed
from pipelines.ingest.pseudonym import pseudonymise, salt
from pipelines.ingest.read import DEFAULT_BATCH_ROWS, Batch, Dialect, UnreadableFile, batches, read_header, sniff
from pipelines.validate.rows import row_problems
from pipelines.warehouse import table_exists
from schemas import CONTRACTS

SQL_TYPES = {"yes_no": "BOOLEAN", "date": "DATE", "integer": "INTEGER"}
# source_column: the cell's column (1 = A) for a grid register, 0 for a row of a long file.
PROVENANCE_DDL = "source_file VARCHAR, source_row BIGINT, source_column INTEGER"
SUBMISSION_DDL = ", submission_id VARCHAR, submitted_at TIMESTAMP"  # KoboToolbox edits, survey only

# DuckDB caches table pages up to 80 % of RAM by default, so the warehouse's share of
# memory would grow with the files. Capped, it spills to disk instead, and the
# stage's memory depends on the batch size (docs/performance.md).
DUCKDB_MEMORY_LIMIT = "128MB"


def bound_memory(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")


def staging_ddl(kind: str) -> str:
    columns = ", ".join(
        f'"{name}" {SQL_TYPES.get(meta.get("parse"), "VARCHAR")}' for name, meta in contract_columns(kind).items()
    )
    extra = SUBMISSION_DDL if kind == "survey" else ""
    return f"CREATE OR REPLACE TABLE staging_{kind} ({columns}, {PROVENANCE_DDL}, record VARCHAR{extra})"


RAW_FILES_DDL = """
CREATE OR REPLACE TABLE raw_files (
    source_file VARCHAR, sha256 VARCHAR, kind VARCHAR, encoding VARCHAR, delimiter VARCHAR,
    rows_read BIGINT, status VARCHAR, message VARCHAR
)"""
PROBLEMS_DDL = f"""
CREATE OR REPLACE TABLE staging_problems (
    {PROVENANCE_DDL}, table_name VARCHAR, column_name VARCHAR, rule VARCHAR, value VARCHAR, reason VARCHAR
)"""

COPY_KIND_TO_DUPLICATES = """
UPDATE raw_files AS copy SET kind = original.kind, encoding = original.encoding, delimiter = original.delimiter
FROM raw_files AS original
WHERE copy.status = 'duplicate' AND original.sha256 = copy.sha256 AND original.status <> 'duplicate'
"""


@dataclass
class FileResult:
    source_file: str
    sha256: str
    kind: str = "unknown"
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    status: str = "read"
    message: str = ""
    notes: list[str] = field(default_factory=list)


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_FILES_DDL)
    con.execute(PROBLEMS_DDL)
    for kind in CONTRACTS:
        con.execute(staging_ddl(kind))


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_batch", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _batch")
    finally:
        con.unregister("_batch")


# The record kept for quarantine is the row's contract columns as written, as JSON:
# DuckDB builds it for the whole batch (the row as a struct) faster than pandas can.
INSERT_STAGED = "INSERT INTO staging_{kind} BY NAME SELECT t.*, to_json(r) AS record FROM _typed t POSITIONAL JOIN _raw r"


def _stage_batch(con, plan: FilePlan, source_file: str, batch: Batch, key: bytes | None) -> int:
    """Stage one batch; returns the rows it accounts for (cells of a grid register)."""
    rows = rows_of(plan, batch)
    if "participant_id" in rows.raw:
        ids = pseudonymise(rows.raw["participant_id"], key)
        rows.raw["participant_id"] = rows.coded["participant_id"] = ids
    typed, problems = to_typed(rows.coded, plan.kind)
    found = [p for p in (rows.problems, problems) if len(p)]
    problems = row_problems(plan.kind, typed, rows.raw, pd.concat(found, ignore_index=True) if found else problems)

    typed["source_file"] = source_file
    typed["source_row"] = rows.lines.to_numpy()
    typed["source_column"] = rows.source_columns.to_numpy()
    typed = typed.join(rows.submission)
    if len(rows.raw):
        con.register("_typed", typed)
        con.register("_raw", rows.raw)
        try:
            con.execute(INSERT_STAGED.format(kind=plan.kind))
        finally:
            con.unregister("_typed")
            con.unregister("_raw")

    at = problems["row"].astype("int64")
    problems = problems.assign(
        source_file=source_file,
        source_row=rows.lines.reindex(at).to_numpy(),
        source_column=rows.source_columns.reindex(at).to_numpy(),
        table_name=plan.kind,
    ).drop(columns="row")
    _insert(con, "staging_problems", pd.concat([problems, _ragged(batch, plan, source_file)], ignore_index=True))
    return len(rows.raw) + len(batch.ragged) * plan.cells_per_line


def _ragged(batch: Batch, plan: FilePlan, source_file: str) -> pd.DataFrame:
    """A row with more filled cells than the header is not guessed at: every row (or
    register cell) of that line is quarantined."""
    columns = [position + 1 for position in plan.dates] or [0]
    lines = batch.ragged["line"].repeat(len(columns))
    return pd.DataFrame(
        {
            "source_file": source_file,
            "source_row": lines.to_numpy(),
            "source_column": columns * len(batch.ragged),
            "table_name": plan.kind,
            "column_name": "",
            "rule": "ragged_row",
            "value": batch.ragged["cells_found"].repeat(len(columns)).astype(str).to_numpy() + " cells",
            "reason": "the row has more filled cells than the header has columns; "
            "check for a stray separator (a comma or semicolon inside an answer)",
        },
        columns=["source_file", "source_row", "source_column", "table_name", *PROBLEM_COLUMNS[1:]],
    )


def stage_file(con, raw_file: RawFile, batch_rows: int = DEFAULT_BATCH_ROWS) -> FileResult:
    """Stage one file; any failure to read it is recorded, never raised."""
    result = FileResult(raw_file.source_file, raw_file.sha256)
    last_line = 1  # the header
    if not raw_file.readable:
        result.status, result.message = "skipped", "not a .csv, .tsv or .txt file; skipped"
        return result
    try:
        dialect: Dialect = sniff(raw_file.path)
        result.encoding, result.delimiter = dialect.encoding, dialect.delimiter
        plan = plan_file(read_header(raw_file.path, dialect), raw_file.path.name)
        if plan is None:
            result.status = "unknown_kind"
            result.message = (
                "the header matches no known file: groups need group_id and start_date, surveys "
                "participant_id and wave, attendance group_id, session_date and participant_id "
                "(or, for a register typed as a grid, participant_id and one column per session date)"
            )
            return result
        result.kind = plan.kind
        key = salt()
        # A batch holds about batch_rows rows however the file is laid out.
        lines_per_batch = max(1, batch_rows // plan.cells_per_line)
        for batch in batches(raw_file.path, dialect, lines_per_batch):
            result.rows_read += _stage_batch(con, plan, raw_file.source_file, batch, key)
            if len(batch.lines):
                last_line = int(batch.lines.iloc[-1])
        result.notes += plan.notes()
    except (UnreadableFile, UnicodeDecodeError, csv.Error, OSError) as exc:
        _unstage(con, raw_file, result, f"the file could not be read: {exc}")
    except Exception as exc:  # noqa: BLE001 - one file's failure must never stop the others
        # The message of an unexpected error may quote a cell, and a cell may be personal
        # data: only its kind and where reading stopped are kept.
        _unstage(con, raw_file, result,
                 f"reading stopped after line {last_line:,} on an unexpected {type(exc).__name__}; nothing of "
                 "this file was loaded. Please send the file's header and that line's shape to the maintainers")
    return result


def _unstage(con, raw_file: RawFile, result: FileResult, message: str) -> None:
    """Keep the warehouse consistent: nothing of a file that failed half-way stays staged."""
    for kind in CONTRACTS:
        con.execute(f"DELETE FROM staging_{kind} WHERE source_file = ?", [raw_file.source_file])
    con.execute("DELETE FROM staging_problems WHERE source_file = ?", [raw_file.source_file])
    result.rows_read, result.status, result.message = 0, "unreadable", message


def _previously_loaded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sha256 → the file name it was loaded under by the last run, if there was one."""
    if not table_exists(con, "ingest_log"):
        return {}
    return dict(con.execute("SELECT sha256, source_file FROM ingest_log WHERE status LIKE 'loaded%'").fetchall())


def _originals(files: list[RawFile], previous: dict[str, str]) -> dict[str, str]:
    """For each content hash, the one file to read: the name it was loaded under
    before, else the oldest copy. A copy dropped later never displaces the original."""

    def rank(raw_file: RawFile) -> tuple:
        return (previous.get(raw_file.sha256) != raw_file.source_file, raw_file.mtime_ns, raw_file.source_file)

    originals: dict[str, str] = {}
    for raw_file in sorted(files, key=rank, reverse=True):
        originals[raw_file.sha256] = raw_file.source_file  # the best-ranked copy is written last
    return originals


def stage_all(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Stage every file under ``raw_dir``; a file whose bytes were already seen is not read again."""
    files = discover(raw_dir)
    originals = _originals([f for f in files if f.readable], _previously_loaded(con))
    bound_memory(con)
    create_staging(con)
    results: list[FileResult] = []
    for raw_file in files:
        original = originals.get(raw_file.sha256, raw_file.source_file)
        if original != raw_file.source_file:
            result = FileResult(
                raw_file.source_file, raw_file.sha256, status="duplicate",
                message=f"same content as {original}; not loaded again",
            )
        else:
            result = stage_file(con, raw_file, batch_rows)
        results.append(result)
        con.execute(
            "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.source_file, result.sha256, result.kind, result.encoding, result.delimiter,
                result.rows_read, result.status, "; ".join(filter(None, [result.message, *result.notes])),
            ],
        )
        if progress:
            progress(result)
    con.execute(COPY_KIND_TO_DUPLICATES)
    return results
