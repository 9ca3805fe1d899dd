"""One delimited text file (or a workbook's sheet written as one) into staging.

The file is sniffed (``sniff.py``), planned from its header (``plan.py``, or through
the mapping file that describes it, ``mapped.py``), its records read into raw cells by
DuckDB (``cells.py``) and converted into the contract's typed columns with a problem
for every cell, row and record that fails (``rows.py``). A file that matches no kind
is counted record by record and quarantined (``unrecognised``); a file that cannot be
read is recorded with the reason and never stops the others (``reading``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

from python_calamine import CalamineError, PasswordError

from pipelines.ingest import mapped, repeats
from pipelines.ingest.cells import Cells, read_cells
from pipelines.ingest.discover import RawFile
from pipelines.ingest.plan import FilePlan, plan_file, unrecognised_hint
from pipelines.ingest.rows import convert_file
from pipelines.ingest.sniff import UnreadableFile, head_records, is_hxl, needs_transcoding, read_header, sniff, transcode
from pipelines.ingest.tables import FileResult
from pipelines.mapping import Mapping
from schemas import CONTRACTS

UNRECOGNISED_REASON = (
    "the file's header matches no kind of file (groups, survey, attendance), so none of its records was "
    "loaded; rename its columns as in docs/data-contract.md, describe the file in a mapping file "
    "(mappings/, docs/questionnaire.md), or mark it ignored in aai.toml"
)

CELLS_TABLE = "_cells"


def stage_file(con, raw_file: RawFile, work_dir: Path, salt: bytes | None = None,
               mappings: tuple[Mapping, ...] = (), others: dict[str, RawFile] | None = None) -> FileResult:
    """Stage one delimited text file; any failure to read it is recorded, never raised.
    With ``salt``, participant ids are replaced by their pseudonyms (``pseudonym.py``);
    a file that one of ``mappings`` describes is planned through it (``mapped.py``);
    an ODK Central repeat group is read with its parent file among ``others``
    (``repeats.py``)."""
    result = FileResult(raw_file.source_file, raw_file.sha256)
    copies: list[Path] = []
    try:
        with reading(con, result):
            text = _text(raw_file, work_dir / "transcoded.csv", result, copies)
            result.encoding, result.delimiter = text.encoding, text.delimiter
            parent = None
            if repeats.is_repeat(text.header, repeats.ODK_CENTRAL):
                parent = _odk_parent(raw_file, text, others or {}, work_dir, result, copies)
            header = text.header if parent is None else parent.header(text.header)
            plan = plan_entry(result, header, raw_file.path.name, mappings)
            stage_records(con, result, plan, text, work_dir, salt, parent)
            if result.status == "unrecognised" and (children := _odk_repeats_of(raw_file, others or {})):
                _read_as_parent(con, result, children)
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)
    return result


def _odk_repeats_of(raw_file: RawFile, others: dict[str, RawFile]) -> list[str]:
    """The ODK Central repeat-group files beside this one that name it as their parent."""
    found = []
    for name, other in others.items():
        if other.readable and repeats.odk_parent_name(name) == raw_file.source_file:
            try:
                header = read_header(other.path, sniff(other.path)).cells
            except (UnreadableFile, OSError, UnicodeDecodeError):
                continue  # that file's own entry says why
            if repeats.is_repeat(header, repeats.ODK_CENTRAL):
                found.append(name)
    return found


def _read_as_parent(con, result: FileResult, children: list[str]) -> None:
    """A parent file that is no contract file alone: read through its repeat groups."""
    con.execute("DELETE FROM staging_problems WHERE source_file = ?", [result.source_file])
    result.status, result.kind = "skipped", "unknown"
    result.message = (f"the parent of the repeat group {', '.join(children)}: its {result.rows_read:,} records were "
                      "read with that file's rows, each of which takes the columns of the record its PARENT_KEY "
                      "names")
    result.rows_read = 0


def _text(raw_file: RawFile, transcoded: Path, result: FileResult, copies: list[Path]) -> repeats.Text:
    """The file as DuckDB reads it: UTF-8 (a transcoded copy if need be), with its header."""
    dialect = sniff(raw_file.path)
    header = read_header(raw_file.path, dialect)
    result.notes += header.notes
    path = raw_file.path
    if needs_transcoding(dialect):
        copies.append(transcoded)
        replaced = transcode(raw_file.path, dialect, transcoded)
        path = transcoded
        if replaced:
            result.notes.append(f"{replaced:,} characters of {raw_file.source_file} could not be decoded as "
                                f"{dialect.encoding} and were read as �")
    head = head_records(raw_file.path, dialect)
    skip = frozenset({1, 2}) if len(head) > 1 and is_hxl(head[1]) else frozenset({1})
    return repeats.Text(path, dialect.delimiter, header.cells, skip, raw_file.source_file, dialect.encoding,
                        header.first_line_only)


def _odk_parent(raw_file: RawFile, text: repeats.Text, others: dict[str, RawFile], work_dir: Path,
                result: FileResult, copies: list[Path]) -> repeats.Parent | None:
    name = repeats.odk_parent_name(raw_file.source_file)
    parent_file = others.get(name) if name else None
    if parent_file is None or not parent_file.readable:
        result.notes.append(f"a repeat group (it has PARENT_KEY) whose parent file {name or '<form>.csv'} is not "
                            "beside it: its rows are read without the parent's columns")
        return None
    parent = repeats.link(text.header, _text(parent_file, work_dir / "transcoded-parent.csv", result, copies),
                          repeats.ODK_CENTRAL)
    if parent is None:
        result.notes.append(f"{name} has no KEY column, so this repeat group's rows are read without its columns")
    return parent


def plan_entry(result: FileResult, header: list[str], file_name: str, mappings: tuple[Mapping, ...],
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


def stage_records(con, result: FileResult, plan: FilePlan | None, text: repeats.Text, work_dir: Path,
                  salt: bytes | None, parent: repeats.Parent | None = None) -> None:
    """Read the records of a UTF-8 delimited text and stage them by ``plan`` (None:
    unrecognised); a repeat group's records with their ``parent`` row's columns."""
    read: list[Cells] = []  # the file's own cells first
    try:
        needed = plan.needed if plan is not None else []
        header = text.header if parent is None else parent.header(text.header)
        if parent is None:
            cells = Cells(CELLS_TABLE)
            read.append(cells)
            read_cells(con, cells, text.path, text.delimiter, len(header), needed, work_dir, skip_records=text.skip,
                       header_line_only=text.header_line_only)
        else:
            cells, notes = repeats.read_joined(con, text, parent, needed, CELLS_TABLE, work_dir, read)
            result.notes += notes
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
    except Exception:
        # reading() says where reading stopped once these tables are gone: find it now
        result.last_line = read[0].last_line(con) if read else None
        raise
    finally:
        for cells in read:
            cells.drop(con)


@contextmanager
def reading(con, result: FileResult) -> Iterator[None]:
    """Record any failure to read as the entry's status and sentence; never raise."""
    try:
        yield
    except UnreadableFile as exc:  # decided before any record is read
        _unstage(con, result, f"the file could not be read: {exc}")
    except PasswordError:
        _unstage(con, result, "the workbook is protected by a password; remove the password and send it again")
    except (zipfile.BadZipFile, ElementTree.ParseError, CalamineError) as exc:
        _unstage(con, result, f"the file could not be read as a workbook ({type(exc).__name__}): it may be damaged, "
                              "or another kind of file renamed; open it in a spreadsheet, save it as .xlsx or .ods "
                              "and send it again")
    except (UnicodeDecodeError, OSError) as exc:
        _unstage(con, result, f"the file could not be read ({type(exc).__name__}; reading stopped "
                              f"{_stopped(result)})")
    except Exception as exc:  # noqa: BLE001 - one file's failure must never stop the others
        # The message of an unexpected error may quote a cell, and a cell may be personal
        # data: only its kind and where reading stopped are kept.
        shape = "" if result.last_line is None else " and that line's shape"
        _unstage(con, result,
                 f"reading stopped {_stopped(result)} on an unexpected {type(exc).__name__}; nothing of this "
                 f"file was loaded. Please send the file's header{shape} to the maintainers")


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _stopped(result: FileResult) -> str:
    if result.last_line is None:
        return "before any record was read"
    return f"after line {result.last_line:,}"


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

