"""Attendance registers for the demo groups, and what they say about each member.

A register lists every member at every session held while they belonged to the group,
marked present or absent, as paper registers typed in by a coordinator do. A member's
attendance rate is the dose in the planted effect (``people.EFFECTS``), and members who
come rarely are the ones most likely to leave before the follow-up interview, so the
attrition is informative, as it is in the field. Some members miss a run of sessions and
come back: the "return after absence" a Zhytomyr report looks for.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from pipelines.sample.people import Person
from pipelines.sample.world import MIN_MEMBERS, Group, Programme

ATTENDANCE_COLUMNS = (
    "group_id", "session_date", "participant_id", "attended", "duration_minutes",
    "activity", "led_by",
)

CANCELLED_SHARE = 0.04
ATTENDANCE_RATE_BETA = (4.0, 2.0)  # a member's attendance rate, mean 2/3
DROPOUT_PER_ABSENCE = 0.3  # P(leaving before follow-up) = 0.3 × (1 − rate): about 10 %
ABSENCE_SPELL_SHARE = 0.2  # members who miss 3-8 sessions in a row, then return
LEFT_EARLY_SHARE = 0.10
DURATION_NOT_RECORDED = 0.05
LED_BY = ("volunteer", "participant", "staff")


def _winter_break(day: date) -> bool:
    """Groups pause from Catholic Christmas to Orthodox Christmas."""
    return (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 7)


def session_dates(rng: np.random.Generator, group: Group, programme: Programme) -> list[date]:
    """The group's meeting days inside the survey period, a few cancelled (never the
    first meeting, which ``start_date`` records)."""
    first = max(programme.sessions_from, group.start_date)
    last = min(programme.sessions_to, group.end_date or programme.sessions_to)
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    days = [d for d in days if d.weekday() in group.weekdays and not _winter_break(d)]
    held = (rng.random(len(days)) >= CANCELLED_SHARE) | (np.array(days) == group.start_date)
    return [d for d, keep in zip(days, held) if keep]


def register(
    rng: np.random.Generator, programme: Programme, scale: float
) -> tuple[list[Person], list[dict[str, object]]]:
    """Members of every group of a programme, and the register rows of their sessions."""
    people: list[Person] = []
    rows: list[dict[str, object]] = []
    for group in programme.groups:
        dates = session_dates(rng, group, programme)
        n, s = max(MIN_MEMBERS, round(group.members * scale)), len(dates)
        rate = rng.beta(*ATTENDANCE_RATE_BETA, n)
        leaves = rng.random(n) < DROPOUT_PER_ABSENCE * (1 - rate)
        last = np.where(leaves, rng.integers(s // 10 + 1, 9 * s // 10 + 2, n), s)
        present = rng.random((n, s)) < rate[:, None]
        spell_start = rng.integers(0, s, n)
        spell_length = rng.integers(3, 9, n)
        in_spell = rng.random(n) < ABSENCE_SPELL_SHARE
        k = np.arange(s)
        present &= ~(in_spell[:, None] & (k >= spell_start[:, None]) & (k < (spell_start + spell_length)[:, None]))

        activities = list(group.activities)
        weights = np.array(list(group.activities.values()))
        activity = rng.choice(len(activities), size=s, p=weights / weights.sum())
        t = k / max(s - 1, 1)
        led_share = np.outer(1 - t, group.led_by_start) + np.outer(t, group.led_by_end)
        # Inverse-CDF draw; the minimum guards against the cumulative sum's rounding.
        led_by = np.minimum((rng.random(s)[:, None] > np.cumsum(led_share, axis=1)).sum(axis=1), 2)
        minutes = np.where(rng.random((n, s)) < LEFT_EARLY_SHARE, group.minutes - 30, group.minutes)
        unrecorded = rng.random((n, s)) < DURATION_NOT_RECORDED

        ids = [f"{group.group_id}-{m + 1:02d}" for m in range(n)]
        people += [Person(ids[m], group.group_id, group.profile, float(present[m, : last[m]].mean()), not leaves[m])
                   for m in range(n)]
        for j, day in enumerate(dates):
            for m in range(n):
                if j >= last[m]:
                    continue
                attended = bool(present[m, j])
                rows.append({
                    "group_id": group.group_id,
                    "session_date": day,
                    "participant_id": ids[m],
                    "attended": "yes" if attended else "no",
                    "duration_minutes": int(minutes[m, j]) if attended and not unrecorded[m, j] else None,
                    "activity": activities[activity[j]],
                    "led_by": LED_BY[led_by[j]],
                })
    return people, rows
