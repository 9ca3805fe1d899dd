"""Who was lost between waves, and whether they differed at baseline.

A baseline respondent is *lost* at a follow-up wave when the survey has no interview
of them in that wave (whether or not they answered every item). Per programme, arm
and follow-up wave: how many were lost, and for each indicator the baseline value of
those lost minus that of those retained, with the same interval and test as `change`
(Agresti–Caffo for shares, Welch for means). A clear difference means paired
estimates describe a selected group: the note beside each paired estimate says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.impact import change
from pipelines.impact.sentences import count, digits, number, unit_word

ALL = "all"


def seen_sets(interviews: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    """(programme_id, wave) → participant_ids interviewed then."""
    return {
        key: set(ids)
        for key, ids in interviews.groupby(["programme_id", "wave"])["participant_id"]
    }


def compare_lost(kind: str, baseline: pd.DataFrame, seen: set[str], min_cell: int) -> dict:
    """Baseline values of the lost against the retained; values NULL below min_cell."""
    lost_mask = ~baseline["participant_id"].isin(seen)
    lost = baseline.loc[lost_mask, "value"].to_numpy()
    kept = baseline.loc[~lost_mask, "value"].to_numpy()
    scale = 100.0 if kind == "share" else 1.0
    out = {
        "n_baseline": len(baseline),
        "n_retained": len(kept),
        "n_lost": len(lost),
        "lost_pct": 100.0 * len(lost) / len(baseline) if len(baseline) else math.nan,
        "baseline_retained": math.nan,
        "baseline_lost": math.nan,
        "difference": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": math.nan,
    }
    if len(lost) == 0:
        out["note"] = "Nobody was lost."
        return out
    if min(len(lost), len(kept)) < min_cell:
        out["note"] = (f"Lost and retained not compared at baseline: {len(lost)} lost and {len(kept)} "
                       f"retained; each needs at least {min_cell}.")
        return out
    est = change.independent(kind, kept, lost).scaled(scale)
    out.update(
        baseline_retained=float(np.mean(kept)) * scale,
        baseline_lost=float(np.mean(lost)) * scale,
        difference=est.estimate,
        ci_low=est.ci_low,
        ci_high=est.ci_high,
        p_value=est.p_value,
    )
    d = digits(kind, est.estimate, est.ci_low, est.ci_high)
    if not (math.isfinite(est.ci_low) and est.ci_low > 0 or math.isfinite(est.ci_high) and est.ci_high < 0):
        out["note"] = (f"No clear baseline difference between those lost and those retained "
                       f"({number(est.estimate, d, signed=True)} {unit_word(kind)}, 95% CI "
                       f"{number(est.ci_low, d)} to {number(est.ci_high, d)}).")
    else:
        direction = "higher" if est.estimate > 0 else "lower"
        out["note"] = (f"Those lost started {number(abs(est.estimate), d)} {unit_word(kind)} {direction} than "
                       f"those retained (95% CI {number(est.ci_low, d)} to {number(est.ci_high, d)}).")
    return out


def paired_note(kind: str, baseline: pd.DataFrame, followup: pd.DataFrame, seen: set[str], wave: str,
                n_pairs: int, min_cell: int) -> str:
    """The attrition sentence placed beside a paired estimate."""
    info = compare_lost(kind, baseline, seen, min_cell)
    parts = [f"Paired on {count(n_pairs, 'person', 'people')} with this indicator in both waves.",
             f"{info['n_lost']} of {count(info['n_baseline'], 'baseline respondent')} "
             f"({info['lost_pct']:.0f}%) {'was' if info['n_lost'] == 1 else 'were'} not interviewed at {wave}."]
    unanswered = info["n_retained"] - n_pairs
    if unanswered > 0:
        verbs = ("was", "has") if unanswered == 1 else ("were", "have")
        parts.append(f"{unanswered} more {verbs[0]} interviewed but {verbs[1]} no value at {wave} "
                     f"(item not answered, or outside the indicator's age band).")
    if info["n_lost"]:
        parts.append(info["note"])
    return " ".join(parts)


def attrition_rows(obs: pd.DataFrame, interviews: pd.DataFrame, kinds: pd.DataFrame, min_cell: int) -> list[dict]:
    rows: list[dict] = []
    seen = seen_sets(interviews)
    for (programme, arm), people in interviews.groupby(["programme_id", "arm"], sort=True):
        base_ids = set(people.loc[people["wave_rank"] == 0, "participant_id"])
        if not base_ids:
            continue
        followups = people.loc[people["wave_rank"] > 0, ["wave", "wave_rank"]].drop_duplicates()
        for wave in followups.sort_values("wave_rank")["wave"]:
            at_wave = seen.get((programme, wave), set())
            retained = len(base_ids & at_wave)
            rows.append({
                "programme_id": programme, "arm": arm, "wave": wave, "indicator": ALL, "unit": None,
                "n_baseline": len(base_ids), "n_retained": retained, "n_lost": len(base_ids) - retained,
                "lost_pct": 100.0 * (len(base_ids) - retained) / len(base_ids),
                "note": f"{len(base_ids) - retained} of {len(base_ids)} baseline respondents were not "
                        f"interviewed at {wave}.",
            })
            base_obs = obs[(obs["programme_id"] == programme) & (obs["arm"] == arm) & (obs["wave_rank"] == 0)]
            for indicator, baseline in base_obs.groupby("indicator", sort=True):
                kind = kinds.loc[indicator, "kind"]
                info = compare_lost(kind, baseline, at_wave, min_cell)
                rows.append({
                    "programme_id": programme, "arm": arm, "wave": wave, "indicator": indicator,
                    "unit": "percentage_points" if kind == "share" else "score", **info,
                })
    return rows
