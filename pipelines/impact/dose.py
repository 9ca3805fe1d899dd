"""Dose-response: did people who attended more change more?

Dose is the number of sessions a participant attended (`attendance.attended = true`) in
any group of their programme (from the groups register) up to their follow-up
interview, computed by DuckDB (`dose.sql`). A participant whose group keeps a register
but who never appears in it attended 0 sessions; one whose group keeps no register has
an unknown dose and is left out. Participants seen at baseline and at the follow-up are
split into attendance thirds (ties stay together, so a programme where most people
attended equally may have fewer than three). Per third, the mean within-person change;
the trend is the OLS slope of the change on the third's rank (1, 2, 3) — the extra
change per step up in attendance — which is the contrast of the thirds' means with
weights n_t(r_t − r̄) / Σ n_t(r_t − r̄)². Both use the same engine as every estimate
(CR2, groups as clusters) and are tested only with at least ``MIN_CLUSTERS`` named
groups (per third for its interval, over all thirds for the trend).

Small cells, all or nothing: the thirds add up to the paired total published beside
the paired estimate, so one hidden third could be recovered from the others. Dose is
therefore published only when every third has at least `min_cell` people and the
people left out for an unknown dose are none or at least `min_cell`; otherwise every
third's row keeps only its rank, with no size, session range, change or trend.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from pipelines.impact.fits import bounds
from pipelines.impact.inputs import load_doses, read, register, sql, visible_key
from pipelines.impact.rules import PARTICIPANT, scale, unit
from pipelines.inference import MIN_CLUSTERS
from pipelines.inference.frames import estimate_index, fit_contrasts

THIRD_KEYS = ["programme_id", "wave", "indicator", "tertile"]
TREND_KEYS = ["programme_id", "wave", "indicator"]
SUPPRESSED_NOTE = ("Not estimated: the programme's cell is suppressed in the indicators table to protect a "
                   "small neighbouring cell.")
FEW_GROUPS_THIRD = f"No interval for this third: its people are in fewer than {MIN_CLUSTERS} groups."
SMALL_NOTE = ("Not estimated: every attendance third, and the people whose attendance is unknown (if any), need "
              "at least {min_cell} people; otherwise a small third could be worked out from the others and the "
              "paired total.")


def tertiles(sessions: pd.Series) -> pd.Series:
    """1, 2, 3 from fewest to most sessions; ties never split."""
    known = sessions.dropna()
    if known.nunique() < 2:
        return pd.Series(1, index=known.index, dtype=int)
    codes = pd.qcut(known, 3, labels=False, duplicates="drop")
    return (codes.astype(int) + 1).rename("tertile")


def dose_thirds(doses: pd.DataFrame) -> pd.DataFrame:
    """programme_id, wave, participant_id, sessions, tertile — the thirds drawn once per
    programme and follow-up wave over everyone interviewed in both waves."""
    known = doses.dropna(subset=["sessions"])
    if known.empty:
        return known.assign(tertile=pd.Series(dtype="int64"))
    third = known.groupby(["programme_id", "wave"], sort=False)["sessions"].transform(
        lambda s: tertiles(s).reindex(s.index))
    return known.assign(tertile=third.astype("int64"))


def trend_weights(sizes: np.ndarray) -> np.ndarray:
    """Weights turning the thirds' means into the OLS slope on the rank (1, 2, 3)."""
    ranks = np.arange(1, sizes.shape[1] + 1, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (sizes * ranks).sum(1, keepdims=True) / sizes.sum(1, keepdims=True)
        spread = (sizes * (ranks - centre) ** 2).sum(1, keepdims=True)
        return np.nan_to_num(sizes * (ranks - centre) / spread)


def fit_dose(blocks: pd.DataFrame, kinds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-third fits, trend fits) from dose_blocks rows with a known third."""
    index = estimate_index(THIRD_KEYS, blocks)
    thirds = fit_contrasts(index, blocks, 1, [1.0], *bounds(index, kinds, change=True))
    trend_index = estimate_index(TREND_KEYS, blocks)
    trend_blocks = blocks.assign(cell=blocks["tertile"].astype(int) - 1)
    trend = fit_contrasts(trend_index, trend_blocks, 3, trend_weights, *bounds(trend_index, kinds, change=True))
    return thirds, trend


def _withheld(rows: list[dict], note: str) -> list[dict]:
    for row in rows:
        row.update(sessions_min=None, sessions_max=None, n=None, change=math.nan, ci_low=math.nan,
                   ci_high=math.nan, df=math.nan, n_clusters=None, trend_slope=math.nan, trend_ci_low=math.nan,
                   trend_ci_high=math.nan, trend_p=math.nan, trend_df=math.nan, note=note)
    return rows


def _trend(trend, factor: float, n_thirds: int) -> tuple[dict, str | None]:
    empty = dict(trend_slope=math.nan, trend_ci_low=math.nan, trend_ci_high=math.nan, trend_p=math.nan,
                 trend_df=math.nan)
    if n_thirds < 2:
        return empty, "No trend test: attendance was too uniform to split into thirds."
    if trend.n_groups < MIN_CLUSTERS:
        return empty, f"No trend test: fewer than {MIN_CLUSTERS} groups."
    if not (math.isfinite(trend.se) and trend.se > 0):
        return empty, "No trend test: nobody's value changed differently, or one third is a single group."
    return dict(trend_slope=trend.estimate * factor, trend_ci_low=trend.ci_low * factor,
                trend_ci_high=trend.ci_high * factor, trend_p=trend.p_value, trend_df=trend.df), None


def dose_rows(con: duckdb.DuckDBPyConnection, kinds: pd.DataFrame, visible: frozenset, min_cell: int) -> list[dict]:
    register(con, "dose_thirds", dose_thirds(load_doses(con)))
    blocks = read(con, sql("dose_blocks"))
    known = blocks[blocks["tertile"].notna()].astype({"tertile": "int64"})
    if known.empty:
        return []
    unknown = blocks[blocks["tertile"].isna()].groupby(TREND_KEYS)["n"].sum()
    thirds, trend = fit_dose(known, kinds)
    ranges = known.groupby(THIRD_KEYS).agg(sessions_min=("sessions_min", "min"), sessions_max=("sessions_max", "max"))
    thirds = thirds.join(ranges, on=THIRD_KEYS)
    trend = trend.set_index(TREND_KEYS)
    rows: list[dict] = []
    for key, part in thirds.groupby(TREND_KEYS, sort=True):
        programme, wave, indicator = key
        kind = kinds.loc[indicator, "kind"]
        factor = scale(kind)
        group = [{
            "programme_id": programme, "wave": wave, "indicator": indicator, "unit": unit(kind),
            "tertile": int(t.tertile), "sessions_min": int(t.sessions_min), "sessions_max": int(t.sessions_max),
            "n": int(t.n0), "change": t.mean0 * factor,
            "ci_low": t.ci_low * factor if t.n_groups >= MIN_CLUSTERS else math.nan,
            "ci_high": t.ci_high * factor if t.n_groups >= MIN_CLUSTERS else math.nan,
            "df": t.df if t.n_groups >= MIN_CLUSTERS else math.nan, "n_clusters": int(t.n_group_clusters),
            "note": None,
        } for t in part.itertuples(index=False)]
        hidden = not all(visible_key(indicator, programme, PARTICIPANT, w) in visible for w in ("baseline", wave))
        n_unknown = int(unknown.get(key, 0))
        if hidden:
            rows += _withheld(group, SUPPRESSED_NOTE)
        elif part["n0"].min() < min_cell or 0 < n_unknown < min_cell:
            rows += _withheld(group, SMALL_NOTE.format(min_cell=min_cell))
        else:
            values, note = _trend(trend.loc[key], factor, len(part))
            for row, groups in zip(group, part["n_groups"], strict=True):
                parts = [FEW_GROUPS_THIRD if groups < MIN_CLUSTERS else None, note]
                row.update(values, note=" ".join(p for p in parts if p) or None)
            rows += group
    return rows
