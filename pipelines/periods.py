"""Reporting periods: what a label such as ``2024``, ``2024-03`` or ``2024-01..2024-06``
means, in one place.

The label names a report's folder and its figures' ids, and the disclosure guard
compares the periods of published reports by it, so the stage that builds reports and
the rules that protect them must read a label identically: both import this module.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True)
class Period:
    """A closed date range with the label used in folder names and figure ids."""

    start: date
    end: date
    label: str

    def covers(self, other: "Period") -> bool:
        return self.start <= other.start and self.end >= other.end

    def overlaps(self, other: "Period") -> bool:
        return self.start <= other.end and other.start <= self.end


# The period of a warehouse without registers or surveys yet: its reports say what is missing.
NO_DATA = Period(date.min, date.max, "no-data")


def _month_bounds(text: str) -> tuple[date, date]:
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError(f"a period is a year (2024), a month (2024-03) or a range (2024-01..2024-12), got {text!r}")
    year, month = int(match.group(1)), match.group(2)
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    m = int(month)
    if not 1 <= m <= 12:
        raise ValueError(f"no month {m} in {text!r}")
    return date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])


def parse_period(text: str) -> Period:
    """``2024`` → the year; ``2024-03`` → the month; ``2024-01..2024-06`` → the months."""
    first, sep, last = text.strip().partition("..")
    start, end = _month_bounds(first)[0], _month_bounds(last if sep else first)[1]
    if end < start:
        raise ValueError(f"period {text!r} ends before it starts")
    return Period(start, end, text.strip())


def period_label(start: date, end: date) -> str:
    """The shortest label of a span: ``2024`` for a calendar year, else months."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    first, last = f"{start:%Y-%m}", f"{end:%Y-%m}"
    return first if first == last else f"{first}..{last}"


# What a data root may ask reports for (AAI_REPORT_PERIODS): the whole data period, and
# each calendar year, quarter or month holding data.
GRANULARITIES = ("data", "year", "quarter", "month")
_MONTHS_PER = {"year": 12, "quarter": 3, "month": 1}


def periods_within(span: Period, granularity: str) -> list[Period]:
    """The calendar years, quarters or months that overlap ``span``, in order, each
    labelled as ``parse_period`` reads it (a quarter is ``2024-04..2024-06``); for
    ``data``, ``span`` itself."""
    if granularity == "data":
        return [span]
    step = _MONTHS_PER[granularity]
    found = []
    year, month = span.start.year, (span.start.month - 1) // step * step + 1
    while date(year, month, 1) <= span.end:
        last_month = month + step - 1
        start, end = date(year, month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])
        found.append(Period(start, end, period_label(start, end)))
        year, month = (year + 1, 1) if last_month == 12 else (year, last_month + 1)
    return found
