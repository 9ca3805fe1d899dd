"""Impact estimates for every indicator, programme, follow-up wave and breakdown.

`build_impact(con, min_cell)` reads the warehouse and returns the three tables; the
Dagster asset only writes them. Per programme and follow-up wave, for every indicator
and for the total and each group, sex and age band of the participant arm:

- `change`: follow-up minus baseline among all participants interviewed in each wave;
- `paired_change`: the same among people with the indicator in both waves, with the
  attrition note beside it;
- `did`: participants' change minus the comparison group's, when the programme has a
  comparison arm at baseline and at that wave. A group's DiD sets its participants
  against the programme's whole comparison arm (comparison respondents have no group).

A cell (arm × wave) under `min_cell` respondents gives a row without an estimate whose
note says why (a small count reads "fewer than N"); so does a breakdown whose cells
are suppressed in `indicators`, since the estimate would undo that suppression
(`breakdowns.Visibility`). Benjamini–Hochberg runs over the outcomes tested in each
comparison (see `apply_bh`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from pipelines.impact import change, power, sentences
from pipelines.impact.attrition import attrition_rows, paired_note, seen_sets
from pipelines.impact.breakdowns import Visibility, breakdowns, split_waves, subset
from pipelines.impact.did import fit_did
from pipelines.impact.dose import doses_for, dose_rows, tertiles
from pipelines.impact.inputs import (
    indicator_kinds,
    load_doses,
    load_interviews,
    load_observations,
    load_visible,
    visible_key,
)
from pipelines.impact.rules import ALL, COMPARISON, PARTICIPANT, scale, shown, unit
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES, frame
from pipelines.settings import min_cell_size

FDR_ALPHA = 0.05
SUPPRESSED_REASON = ("the cell is suppressed in the indicators table to protect a small neighbouring cell.")


@dataclass
class ImpactTables:
    estimates: pd.DataFrame
    attrition: pd.DataFrame
    dose_response: pd.DataFrame
    notes: list[str] = field(default_factory=list)  # what could not be estimated, and why


@dataclass(frozen=True)
class Cell:
    """One indicator × programme × follow-up wave × breakdown, ready to estimate."""

    programme: str
    wave: str
    rank: int
    indicator: str
    kind: str
    name: str
    sd: float  # spread assumed by the MDE (see power.py), raw units
    group_id: str
    sex: str
    age_band: str
    participants: pd.DataFrame  # participant rows at baseline and the wave, classed at each wave
    paired: pd.DataFrame  # the same rows classed at the first interview (paired change)
    comparison: pd.DataFrame | None  # comparison-arm rows, None when no DiD is possible
    hidden: bool  # a participant wave cell is suppressed in `indicators`
    comparison_hidden: bool  # a comparison wave cell is suppressed in `indicators`
    paired_blocked: str | None  # why paired change is withheld for this breakdown, if it is

    @property
    def scale(self) -> float:
        return scale(self.kind)

    @property
    def who(self) -> str:
        return sentences.who("participants", self.group_id, self.sex, self.age_band)

    def base(self, method: str) -> dict:
        return {
            "indicator": self.indicator, "programme_id": self.programme, "group_id": self.group_id,
            "sex": self.sex, "age_band": self.age_band, "method": method, "wave": self.wave,
            "unit": unit(self.kind),
        }


def _power_note(cell: Cell, mde: float, small: bool, min_cell: int) -> str:
    units = sentences.unit_word(cell.kind)
    if not math.isfinite(mde):
        return "Too few respondents to compute a minimum detectable effect."
    if cell.kind == "share" and mde >= 100:
        return "With these numbers no change, however large, could be detected reliably."
    d = sentences.digits(cell.kind, mde)
    if small:
        # computed as if each small cell had min_cell people: the true MDE is larger
        return (f"Even with {min_cell} in each small cell, only a change of more than {sentences.number(mde, d)} "
                f"{units} could be detected (80% power, 5% level).")
    return (f"With these numbers only a change of at least {sentences.number(mde, d)} {units} "
            f"could be detected (80% power, 5% level).")


def _not_estimated(cell: Cell, row: dict, reason: str, mde: float, *, small: bool = False,
                   min_cell: int = 0) -> dict:
    """A row without an estimate. For a small cell the MDE is not the cell's (it would
    reveal the cell's size): the note bounds it from below and the column stays NULL."""
    power_note = _power_note(cell, mde, small, min_cell)
    row.update(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan,
               mde=math.nan if small else mde, note=f"Not estimated: {reason} {power_note}",
               sentence=sentences.not_estimated_sentence(cell.name, f"{reason} {power_note}"))
    return row


def _suppressed(cell: Cell, row: dict, reason: str = SUPPRESSED_REASON) -> dict:
    """A row withheld to keep a suppressed indicator cell hidden: no size, no MDE."""
    row.update(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, mde=math.nan,
               n=None, note=f"Not estimated: {reason}",
               sentence=sentences.not_estimated_sentence(cell.name, reason))
    return row


def change_row(cell: Cell, min_cell: int) -> dict:
    row = cell.base("change")
    baseline, followup = split_waves(cell.participants, cell.rank)
    nb, nf = len(baseline), len(followup)
    row["n"] = shown(cell.participants["participant_id"].nunique(), min_cell)
    if min(nb, nf) < min_cell:
        mde = power.mde_change(cell.sd, max(nb, min_cell), max(nf, min_cell)) * cell.scale
        reason = (f"{sentences.count(nb, 'respondent', min_cell=min_cell)} at baseline and "
                  f"{sentences.count(nf, 'respondent', min_cell=min_cell)} at {cell.wave}; each wave "
                  f"needs at least {min_cell}.")
        return _not_estimated(cell, row, reason, mde, small=True, min_cell=min_cell)
    if cell.hidden:
        return _suppressed(cell, row)
    mde = power.mde_change(cell.sd, nb, nf) * cell.scale
    est = change.independent(cell.kind, baseline["value"].to_numpy(), followup["value"].to_numpy()).scaled(cell.scale)
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=(f"{nb} respondents at baseline, {nf} at {cell.wave}; the interval "
                     f"treats the waves as independent samples."),
               sentence=sentences.change_sentence(cell.name, cell.kind, est.estimate, est.ci_low, est.ci_high,
                                                  cell.wave, cell.who))
    return row


def paired_values(baseline: pd.DataFrame, followup: pd.DataFrame) -> pd.DataFrame:
    """baseline, followup values of the people present in both (indexed by participant)."""
    return pd.concat([baseline.set_index("participant_id")["value"].rename("baseline"),
                      followup.set_index("participant_id")["value"].rename("followup")],
                     axis=1, join="inner")


def paired_row(cell: Cell, seen_at_wave: set[str], min_cell: int) -> dict:
    row = cell.base("paired_change")
    baseline, followup = split_waves(cell.paired, cell.rank)
    pairs = paired_values(baseline, followup)
    n = len(pairs)
    row["n"] = shown(n, min_cell)
    if n < min_cell:
        mde = power.mde_paired(cell.sd, min_cell) * cell.scale
        reason = (f"{sentences.count(n, 'person', 'people', min_cell=min_cell)} with this indicator in "
                  f"both waves (fewer than {min_cell}).")
        return _not_estimated(cell, row, reason, mde, small=True, min_cell=min_cell)
    if cell.hidden:
        return _suppressed(cell, row)
    if cell.paired_blocked:
        return _suppressed(cell, row, cell.paired_blocked)
    mde = power.mde_paired(cell.sd, n) * cell.scale
    est = change.paired(cell.kind, pairs["baseline"].to_numpy(), pairs["followup"].to_numpy()).scaled(cell.scale)
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=paired_note(cell.kind, baseline, seen_at_wave, cell.wave, n, min_cell),
               sentence=sentences.change_sentence(cell.name, cell.kind, est.estimate, est.ci_low, est.ci_high,
                                                  cell.wave, cell.who, n_pairs=n))
    return row


def did_row(cell: Cell, min_cell: int) -> dict:
    row = cell.base("did")
    pb, pf = split_waves(cell.participants, cell.rank)
    cb, cf = split_waves(cell.comparison, cell.rank)
    cells = [len(pb), len(pf), len(cb), len(cf)]
    data = pd.concat([cell.participants, cell.comparison], ignore_index=True)
    row["n"] = shown(data["participant_id"].nunique(), min_cell)
    if min(cells) < min_cell:
        mde = power.mde_did(cell.sd, [max(c, min_cell) for c in cells]) * cell.scale
        c = [sentences.amount(n, min_cell) for n in cells]
        counts = (f"participants {c[0]} at baseline and {c[1]} at {cell.wave}, comparison group "
                  f"{c[2]} and {c[3]}")
        return _not_estimated(cell, row, f"{counts}; each needs at least {min_cell}.", mde,
                              small=True, min_cell=min_cell)
    if cell.hidden or cell.comparison_hidden:
        return _suppressed(cell, row)
    mde = power.mde_did(cell.sd, cells) * cell.scale
    data["treated"] = (data["arm"] == PARTICIPANT).astype(int)
    data["post"] = (data["wave_rank"] == cell.rank).astype(int)
    fit = fit_did(data)
    est = fit.result.scaled(cell.scale)
    note = (f"Participants {cells[0]} at baseline and {cells[1]} at {cell.wave}, comparison group "
            f"{cells[2]} and {cells[3]}; standard errors clustered by {fit.cluster_by} "
            f"({fit.n_clusters} clusters).")
    if cell.group_id != ALL:
        note += f" Group {cell.group_id} against the programme's whole comparison group."
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=note,
               sentence=sentences.did_sentence(cell.name, cell.kind, est.estimate, est.ci_low, est.ci_high,
                                               cell.wave, cell.who, fit.change_treated * cell.scale,
                                               fit.change_control * cell.scale))
    return row


BH_FAMILY = ["programme_id", "wave", "method", "group_id", "sex", "age_band"]


def apply_bh(estimates: pd.DataFrame) -> pd.DataFrame:
    """Benjamini–Hochberg over the outcomes tested in one comparison.

    A family is every indicator tested for one programme, follow-up wave, method and
    breakdown (the total, or one group, sex or age band): the many-outcomes problem the
    correction is for. Families are not pooled across breakdowns, so a programme's
    headline flags do not weaken as it adds groups; breakdown estimates are exploratory.
    `n_outcomes` counts the indicators tested anywhere in the programme.
    """
    estimates = estimates.copy()
    tested = estimates[estimates["p_value"].notna()]
    outcomes = tested.groupby("programme_id")["indicator"].nunique()
    estimates["n_outcomes"] = estimates["programme_id"].map(outcomes).fillna(0).astype("Int64")
    estimates["n_tests"] = 0
    for _, rows in tested.groupby(BH_FAMILY, sort=False, dropna=False):
        reject = multipletests(rows["p_value"].to_numpy(dtype=float), alpha=FDR_ALPHA, method="fdr_bh")[0]
        estimates.loc[rows.index, "bh_significant"] = reject
        estimates.loc[rows.index, "n_tests"] = len(rows)
    estimates["n_tests"] = estimates["n_tests"].astype("Int64")
    return estimates


def _programme_dose(programme: str, wave: str, rank: int, participants: pd.DataFrame,
                    interviews: pd.DataFrame, doses: pd.DataFrame, kinds: pd.DataFrame, visible: frozenset,
                    min_cell: int) -> list[dict]:
    at = interviews[(interviews["programme_id"] == programme) & (interviews["arm"] == PARTICIPANT)]
    ids = set(at.loc[at["wave_rank"] == 0, "participant_id"]) & set(at.loc[at["wave"] == wave, "participant_id"])
    if not ids:
        return []
    sessions = doses_for(doses, programme, wave)
    tert = tertiles(sessions[sessions.index.isin(ids)])
    rows = []
    for indicator, data in participants[participants["wave_rank"].isin([0, rank])].groupby("indicator", sort=True):
        pairs = paired_values(*split_waves(data, rank))
        if pairs.empty:
            continue
        diffs = pairs["followup"] - pairs["baseline"]
        hidden = Visibility(visible, indicator, programme, wave).hidden(PARTICIPANT)
        rows += dose_rows(programme, wave, indicator, kinds.loc[indicator, "kind"], diffs, tert, sessions,
                          min_cell, suppressed=hidden)
    return rows


def _cells(programme: str, wave: str, rank: int, indicator: str, kinds: pd.DataFrame, sd: float,
           p_ind: pd.DataFrame, c_ind: pd.DataFrame | None, visible: frozenset, min_cell: int):
    """Every breakdown Cell of one indicator, programme and follow-up wave."""
    vis = Visibility(visible, indicator, programme, wave)
    blocked = vis.paired_blocked(p_ind, rank, min_cell)
    kind, name = kinds.loc[indicator, "kind"], kinds.loc[indicator, "name"]
    for group_id, sex, age_band in breakdowns(p_ind):
        column = next((c for c, v in zip(("group_id", "sex", "age_band"), (group_id, sex, age_band), strict=True)
                       if v != ALL), None)
        yield Cell(
            programme, wave, rank, indicator, kind, name, sd, group_id, sex, age_band,
            participants=subset(p_ind, group_id, sex, age_band, prefix="wave_"),
            paired=subset(p_ind, group_id, sex, age_band),
            comparison=(None if c_ind is None
                        else subset(c_ind, group_id, sex, age_band, prefix="wave_", by_group=False)),
            hidden=vis.hidden(PARTICIPANT, group_id, sex, age_band),
            # a group's DiD sets it against the programme's whole comparison arm
            comparison_hidden=c_ind is not None and vis.hidden(COMPARISON, ALL, sex, age_band),
            paired_blocked=blocked.get(column) if column else None,
        )


def build_impact(con: duckdb.DuckDBPyConnection, min_cell: int | None = None) -> ImpactTables:
    """All impact tables from the warehouse behind `con` (never writes).

    Reads indicator_observations, survey, attendance, groups and indicators: the
    asset's dependencies, so all exist.
    """
    min_cell = min_cell_size() if min_cell is None else min_cell
    notes: list[str] = []
    obs = load_observations(con)
    if obs.empty:
        return ImpactTables(frame([], IMPACT_ESTIMATES), frame([], ATTRITION), frame([], DOSE_RESPONSE),
                            ["indicator_observations has no rows with a value."])
    interviews = load_interviews(con)
    doses = load_doses(con)
    visible = load_visible(con)
    kinds = indicator_kinds(obs)
    spread = obs.groupby("indicator")["value"].std()
    seen = seen_sets(interviews)
    estimate_rows: list[dict] = []
    dose: list[dict] = []

    for programme, pobs in obs.groupby("programme_id", sort=True):
        participants = pobs[pobs["arm"] == PARTICIPANT]
        comparison = pobs[pobs["arm"] == COMPARISON]
        ranks = participants[["wave", "wave_rank"]].drop_duplicates().sort_values("wave_rank")
        if not (ranks["wave_rank"] == 0).any():
            notes.append(f"{programme}: no participant baseline, so no change can be measured.")
            continue
        followups = ranks[ranks["wave_rank"] > 0]
        if followups.empty:
            notes.append(f"{programme}: baseline only so far; change needs a follow-up wave.")
            continue
        for wave, rank in followups.itertuples(index=False):
            has_comparison = {0, rank} <= set(comparison["wave_rank"])
            if not has_comparison:
                notes.append(f"{programme} {wave}: no comparison group at baseline and {wave}, so no DiD.")
            pw = participants[participants["wave_rank"].isin([0, rank])]
            cw = comparison[comparison["wave_rank"].isin([0, rank])]
            for indicator, p_ind in pw.groupby("indicator", sort=True):
                kind = kinds.loc[indicator, "kind"]
                sd = power.SHARE_SD if kind == "share" else float(spread.get(indicator, math.nan))
                c_ind = cw[cw["indicator"] == indicator] if has_comparison else None
                for cell in _cells(programme, wave, rank, indicator, kinds, sd, p_ind, c_ind, visible, min_cell):
                    estimate_rows.append(change_row(cell, min_cell))
                    estimate_rows.append(paired_row(cell, seen.get((programme, wave), set()), min_cell))
                    if has_comparison:
                        estimate_rows.append(did_row(cell, min_cell))
            dose += _programme_dose(programme, wave, rank, participants, interviews, doses, kinds, visible,
                                    min_cell)
    if doses["sessions"].isna().all():
        notes.append("No attendance registers for the people interviewed twice, so no dose-response.")

    estimates = frame(estimate_rows, IMPACT_ESTIMATES)
    if len(estimates):
        estimates = apply_bh(estimates)
    attrition = frame(attrition_rows(obs, interviews, kinds, visible, min_cell), ATTRITION)
    return ImpactTables(estimates, attrition, frame(dose, DOSE_RESPONSE), notes)
