"""Read every file of the drop zone into staging tables, each file whole, in SQL.

Per file: detect encoding and delimiter (``sniff.py``; a workbook is first written
sheet by sheet as text, ``workbook.py``), plan it from its header (``plan.py``, or
through the mapping file that describes it, ``mapped.py``), read its records into
raw cells with DuckDB (``cells.py``), and convert the cells into the contract's typed
columns, with participant ids replaced by pseudonyms when ``$AAI_ID_SALT`` is set and
a problem for every cell, row and record that fails (``convert.py``,
``cell_rules.py``, ``rows.py``). Rows go to
``staging_<kind>``, problems to ``staging_problems``. Cross-file rules (duplicates,
unknown groups) need every file and run afterwards in ``pipelines/validate``. A file
that cannot be read is recorded with the reason and never stops the others.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb

from python_calamine import CalamineError, PasswordError

from pipelines.ingest import convert, mapped, workbook
from pipelines.ingest.cells import Cells, read_cells
from pipelines.ingest.discover import WORKBOOK_SUFFIXES, RawFile, discover
from pipelines.ingest.plan import FilePlan, plan_file, unrecognised_hint
from pipelines.ingest.rows import convert_file
from pipelines.ingest.sniff import UnreadableFile, head_records, is_hxl, needs_transcoding, read_header, sniff, transcode
from pipelines.mapping import Mapping
from pipelines.warehouse import table_exists
from schemas import CONTRACTS

# source_row: the record (header = 1, as DuckDB and a spreadsheet count rows);
# source_line: the physical line where that record starts (a quoted cell may span
# lines); source_column: the cell's column (1 = A) for a grid register, 0 otherwise.
PROVENANCE_DDL = "source_file VARCHAR, source_row BIGINT, source_line BIGINT, source_column INTEGER"
SUBMISSION_DDL = ", submission_id VARCHAR, submitted_at TIMESTAMP"  # KoboToolbox edits, survey only

# DuckDB caches table pages up to 80 % of RAM by default, so the warehouse's share of
# memory would grow with the files. Capped, it spills to disk instead
# (docs/performance.md). A survey's staging INSERT joins one small dictionary per
# contract column (about forty hash tables at once), which 128 MB could not hold.
DUCKDB_MEMORY_LIMIT = "512MB"

UNRECOGNISED_REASON = (
    "the file's header matches no kind of file (groups, survey, attendance), so none of its records was "
    "loaded; rename its columns as in docs/data-contract.md, describe the file in a mapping file "
    "(mappings/, docs/questionnaire.md), or mark it ignored in aai.toml"
)


# A workbook's sheets are logged as book.xlsx#Sheet; the file is book.xlsx.
SHEET_SUFFIX = r"(\.(?:xlsx|ods))#.*$"


def bound_memory(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")


@contextmanager
def workspace(con: duckdb.DuckDBPyConnection, folder: Path) -> Iterator[Path]:
    """A folder for DuckDB's spill files and transcoded copies, removed afterwards:
    both hold every column of a file, names and phones included. What a killed run
    left there is removed first."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(folder / "duckdb")])
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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

COPY_KIND_TO_DUPLICATES = """
UPDATE raw_files AS copy SET kind = original.kind, encoding = original.encoding, delimiter = original.delimiter
FROM raw_files AS original
WHERE copy.status = 'duplicate' AND original.sha256 = copy.sha256 AND original.status <> 'duplicate'
"""


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


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_FILES_DDL)
    con.execute(PROBLEMS_DDL)
    for kind in CONTRACTS:
        con.execute(staging_ddl(kind))


CELLS_TABLE = "_cells"


def stage_file(con, raw_file: RawFile, work_dir: Path, salt: bytes | None = None,
               mappings: tuple[Mapping, ...] = ()) -> FileResult:
    """Stage one delimited text file; any failure to read it is recorded, never raised.
    With ``salt``, participant ids are replaced by their pseudonyms (``pseudonym.py``);
    a file that one of ``mappings`` describes is planned through it (``mapped.py``)."""
    result = FileResult(raw_file.source_file, raw_file.sha256)
    transcoded = work_dir / "transcoded.csv"
    try:
        with _reading(con, result):
            dialect = sniff(raw_file.path)
            result.encoding, result.delimiter = dialect.encoding, dialect.delimiter
            header = read_header(raw_file.path, dialect)
            path = raw_file.path
            if needs_transcoding(dialect):
                replaced = transcode(raw_file.path, dialect, transcoded)
                path = transcoded
                if replaced:
                    result.notes.append(f"{replaced:,} characters could not be decoded as {dialect.encoding} "
                                        "and were read as �")
            head = head_records(raw_file.path, dialect)
            skip = frozenset({2}) if len(head) > 1 and is_hxl(head[1]) else frozenset()
            plan = _plan(result, header, raw_file.path.name, mappings)
            _stage_records(con, result, plan, path, dialect.delimiter, header, skip, work_dir, salt)
    finally:
        transcoded.unlink(missing_ok=True)
    return result


def stage_workbook(con, raw_file: RawFile, work_dir: Path, salt: bytes | None = None,
                   mappings: tuple[Mapping, ...] = ()) -> list[FileResult]:
    """Stage each filled, visible sheet of an .xlsx or .ods workbook as its own entry,
    ``book.xlsx#Sheet`` (``workbook.py``). A sheet that matches no kind is
    ``unrecognised`` when no other sheet of the workbook is read, else ``skipped``
    (a sheet of notes or lists beside the data); either way the log says so."""
    book = FileResult(raw_file.source_file, raw_file.sha256, encoding=raw_file.path.suffix.lower().lstrip("."))
    sheets: list[workbook.Sheet] = []
    try:
        with _reading(con, book):
            hidden = workbook.write_sheets(raw_file.path, work_dir, "workbook", sheets)
            formulas = workbook.formula_cells(raw_file.path)
        if book.status == "unreadable":
            return [book]
        results = [_stage_sheet(con, raw_file, sheet, formulas.get(sheet.name, []), work_dir, salt, mappings)
                   for sheet in sheets if sheet.header_candidates()]
    finally:
        for sheet in sheets:
            sheet.csv_path.unlink(missing_ok=True)
    if any(r.plan is not None for r in results):
        for result in results:
            if result.status == "unrecognised":
                con.execute("DELETE FROM staging_problems WHERE source_file = ?", [result.source_file])
                result.status, result.kind = "skipped", "unknown"
                result.message = (f"the sheet's header matches no kind of file, so its {result.rows_read:,} rows "
                                  "were not read; if it holds data, rename its columns or describe it in a "
                                  "mapping file (docs/questionnaire.md)")
                result.rows_read = 0
    if not results:
        book.status, book.message = "no_records", "the workbook has no filled sheet"
        results = [book]
    if hidden:
        results[0].notes.append(f"hidden sheets were not read: {', '.join(hidden)}; unhide a sheet that holds data")
    return results


def _stage_sheet(con, raw_file: RawFile, sheet: workbook.Sheet, formulas: list[str], work_dir: Path,
                 salt: bytes | None, mappings: tuple[Mapping, ...]) -> FileResult:
    """One sheet, its header the first of its top rows that some kind (or mapping) fits."""
    result = FileResult(f"{raw_file.source_file}#{sheet.name}", raw_file.sha256,
                        encoding=raw_file.path.suffix.lower().lstrip("."))
    name = f"{raw_file.path.name} {sheet.name}"
    with _reading(con, result):
        candidates = sheet.header_candidates()
        row = next((r for r in candidates if _plan(FileResult(result.source_file, None), sheet.rows[r], name,
                                                   mappings, raw_file.source_file) is not None), candidates[0])
        header = sheet.rows[row]
        plan = _plan(result, header, name, mappings, raw_file.source_file)
        skip = set(range(1, row + 2))
        if row + 1 < len(sheet.rows) and is_hxl(sheet.rows[row + 1]):
            skip.add(row + 2)
        _stage_records(con, result, plan, sheet.csv_path, ",", header, frozenset(skip), work_dir, salt)
        # A sheet row is one record whatever line breaks its cells hold: its line is its row.
        for table in [*(f"staging_{kind}" for kind in CONTRACTS), "staging_problems"]:
            con.execute(f"UPDATE {table} SET source_line = source_row WHERE source_file = ?", [result.source_file])
        result.notes += workbook.notes(sheet, row, formulas)
    return result


def _plan(result: FileResult, header: list[str], file_name: str, mappings: tuple[Mapping, ...],
          container: str | None = None) -> FilePlan | None:
    """The file's plan, through the mapping that describes it if any (noted in ``result``)."""
    mapping, note = mapped.choose(mappings, result.source_file, header, container)
    if mapping is None:
        return plan_file(header, file_name)
    result.mapping = mapping.path
    result.notes += [note] if note else []
    plan = mapped.mapped_plan(header, file_name, mapping)
    if plan is None:
        result.notes.append(f"{mapping.path} was applied, and still no kind of file fits: give its kind "
                            "(kind: survey, groups or attendance)")
    return plan


def _stage_records(con, result: FileResult, plan: FilePlan | None, path: Path, delimiter: str, header: list[str],
                   skip: frozenset[int], work_dir: Path, salt: bytes | None) -> None:
    """Read the records of a UTF-8 delimited file and stage them by ``plan`` (None: unrecognised)."""
    cells = None
    try:
        needed = plan.needed if plan is not None else []
        cells = read_cells(con, path, delimiter, len(header), needed, CELLS_TABLE, work_dir, skip_records=skip)
        result.notes += cells.notes
        if plan is None:
            _unrecognised(con, result, cells, header)
        else:
            result.kind, result.plan = plan.kind, plan
            result.columns_ignored = [name for name in plan.ignored if name not in plan.dates.values()]
            convert_file(con, plan, result.source_file, cells, salt)
            result.rows_read = (cells.rows + _count(con, cells.problems)) * plan.cells_per_record
            result.notes += plan.notes()
        if result.rows_read == 0 and result.status == "read":
            result.status, result.message = "no_records", "header only: no records"
    finally:
        if cells is not None:
            cells.drop(con)


@contextmanager
def _reading(con, result: FileResult) -> Iterator[None]:
    """Record any failure to read as the entry's status and sentence; never raise."""
    try:
        yield
    except UnreadableFile as exc:
        _unstage(con, result, f"the file could not be read: {exc} (reading stopped at line 1)")
    except PasswordError:
        _unstage(con, result, "the workbook is protected by a password; remove the password and send it again")
    except (zipfile.BadZipFile, ElementTree.ParseError, CalamineError) as exc:
        _unstage(con, result, f"the file could not be read as a workbook ({type(exc).__name__}): it may be damaged, "
                              "or another kind of file renamed; open it in a spreadsheet, save it as .xlsx or .ods "
                              "and send it again")
    except (UnicodeDecodeError, OSError) as exc:
        _unstage(con, result, f"the file could not be read ({type(exc).__name__}; reading stopped at "
                              f"line {_last_line(con, CELLS_TABLE):,})")
    except Exception as exc:  # noqa: BLE001 - one file's failure must never stop the others
        # The message of an unexpected error may quote a cell, and a cell may be personal
        # data: only its kind and where reading stopped are kept.
        last = _last_line(con, CELLS_TABLE)
        _unstage(con, result,
                 f"reading stopped after line {last:,} on an unexpected {type(exc).__name__}; nothing of "
                 "this file was loaded. Please send the file's header and that line's shape to the maintainers")


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _last_line(con, table: str) -> int:
    try:
        return con.execute(f"SELECT coalesce(max(line), 1) FROM {table}").fetchall()[0][0]
    except duckdb.Error:
        return 1


def _unrecognised(con, result: FileResult, cells: Cells, header: list[str]) -> None:
    """Count the records of a file no kind matches and quarantine each one."""
    hint = unrecognised_hint(header)
    reason = UNRECOGNISED_REASON + (f" ({hint})" if hint else "")
    con.execute(
        f"""INSERT INTO staging_problems
            SELECT $file, record, line, 0, 'unknown', '', 'unrecognised_file', '', $reason, 'row'
            FROM (SELECT record, line FROM {cells.table} UNION ALL SELECT record, line FROM {cells.problems})""",
        {"file": result.source_file, "reason": reason},
    )
    result.rows_read = cells.rows + _count(con, cells.problems)
    result.status = "unrecognised"
    result.message = "the header matches no known file: groups need group_id and start_date, surveys " \
        "participant_id and wave, attendance group_id, session_date and participant_id (or, for a register " \
        "typed as a grid, participant_id and one column per session date); describe it in a mapping file " \
        "(docs/questionnaire.md) or see docs/data-contract.md" + (f". {hint[0].upper()}{hint[1:]}" if hint else "")


def _unstage(con, result: FileResult, message: str) -> None:
    """Keep the warehouse consistent: nothing of a file that failed half-way stays staged."""
    for kind in CONTRACTS:
        con.execute(f"DELETE FROM staging_{kind} WHERE source_file = ?", [result.source_file])
    con.execute("DELETE FROM staging_problems WHERE source_file = ?", [result.source_file])
    result.rows_read, result.status, result.message = 0, "unreadable", message
    result.notes, result.columns_ignored = [], []


def _previously_loaded(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sha256 → the file name it was loaded under by the last run, if there was one."""
    if not table_exists(con, "ingest_log"):
        return {}
    return dict(con.execute("SELECT sha256, regexp_replace(source_file, ?, '\\1') FROM ingest_log "
                            "WHERE status LIKE 'loaded%'", [SHEET_SUFFIX]).fetchall())


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
    ignore: tuple[str, ...] = (),
    salt: bytes | None = None,
    work_dir: Path | None = None,
    progress: Callable[[FileResult], None] | None = None,
    mappings: tuple[Mapping, ...] = (),
) -> list[FileResult]:
    """Stage every path under ``raw_dir``; see ``stage_files``."""
    return stage_files(con, discover(raw_dir, ignore), salt=salt, work_dir=work_dir, progress=progress,
                       mappings=mappings)


def stage_files(
    con: duckdb.DuckDBPyConnection,
    files: list[RawFile],
    *,
    salt: bytes | None = None,
    work_dir: Path | None = None,
    progress: Callable[[FileResult], None] | None = None,
    mappings: tuple[Mapping, ...] = (),
) -> list[FileResult]:
    """Stage these entries; a file whose bytes were already seen is not read again.
    ``mappings`` are the data root's mapping files (``pipelines/mapping``), checked
    before this is called.

    ``work_dir`` receives transcoded copies while a file is read (a temporary folder
    when None); each copy is deleted as soon as its file is staged.
    """
    originals = _originals([f for f in files if f.readable], _previously_loaded(con))
    bound_memory(con)
    create_staging(con)
    convert.prepare(con)
    own = work_dir is None
    work = Path(tempfile.mkdtemp(prefix="aai-ingest-")) if own else work_dir
    work.mkdir(parents=True, exist_ok=True)
    results: list[FileResult] = []
    try:
        for raw_file in files:
            original = originals.get(raw_file.sha256, raw_file.source_file)
            if not raw_file.readable:
                result = FileResult(raw_file.source_file, raw_file.sha256, status=raw_file.status,
                                    message=raw_file.message)
            elif original != raw_file.source_file:
                result = FileResult(raw_file.source_file, raw_file.sha256, status="duplicate",
                                    message=f"same content as {original}; not loaded again")
            elif raw_file.path.suffix.lower() in WORKBOOK_SUFFIXES:
                result = stage_workbook(con, raw_file, work, salt, mappings)
            else:
                result = stage_file(con, raw_file, work, salt, mappings)
            for entry in result if isinstance(result, list) else [result]:
                results.append(entry)
                _log(con, entry)
                if progress:
                    progress(entry)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    con.execute(COPY_KIND_TO_DUPLICATES)
    return results


def _log(con, result: FileResult) -> None:
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

