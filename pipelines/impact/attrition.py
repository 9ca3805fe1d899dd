"""Who was lost between waves, and whether they differed at baseline.

A baseline respondent is *lost* at a follow-up wave when the survey has no interview
of them in that wave (whether or not they answered every item). Per programme, arm
and follow-up wave: how many were lost, and for each indicator the baseline value of
those lost minus that of those retained, with the same interval and test as `change`
(Agresti–Caffo for shares, Welch for means). A clear difference means paired
estimates describe a selected group: the note beside each paired estimate says so.

Counts follow the suppression rule: lost and retained add up to the baseline count,
so when either is under `min_cell` (and not 0) both are withheld (NULL, "fewer than
N" in words) and so is the percentage lost; a baseline count under `min_cell` is
withheld too. An indicator row whose programme baseline cell is suppressed in
`indicators` gives nothing at all, since its counts and means would undo that.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.impact import change
from pipelines.impact.inputs import visible_key
from pipelines.impact.rules import ALL, scale, shown, unit
from pipelines.impact.sentences import count, digits, number, unit_word

SUPPRESSED_NOTE = ("Not compared: the programme's baseline cell is suppressed in the indicators table to "
                   "protect a small neighbouring cell.")


def seen_sets(interviews: pd.DataFrame) -> dict[tuple[str, str], set[str]]:
    """(programme_id, wave) → participant_ids interviewed then."""
    return {
        key: set(ids)
        for key, ids in interviews.groupby(["programme_id", "wave"])["participant_id"]
    }


def split_counts(n_baseline: int, n_lost: int, min_cell: int) -> dict:
    """The publishable n_baseline, n_retained, n_lost and lost_pct (None where withheld)."""
    n_retained = n_baseline - n_lost
    parts_shown = shown(n_lost, min_cell) is not None and shown(n_retained, min_cell) is not None
    return {
        "n_baseline": shown(n_baseline, min_cell),
        "n_retained": n_retained if parts_shown else None,
        "n_lost": n_lost if parts_shown else None,
        "lost_pct": 100.0 * n_lost / n_baseline if parts_shown and n_baseline else math.nan,
    }


def lost_sentence(n_baseline: int, n_lost: int, wave: str, min_cell: int) -> str:
    """'10 of 30 baseline respondents (33%) were not interviewed at followup1.'"""
    counts = split_counts(n_baseline, n_lost, min_cell)
    whole = count(n_baseline, "baseline respondent")
    if counts["n_baseline"] is None:
        return f"Fewer than {min_cell} baseline respondents, so who was lost at {wave} is not shown."
    if counts["n_lost"] is None:
        lost = "fewer than" if 0 < n_lost < min_cell else "all but fewer than"
        return f"{lost.capitalize()} {min_cell} of {whole} were not interviewed at {wave}."
    verb = "was" if n_lost == 1 else "were"
    return f"{n_lost} of {whole} ({counts['lost_pct']:.0f}%) {verb} not interviewed at {wave}."


def compare_lost(kind: str, baseline: pd.DataFrame, seen: set[str], min_cell: int) -> dict:
    """Baseline values of the lost against the retained; values NULL below min_cell."""
    lost_mask = ~baseline["participant_id"].isin(seen)
    lost = baseline.loc[lost_mask, "value"].to_numpy()
    kept = baseline.loc[~lost_mask, "value"].to_numpy()
    out = {
        **split_counts(len(baseline), len(lost), min_cell),
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
        out["note"] = (f"Lost and retained not compared at baseline: each needs at least {min_cell} people "
                       f"({count(len(lost), 'lost', 'lost', min_cell=min_cell)}, "
                       f"{count(len(kept), 'retained', 'retained', min_cell=min_cell)}).")
        return out
    factor = scale(kind)
    est = change.independent(kind, kept, lost).scaled(factor)
    out.update(
        baseline_retained=float(np.mean(kept)) * factor,
        baseline_lost=float(np.mean(lost)) * factor,
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


def paired_note(kind: str, baseline: pd.DataFrame, seen: set[str], wave: str, n_pairs: int,
                min_cell: int) -> str:
    """The attrition sentence placed beside a paired estimate (n_pairs ≥ min_cell)."""
    n_lost = int((~baseline["participant_id"].isin(seen)).sum())
    parts = [f"Paired on {count(n_pairs, 'person', 'people')} with this indicator in both waves.",
             lost_sentence(len(baseline), n_lost, wave, min_cell)]
    unanswered = len(baseline) - n_lost - n_pairs
    if unanswered > 0:
        how_many = count(unanswered, "more", "more", min_cell=min_cell)
        parts.append(f"{how_many.capitalize()} were interviewed but have no value at {wave} "
                     f"(item not answered, or outside the indicator's age band).")
    if n_lost:
        parts.append(compare_lost(kind, baseline, seen, min_cell)["note"])
    return " ".join(parts)


def attrition_rows(obs: pd.DataFrame, interviews: pd.DataFrame, kinds: pd.DataFrame,
                   visible: frozenset, min_cell: int) -> list[dict]:
    rows: list[dict] = []
    seen = seen_sets(interviews)
    for (programme, arm), people in interviews.groupby(["programme_id", "arm"], sort=True):
        base_ids = set(people.loc[people["wave_rank"] == 0, "participant_id"])
        if not base_ids:
            continue
        followups = people.loc[people["wave_rank"] > 0, ["wave", "wave_rank"]].drop_duplicates()
        for wave in followups.sort_values("wave_rank")["wave"]:
            at_wave = seen.get((programme, wave), set())
            n_lost = len(base_ids - at_wave)
            rows.append({
                "programme_id": programme, "arm": arm, "wave": wave, "indicator": ALL, "unit": None,
                **split_counts(len(base_ids), n_lost, min_cell),
                "note": lost_sentence(len(base_ids), n_lost, wave, min_cell),
            })
            base_obs = obs[(obs["programme_id"] == programme) & (obs["arm"] == arm) & (obs["wave_rank"] == 0)]
            for indicator, baseline in base_obs.groupby("indicator", sort=True):
                kind = kinds.loc[indicator, "kind"]
                row = {"programme_id": programme, "arm": arm, "wave": wave, "indicator": indicator,
                       "unit": unit(kind)}
                if visible_key(indicator, programme, arm, "baseline") not in visible:
                    rows.append({**row, "note": SUPPRESSED_NOTE})
                    continue
                rows.append({**row, **compare_lost(kind, baseline, at_wave, min_cell)})
    return rows
