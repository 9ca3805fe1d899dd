"""Paper attendance registers typed as a grid, turned into the long form.

A coordinator types the register as it looks on paper: one line per person, one
column per session date, a mark where the person came. Each (person, date) cell
becomes one attendance row, so a register of 12 people and 8 dates gives 96 rows,
each with ``source_row`` = the person's line and ``source_column`` = the date's
column (1 = column A). Those cells are also what ``ingest_log.rows_read`` counts for
such a file, which keeps ``rows_read = rows_loaded + rows_quarantined`` exact.

Which marks mean present and which absent is ``reference/register_marks.csv``; an
empty cell is absent (a paper register leaves the absent empty); any other mark is
quarantined with a reason naming the cell rather than guessed. The melt itself is SQL
(``convert.py``): one row per cell, person by person, dates left to right.
"""

from __future__ import annotations

import re

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
