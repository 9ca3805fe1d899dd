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
note says why and states the minimum detectable effect. Benjamini–Hochberg runs over
the outcomes tested in each comparison (see `apply_bh`).
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
from pipelines.impact.did import fit_did
from pipelines.impact.dose import dose_rows, sessions_attended, tertiles
from pipelines.impact.inputs import (
    has_table,
    indicator_kinds,
    load_attendance,
    load_interviews,
    load_observations,
)
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES, frame
from pipelines.settings import min_cell_size

ALL = "all"
UNKNOWN = "unknown"
FDR_ALPHA = 0.05
BREAKDOWNS = ("group_id", "sex", "age_band")


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
    participants: pd.DataFrame  # participant-arm rows at baseline and the wave
    comparison: pd.DataFrame | None  # comparison-arm rows, None when no DiD is possible

    @property
    def scale(self) -> float:
        return 100.0 if self.kind == "share" else 1.0

    @property
    def who(self) -> str:
        return sentences.who("participants", self.group_id, self.sex, self.age_band)

    def base(self, method: str) -> dict:
        return {
            "indicator": self.indicator, "programme_id": self.programme, "group_id": self.group_id,
            "sex": self.sex, "age_band": self.age_band, "method": method, "wave": self.wave,
            "unit": "percentage_points" if self.kind == "share" else "score",
        }


def _split(rows: pd.DataFrame, rank: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return rows[rows["wave_rank"] == 0], rows[rows["wave_rank"] == rank]


def _not_estimated(cell: Cell, row: dict, reason: str, mde: float) -> dict:
    units = sentences.unit_word(cell.kind)
    if not math.isfinite(mde):
        power_note = "Too few respondents to compute a minimum detectable effect."
    elif cell.kind == "share" and mde >= 100:
        power_note = "With these numbers no change, however large, could be detected reliably."
    else:
        d = sentences.digits(cell.kind, mde)
        power_note = (f"With these numbers only a change of at least {sentences.number(mde, d)} {units} "
                      f"could be detected (80% power, 5% level).")
    note = f"Not estimated: {reason} {power_note}"
    row.update(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, mde=mde, note=note,
               sentence=sentences.not_estimated_sentence(cell.name, f"{reason} {power_note}"))
    return row


def change_row(cell: Cell, min_cell: int) -> dict:
    row = cell.base("change")
    baseline, followup = _split(cell.participants, cell.rank)
    nb, nf = len(baseline), len(followup)
    both = len(set(baseline["participant_id"]) & set(followup["participant_id"]))
    row["n"] = cell.participants["participant_id"].nunique()
    mde = power.mde_change(cell.sd, nb, nf) * cell.scale
    if min(nb, nf) < min_cell:
        reason = (f"{sentences.count(nb, 'respondent')} at baseline and {nf} at {cell.wave}; each wave "
                  f"needs at least {min_cell}.")
        return _not_estimated(cell, row, reason, mde)
    est = change.independent(cell.kind, baseline["value"].to_numpy(), followup["value"].to_numpy()).scaled(cell.scale)
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=(f"{nb} respondents at baseline, {nf} at {cell.wave} ({both} in both); the interval "
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
    baseline, followup = _split(cell.participants, cell.rank)
    pairs = paired_values(baseline, followup)
    n = len(pairs)
    row["n"] = n
    mde = power.mde_paired(cell.sd, n) * cell.scale
    if n < min_cell:
        reason = (f"{sentences.count(n, 'person', 'people')} with this indicator in both waves "
                  f"(fewer than {min_cell}).")
        return _not_estimated(cell, row, reason, mde)
    est = change.paired(cell.kind, pairs["baseline"].to_numpy(), pairs["followup"].to_numpy()).scaled(cell.scale)
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=paired_note(cell.kind, baseline, followup, seen_at_wave, cell.wave, n, min_cell),
               sentence=sentences.change_sentence(cell.name, cell.kind, est.estimate, est.ci_low, est.ci_high,
                                                  cell.wave, cell.who, n_pairs=n))
    return row


def did_row(cell: Cell, min_cell: int) -> dict:
    row = cell.base("did")
    pb, pf = _split(cell.participants, cell.rank)
    cb, cf = _split(cell.comparison, cell.rank)
    cells = [len(pb), len(pf), len(cb), len(cf)]
    data = pd.concat([cell.participants, cell.comparison], ignore_index=True)
    row["n"] = data["participant_id"].nunique()
    mde = power.mde_did(cell.sd, cells) * cell.scale
    counts = (f"participants {cells[0]} at baseline and {cells[1]} at {cell.wave}, comparison group "
              f"{cells[2]} and {cells[3]}")
    if min(cells) < min_cell:
        return _not_estimated(cell, row, f"{counts}; each needs at least {min_cell}.", mde)
    data["treated"] = (data["arm"] == "participant").astype(int)
    data["post"] = (data["wave_rank"] == cell.rank).astype(int)
    fit = fit_did(data)
    est = fit.result.scaled(cell.scale)
    note = (f"{sentences.capital(counts)}; standard errors clustered by {fit.cluster_by} "
            f"({fit.n_clusters} clusters).")
    if cell.group_id != ALL:
        note += f" Group {cell.group_id} against the programme's whole comparison group."
    row.update(estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, p_value=est.p_value, mde=mde,
               note=note,
               sentence=sentences.did_sentence(cell.name, cell.kind, est.estimate, est.ci_low, est.ci_high,
                                               cell.wave, cell.who, fit.change_treated * cell.scale,
                                               fit.change_control * cell.scale))
    return row


def breakdowns(participants: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The total, then each group, sex and age band present among participants.

    `unknown` (no birth year, say) counts in the total but is not a breakdown of its own.
    """
    out = [(ALL, ALL, ALL)]
    for position, column in enumerate(BREAKDOWNS):
        for value in sorted(participants[column].dropna().unique()):
            if value == UNKNOWN:
                continue
            key = [ALL, ALL, ALL]
            key[position] = str(value)
            out.append(tuple(key))
    return out


def _subset(rows: pd.DataFrame, group_id: str, sex: str, age_band: str, *, by_group: bool = True) -> pd.DataFrame:
    mask = np.ones(len(rows), dtype=bool)
    if by_group and group_id != ALL:
        mask &= (rows["group_id"] == group_id).fillna(False).to_numpy()
    if sex != ALL:
        mask &= (rows["sex"] == sex).fillna(False).to_numpy()
    if age_band != ALL:
        mask &= (rows["age_band"] == age_band).fillna(False).to_numpy()
    return rows[mask]


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


def _programme_dose(programme, wave, rank, participants, interviews, attendance, kinds, min_cell) -> list[dict]:
    at = interviews[(interviews["programme_id"] == programme) & (interviews["arm"] == "participant")]
    ids = set(at.loc[at["wave_rank"] == 0, "participant_id"]) & set(at.loc[at["wave"] == wave, "participant_id"])
    if not ids:
        return []
    groups = participants.groupby("participant_id")["group_id"].first()
    dates = at[at["wave"] == wave].groupby("participant_id")["interview_date"].first()
    people = pd.DataFrame({"participant_id": sorted(ids)})
    people["group_id"] = people["participant_id"].map(groups)
    people["interview_date"] = people["participant_id"].map(dates)
    sessions = sessions_attended(attendance, set(participants["group_id"].dropna()), people)
    tert = tertiles(sessions)
    rows = []
    for indicator, data in participants[participants["wave_rank"].isin([0, rank])].groupby("indicator", sort=True):
        pairs = paired_values(*_split(data, rank))
        if pairs.empty:
            continue
        diffs = pairs["followup"] - pairs["baseline"]
        rows += dose_rows(programme, wave, indicator, kinds.loc[indicator, "kind"], diffs, tert, sessions, min_cell)
    return rows


def build_impact(con: duckdb.DuckDBPyConnection, min_cell: int | None = None) -> ImpactTables:
    """All impact tables from the warehouse behind `con` (never writes)."""
    min_cell = min_cell_size() if min_cell is None else min_cell
    notes: list[str] = []

    def empty(reason: str) -> ImpactTables:
        return ImpactTables(frame([], IMPACT_ESTIMATES), frame([], ATTRITION), frame([], DOSE_RESPONSE), [reason])

    if not has_table(con, "indicator_observations"):
        return empty("No indicator_observations table yet: the indicators stage has not run.")
    obs = load_observations(con)
    if obs.empty:
        return empty("indicator_observations has no rows with a value.")
    interviews = load_interviews(con, obs)
    attendance = load_attendance(con)
    kinds = indicator_kinds(obs)
    spread = obs.groupby("indicator")["value"].std()
    seen = seen_sets(interviews)
    estimate_rows: list[dict] = []
    dose: list[dict] = []

    for programme, pobs in obs.groupby("programme_id", sort=True):
        participants = pobs[pobs["arm"] == "participant"]
        comparison = pobs[pobs["arm"] == "comparison"]
        ranks = participants[["wave", "wave_rank"]].drop_duplicates().sort_values("wave_rank")
        if not (ranks["wave_rank"] == 0).any():
            notes.append(f"{programme}: no participant baseline, so no change can be measured.")
            continue
        followups = ranks[ranks["wave_rank"] > 0]
        if followups.empty:
            notes.append(f"{programme}: baseline only so far; change needs a follow-up wave.")
            continue
        for wave, rank in followups.itertuples(index=False):
            comp_waves = set(comparison["wave_rank"])
            has_comparison = {0, rank} <= comp_waves
            if not has_comparison:
                notes.append(f"{programme} {wave}: no comparison group at baseline and {wave}, so no DiD.")
            pw = participants[participants["wave_rank"].isin([0, rank])]
            cw = comparison[comparison["wave_rank"].isin([0, rank])]
            for indicator, p_ind in pw.groupby("indicator", sort=True):
                kind, name = kinds.loc[indicator, "kind"], kinds.loc[indicator, "name"]
                sd = power.SHARE_SD if kind == "share" else float(spread.get(indicator, math.nan))
                c_ind = cw[cw["indicator"] == indicator]
                for group_id, sex, age_band in breakdowns(p_ind):
                    cell = Cell(
                        programme, wave, rank, indicator, kind, name, sd, group_id, sex, age_band,
                        _subset(p_ind, group_id, sex, age_band),
                        _subset(c_ind, group_id, sex, age_band, by_group=False) if has_comparison else None,
                    )
                    estimate_rows.append(change_row(cell, min_cell))
                    estimate_rows.append(paired_row(cell, seen.get((programme, wave), set()), min_cell))
                    if has_comparison:
                        estimate_rows.append(did_row(cell, min_cell))
            if attendance is not None and len(attendance):
                dose += _programme_dose(programme, wave, rank, participants, interviews, attendance, kinds, min_cell)
    if attendance is None or attendance.empty:
        notes.append("No attendance registers, so no dose-response.")

    estimates = frame(estimate_rows, IMPACT_ESTIMATES)
    if len(estimates):
        estimates = apply_bh(estimates)
    attrition = frame(attrition_rows(obs, interviews, kinds, min_cell), ATTRITION)
    return ImpactTables(estimates, attrition, frame(dose, DOSE_RESPONSE), notes)
