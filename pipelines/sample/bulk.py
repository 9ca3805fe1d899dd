"""Large canonical attendance files for benchmarks, in bounded memory.

Row i of the file is a pure function of (seed, i): its group, session and member come
from integer division of i, its random parts from a counter-based hash (SplitMix64) of
i. A batch therefore needs nothing from the batches before it, memory is bounded by
``batch_rows``, and the file is byte-identical whatever batch size wrote it. Lines are
assembled by numpy from small tables of pre-encoded byte strings, never by a Python
loop per row, which keeps 5 million rows to a few seconds.

Every row is valid by the contract: keys are unique (one row per member per session),
every group is in the file ``write_groups`` writes for the same ``n_groups``, and
sessions fall after every group's start and before ``AS_OF``.
"""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipelines.sample.formats import codes
from pipelines.sample.registers import ATTENDANCE_COLUMNS
from pipelines.sample.world import AS_OF

DEFAULT_GROUPS = 1000
MEMBERS = 25
FIRST_SESSION = date(2016, 1, 4)  # a Monday; groups meet on Mondays and Thursdays
EARLIEST_START, START_SPREAD_DAYS = date(2014, 1, 1), 730  # all before FIRST_SESSION
ATTENDED_SHARE = 0.78
DURATIONS = (45, 60, 90, 120, None)  # None: present, but the duration was not written down
DURATION_NOT_RECORDED = 0.05
LED_BY_SHARES = {"volunteer": 0.5, "participant": 0.4, "staff": 0.1}
REGIONS = (  # (country, region code, region, programme), cycled over the groups
    ("BY", "GRO", "Grodno", "BRC-WWC"),
    ("BY", "VIT", "Vitebsk", "BRC-WWC"),
    ("UA", "ZHY", "Zhytomyr", "ZTRASS-WI"),
    ("PL", "MAZ", "Mazowieckie", "MAZ-SHC"),
)
GROUP_COLUMNS = (
    "group_id", "programme_id", "group_name", "country", "region", "settlement_type",
    "target_population", "start_date", "end_date", "facilitation",
)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _hash(seed: int, stream: int, keys: np.ndarray) -> np.ndarray:
    """SplitMix64 of (seed, stream, key): an independent-looking uint64 per key."""
    offset = np.uint64((seed * 1_000_003 + stream) * 0xD1B54A32D192ED03 % 2**64)
    z = keys.astype(np.uint64) * _GOLDEN + offset
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _uniform(seed: int, stream: int, keys: np.ndarray) -> np.ndarray:
    return (_hash(seed, stream, keys) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def group_ids(n_groups: int) -> list[str]:
    """Benchmark group ids, ``BY-GRO-B00001`` style: never a demo group's id."""
    return [f"{REGIONS[i % len(REGIONS)][0]}-{REGIONS[i % len(REGIONS)][1]}-B{i + 1:05d}" for i in range(n_groups)]


def write_groups(path: Path, n_groups: int, seed: int = 1) -> Path:
    """The ``groups.csv`` for ``write_attendance(..., n_groups=n_groups)``."""
    keys = np.arange(n_groups)
    settlement = codes("settlement_type")
    target = codes("target_population")
    facilitation = codes("facilitation")
    pick = [_hash(seed, stream, keys) for stream in (10, 11, 12, 13)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(GROUP_COLUMNS)
        for i, group_id in enumerate(group_ids(n_groups)):
            country, _, region, programme = REGIONS[i % len(REGIONS)]
            start = EARLIEST_START + timedelta(days=int(pick[0][i] % START_SPREAD_DAYS))
            writer.writerow([
                group_id, programme, f"Benchmark group {i + 1}", country, region,
                settlement[pick[1][i] % len(settlement)], target[pick[2][i] % len(target)],
                start.isoformat(), "", facilitation[pick[3][i] % len(facilitation)],
            ])
    return path


def _session_date(k: int) -> date:
    return FIRST_SESSION + timedelta(days=7 * (k // 2) + 3 * (k % 2))


def _table(strings: list[str]) -> np.ndarray:
    return np.array([s.encode("utf-8") for s in strings], dtype=np.bytes_)


def write_attendance(
    path: Path,
    n_rows: int,
    *,
    seed: int = 1,
    batch_rows: int = 500_000,
    n_groups: int = DEFAULT_GROUPS,
) -> Path:
    """Write exactly ``n_rows`` canonical attendance rows (UTF-8, comma, ISO dates).

    Groups fill one after another, each with ``MEMBERS`` members meeting twice a week
    from ``FIRST_SESSION``, as many sessions as the row count needs; more rows than
    ``n_groups`` groups can hold before ``AS_OF`` is an error (raise ``n_groups``).
    """
    sessions = max(1, math.ceil(n_rows / (n_groups * MEMBERS)))
    if _session_date(sessions - 1) > AS_OF:
        raise ValueError(
            f"{n_rows:,} rows need {sessions} sessions per group, past {AS_OF}; "
            f"use more than {n_groups} groups"
        )
    ids = group_ids(n_groups)
    group_tab = _table([f"{g}," for g in ids])
    date_tab = _table([f"{_session_date(k).isoformat()}," for k in range(sessions)])
    member_tab = _table([f"{g}-{m + 1:02d}," for g in ids for m in range(MEMBERS)])
    activities, led_by = codes("activity"), tuple(LED_BY_SHARES)
    tail_tab = _table([
        f"{attended},{'' if minutes is None else minutes},{activity},{leader}\n"
        for attended in ("yes", "no")
        for minutes in DURATIONS
        for activity in activities
        for leader in led_by
    ])
    led_cumulative = np.cumsum(list(LED_BY_SHARES.values()))[:-1]
    per_group = sessions * MEMBERS

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.write((",".join(ATTENDANCE_COLUMNS) + "\n").encode("utf-8"))
        for start in range(0, n_rows, batch_rows):
            i = np.arange(start, min(start + batch_rows, n_rows), dtype=np.int64)
            group, within = np.divmod(i, per_group)
            session, member = np.divmod(within, MEMBERS)
            session_key = group * sessions + session
            activity = (_hash(seed, 1, session_key) % np.uint64(len(activities))).astype(np.int64)
            leader = np.searchsorted(led_cumulative, _uniform(seed, 2, session_key), side="right")
            absent = _uniform(seed, 3, i) >= ATTENDED_SHARE
            unrecorded = absent | (_uniform(seed, 4, i) < DURATION_NOT_RECORDED)
            recorded = (_hash(seed, 5, i) % np.uint64(len(DURATIONS) - 1)).astype(np.int64)
            minutes = np.where(unrecorded, len(DURATIONS) - 1, recorded)
            tail = ((absent * len(DURATIONS) + minutes) * len(activities) + activity) * len(led_by) + leader
            lines = group_tab[group] + date_tab[session] + member_tab[group * MEMBERS + member] + tail_tab[tail]
            fh.write(b"".join(lines.tolist()))
    return path
