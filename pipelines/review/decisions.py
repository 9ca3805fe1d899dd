"""A reviewer's decisions on the outlier flags: the file, its rules, and one clear error.

Nothing the screen flags is deleted. A reviewer writes ``review/decisions.csv`` in the
data root (beside ``raw/``), one line per decision, and the next run honours it: an
excluded record is left out of the indicators and the impact estimates, and stays in
the warehouse and the ``review`` table with its decision. The format is in
docs/review.md. A file that cannot be used stops the run with one sentence naming the
file and the line, since a decision quietly skipped would publish figures the reviewer
meant to correct.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

COLUMNS = ("flag_id", "source_file", "source_row", "decision", "reason", "reviewer", "date")
DECISIONS = ("keep", "exclude")


class DecisionsError(ValueError):
    """The decisions file cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Decision:
    """One line of the decisions file: a flag (``flag_id``) or a record of a raw file
    (``source_file`` and ``source_row``, as in the ``review`` and ``quarantine`` tables)."""

    line: int
    flag_id: str | None
    source_file: str | None
    source_row: int | None
    decision: str
    reason: str
    reviewer: str
    decided_on: date


def read_decisions(path: Path, *, shown_as: str, today: date) -> list[Decision]:
    """The decisions in ``path`` (none when there is no file), each line checked on its
    own; raises ``DecisionsError`` at the first line that breaks a rule."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DecisionsError(f"{shown_as} line 1: the header lacks {', '.join(missing)}; "
                                 f"it must name the columns {','.join(COLUMNS)}")
        reader.fieldnames = header
        decisions, seen = [], {}
        for row in reader:
            line = reader.line_num
            if not any((value or "").strip() for value in row.values()):
                continue
            decision = _decision(row, f"{shown_as} line {line}", line, today)
            target = decision.flag_id or (decision.source_file, decision.source_row)
            if target in seen:
                raise DecisionsError(f"{shown_as} line {line}: {_target(decision)} was already decided on line "
                                     f"{seen[target]}; keep one of the two lines")
            seen[target] = line
            decisions.append(decision)
    return decisions


def _decision(row: dict[str, str | None], where: str, line: int, today: date) -> Decision:
    value = {c: (row.get(c) or "").strip() for c in COLUMNS}
    flag_id, source_file, source_row = value["flag_id"], value["source_file"], value["source_row"]
    if flag_id and (source_file or source_row):
        raise DecisionsError(f"{where}: give a flag_id or a source_file and source_row, not both")
    if not flag_id and not (source_file and source_row):
        raise DecisionsError(f"{where}: name what is decided: a flag_id from the review table, or a source_file "
                             "and source_row")
    row_number = None
    if source_row:
        if not source_row.isdigit() or int(source_row) < 2:
            raise DecisionsError(f"{where}: source_row '{source_row}' is not a row number of a data record "
                                 "(2 or more: the header is row 1)")
        row_number = int(source_row)
    decision = value["decision"].lower()
    if decision not in DECISIONS:
        raise DecisionsError(f"{where}: decision '{value['decision']}' is not keep or exclude")
    for column in ("reason", "reviewer"):
        if not value[column]:
            raise DecisionsError(f"{where}: {column} is empty; say {'why' if column == 'reason' else 'who decided'}")
    try:
        decided_on = date.fromisoformat(value["date"])
    except ValueError:
        raise DecisionsError(f"{where}: date '{value['date']}' is not a date written YYYY-MM-DD") from None
    if decided_on > today:
        raise DecisionsError(f"{where}: date {decided_on} is in the future")
    return Decision(line, flag_id or None, source_file or None, row_number, decision, value["reason"],
                    value["reviewer"], decided_on)


def _target(decision: Decision) -> str:
    if decision.flag_id:
        return f"flag {decision.flag_id}"
    return f"row {decision.source_row} of {decision.source_file}"


def unknown_target(decision: Decision, shown_as: str) -> DecisionsError:
    """The error for a decision about a flag or a record this run does not have."""
    if decision.flag_id:
        return DecisionsError(f"{shown_as} line {decision.line}: there is no flag {decision.flag_id} in this run; "
                              "copy the id from the review table, or delete the line if the flag went away when "
                              "the file was corrected")
    return DecisionsError(f"{shown_as} line {decision.line}: {decision.source_file} has no loaded survey or "
                          f"attendance row {decision.source_row}; the row numbers are those of the review and "
                          "quarantine tables (the header is row 1)")
