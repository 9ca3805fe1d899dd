"""A delimited file's records as raw text cells in a DuckDB table, every record accounted for.

DuckDB's CSV reader does the reading (typed ``read_csv`` with explicit columns, every
column VARCHAR, ``store_rejects`` for bad records, nothing auto-detected). Only the
columns the plan needs are kept, so names, phones and addresses are parsed but never
stored. Each kept row gets its record number (header = record 1, a blank line counts,
a quoted cell spanning lines counts once: DuckDB's own numbering) and its physical
first line, found by ``records.scan``:

- DuckDB skips blank lines and keeps rejected records apart; the rows it returns are
  in file order, so the k-th row is the k-th record that is neither blank nor rejected.
- Rejected records: a short row (``MISSING COLUMNS``; Excel drops trailing empty
  cells) is re-read and padded; a long row (``TOO MANY COLUMNS``) keeps its cells when
  the extra ones are empty, else it is ``ragged_row``; a broken quote and a record over
  ``MAX_RECORD_BYTES`` are one problem record each.
- An unterminated quote makes DuckDB read the rest of the file as one cell: that
  record is cut at its first line and reading goes on from the next line.
- When the counts do not add up, the file is read again with Python's ``csv`` module,
  which counts lines exactly, and the log says so.

Rejected lines are read from DuckDB's rejects table and the table is dropped at once:
a raw line may hold personal data.
"""

from __future__ import annotations

import csv
import io
import itertools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.ingest import records as record_scan

# One record (a line, or a quoted cell's lines together) may hold this many bytes; a
# longer one costs only itself (``record_too_long``). Real rows are a few KiB.
MAX_RECORD_BYTES = 1 << 20
# Records of one file beyond this many are counted and quarantined, never loaded.
MAX_RECORDS_PER_FILE = 20_000_000
PYTHON_BATCH_ROWS = 50_000
# DuckDB's ``store_rejects`` holds about 2 KB per rejected record while it reads, whatever
# ``rejects_limit`` says (600,000 rejects: 640 MB). So a segment is first read with
# ``ignore_errors``, which keeps no rejects: when every record gave a row, that is the
# whole read; when up to this many did not, it is read again keeping them; beyond, the
# Python reader reads it in batches.
MAX_FAST_REJECTS = 20_000

# How every segment is read: nothing detected, every column text; ``{errors}`` says what
# becomes of a record that does not fit (``IGNORE`` or ``STORE``).
READ_CSV = f"""
CREATE OR REPLACE TEMP TABLE {{segment}} AS
SELECT {{selected}}, coalesce({{all_cells}}) IS NULL AS blank
FROM read_csv($path, header = false, all_varchar = true, auto_detect = false, delim = $delim, quote = '"',
              escape = '"', columns = $columns, max_line_size = {MAX_RECORD_BYTES}, strict_mode = true, {{errors}})
"""
IGNORE = "ignore_errors = true"
STORE = "store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{scan}'"

RULE_REASONS = {
    "ragged_row": "the row has more filled cells than the header has columns; "
    "check for a stray separator (a comma or semicolon inside an answer)",
    "bad_quoting": "a quotation mark in this record is not closed or is followed by text; "
    "this record was not read (the records after it were); check the quotes in the line",
    "record_too_long": f"the record is longer than {MAX_RECORD_BYTES:,} bytes and was not read; "
    "check for a missing line break or a pasted document",
    "too_many_records": f"the file has more than {MAX_RECORDS_PER_FILE:,} records; the ones beyond were "
    "not read: split the file",
    "no_parent_row": "this row of a repeat group names a row (by _parent_index or PARENT_KEY, the value shown) "
    "that its parent sheet or file does not have, so it lacks the parent's columns and was not loaded; "
    "export the form again with every submission",
}


@dataclass
class Cells:
    """A file's kept cells: the view ``table`` (record, line, then ``c<position>``
    VARCHAR, data rows only), over one table per segment that DuckDB read plus the
    rows repaired in Python; the records that gave no row are in ``problems``
    (record, line, rule, value). ``drop`` removes them all."""

    table: str
    rows: int = 0  # data rows (header, blank and HXL rows excluded)
    notes: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # SELECTs the view unites
    created: list[str] = field(default_factory=list)  # temp tables behind the view

    @property
    def problems(self) -> str:
        return f"{self.table}_problems"

    @property
    def fixed(self) -> str:
        return f"{self.table}_fixed"

    def new_table(self, suffix: str) -> str:
        name = f"{self.table}_{suffix}{len(self.created)}"
        self.created.append(name)
        return name

    def last_line(self, con: duckdb.DuckDBPyConnection) -> int | None:
        """The physical line of the last record read so far (None before any), wherever
        reading stopped: a row or a problem record, even before the view exists."""
        lines = " UNION ALL ".join([*(f"SELECT line FROM ({part})" for part in self.parts),
                                    f"SELECT line FROM {self.problems}"])
        try:
            return con.execute(f"SELECT max(line) FROM ({lines})").fetchall()[0][0]
        except duckdb.Error:  # reading stopped before its tables were made
            return None

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"DROP VIEW IF EXISTS {self.table}")
        for name in [*self.created, self.problems, self.fixed]:
            con.execute(f"DROP TABLE IF EXISTS {name}")


def column_name(position: int) -> str:
    return f"c{position}"


def read_cells(
    con: duckdb.DuckDBPyConnection, cells: Cells, path: Path, delimiter: str, width: int, needed: list[int],
    work_dir: Path, *, skip_records: frozenset[int] = frozenset(), header_line_only: bool = False,
) -> None:
    """Read ``path`` (UTF-8) into the view ``cells.table``; ``skip_records`` are records
    that are not data though not blank (an HXL tag row); with ``header_line_only`` the
    header is line 1 alone (a quote in it ran on: ``sniff.read_header``) and records are
    read from line 2, numbered from 2. The caller made ``cells`` and
    drops it whatever happens, so that a read that fails half-way leaves no table
    behind and can still say where it stopped (``Cells.last_line``)."""
    table = cells.table
    kept = "".join(f", {column_name(p)} VARCHAR" for p in needed)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {cells.fixed} (record BIGINT, line BIGINT{kept})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {cells.problems} (record BIGINT, line BIGINT, rule VARCHAR, value VARCHAR)")
    cells.parts.append(f"SELECT * FROM {cells.fixed}")
    segment, record_base, line_base, header, last_record = path, 0, 0, True, 0
    parts = itertools.count()
    rests: list[Path] = []  # copies of a file's tail: they hold personal data, deleted below
    try:
        if header_line_only:
            rests.append(work_dir / f"{table}-rest-{next(parts)}.csv")
            segment, record_base, line_base, header = _rest_after_line(path, 0, rests[-1]), 1, 1, False
        while segment is not None:
            scan = record_scan.scan(segment)
            last_record = record_base + scan.records
            if not _read_segment(con, segment, delimiter, width, needed, cells, scan, record_base, line_base, header):
                _read_with_python(con, segment, delimiter, width, needed, cells, record_base, line_base, header,
                                  stop_at=scan.open_quote_record)
            if scan.open_quote_record is None:
                break
            # Cut the record an unterminated quote starts at its first line; read on after it.
            record_base += scan.open_quote_record
            line_base += scan.open_quote_line
            rests.append(work_dir / f"{table}-rest-{next(parts)}.csv")
            segment = _rest_after_line(segment, scan.open_quote_byte, rests[-1])
            header = False
    finally:
        for rest in rests:
            rest.unlink(missing_ok=True)
    rows = " UNION ALL ".join(cells.parts)
    limit = MAX_RECORDS_PER_FILE + 1  # the header is record 1
    if last_record > limit:
        # Records beyond the per-file cap are quarantined one by one, never loaded.
        con.execute(f"UPDATE {cells.problems} SET rule = 'too_many_records' WHERE record > {limit}")
        con.execute(f"INSERT INTO {cells.problems} SELECT record, line, 'too_many_records', '' FROM ({rows}) "
                    f"WHERE record > {limit}")
    skip = "".join(f" AND record <> {record}" for record in sorted(skip_records))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM ({rows}) WHERE record <= {limit}{skip}")
    cells.rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _read_segment(con, path: Path, delimiter: str, width: int, needed: list[int], cells: Cells,
                  scan: record_scan.RecordMap, record_base: int, line_base: int, header: bool) -> bool:
    """Read one segment with DuckDB; False when the Python reader must read it (too many
    rejected records, or rows that cannot be matched to records), with a note saying why."""
    segment = cells.new_table("segment")
    parts = len(cells.parts)
    rejects, scan_table = f"{cells.table}_rejects", f"{cells.table}_scan"
    all_cells = ", ".join(column_name(p) for p in range(width))
    selected = ", ".join(column_name(p) for p in needed) or "NULL AS _none"
    params = {"path": str(path), "delim": delimiter, "columns": {column_name(p): "VARCHAR" for p in range(width)}}

    def read(errors: str) -> int:
        con.execute(READ_CSV.format(segment=segment, selected=selected, all_cells=all_cells, errors=errors), params)
        return con.execute(f"SELECT count(*) FROM {segment}").fetchall()[0][0]

    placed = False
    try:
        missing = scan.records - scan.blank_records - read(IGNORE)
        if missing > MAX_FAST_REJECTS:
            cells.notes.append(f"read line by line: more than {MAX_FAST_REJECTS:,} records do not fit the "
                               "header's columns")
            return False
        rejected = []
        if missing:
            read(STORE.format(rejects=rejects, scan=scan_table))
            rejected = con.execute(
                f"SELECT line, first(error_type ORDER BY column_idx), first(csv_line) FROM {rejects} "
                "GROUP BY line ORDER BY line"
            ).fetchall()
        placed = _place_rows(con, segment, delimiter, width, needed, cells, scan, rejected, record_base, line_base,
                             header)
    except duckdb.Error:
        pass
    finally:
        for name in (rejects, scan_table):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        if not placed:
            del cells.parts[parts:]  # the Python reader reads this segment again
    if not placed and not cells.notes:
        cells.notes.append("read line by line: the fast reader's record counts did not add up")
    return placed


def _place_rows(con, segment, delimiter, width, needed, cells, scan, rejected, record_base, line_base, header) -> bool:
    """Number DuckDB's rows (a view over the segment), repair or record the rejected
    ones; False when the counts do not add up."""
    rejected_records = np.unique(np.array([int(line) for line, _, _ in rejected], dtype=np.int64))
    good = con.execute(f"SELECT count(*) FROM {segment}").fetchall()[0][0]
    if len(rejected_records) and not 1 <= rejected_records[0] <= rejected_records[-1] <= scan.records:
        return False
    if good != scan.records - scan.blank_records - len(rejected_records):
        return False
    if _in_runs(scan.blank_start, scan.blank_length, rejected_records):
        return False
    # DuckDB counts the blank lines before a record into its size: a short record after
    # 1 MiB of them is "too long" there. The exact reader tells it from a long one.
    too_long = np.array([int(line) for line, error, _ in rejected if error == "LINE SIZE OVER MAXIMUM"], dtype=np.int64)
    if _in_runs(scan.blank_start, scan.blank_length, too_long - 1):
        return False
    # Good row k (1-based, file order: rowid + 1) is record k + (records skipped before it),
    # and a record's line is the record plus the extra lines of the quoted cells before it.
    # Inside an open transaction DuckDB numbers new rows from a large offset, in order.
    starts = np.concatenate([scan.blank_start, rejected_records])
    lengths = np.concatenate([scan.blank_length, np.ones_like(rejected_records)])
    order = np.argsort(starts, kind="stable")
    first_rowid = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {segment}").fetchall()[0][0]
    ordinal = f"(s.rowid - {first_rowid} + 1)"
    record = ordinal
    joins = ""
    if len(starts):
        steps = cells.new_table("steps")
        _table_from(con, steps, _skipped_steps(starts[order], lengths[order]))
        joins += f" ASOF JOIN {steps} o ON {ordinal} >= o.first_ordinal"
        record = f"{ordinal} + o.skipped"
    line = record
    if len(scan.step_records):
        lines = cells.new_table("lines")
        _table_from(con, lines, pd.DataFrame({"first_record": np.concatenate([[1], scan.step_records]),
                                              "extra": np.concatenate([[0], scan.step_extra])}))
        joins += f" ASOF JOIN {lines} l ON {record} >= l.first_record"
        line = f"{record} + l.extra"
    kept = "".join(f", s.{column_name(p)}" for p in needed)
    cells.parts.append(
        f"SELECT {record} + {record_base} AS record, {line} + {line_base} AS line{kept} FROM {segment} s{joins} "
        f"WHERE NOT s.blank AND {record} > {1 if header else 0}"
    )
    repaired, problems = [], []
    for line_number, error, raw in rejected:
        number = int(line_number)
        if header and number == 1:
            continue  # the header is not data (its cells were read by Python)
        where = [number + record_base, scan.line_of(number) + line_base]
        if error in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            row = _one_record(raw, delimiter)
            if row is None:
                problems.append([*where, "bad_quoting", ""])
            elif not "".join(row).strip():
                continue  # a line of spaces is blank, not data
            elif len(row) > width and any(cell.strip() for cell in row[width:]):
                problems.append([*where, "ragged_row", f"{len(row)} cells"])
            else:
                row = (row + [""] * width)[:width]
                repaired.append([*where, *(row[p] for p in needed)])
        elif error == "LINE SIZE OVER MAXIMUM":
            problems.append([*where, "record_too_long", ""])
        else:
            problems.append([*where, "bad_quoting", ""])
    _append(con, cells.fixed, ["record", "line", *(column_name(p) for p in needed)], repaired)
    _append(con, cells.problems, ["record", "line", "rule", "value"], problems)
    return True


def _in_runs(starts: np.ndarray, lengths: np.ndarray, values: np.ndarray) -> bool:
    """Whether any of ``values`` lies in one of the sorted runs (first, length)."""
    run = np.searchsorted(starts, values, side="right") - 1
    found = run >= 0
    return bool((values[found] < starts[run[found]] + lengths[run[found]]).any())


def _skipped_steps(starts: np.ndarray, lengths: np.ndarray) -> pd.DataFrame:
    """For the runs of records DuckDB gives no row for (sorted: first record, length),
    the steps of the good rows' numbering: from good row ``first_ordinal`` on,
    ``skipped`` records lie before it. One step per run, however long (three million
    blank lines in a row are one step); adjacent runs make one."""
    skipped = np.cumsum(lengths)
    return pd.DataFrame({"first_ordinal": np.concatenate([[1], starts - skipped + lengths]),
                         "skipped": np.concatenate([[0], skipped])}).drop_duplicates("first_ordinal", keep="last")


def _table_from(con, name: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")


def _one_record(raw: str, delimiter: str) -> list[str] | None:
    """The cells of one rejected record, or None when it is not exactly one record."""
    try:
        parsed = list(csv.reader(io.StringIO(raw.strip("\r\n")), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return parsed[0] if len(parsed) == 1 else None


@contextmanager
def record_fields() -> Iterator[None]:
    """Python's ``csv`` reads a field of up to one record's cap (``MAX_RECORD_BYTES``) inside
    this block; its default of 131,072 characters holds for the whole process otherwise."""
    before = csv.field_size_limit(MAX_RECORD_BYTES)
    try:
        yield
    finally:
        csv.field_size_limit(before)


def _append(con, table: str, columns: list[str], rows: list[list]) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.astype({c: "str" for c in columns if c.startswith("c") or c in ("rule", "value")})
    con.register("_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def _rest_after_line(path: Path, start: int, target: Path) -> Path | None:
    """The bytes after the line that starts at ``start``, as a new file (None if none)."""
    with path.open("rb") as src:
        src.seek(start)
        line = src.readline(MAX_RECORD_BYTES)
        while line and not line.endswith(b"\n"):  # a first line longer than any record
            line = src.readline(MAX_RECORD_BYTES)
        with target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if target.stat().st_size:
        return target
    target.unlink()
    return None


def _read_with_python(con, path: Path, delimiter: str, width: int, needed: list[int], cells: Cells,
                      record_base: int, line_base: int, header: bool, stop_at: int | None = None) -> None:
    """The exact but slower reader, for a segment whose DuckDB counts cannot be matched.

    ``stop_at`` is the record an unterminated quote starts: it is recorded as
    ``bad_quoting`` and the caller reads on from the line after it."""
    for table in (cells.fixed, cells.problems):  # whatever the fast reader left of this segment
        con.execute(f"DELETE FROM {table} WHERE record > ?", [record_base])
    columns = ["record", "line", *(column_name(p) for p in needed)]
    with record_fields(), path.open(encoding="utf-8", newline="", errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        record, batch, problems = 0, [], []
        while True:
            if len(problems) >= PYTHON_BATCH_ROWS:
                _append(con, cells.problems, ["record", "line", "rule", "value"], problems)
                problems = []
            first_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error:  # a field over the cap; the reader goes on at the next line
                record += 1
                problems.append([record + record_base, first_line + line_base, "record_too_long", ""])
                continue
            record += 1
            where = [record + record_base, first_line + line_base]
            if record == stop_at:
                problems.append([*where, "bad_quoting", ""])
                break
            if (record == 1 and header) or not "".join(row).strip():
                continue
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                problems.append([*where, "ragged_row", f"{len(row)} cells"])
                continue
            row = (row + [""] * width)[:width]
            batch.append([*where, *(row[p] for p in needed)])
            if len(batch) >= PYTHON_BATCH_ROWS:
                _append(con, cells.fixed, columns, batch)
                batch = []
        _append(con, cells.fixed, columns, batch)
        _append(con, cells.problems, ["record", "line", "rule", "value"], problems)
