"""Dose-response: did people who attended more change more?

Dose is the number of sessions a participant attended (`attendance.attended = true`) in
any group of their programme (from the groups register) up to their follow-up
interview, computed by DuckDB (`dose.sql`). A participant whose group keeps a register
but who never appears in it attended 0 sessions; one whose group keeps no register has
an unknown dose and is left out. Participants seen at baseline and at the follow-up are
split into attendance thirds (ties stay together, so a programme where most people
attended equally may have fewer than three); per third, the mean within-person change
with a t interval. The trend test is an OLS of the change on the third's rank (1, 2, 3)
with heteroskedasticity-robust (HC1) errors: its slope is the extra change per step up
in attendance.

Small cells, all or nothing: the thirds add up to the paired total published beside
the paired estimate, so one hidden third could be recovered from the others. Dose is
therefore published only when every third has at least `min_cell` people and the
people left out for an unknown dose are none or at least `min_cell`; otherwise every
third's row keeps only its rank, with no size, session range, change or trend.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from pipelines.impact.rules import ALPHA, scale, unit

TREND_FORMULA = "change ~ tertile"
SUPPRESSED_NOTE = ("Not estimated: the programme's cell is suppressed in the indicators table to protect a "
                   "small neighbouring cell.")


def tertiles(sessions: pd.Series) -> pd.Series:
    """1, 2, 3 from fewest to most sessions; ties never split."""
    known = sessions.dropna()
    if known.nunique() < 2:
        return pd.Series(1, index=known.index, dtype=int)
    codes = pd.qcut(known, 3, labels=False, duplicates="drop")
    return (codes.astype(int) + 1).rename("tertile")


def trend(changes: pd.DataFrame) -> tuple[float, float, float, float]:
    """changes: change, tertile → slope per tertile, CI, p (HC1)."""
    fit = smf.ols(TREND_FORMULA, data=changes).fit(cov_type="HC1")
    low, high = fit.conf_int(alpha=ALPHA).loc["tertile"]
    return float(fit.params["tertile"]), float(low), float(high), float(fit.pvalues["tertile"])


def _withheld(rows: list[dict], note: str) -> list[dict]:
    for row in rows:
        row.update(sessions_min=None, sessions_max=None, n=None, change=math.nan, ci_low=math.nan,
                   ci_high=math.nan, trend_slope=math.nan, trend_ci_low=math.nan, trend_ci_high=math.nan,
                   trend_p=math.nan, note=note)
    return rows


def dose_rows(programme: str, wave: str, indicator: str, kind: str, diffs: pd.Series, tertile: pd.Series,
              sessions: pd.Series, min_cell: int, *, suppressed: bool = False) -> list[dict]:
    """diffs: follow-up minus baseline per participant_id (raw units); tertile and sessions
    per participant_id, the thirds drawn once over everyone interviewed in both waves."""
    data = pd.DataFrame({"change": diffs * scale(kind)})
    data["sessions"] = sessions.reindex(data.index)
    data["tertile"] = tertile.reindex(data.index)
    unknown = int(data["sessions"].isna().sum())
    data = data.dropna()
    if data.empty:
        return []
    rows = []
    for t, part in data.groupby("tertile", sort=True):
        row = {
            "programme_id": programme, "wave": wave, "indicator": indicator, "unit": unit(kind),
            "tertile": int(t), "sessions_min": int(part["sessions"].min()),
            "sessions_max": int(part["sessions"].max()), "n": len(part),
            "change": float(part["change"].mean()), "ci_low": math.nan, "ci_high": math.nan, "note": None,
        }
        if part["change"].nunique() > 1:
            ci = stats.ttest_1samp(part["change"], 0.0).confidence_interval(confidence_level=1 - ALPHA)
            row["ci_low"], row["ci_high"] = float(ci.low), float(ci.high)
        rows.append(row)
    if suppressed:
        return _withheld(rows, SUPPRESSED_NOTE)
    sizes = data.groupby("tertile").size()
    if sizes.min() < min_cell or 0 < unknown < min_cell:
        return _withheld(rows, (
            f"Not estimated: every attendance third, and the people whose attendance is unknown "
            f"(if any), need at least {min_cell} people; otherwise a small third could be worked "
            f"out from the others and the paired total."))
    slope = low = high = p = math.nan
    if len(sizes) < 2:
        note = "No trend test: attendance was too uniform to split into thirds."
    elif data["change"].nunique() < 2:
        note = "No trend test: nobody's value changed differently."
    else:
        slope, low, high, p = trend(data)
        note = None
    for row in rows:
        row.update(trend_slope=slope, trend_ci_low=low, trend_ci_high=high, trend_p=p, note=note)
    return rows


def doses_for(doses: pd.DataFrame, programme: str, wave: str) -> pd.Series:
    """sessions per participant_id for one programme and follow-up wave."""
    rows = doses[(doses["programme_id"] == programme) & (doses["wave"] == wave)]
    return rows.set_index("participant_id")["sessions"].astype(float)
