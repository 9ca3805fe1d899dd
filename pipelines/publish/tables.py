"""Headline figures and the results table as tidy CSV and XLSX, for finance and grants
staff who work in Excel.

One row per figure (or target), one column per field, numbers as numbers. A text cell
that a spreadsheet would run as a formula (``= + - @``, tab, carriage return: OWASP's
CSV-injection guidance) gets a leading apostrophe, in the CSV and in the workbook alike
(``figures.spreadsheet_safe``); in the workbook every text cell is also typed as text,
so nothing is ever stored as a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from pipelines import files
from pipelines.publish.figures import COLUMNS as FIGURE_COLUMNS, spreadsheet_safe
from pipelines.publish.results import COLUMNS as RESULT_COLUMNS

HEADLINE, RESULTS = "headline_figures", "results"


def sheets(rows: list[dict], results: pd.DataFrame) -> dict[str, list[list[object]]]:
    """Each table as a header and rows of plain values (None for an empty cell)."""
    return {
        HEADLINE: [FIGURE_COLUMNS] + [[_plain(row[c]) for c in FIGURE_COLUMNS] for row in rows],
        RESULTS: [RESULT_COLUMNS] + [[_plain(v) for v in r] for r in results[RESULT_COLUMNS].itertuples(index=False)],
    }


def write_tables(rows: list[dict], results: pd.DataFrame, out_dir: Path, key: str) -> list[Path]:
    """``<key>_headline_figures.csv``, ``<key>_results.csv`` and ``<key>_figures.xlsx``
    (one sheet each) in ``out_dir``; ``key`` is the programme's ``scope.export_key``."""
    tables = sheets(rows, results)
    written = []
    for name, table in tables.items():
        path = out_dir / f"{key}_{name}.csv"
        files.write_bytes(path, csv_bytes(table))
        written.append(path)
    path = out_dir / f"{key}_figures.xlsx"
    buffer = io.BytesIO()
    workbook(tables).save(buffer)
    files.write_bytes(path, buffer.getvalue())
    return written + [path]


def csv_bytes(table: list[list[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads Cyrillic and Polish names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    for line in table:
        writer.writerow([spreadsheet_safe(v) for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def workbook(tables: dict[str, list[list[object]]]) -> Workbook:
    book = Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        for line in table:
            sheet.append([spreadsheet_safe(v) if v is not None else None for v in line])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
        sheet.freeze_panes = "A2"
    return book


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, (str, bool)) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
