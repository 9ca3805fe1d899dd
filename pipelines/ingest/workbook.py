"""Excel (.xlsx, .xls) and OpenDocument (.ods) workbooks: each sheet as a delimited text.

python-calamine (a binding of the Rust calamine reader) reads the cells of the three
formats. It does not stream: a sheet is loaded whole, taking about one and a half
times its XML's size in memory (a 14 MB .xlsx took 443 MB). So a sheet is measured
before anything is loaded, from the sizes the workbook's zip directory declares
(nothing is decompressed), and one over ``MAX_SHEET_BYTES`` is refused with a
sentence: it costs that sheet, never the others, and saved as CSV it is read in
bounded memory. Each visible sheet is written, row for row, as a UTF-8 CSV in the
ingestion's work folder — rows above the header as empty lines, so that a record's
number there is the sheet's own row number — and read from then on like any other
file (``read_workbook.py``): the same plan, the same DuckDB reading and the same per-cell
quarantine, with the sheet's name beside the file's in provenance (``book.xlsx#Sheet``,
as a spreadsheet's own links write it).

What a workbook can hide from a reader is said, never passed over:

- a hidden sheet is not read, and the workbook's log names it;
- a formula cell is read as the result the spreadsheet saved with it; the log says
  how many there are and where the first is, because a file written by a program and
  never opened in a spreadsheet has no saved results (its cells read empty);
- a merged range holds its text in its first cell only: a merged header cell leaves
  the columns under it without a name, a merged data cell leaves the rows under it
  empty, and the log names the range.

Cells are written as a person reads them: a whole number without ``.0``, a date as
YYYY-MM-DD (with the time only when there is one), true/false for a logical cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import python_calamine as calamine

# A title or a note may stand above the header: the header is looked for in this many
# first non-empty rows.
HEADER_SEARCH_ROWS = 10
# A sheet's size as loaded: for .xlsx its XML and the workbook's shared strings, for
# .ods the workbook's content.xml (all its sheets), for .xls the file; uncompressed.
# 128 MiB is about two million cells of short text and some 200 MB in memory.
MAX_SHEET_BYTES = 128 << 20


@dataclass
class Sheet:
    """One visible sheet written as CSV: ``rows`` are its rows from the sheet's first (row 1)."""

    name: str
    csv_path: Path
    rows: list[list[str]] = field(default_factory=list)  # the first rows, to look for the header in
    merged: list[str] = field(default_factory=list)  # merged ranges, as A1:C1
    refused: str = ""  # why the sheet was not read (too large to load), for its log

    def header_candidates(self) -> list[int]:
        """0-based row numbers of the first non-empty rows, where the header may be."""
        filled = [i for i, row in enumerate(self.rows) if any(cell.strip() for cell in row)]
        return filled[:HEADER_SEARCH_ROWS]


def write_sheets(path: Path, work_dir: Path, stem: str, sheets: list[Sheet]) -> list[str]:
    """Append every visible worksheet of the workbook to ``sheets``, each as a CSV under
    ``work_dir`` (appended as written, so the caller can delete them whatever happens),
    or, when larger than ``MAX_SHEET_BYTES``, unread with the reason; return the names
    of the hidden sheets, which are not read."""
    sizes = sheet_sizes(path)  # before calamine opens the workbook: it may read the shared strings then
    book = calamine.CalamineWorkbook.from_path(str(path))
    hidden = []
    try:
        for index, meta in enumerate(book.sheets_metadata):
            if meta.visible != calamine.SheetVisibleEnum.Visible:
                hidden.append(meta.name)
            elif meta.typ == calamine.SheetTypeEnum.WorkSheet:
                target = work_dir / f"{stem}-sheet{index}.csv"
                sheets.append(Sheet(meta.name, target))
                if (size := sizes[meta.name]) > MAX_SHEET_BYTES:
                    sheets[-1].refused = (
                        f"the sheet is {size:,} bytes unpacked, more than the {MAX_SHEET_BYTES:,} a sheet may be, "
                        "so none of it was read (a workbook's sheet is read whole into memory); save the sheet as "
                        "CSV (UTF-8, comma separated) and send that")
                    continue
                _write(book.get_sheet_by_name(meta.name), sheets[-1])
    finally:
        book.close()
    return hidden


def _write(sheet: calamine.CalamineSheet, out: Sheet) -> None:
    first_row, first_column = sheet.start or (0, 0)
    out.merged = [f"{cell_name(r0, c0)}:{cell_name(r1, c1)}" for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
    with out.csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for _ in range(first_row):
            writer.writerow([])
            out.rows.append([])
        for cells in sheet.iter_rows():
            row = [""] * first_column + [text(cell) for cell in cells]
            writer.writerow(row)
            if len(out.rows) < HEADER_SEARCH_ROWS * 5:
                out.rows.append(row)


def text(cell: object) -> str:
    """A cell as a person reads it in the spreadsheet."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return "" if cell is None else str(cell)


def cell_name(row: int, column: int) -> str:
    """0-based row and column → A1."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def sheet_sizes(path: Path) -> defaultdict[str, int]:
    """Sheet name → its size as loaded (see ``MAX_SHEET_BYTES``), from the zip's
    directory, before anything is decompressed; a sheet it cannot place counts 0."""
    if path.suffix.lower() == ".xls":  # one binary stream, stored as it is loaded
        return defaultdict(lambda: path.stat().st_size)
    with zipfile.ZipFile(path) as archive:
        declared = {info.filename: info.file_size for info in archive.infolist()}
        if path.suffix.lower() == ".ods":
            return defaultdict(lambda: declared.get("content.xml", 0))
        strings = declared.get("xl/sharedStrings.xml", 0)
        return defaultdict(int, {name: declared[member] + strings for name, member in _xlsx_sheets(archive).items()})


def formula_cells(path: Path) -> dict[str, list[str]]:
    """Sheet name → its formula cells (A1 names), from the workbook's XML: calamine
    reads the saved results and does not say which cells were formulas. An .xls
    workbook is one binary stream, not XML: its formulas cannot be listed (the saved
    results are read all the same)."""
    if path.suffix.lower() == ".xls":
        return {}
    with zipfile.ZipFile(path) as archive:
        if path.suffix.lower() == ".ods":
            return _ods_formulas(archive)
        return _xlsx_formulas(archive)


XLSX_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XLSX_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member every workbook has; ``BadZipFile`` when it is missing, so the file gets
    the damaged-workbook sentence (``read_file.reading``), not an unexpected error."""
    try:
        return archive.read(name)
    except KeyError as exc:
        raise zipfile.BadZipFile(f"no {name} in the zip") from exc


def _xlsx_sheets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member that holds its cells."""
    book = ElementTree.fromstring(_member(archive, "xl/workbook.xml"))
    rels = ElementTree.fromstring(_member(archive, "xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{PACKAGE_REL}Relationship")}
    members = {}
    for sheet in book.iter(f"{XLSX_MAIN}sheet"):
        target = targets.get(sheet.get(f"{XLSX_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        if member in archive.namelist():
            members[sheet.get("name")] = member
    return members


def _xlsx_formulas(archive: zipfile.ZipFile) -> dict[str, list[str]]:
    found = {}
    for name, member in _xlsx_sheets(archive).items():
        cells = []
        with archive.open(member) as fh:
            for _, element in ElementTree.iterparse(fh):
                if element.tag == f"{XLSX_MAIN}c":
                    if element.find(f"{XLSX_MAIN}f") is not None:
                        cells.append(element.get("r", "?"))
                    element.clear()
        if cells:
            found[name] = cells
    return found


ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_formulas(archive: zipfile.ZipFile) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    name, row, column = "", 0, 0
    with archive.open("content.xml") as fh:
        for event, element in ElementTree.iterparse(fh, events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == f"{ODS_TABLE}table":
                    name, row = element.get(f"{ODS_TABLE}name", ""), 0
                elif tag == f"{ODS_TABLE}table-row":
                    column = 0
                elif tag in (f"{ODS_TABLE}table-cell", f"{ODS_TABLE}covered-table-cell"):
                    if element.get(f"{ODS_TABLE}formula"):
                        found.setdefault(name, []).append(cell_name(row, column))
                continue
            if tag in (f"{ODS_TABLE}table-cell", f"{ODS_TABLE}covered-table-cell"):
                column += int(element.get(f"{ODS_TABLE}number-columns-repeated", "1"))
                element.clear()
            elif tag == f"{ODS_TABLE}table-row":
                row += int(element.get(f"{ODS_TABLE}number-rows-repeated", "1"))
                element.clear()
    return found


def notes(sheet: Sheet, header_row: int, formulas: list[str]) -> list[str]:
    """What the sheet's log says about its layout, for a person."""
    out = []
    if header_row > 0 and any(any(c.strip() for c in row) for row in sheet.rows[:header_row]):
        out.append(f"the header is row {header_row + 1}; the rows above it were not read (a title or a note)")
    merged_header = [r for r in sheet.merged if _rows_of(r)[0] <= header_row + 1 <= _rows_of(r)[1]]
    merged_data = [r for r in sheet.merged if r not in merged_header and _rows_of(r)[0] > header_row + 1]
    if merged_header:
        out.append(f"merged header cells {', '.join(merged_header)}: only the first column of a merged range "
                   "has a name, the others are read as unnamed; unmerge them and give each column its own header")
    if merged_data:
        out.append(f"merged cells {', '.join(merged_data[:5])}{' …' if len(merged_data) > 5 else ''}: the value "
                   "is in the first cell of each range only, the other cells are read as empty; unmerge them")
    if formulas:
        out.append(f"{len(formulas)} formula cells (first {formulas[0]}) were read as the results saved with the "
                   "file; if one is empty, open the workbook in a spreadsheet, save it and send it again")
    return out


def _rows_of(reference: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", reference)]
    return numbers[0], numbers[-1]
