"""The mistakes planted in the demo files, one row each, and how they are planted.

The list is the contract between the demo data and the validation stage: after a run on
the demo files, the quarantine must hold exactly these rows with these rules, and
nothing else. Each mistake is one the contract says real files contain. Rows are named
by their key rather than their line, so the list holds at any seed and scale (the keys
point at members 01-03 of a group, which always exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pipelines.sample.formats import Raw
from pipelines.sample.world import BRC, MAZ, ZTRASS, Programme


def survey_file(programme: Programme) -> str:
    return f"{programme.folder}/survey_{programme.folder}_2024-2025.csv"


def attendance_file(programme: Programme) -> str:
    return f"{programme.folder}/attendance_{programme.folder}.csv"


@dataclass(frozen=True)
class PlantedProblem:
    """One bad row.

    ``key`` names the row: (participant_id, wave) in a survey, (group_id,
    session_date as written, participant_id) in a register. ``action`` says how it is
    planted: ``set`` overwrites ``column`` of an existing row with ``value``;
    ``duplicate`` repeats the row later in the file (the second copy is the bad one);
    ``add`` inserts a register row for a session the member did not have, placed in
    the file at ``near`` (the date the typist meant).
    """

    file: str
    table: Literal["survey", "attendance"]
    key: tuple[str, ...]
    column: str
    value: str
    rule: str
    action: Literal["set", "duplicate", "add"]
    what: str
    near: date | None = None


PLANTED_PROBLEMS: tuple[PlantedProblem, ...] = (
    PlantedProblem(survey_file(BRC), "survey", ("BY-GRO-012-01", "baseline"), "birth_year", "1850",
                   "birth_year_range", "set", "birth year 1850, before 1900"),
    PlantedProblem(survey_file(MAZ), "survey", ("PL-MAZ-002-01", "baseline"), "birth_year", "67",
                   "birth_year_range", "set", "age 67 typed in the birth-year column"),
    PlantedProblem(survey_file(ZTRASS), "survey", ("UA-ZHY-001-02", "baseline"), "who5_3", "7",
                   "out_of_range", "set", "WHO-5 item 3 answered 7 (scale 0-5)"),
    PlantedProblem(survey_file(ZTRASS), "survey", ("UA-ZHY-003-01", "baseline"), "consent", "ні",
                   "no_consent", "set", "consent no: the row must never be analysed"),
    PlantedProblem(survey_file(MAZ), "survey", ("PL-MAZ-001-03", "baseline"), "", "",
                   "duplicate_key", "duplicate", "interview entered twice: same participant and wave"),
    PlantedProblem(survey_file(BRC), "survey", ("BY-VIT-003-02", "baseline"), "exercise_freq", "Иногда",
                   "unknown_code", "set", "exercise answered 'Иногда' (sometimes), not a scale label"),
    PlantedProblem(attendance_file(BRC), "attendance", ("BY-GRO-070", "2024-06-11", "BY-GRO-007-01"),
                   "group_id", "BY-GRO-070", "unknown_group", "add",
                   "group id typo: BY-GRO-070 is not in groups.csv", date(2024, 6, 11)),
    PlantedProblem(attendance_file(BRC), "attendance", ("BY-BRE-002", "2024-09-31", "BY-BRE-002-02"),
                   "session_date", "2024-09-31", "bad_date", "add",
                   "31 September does not exist", date(2024, 9, 30)),
    PlantedProblem(attendance_file(ZTRASS), "attendance", ("UA-ZHY-002", "17.05.2031", "UA-ZHY-002-01"),
                   "session_date", "17.05.2031", "future_date", "add",
                   "session dated 2031 (meant 2024), after the files were made", date(2024, 5, 17)),
    PlantedProblem(attendance_file(MAZ), "attendance", ("PL-MAZ-003", "09/04/2024", "PL-MAZ-003-01"),
                   "session_date", "09/04/2024", "before_group_start", "add",
                   "session a week before the club's first meeting (16/04/2024)", date(2024, 4, 9)),
)


def plant(file: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The rows of one file with that file's planted problems in place."""
    rows = [dict(row) for row in rows]
    for problem in (p for p in PLANTED_PROBLEMS if p.file == file):
        if problem.action == "add":
            group_id, session_date, participant_id = problem.key
            at, template = _register_position(rows, participant_id, problem.near)
            rows.insert(at, {**template, "group_id": group_id, "session_date": Raw(session_date),
                             "participant_id": participant_id})
            continue
        at = next(i for i, r in enumerate(rows) if (r["participant_id"], r["wave"]) == problem.key)
        if problem.action == "duplicate":
            rows.append(dict(rows[at]))
        else:
            rows[at][problem.column] = Raw(problem.value)
    return rows


def _register_position(
    rows: list[dict[str, object]], participant_id: str, near: date
) -> tuple[int, dict[str, object]]:
    """Where the typist would have written the row (in the member's own group's
    block, after the session the date was meant to be), and the attended row of that
    group nearest before it, whose activity, leader and duration the bad row repeats."""
    group_id = participant_id.rsplit("-", 1)[0]
    block = [i for i, r in enumerate(rows) if r["group_id"] == group_id]
    later = (i for i in block if isinstance(rows[i]["session_date"], date) and rows[i]["session_date"] > near)
    at = next(later, block[-1] + 1)
    attended = [i for i in block if rows[i]["attended"] == "yes" and rows[i]["duration_minutes"]]
    template = rows[max((i for i in attended if i < at), default=attended[0])]
    return at, template
