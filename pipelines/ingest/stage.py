"""Read every file of the drop zone into staging tables, each file whole, in SQL.

This module walks the drop zone: it decides which copy of a file seen twice is read
(``duplicate``), hands each text file to ``read_file.py`` and each workbook to
``read_workbook.py``, and logs one ``raw_files`` row per entry (``tables.py``).
Per file, the reading detects encoding and delimiter (``sniff.py``), plans the file
from its header (``plan.py``, or through its mapping file, ``mapped.py``), reads its
records into raw cells with DuckDB (``cells.py``) and converts them into the
contract's typed columns, with participant ids replaced by pseudonyms when
``$AAI_ID_SALT`` is set and a problem for every cell, row and record that fails
(``convert.py``, ``cell_rules.py``, ``rows.py``). Rows go to ``staging_<kind>``,
problems to ``staging_problems``. Cross-file rules (duplicates, unknown groups) need
every file and run afterwards in ``pipelines/validate``. A file that cannot be read is
recorded with the reason and never stops the others.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.ingest import convert
from pipelines.ingest.discover import WORKBOOK_SUFFIXES, RawFile, discover
from pipelines.ingest.read_file import stage_file
from pipelines.ingest.read_workbook import stage_workbook
from pipelines.ingest.tables import FileResult, create_staging, log_file
from pipelines.mapping import Mapping
from pipelines.warehouse import table_exists

# DuckDB caches table pages up to 80 % of RAM by default, so the warehouse's share of
# memory would grow with the files. Capped, it spills to disk instead
# (docs/performance.md). A survey's staging INSERT joins one small dictionary per
# contract column (about forty hash tables at once), which 128 MB could not hold.
DUCKDB_MEMORY_LIMIT = "512MB"

# A workbook's sheets are logged as book.xlsx#Sheet; the file is book.xlsx.
SHEET_SUFFIX = r"(\.(?:xlsx|xls|ods))#.*$"


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


COPY_KIND_TO_DUPLICATES = """
UPDATE raw_files AS copy SET kind = original.kind, encoding = original.encoding, delimiter = original.delimiter
FROM raw_files AS original
WHERE copy.status = 'duplicate' AND original.sha256 = copy.sha256 AND original.status <> 'duplicate'
"""



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
    by_name = {f.source_file: f for f in files}  # an ODK Central repeat group is read with its parent file
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
                result = stage_file(con, raw_file, work, salt, mappings, by_name)
            for entry in result if isinstance(result, list) else [result]:
                results.append(entry)
                log_file(con, entry)
                if progress:
                    progress(entry)
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    con.execute(COPY_KIND_TO_DUPLICATES)
    return results

