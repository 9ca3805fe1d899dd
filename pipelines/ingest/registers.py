"""Paper attendance registers typed as a grid, turned into the long form.

A coordinator types the register as it looks on paper: one line per person, one
column per session date, a mark where the person came. Each (person, date) cell
becomes one attendance row, so a register of 12 people and 8 dates gives 96 rows,
each with ``source_row`` = the person's line and ``source_column`` = the date's
column (1 = column A). Those cells are also what ``ingest_log.rows_read`` counts for
such a file, which keeps ``rows_read = rows_loaded + rows_quarantined`` exact.

Which marks mean present and which absent is ``reference/register_marks.csv``; an
empty cell is absent (a paper register leaves the absent empty); any other mark is
quarantined with a reason naming the cell rather than guessed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipelines import vocabulary
from pipelines.ingest.normalise import PROBLEM_COLUMNS, on_distinct

# A session date as a register header: 01.03.2024, 1.3.2024, 01/03/2024, 2024-03-01.
DATE_HEADER = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{4})\s*$")
MIN_DATE_COLUMNS = 2
PER_SESSION = ("duration_minutes", "activity", "led_by")  # cannot be one value per person

NO_GROUP_COLUMN = (
    "the register has no group_id column, so its sessions cannot be given to a group; "
    "add a group_id column with the group's id (e.g. BY-GRO-007) on every line and send the file again"
)


def date_columns(header: list[str]) -> dict[int, str]:
    """File column position → header text, for the headers that are session dates."""
    return {i: cell.strip() for i, cell in enumerate(header) if DATE_HEADER.match(cell)}


def is_register(positions: dict[str, int], dates: dict[int, str]) -> bool:
    """A grid: participant ids in rows, at least two date columns, no session_date column."""
    return "participant_id" in positions and "session_date" not in positions and len(dates) >= MIN_DATE_COLUMNS


def column_letter(number: int) -> str:
    """Spreadsheet letter of a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_name(line: int, column: int, header: str) -> str:
    return f"cell {column_letter(column)}{line} (line {line}, column {header})"


def _marks_to_codes(marks: pd.Series) -> pd.Series:
    """yes / no for a known mark, no for an empty cell (absent), NA for an unknown mark."""
    known = vocabulary.register_marks()

    def convert(values: pd.Series) -> pd.Series:
        return vocabulary.fold(values).map(known).where(values.ne(""), "no").astype("str")

    return on_distinct(marks, convert)


def melt(persons: pd.DataFrame, lines: pd.Series, dates: dict[int, str], has_group: bool):
    """One row per (person, date) cell, person after person, dates left to right.

    ``persons`` holds the trimmed canonical cells (group_id, participant_id) and the
    trimmed date cells under their file positions. Returns the contract columns as
    written (the mark as typed), the same with marks as yes/no codes for parsing, the
    line and column of each cell, and the problems found (``row`` = cell index).
    """
    n_dates = len(dates)
    positions = list(dates)
    marks = pd.Series(persons[positions].to_numpy().ravel(), dtype="str")
    index = pd.RangeIndex(len(marks))
    raw = pd.DataFrame(
        {
            "group_id": np.repeat(persons["group_id"].to_numpy(), n_dates),
            "session_date": np.tile(np.array(list(dates.values()), dtype=object), len(persons)),
            "participant_id": np.repeat(persons["participant_id"].to_numpy(), n_dates),
            "attended": marks,
            **{column: "" for column in PER_SESSION},
        },
        index=index,
    ).astype("str")
    cell_lines = pd.Series(np.repeat(lines.to_numpy(), n_dates), index=index)
    cell_columns = pd.Series(np.tile(np.array(positions) + 1, len(persons)), index=index)

    coded = raw.copy()
    coded["attended"] = _marks_to_codes(marks)
    unknown = coded["attended"].isna()
    reasons = [
        f"{cell_name(line, column, header)}: mark '{mark}' is not a register mark; write x or + for "
        "present, leave the cell empty or write - for absent"
        for line, column, header, mark in zip(
            cell_lines[unknown], cell_columns[unknown], raw["session_date"][unknown], marks[unknown]
        )
    ]
    problems = [pd.DataFrame({"row": index[unknown], "column_name": "attended", "rule": "unknown_mark",
                              "value": marks[unknown].to_numpy(), "reason": reasons})]
    if not has_group:
        problems.append(pd.DataFrame({"row": index, "column_name": "group_id", "rule": "missing_column",
                                      "value": "", "reason": NO_GROUP_COLUMN}))
    coded["attended"] = coded["attended"].fillna("")
    return raw, coded, cell_lines, cell_columns, pd.concat(problems, ignore_index=True)[PROBLEM_COLUMNS]
