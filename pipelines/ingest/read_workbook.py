"""A workbook (.xlsx, .xls, .ods) into staging, each filled visible sheet as its own entry.

Each sheet is written as a CSV (``workbook.py``) and read like a text file
(``read_file.py``), its header the first of its top rows that some kind (or mapping)
fits, its row numbers the sheet's own.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest import repeats, workbook
from pipelines.ingest.discover import RawFile
from pipelines.ingest.read_file import plan_entry, reading, stage_records
from pipelines.ingest.sniff import is_hxl
from pipelines.ingest.tables import FileResult
from pipelines.mapping import Mapping
from schemas import CONTRACTS

def stage_workbook(con, raw_file: RawFile, work_dir: Path, salt: bytes | None = None,
                   mappings: tuple[Mapping, ...] = ()) -> list[FileResult]:
    """Stage each filled, visible sheet of an .xlsx, .xls or .ods workbook as its own entry,
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
        parents: set[str] = set()
        results = [_refused(raw_file, sheet) if sheet.refused else
                   _stage_sheet(con, raw_file, sheet, sheets, formulas.get(sheet.name, []), work_dir, salt,
                                mappings, parents)
                   for sheet in sheets if sheet.refused or sheet.header_candidates()]
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
                if result.source_file in parents:
                    result.message = (f"the parent of a repeat group: its {result.rows_read:,} rows were read with "
                                      "the repeat group's rows, each of which takes the columns of the row it names")
                result.rows_read = 0
    if not results:
        book.status, book.message = "no_records", "the workbook has no filled sheet"
        results = [book]
    if hidden:
        results[0].notes.append(f"hidden sheets were not read: {', '.join(hidden)}; unhide a sheet that holds data")
    return results


def _refused(raw_file: RawFile, sheet: workbook.Sheet) -> FileResult:
    """A sheet too large to load: its own entry, with the reason (``workbook.MAX_SHEET_BYTES``)."""
    return FileResult(f"{raw_file.source_file}#{sheet.name}", raw_file.sha256,
                      encoding=raw_file.path.suffix.lower().lstrip("."), status="unreadable", message=sheet.refused)


def _stage_sheet(con, raw_file: RawFile, sheet: workbook.Sheet, sheets: list[workbook.Sheet], formulas: list[str],
                 work_dir: Path, salt: bytes | None, mappings: tuple[Mapping, ...], parents: set[str]) -> FileResult:
    """One sheet, its header the first of its top rows that some kind (or mapping) fits;
    a KoboToolbox repeat group's sheet with its parent sheet's columns (its name is
    added to ``parents``)."""
    result = FileResult(f"{raw_file.source_file}#{sheet.name}", raw_file.sha256,
                        encoding=raw_file.path.suffix.lower().lstrip("."))
    name = f"{raw_file.path.name} {sheet.name}"
    with reading(con, result):
        candidates = sheet.header_candidates()
        parent, row = None, None
        for r in candidates:  # a repeat group: its header names its parent
            if repeats.is_repeat(sheet.rows[r], repeats.KOBO):
                parent, row = _kobo_parent(raw_file, sheet, r, sheets), r
                break
        extend = parent.header if parent is not None else list
        if row is None:
            row = next((r for r in candidates if plan_entry(FileResult(result.source_file, None), sheet.rows[r], name,
                                                            mappings, raw_file.source_file) is not None),
                       candidates[0])
        plan = plan_entry(result, extend(sheet.rows[row]), name, mappings, raw_file.source_file)
        if parent is not None and plan is not None:
            parents.add(parent.text.name)
        stage_records(con, result, plan, _sheet_text(raw_file, sheet, row), work_dir, salt, parent)
        # A sheet row is one record whatever line breaks its cells hold: its line is its row.
        for table in [*(f"staging_{kind}" for kind in CONTRACTS), "staging_problems"]:
            con.execute(f"UPDATE {table} SET source_line = source_row WHERE source_file = ?", [result.source_file])
        result.notes += workbook.notes(sheet, row, formulas)
    return result


def _sheet_text(raw_file: RawFile, sheet: workbook.Sheet, row: int) -> repeats.Text:
    """The sheet's CSV with its header at ``row`` (0-based): the rows down to it, and an
    HXL row under it, are not data."""
    skip = set(range(1, row + 2))
    if row + 1 < len(sheet.rows) and is_hxl(sheet.rows[row + 1]):
        skip.add(row + 2)
    return repeats.Text(sheet.csv_path, ",", sheet.rows[row], frozenset(skip), f"{raw_file.source_file}#{sheet.name}")


def _kobo_parent(raw_file: RawFile, sheet: workbook.Sheet, row: int,
                 sheets: list[workbook.Sheet]) -> repeats.Parent | None:
    parent_name = repeats.kobo_parent_sheet(sheet.rows[row], sheet.rows[row + 1:])
    parent = next((s for s in sheets if s.name == parent_name and s is not sheet), None)
    if parent is None or not parent.header_candidates():
        return None
    return repeats.link(sheet.rows[row], _sheet_text(raw_file, parent, parent.header_candidates()[0]), repeats.KOBO)
