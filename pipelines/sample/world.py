"""The demo world: three programmes, their groups and when they were surveyed.

Every fact a reader could check against ``programmes.md`` is taken from it: the
Belarusian Red Cross groups in the Grodno, Vitebsk, Brest and Minsk regions (with
"Longevity through Movement" in Zelva, started 2011, exercising twice a week), the four
Zhytomyr "Without isolation" women's groups (two urban, two rural, about 90 women, still
meeting after the 2021 project), and the Mazovian self-help clubs founded from 2007.
What the descriptions do not say (group sizes, schedules, the 2024-2025 survey) is
invented, and sized so a report has something to show at group, region and programme
level without any group being large enough to hide a small-cell problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The generator's "today". Fixed, so the files never depend on the day they are made;
# every valid date in the demo lies before it, and the planted future date after it.
AS_OF = date(2025, 12, 31)


@dataclass(frozen=True)
class Group:
    """One row of ``groups.csv`` plus how the simulated group behaves.

    ``led_by_start``/``led_by_end`` are the shares of sessions run by
    (volunteer, participant, staff) at the first and the last session of the survey
    period; the share moves linearly between them, which is how a group that "became
    self-run" shows in its register.
    """

    group_id: str
    group_name: str
    region: str
    settlement_type: str
    target_population: str
    start_date: date
    end_date: date | None
    facilitation: str
    members: int
    weekdays: tuple[int, ...]
    minutes: int
    activities: dict[str, float]
    led_by_start: tuple[float, float, float]
    led_by_end: tuple[float, float, float]
    profile: str


@dataclass(frozen=True)
class Programme:
    """A programme, its survey windows and the files it sends.

    Sessions are simulated only between ``sessions_from`` and ``sessions_to``, inside
    the survey period, so attendance measures exposure between the two waves.
    """

    programme_id: str
    country: str
    folder: str
    groups: tuple[Group, ...]
    comparison: int
    comparison_profile: str
    baseline_from: date
    baseline_to: date
    sessions_from: date
    sessions_to: date

    @property
    def comparison_prefix(self) -> str:
        return f"{self.country}-C"


_VOLUNTEER = (1.0, 0.0, 0.0)
_STAFF = (0.0, 0.0, 1.0)
MON, TUE, WED, THU, FRI, SAT = range(6)

BRC = Programme(
    programme_id="BRC-WWC",
    country="BY",
    folder="brc",
    comparison=50,
    comparison_profile="older",
    baseline_from=date(2024, 2, 5),
    baseline_to=date(2024, 3, 15),
    sessions_from=date(2024, 3, 18),
    sessions_to=date(2025, 2, 28),
    groups=(
        Group("BY-GRO-007", "Долголетие через движение", "Grodno", "urban", "older_people",
              date(2011, 3, 15), None, "self_run", 24, (TUE, THU), 60,
              {"exercise": 0.75, "social": 0.15, "volunteering": 0.10},
              (0.15, 0.85, 0.0), (0.10, 0.90, 0.0), "older"),
        Group("BY-GRO-012", "Рукадзельніцы", "Grodno", "rural", "older_people",
              date(2019, 9, 2), None, "volunteer_led", 16, (WED,), 120,
              {"craft": 0.7, "social": 0.3},
              (0.95, 0.05, 0.0), (0.80, 0.20, 0.0), "older"),
        Group("BY-VIT-003", "Надзея", "Vitebsk", "urban", "older_people",
              date(2022, 10, 5), None, "self_run", 22, (MON,), 90,
              {"mutual_support": 0.5, "social": 0.3, "learning": 0.2},
              (0.90, 0.10, 0.0), (0.10, 0.90, 0.0), "older"),
        Group("BY-VIT-008", "Семьи вместе", "Vitebsk", "urban", "families_children",
              date(2023, 1, 16), None, "volunteer_led", 14, (SAT,), 90,
              {"mutual_support": 0.6, "health_access": 0.2, "social": 0.2},
              _VOLUNTEER, (0.90, 0.10, 0.0), "families"),
        Group("BY-BRE-002", "Здоровье", "Brest", "rural", "older_people",
              date(2020, 5, 12), None, "volunteer_led", 18, (TUE,), 60,
              {"health_access": 0.5, "exercise": 0.3, "learning": 0.2},
              _VOLUNTEER, (0.90, 0.10, 0.0), "older"),
        Group("BY-BRE-004", "Разам", "Brest", "urban", "disability",
              date(2021, 3, 1), None, "self_run", 16, (THU,), 90,
              {"mutual_support": 0.6, "craft": 0.2, "social": 0.2},
              (0.50, 0.50, 0.0), (0.20, 0.80, 0.0), "disability"),
        Group("BY-MIN-005", "Серебряный возраст", "Minsk", "rural", "older_people",
              date(2018, 4, 3), date(2025, 1, 28), "volunteer_led", 17, (TUE,), 60,
              {"social": 0.5, "exercise": 0.3, "craft": 0.2},
              _VOLUNTEER, _VOLUNTEER, "older"),
    ),
)

# Group names carry no town: these files describe survivors of violence.
ZTRASS = Programme(
    programme_id="ZTRASS-WI",
    country="UA",
    folder="zhytomyr",
    comparison=30,
    comparison_profile="women",
    baseline_from=date(2024, 4, 8),
    baseline_to=date(2024, 5, 10),
    sessions_from=date(2024, 5, 13),
    sessions_to=date(2025, 4, 4),
    groups=tuple(
        Group(f"UA-ZHY-00{i}", f"Без ізоляції — {kind} група {n}", "Zhytomyr", settlement,
              "women", start, None, "self_run", members, (day,), 120,
              {"mutual_support": 0.6, "learning": 0.2, "social": 0.2},
              (0.0, 0.60, 0.40), (0.0, 0.90, 0.10), "women")
        for i, kind, n, settlement, start, members, day in (
            (1, "міська", 1, "urban", date(2021, 3, 2), 22, WED),
            (2, "міська", 2, "urban", date(2021, 3, 4), 24, FRI),
            (3, "сільська", 1, "rural", date(2021, 4, 7), 20, TUE),
            (4, "сільська", 2, "rural", date(2021, 4, 9), 22, THU),
        )
    ),
)

MAZ = Programme(
    programme_id="MAZ-SHC",
    country="PL",
    folder="mazovia",
    comparison=40,
    comparison_profile="older",
    baseline_from=date(2024, 3, 4),
    baseline_to=date(2024, 4, 12),
    sessions_from=date(2024, 4, 15),
    sessions_to=date(2025, 3, 28),
    groups=(
        Group("PL-MAZ-001", "Klub Samopomocy „Razem”", "Mazowieckie", "urban",
              "older_people", date(2007, 10, 1), None, "self_run", 30, (MON, THU), 90,
              {"mutual_support": 0.4, "social": 0.3, "learning": 0.2, "volunteering": 0.1},
              (0.0, 0.70, 0.30), (0.0, 0.85, 0.15), "older"),
        Group("PL-MAZ-002", "Klub Integracji Społecznej", "Mazowieckie", "urban", "mixed",
              date(2008, 3, 3), None, "staff_led", 28, (WED,), 120,
              {"learning": 0.5, "mutual_support": 0.3, "health_access": 0.2},
              _STAFF, _STAFF, "mixed"),
        Group("PL-MAZ-003", "Klub Seniora „Pod Lipami”", "Mazowieckie", "rural",
              "older_people", date(2024, 4, 16), None, "volunteer_led", 26, (TUE,), 90,
              {"social": 0.4, "exercise": 0.3, "craft": 0.3},
              _VOLUNTEER, (0.75, 0.25, 0.0), "older"),
    ),
)

PROGRAMMES = (BRC, ZTRASS, MAZ)

# Smallest simulated group or comparison sample: the planted problems point at
# members 01-03 of a group, so they exist at any participants_scale.
MIN_MEMBERS = 3
