"""Implausible values planted in the demo files: valid by the contract, so they load,
and each one a value the review stage's screen must flag (docs/review.md).

Like ``problems``, rows are named by key (members 01-03 of a group always exist). Each
changes one person's rows only, so the demo's figures move little: one interview's
WHO-5 answers, one interview date, one session length and one person's month of
register rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pipelines.sample.problems import attendance_file, survey_file
from pipelines.sample.world import BRC, MAZ, ZTRASS

EXTRA_SESSIONS = 12  # register rows typed for days the group did not meet
MISTYPED_MINUTES = 480  # one row's session length, typed for 48
DAYS_APART = 4  # the follow-up typed four days after the baseline


@dataclass(frozen=True)
class PlantedOutlier:
    """One implausible value and the screen's rule that must flag it. ``key`` is
    (participant_id, wave) in a survey, (participant_id,) in a register."""

    file: str
    key: tuple[str, ...]
    rule: str
    what: str
    action: Literal["who5", "interview_date", "duration", "extra_sessions"]
    who5: tuple[int, ...] = ()


PLANTED_OUTLIERS: tuple[PlantedOutlier, ...] = (
    PlantedOutlier(survey_file(MAZ), ("PL-MAZ-002-02", "baseline"), "straight_lining",
                   "every WHO-5 item answered 5", "who5", (5, 5, 5, 5, 5)),
    PlantedOutlier(survey_file(ZTRASS), ("UA-ZHY-002-03", "baseline"), "who5_score",
                   "WHO-5 raw score 1 in a group whose scores gather around 11", "who5", (0, 1, 0, 0, 0)),
    PlantedOutlier(survey_file(BRC), ("BY-VIT-008-02", "followup1"), "close_interviews",
                   f"follow-up dated {DAYS_APART} days after the baseline", "interview_date"),
    PlantedOutlier(attendance_file(BRC), ("BY-GRO-007-02",), "session_duration",
                   f"a session's length typed as {MISTYPED_MINUTES} minutes", "duration"),
    PlantedOutlier(attendance_file(ZTRASS), ("UA-ZHY-001-03",), "attendance_count",
                   f"{EXTRA_SESSIONS} sessions marked on days the group did not meet", "extra_sessions"),
)


def plant_outliers(file: str, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The rows of one file with that file's planted outliers in place; an outlier whose
    row the file lacks at this seed and scale (a follow-up not held) is not planted."""
    rows = [dict(row) for row in rows]
    for outlier in (o for o in PLANTED_OUTLIERS if o.file == file):
        if outlier.action == "who5":
            for row in _survey_rows(rows, outlier.key):
                row.update({f"who5_{k}": v for k, v in enumerate(outlier.who5, start=1)})
        elif outlier.action == "interview_date":
            baseline = next(iter(_survey_rows(rows, (outlier.key[0], "baseline"))), None)
            for row in _survey_rows(rows, outlier.key) if baseline else ():
                row["interview_date"] = baseline["interview_date"] + timedelta(days=DAYS_APART)
        elif outlier.action == "duration":
            at = _attended(rows, outlier.key[0])[0]
            rows[at]["duration_minutes"] = MISTYPED_MINUTES
        else:
            rows = _extra_sessions(rows, outlier.key[0])
    return rows


def _survey_rows(rows: list[dict[str, object]], key: tuple[str, ...]) -> list[dict[str, object]]:
    return [r for r in rows if (r["participant_id"], r["wave"]) == key]


def _attended(rows: list[dict[str, object]], participant_id: str) -> list[int]:
    return [i for i, r in enumerate(rows) if r["participant_id"] == participant_id and r["attended"] == "yes"
            and r["duration_minutes"]]


def _extra_sessions(rows: list[dict[str, object]], participant_id: str) -> list[dict[str, object]]:
    """``EXTRA_SESSIONS`` rows marked present, after the person's first attended row, on
    days of that month the group did not meet (a typist's slip: the dates of another
    register, or a month's days copied down)."""
    at = _attended(rows, participant_id)[0]
    template = rows[at]
    day = template["session_date"]
    held = {r["session_date"] for r in rows if r["group_id"] == template["group_id"]}
    month = [date(day.year, day.month, d) for d in range(1, 29)]
    extra = [d for d in month if d not in held][:EXTRA_SESSIONS]
    added = [{**template, "session_date": d} for d in extra]
    return rows[: at + 1] + added + rows[at + 1:]
