"""What a file's header says about how to read its rows, and the rows it yields.

Decided once per file from the header: the kind (groups, survey, attendance), the
layout (one row per record, or an attendance grid of persons × dates; see
``registers.py``), which file column feeds which contract column, and where a
KoboToolbox export keeps the submission key used to drop superseded edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest import registers
from pipelines.ingest.discover import detect_kind
from pipelines.ingest.normalise import PROBLEM_COLUMNS, ColumnMap, canonical_cells, header_key, on_distinct, trimmed
from pipelines.ingest.read import Batch

# KoboToolbox: meta/rootUuid stays the same across edits of a submission, and
# _submission_time (UTC) says which version is the latest.
SUBMISSION_HEADERS = {"meta/rootuuid": "submission_id", "_submission_time": "submitted_at"}


@dataclass(frozen=True)
class FilePlan:
    kind: str
    columns: ColumnMap
    dates: dict[int, str] = field(default_factory=dict)  # grid register: position → header
    submission: dict[str, int] = field(default_factory=dict)  # submission_id/submitted_at → position

    @property
    def cells_per_line(self) -> int:
        """Rows a line of the file gives: one per date column of a grid register."""
        return len(self.dates) or 1

    def notes(self) -> list[str]:
        notes = []
        if self.dates:
            notes.append(
                f"attendance register as a grid of {len(self.dates)} date columns: each (person, date) "
                "cell is one row, and rows_read counts cells"
            )
        ignored = [name for name in self.columns.ignored if name not in self.dates.values()]
        if ignored:
            notes.append(f"columns outside the contract were dropped: {', '.join(ignored)}")
        return notes


def plan_file(header: list[str], file_name: str) -> FilePlan | None:
    """How to read a file with this header, or None when it matches no kind."""
    found = ColumnMap.build(header).positions
    dates = registers.date_columns(header)
    if registers.is_register(found, dates):
        return FilePlan("attendance", ColumnMap.build(header, "attendance"), dates)
    kind = detect_kind(set(found), file_name)
    if kind is None:
        return None
    submission = {}
    if kind == "survey":
        keys = [header_key(cell) for cell in header]
        submission = {name: keys.index(h) for h, name in SUBMISSION_HEADERS.items() if h in keys}
    return FilePlan(kind, ColumnMap.build(header, kind), {}, submission if len(submission) == 2 else {})


@dataclass
class Rows:
    """A batch as contract rows: ``raw`` as written (for reasons and the quarantine
    record), ``coded`` for parsing, each row's place in the file, problems found while
    shaping the rows (``row`` = index), and Kobo's submission key if any."""

    raw: pd.DataFrame
    coded: pd.DataFrame
    lines: pd.Series
    source_columns: pd.Series
    problems: pd.DataFrame
    submission: pd.DataFrame


def rows_of(plan: FilePlan, batch: Batch) -> Rows:
    if plan.dates:
        persons = canonical_cells(batch.cells, plan.columns, "attendance")
        for position in plan.dates:
            persons[position] = trimmed(batch.cells[position])
        raw, coded, lines, columns, problems = registers.melt(
            persons, batch.lines, plan.dates, has_group="group_id" in plan.columns.positions
        )
        return Rows(raw, coded, lines, columns, problems, pd.DataFrame(index=raw.index))
    raw = canonical_cells(batch.cells, plan.columns, plan.kind)
    return Rows(
        raw, raw, batch.lines, pd.Series(0, index=raw.index), pd.DataFrame(columns=PROBLEM_COLUMNS),
        _submission(batch.cells, plan.submission),
    )


def _submission(cells: pd.DataFrame, positions: dict[str, int]) -> pd.DataFrame:
    if not positions:
        return pd.DataFrame(index=cells.index)
    key = cells[positions["submission_id"]].str.strip()
    when = on_distinct(cells[positions["submitted_at"]], lambda v: pd.to_datetime(v.str.strip(), format="ISO8601", errors="coerce"))
    return pd.DataFrame({"submission_id": key.replace("", pd.NA), "submitted_at": when}, index=cells.index)
