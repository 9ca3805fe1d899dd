"""A workbook (.xlsx, .ods) into staging, each filled visible sheet as its own entry.

Each sheet is written as a CSV (``workbook.py``) and read like a text file
(``read_file.py``), its header the first of its top rows that some kind (or mapping)
fits, its row numbers the sheet's own.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest import workbook
from pipelines.ingest.discover import RawFile
from pipelines.ingest.read_file import plan_entry, reading, stage_records
from pipelines.ingest.sniff import is_hxl
from pipelines.ingest.tables import FileResult
from pipelines.mapping import Mapping
from schemas import CONTRACTS

def stage_workbook(con, raw_file: RawFile, work_dir: Path, salt: bytes | None = None,
                   mappings: tuple[Mapping, ...] = ()) -> list[FileResult]:
    """Stage each filled, visible sheet of an .xlsx or .ods workbook as its own entry,
    ``book.xlsx#Sheet`` (``workbook.py``). A sheet that matches no kind is
    ``unrecognised`` when no other sheet of the workbook is read, else ``skipped``
    (a sheet of notes or lists beside the data); either way the log says so."""
    book = FileResult(raw_file.source_file, raw_file.sha256, encoding=raw_file.path.suffix.lower().lstrip("."))
    sheets: list[workbook.Sheet] = []
    try:
        with reading(con, book):
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
    with reading(con, result):
        candidates = sheet.header_candidates()
        row = next((r for r in candidates if plan_entry(FileResult(result.source_file, None), sheet.rows[r], name,
                                                   mappings, raw_file.source_file) is not None), candidates[0])
        header = sheet.rows[row]
        plan = plan_entry(result, header, name, mappings, raw_file.source_file)
        skip = set(range(1, row + 2))
        if row + 1 < len(sheet.rows) and is_hxl(sheet.rows[row + 1]):
            skip.add(row + 2)
        stage_records(con, result, plan, sheet.csv_path, ",", header, frozenset(skip), work_dir, salt)
        # A sheet row is one record whatever line breaks its cells hold: its line is its row.
        for table in [*(f"staging_{kind}" for kind in CONTRACTS), "staging_problems"]:
            con.execute(f"UPDATE {table} SET source_line = source_row WHERE source_file = ?", [result.source_file])
        result.notes += workbook.notes(sheet, row, formulas)
    return result

