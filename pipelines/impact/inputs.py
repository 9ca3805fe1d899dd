"""What the impact stage reads: observations, who was interviewed when, attendance,
which indicator cells are visible, and each indicator's kind and name.

The Dagster asset depends on `indicators` (and through it on `indicator_observations`,
`survey`, `attendance` and `groups`), so every table read here exists; a missing one
is an error, not an empty result. Kinds and names come from the catalogue
(`pipelines.catalogue`), the one place an indicator is defined: an observed indicator
the catalogue does not list is an error too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue, vocabulary
from pipelines.impact.rules import ALL

SQL_DIR = Path(__file__).parent

# Breakdown columns twice over: `wave_*` as `indicators` classes a person at each
# interview (change and DiD, whose estimates are differences of those cells), and
# the plain columns fixed at the person's first interview for that indicator
# (paired change, which follows the same people: someone who turns 65 between waves
# stays in one age band).
OBSERVATIONS_SQL = """
select participant_id, programme_id, group_id, arm, wave, sex, age_band,
       group_id as wave_group_id, sex as wave_sex, age_band as wave_age_band, indicator, value
from indicator_observations
where value is not null and arm in ('participant', 'comparison')
"""
SURVEY_SQL = """
select distinct programme_id, participant_id, arm, wave, interview_date
from survey
"""


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


wave_rank = vocabulary.wave_number  # baseline → 0, followupN → N


def _read(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    cur = con.cursor()
    try:
        return cur.execute(query).df()
    finally:
        cur.close()


def load_observations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """indicator_observations with a wave rank, and each person's first-interview breakdowns."""
    obs = _read(con, OBSERVATIONS_SQL)
    obs["value"] = obs["value"].astype(float)
    obs["wave_rank"] = obs["wave"].map(wave_rank)
    obs = obs[obs["wave_rank"].notna()].copy()
    obs["wave_rank"] = obs["wave_rank"].astype(int)
    obs = obs.sort_values(["programme_id", "indicator", "participant_id", "wave_rank"], kind="stable")
    keys = ["programme_id", "indicator", "participant_id"]
    for col in ("group_id", "sex", "age_band"):
        obs[col] = obs.groupby(keys, sort=False)[col].transform("first")
    return obs.reset_index(drop=True)


def load_interviews(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Who was interviewed in which (orderable) wave, from `survey`."""
    seen = _read(con, SURVEY_SQL)
    seen["wave_rank"] = seen["wave"].map(wave_rank)
    return seen[seen["wave_rank"].notna()].reset_index(drop=True)


def load_doses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """programme_id, wave, participant_id, sessions (NaN = unknown dose); dose.sql."""
    return _read(con, sql("dose"))


def load_visible(con: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, ...]]:
    """Keys (indicator, programme, group, arm, wave, sex, age band) of visible cells."""
    cells = _read(con, sql("visible"))
    return frozenset(cells.itertuples(index=False, name=None))


def visible_key(indicator: str, programme: str, arm: str, wave: str, *,
                group_id: str = ALL, sex: str = ALL, age_band: str = ALL) -> tuple[str, ...]:
    return (indicator, programme, group_id, arm, wave, sex, age_band)


def indicator_kinds(obs: pd.DataFrame) -> pd.DataFrame:
    """kind (`share` or `mean`) and name of every observed indicator, from the catalogue."""
    listed = catalogue.indicators().set_index("code")[["kind", "name"]]
    unknown = sorted(set(obs["indicator"]) - set(listed.index))
    if unknown:
        raise ValueError(f"indicator_observations has indicators the catalogue does not list: {unknown}")
    kinds = listed.loc[sorted(set(obs["indicator"]))]
    bad = sorted(kinds.index[~kinds["kind"].isin(["share", "mean"])])
    if bad:
        raise ValueError(f"indicator_observations has indicators that are neither share nor mean: {bad}")
    kinds.index.name = "indicator"
    return kinds
