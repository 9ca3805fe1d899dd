"""What the impact stage reads: aggregates from DuckDB, never the observation frame.

``prepare`` ranks the waves and builds the temporary tables every estimate is drawn
from (``observations.sql``: each observation once per follow-up wave it is compared
in, and each participant's change between baseline and that wave; ``attrition.sql``).
The loaders then return per-(estimate, group, cell) aggregates — counts, sums and sums
of squares — so the statistics run on a frame whose size follows the number of
estimates and groups, not of people.

The Dagster asset depends on `indicators` (and through it on `indicator_observations`,
`survey`, `attendance` and `groups`), so every table read here exists. Kinds and names
come from the catalogue (`pipelines.catalogue`), the one place an indicator is defined:
an observed indicator the catalogue does not list is an error.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines import catalogue, vocabulary
from pipelines.impact.rules import ALL
from pipelines.review import define_analysed

SQL_DIR = Path(__file__).parent

WAVES_SQL = "SELECT DISTINCT wave FROM indicator_observations UNION SELECT DISTINCT wave FROM survey_analysed"
# which arms were interviewed in which waves, per programme: for the notes on what cannot be estimated
PRESENCE_SQL = """
SELECT o.programme_id, o.arm, w.wave, w.wave_rank
FROM indicator_observations AS o
JOIN impact_waves AS w USING (wave)
WHERE o.value IS NOT NULL AND o.arm IN ('participant', 'comparison')
GROUP BY ALL
ORDER BY ALL
"""
# the spread the MDE of a small cell assumes (power.py): every respondent in the warehouse
SPREAD_SQL = """
SELECT indicator, stddev_samp(value) AS sd
FROM indicator_observations
WHERE value IS NOT NULL AND arm IN ('participant', 'comparison')
GROUP BY indicator
"""
ATTRITION_COUNTS_SQL = """
SELECT programme_id, arm, wave, any_value(wave_rank) AS wave_rank, count(*) AS n_baseline,
       count(*) FILTER (WHERE lost) AS n_lost
FROM attrition_status
GROUP BY programme_id, arm, wave
ORDER BY programme_id, arm, wave_rank
"""
ATTRITION_BLOCKS_SQL = "SELECT * FROM attrition_blocks"


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def read(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """The whole result as a frame. On ``con`` itself, not a cursor: the stage's
    temporary tables belong to this connection."""
    return con.execute(query).df()


def register(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Copy a frame into temp table ``name`` (a constant of the impact stage)."""
    view = f"{name}_df"
    con.register(view, frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}").fetchall()
    finally:
        con.unregister(view)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """impact_waves, impact_obs, impact_pairs and attrition_status as temp tables, from
    the rows the review left in (``survey_analysed``, ``attendance_analysed``)."""
    define_analysed(con)
    waves = read(con, WAVES_SQL)
    waves["wave_rank"] = waves["wave"].map(vocabulary.wave_number)
    waves = waves.dropna().astype({"wave_rank": np.int64})
    register(con, "impact_waves", waves)
    con.execute(sql("observations")).fetchall()
    con.execute(sql("attrition")).fetchall()


def load_presence(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return read(con, PRESENCE_SQL)


def load_spread(con: duckdb.DuckDBPyConnection) -> pd.Series:
    return read(con, SPREAD_SQL).set_index("indicator")["sd"]


def load_doses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """programme_id, wave, participant_id, sessions (NaN = unknown dose); dose.sql."""
    return read(con, sql("dose"))


def load_visible(con: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, ...]]:
    """Keys (indicator, programme, group, arm, wave, sex, age band) of visible cells."""
    cells = read(con, sql("visible"))
    return frozenset(cells.itertuples(index=False, name=None))


def visible_key(indicator: str, programme: str, arm: str, wave: str, *,
                group_id: str = ALL, sex: str = ALL, age_band: str = ALL) -> tuple[str, ...]:
    return (indicator, programme, group_id, arm, wave, sex, age_band)


def indicator_kinds(indicators: list[str]) -> pd.DataFrame:
    """kind (`share` or `mean`), name and scale of every observed indicator, from the catalogue."""
    listed = catalogue.indicators().set_index("code")[["kind", "name", "scale_min", "scale_max"]]
    unknown = sorted(set(indicators) - set(listed.index))
    if unknown:
        raise ValueError(f"indicator_observations has indicators the catalogue does not list: {unknown}")
    kinds = listed.loc[sorted(set(indicators))]
    bad = sorted(kinds.index[~kinds["kind"].isin(["share", "mean"])])
    if bad:
        raise ValueError(f"indicator_observations has indicators that are neither share nor mean: {bad}")
    kinds.index.name = "indicator"
    return kinds
