"""Every change, paired change and DiD of the warehouse, fitted in three engine passes.

Each method is a contrast of cell means with groups as clusters
(``pipelines.inference``): ``change`` follow-up minus baseline over the participants
of each wave (cells baseline, follow-up; weights −1, 1); ``paired_change`` the mean of
each person's change (one cell); ``did`` the participants' change minus the comparison
group's (cells comparison baseline, participant baseline, comparison follow-up,
participant follow-up; weights 1, −1, −1, 1), each comparison respondent a cluster of
their own. One row per estimate key (``KEYS``), from SQL aggregates.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.impact.inputs import read, sql
from pipelines.impact.rules import ALL, raw_bounds
from pipelines.inference import Singletons
from pipelines.inference.frames import estimate_codes, estimate_index, fit_contrasts, read_blocks

KEYS = ["programme_id", "wave", "indicator", "group_id", "sex", "age_band"]
CHANGE = np.array([-1.0, 1.0])
DID = np.array([1.0, -1.0, -1.0, 1.0])
# cells of the DiD contrast: the comparison arm's baseline and follow-up are 0 and 2
PARTICIPANT_CELLS = np.array([1, 3])


def bounds(index: pd.MultiIndex, kinds: pd.DataFrame, *, change: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per estimate, the range of a cell mean in raw units (of a change, if ``change``)."""
    rows = kinds.loc[index.get_level_values("indicator")]
    ends = np.array([raw_bounds(k, lo, hi) for k, lo, hi in
                     zip(rows["kind"], rows["scale_min"], rows["scale_max"], strict=True)]).reshape(-1, 2)
    low, high = ends[:, :1], ends[:, 1:]
    if change:
        width = high - low
        return -width, width
    return low, high


def fit_change(con: duckdb.DuckDBPyConnection, kinds: pd.DataFrame) -> tuple[pd.DataFrame, tuple]:
    """(change fits per KEYS, the participant blocks they came from as (keys, rows))."""
    keys, rows = read_blocks(con, sql("wave_blocks"), KEYS)
    index = pd.MultiIndex.from_frame(keys[KEYS])
    fits = fit_contrasts(index, rows, 2, CHANGE, *bounds(index, kinds), block_codes=rows["estimate"].to_numpy())
    return fits, (keys, rows)


def fit_paired(con: duckdb.DuckDBPyConnection, kinds: pd.DataFrame) -> pd.DataFrame:
    keys, rows = read_blocks(con, sql("pair_blocks"), KEYS)
    index = pd.MultiIndex.from_frame(keys[KEYS])
    return fit_contrasts(index, rows, 1, [1.0], *bounds(index, kinds, change=True),
                         block_codes=rows["estimate"].to_numpy())


def comparison_singletons(frame: pd.DataFrame, codes: np.ndarray) -> Singletons:
    """The comparison arm's people, grouped by the waves they were seen in (comparison.sql)."""
    rows = len(frame)
    members = np.zeros((rows, 4), bool)
    members[:, 0] = frame["at_baseline"].to_numpy(bool)
    members[:, 2] = frame["at_followup"].to_numpy(bool)
    total = np.zeros((rows, 4))
    total[:, 0], total[:, 2] = frame["total0"], frame["total1"]
    cross = np.zeros((rows, 4, 4))
    cross[:, 0, 0], cross[:, 2, 2] = frame["cross00"], frame["cross11"]
    cross[:, 0, 2] = cross[:, 2, 0] = frame["cross01"]
    return Singletons(codes, members, frame["people"].to_numpy(float), total, cross)


def fit_did(con: duckdb.DuckDBPyConnection, kinds: pd.DataFrame, participant_blocks: tuple) -> pd.DataFrame:
    """DiD fits for the total, each sex and each age band (a group's DiD is never tested,
    so its comparison cells come from the total's row: ``n0``, ``n2``, ``mean0``, ``mean2``)."""
    comparison = read(con, sql("comparison"))
    keys, rows = participant_blocks
    whole = keys.loc[keys["group_id"] == ALL, KEYS]
    index = estimate_index(KEYS, whole, comparison)
    position = np.full(len(keys), -1, np.int64)
    position[whole.index.to_numpy()] = estimate_codes(index, whole)
    codes = position[rows["estimate"].to_numpy()]
    participants = rows[codes >= 0].assign(cell=lambda r: PARTICIPANT_CELLS[r["cell"].to_numpy()])
    singles = comparison_singletons(comparison, estimate_codes(index, comparison))
    return fit_contrasts(index, participants, 4, DID, *bounds(index, kinds), singles=singles,
                         block_codes=codes[codes >= 0])
