"""Dose-response: did people who attended more change more?

Dose is the number of sessions a participant attended (`attendance.attended = true`) in
any group of their programme up to their follow-up interview. A participant whose group
keeps a register but who never appears in it attended 0 sessions; one whose group keeps
no register has an unknown dose and is left out. Participants seen at baseline and at
the follow-up are split into attendance thirds (ties stay together, so a programme
where most people attended equally may have fewer than three); per third, the mean
within-person change with a t interval. The trend test is an OLS of the change on the
third's rank (1, 2, 3) with heteroskedasticity-robust (HC1) errors: its slope is the
extra change per step up in attendance. It is shown only when every third has at
least min_cell people, so no small third can be recovered from the slope.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from pipelines.impact.change import ALPHA

TREND_FORMULA = "change ~ tertile"


def sessions_attended(attendance: pd.DataFrame, programme_groups: set[str], people: pd.DataFrame) -> pd.Series:
    """people: participant_id, group_id, interview_date (follow-up) → sessions (NaN = unknown)."""
    att = attendance[attendance["group_id"].isin(programme_groups)]
    registered_groups = set(att["group_id"])
    on_register = set(att["participant_id"])
    merged = att[att["attended"].fillna(False).astype(bool)].merge(
        people[["participant_id", "interview_date"]], on="participant_id", how="inner")
    before = merged["interview_date"].isna() | (
        pd.to_datetime(merged["session_date"]) <= pd.to_datetime(merged["interview_date"]))
    counts = merged[before].groupby("participant_id").size()
    known = people["participant_id"].isin(on_register) | people["group_id"].isin(registered_groups)
    sessions = people["participant_id"].map(counts).fillna(0).astype(float)
    return pd.Series(np.where(known, sessions, np.nan), index=people["participant_id"].to_numpy())


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


def dose_rows(programme: str, wave: str, indicator: str, kind: str, diffs: pd.Series,
              tertile: pd.Series, sessions: pd.Series, min_cell: int) -> list[dict]:
    """diffs: follow-up minus baseline per participant_id (raw units)."""
    scale = 100.0 if kind == "share" else 1.0
    data = pd.DataFrame({"change": diffs * scale})
    data["tertile"] = tertile.reindex(data.index)
    data["sessions"] = sessions.reindex(data.index)
    data = data.dropna()
    if data.empty:
        return []
    unit = "percentage_points" if kind == "share" else "score"
    rows = []
    sizes = data.groupby("tertile").size()
    for t, part in data.groupby("tertile", sort=True):
        row = {
            "programme_id": programme, "wave": wave, "indicator": indicator, "unit": unit,
            "tertile": int(t), "sessions_min": int(part["sessions"].min()),
            "sessions_max": int(part["sessions"].max()), "n": len(part),
            "change": math.nan, "ci_low": math.nan, "ci_high": math.nan, "note": None,
        }
        if len(part) < min_cell:
            row["note"] = f"Not estimated: {len(part)} people in this third (fewer than {min_cell})."
        else:
            row["change"] = float(part["change"].mean())
            if part["change"].nunique() > 1:
                ci = stats.ttest_1samp(part["change"], 0.0).confidence_interval(confidence_level=1 - ALPHA)
                row["ci_low"], row["ci_high"] = float(ci.low), float(ci.high)
        rows.append(row)
    slope = low = high = p = math.nan
    if len(sizes) < 2:
        note = "No trend test: attendance was too uniform to split into thirds."
    elif sizes.min() < min_cell:
        note = f"No trend test: a third has fewer than {min_cell} people."
    elif data["change"].nunique() < 2:
        note = "No trend test: nobody's value changed differently."
    else:
        slope, low, high, p = trend(data)
        note = None
    for row in rows:
        row.update(trend_slope=slope, trend_ci_low=low, trend_ci_high=high, trend_p=p)
        if note:
            row["note"] = f"{row['note']} {note}" if row["note"] else note
    return rows
