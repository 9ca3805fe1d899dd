"""What the impact stage reads: observations, who was interviewed when, attendance.

Also the two facts about an indicator the methods need: whether it is a share (1/0 per
person, reported in percentage points) or a mean score, and its name for sentences.
Names and kinds come from the indicator catalogue (`pipelines.catalogue`) when it lists
the indicator. An indicator is a share when every value is 0 or 1 and the catalogue,
if it lists it, does not call it a mean; otherwise it is a mean. Without the catalogue
the 0/1 test alone decides and the code stands in for the name.
"""

from __future__ import annotations

import re
import duckdb
import pandas as pd

BASELINE = "baseline"

OBSERVATIONS_SQL = """
select participant_id, programme_id, group_id, arm, wave, sex, age_band, indicator, value
from indicator_observations
where value is not null and arm in ('participant', 'comparison')
"""
SURVEY_SQL = """
select distinct programme_id, participant_id, arm, wave, interview_date
from survey
"""
ATTENDANCE_SQL = """
select group_id, participant_id, session_date, attended
from attendance
"""


def wave_rank(wave: str | None) -> int | None:
    """baseline → 0, followup → 1, followupN → N; anything else is not a wave we order."""
    if wave is None:
        return None
    if wave == BASELINE:
        return 0
    match = re.fullmatch(r"follow-?up_?(\d*)", str(wave).strip().lower())
    if not match:
        return None
    return int(match.group(1) or 1)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    cur = con.cursor()
    found = cur.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchone()[0]
    cur.close()
    return bool(found)


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    cur = con.cursor()
    try:
        return cur.execute(sql).df()
    finally:
        cur.close()


def load_observations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """indicator_observations with a wave rank, and each person's breakdowns fixed.

    A person is classed by their group, sex and age band at their first interview for
    that indicator, so someone who turns 65 between waves stays in one age band and
    paired and DiD comparisons follow the same people.
    """
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


def load_interviews(con: duckdb.DuckDBPyConnection, obs: pd.DataFrame) -> pd.DataFrame:
    """Who was interviewed in which wave: from `survey`, else from the observations."""
    if has_table(con, "survey"):
        seen = _read(con, SURVEY_SQL)
    else:
        seen = obs[["programme_id", "participant_id", "arm", "wave"]].drop_duplicates()
        seen["interview_date"] = pd.NaT
    seen["wave_rank"] = seen["wave"].map(wave_rank)
    return seen[seen["wave_rank"].notna()].reset_index(drop=True)


def load_attendance(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    if not has_table(con, "attendance"):
        return None
    return _read(con, ATTENDANCE_SQL)


def read_catalogue() -> pd.DataFrame:
    """indicator, name, kind, unit from the project's catalogue (empty if unavailable)."""
    try:
        from pipelines.catalogue import indicators
        cat = indicators()
    except (ImportError, OSError, ValueError):
        # No catalogue yet, or one that fails its own validation: fall back to codes.
        return pd.DataFrame(columns=["indicator", "name", "kind", "unit"])
    out = cat.rename(columns={"code": "indicator"})
    for column in ("name", "kind", "unit"):
        if column not in out.columns:
            out[column] = pd.NA
    return out[["indicator", "name", "kind", "unit"]].drop_duplicates("indicator")


def indicator_kinds(obs: pd.DataFrame, catalogue: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per indicator: kind (`share` or `mean`) and name for sentences."""
    catalogue = read_catalogue() if catalogue is None else catalogue
    binary = obs.groupby("indicator")["value"].agg(lambda v: bool(v.isin([0.0, 1.0]).all()))
    kinds = binary.rename("binary").reset_index().merge(catalogue, on="indicator", how="left")

    def kind(row) -> str:
        # A share is 1/0 per person by the table contract, so the catalogue can turn a
        # 0/1 indicator into a mean but never make a share of a score.
        if not row["binary"]:
            return "mean"
        declared = row["kind"]
        return "mean" if isinstance(declared, str) and declared == "mean" else "share"

    kinds["kind"] = kinds.apply(kind, axis=1) if len(kinds) else pd.Series(dtype="string")
    kinds["name"] = kinds["name"].where(kinds["name"].notna(), kinds["indicator"])
    return kinds[["indicator", "kind", "name"]].set_index("indicator")
