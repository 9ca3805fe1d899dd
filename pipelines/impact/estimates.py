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

The statistics are computed once for all estimates from SQL aggregates (``fits.py``);
this module only words the rows. A cell (arm × wave) under `min_cell` respondents gives
a row without an estimate whose note says why (a small count reads "fewer than N"); so
does a breakdown whose cells are suppressed in `indicators`, since the estimate would
undo that suppression (`breakdowns.Visibility`). What the programme's report may claim
— its primary tests, corrected together — is decided by ``claims.decide``, which also
words each tested row's sentence for that verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from pipelines.impact import power
from pipelines.impact.claims import decide
from pipelines.impact.attrition import attrition_rows
from pipelines.impact.breakdowns import BREAKDOWNS, Visibility, paired_blocked
from pipelines.impact.change import change_row, paired_row
from pipelines.impact.did import did_row
from pipelines.impact.dose import dose_rows
from pipelines.impact.fits import KEYS, fit_change, fit_did, fit_paired
from pipelines.impact.inputs import (
    indicator_kinds,
    load_presence,
    load_spread,
    load_visible,
    prepare,
    read,
    sql,
)
from pipelines.impact.rows import Cell
from pipelines.impact.rules import ALL, COMPARISON, PARTICIPANT
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES, frame
from pipelines.settings import ClaimsConfig

PROGRAMME_WAVE = ["programme_id", "wave"]
INDICATOR = ["programme_id", "wave", "indicator"]
INDICATORS_SQL = "SELECT DISTINCT indicator FROM indicator_observations WHERE value IS NOT NULL"
KNOWN_DOSES_SQL = "SELECT count(*) AS n FROM dose_thirds"


@dataclass
class ImpactTables:
    estimates: pd.DataFrame
    attrition: pd.DataFrame
    dose_response: pd.DataFrame
    notes: list[str] = field(default_factory=list)  # what could not be estimated, and why


def programme_waves(presence: pd.DataFrame) -> tuple[set, list[str]]:
    """(programme, wave) pairs with a comparison arm at baseline and that wave, and notes
    on what cannot be estimated."""
    notes, with_comparison = [], set()
    for programme, rows in presence.groupby("programme_id", sort=True):
        ranks = {arm: set(part["wave_rank"]) for arm, part in rows.groupby("arm")}
        participant = ranks.get(PARTICIPANT, set())
        if not participant:
            continue
        if 0 not in participant:
            notes.append(f"{programme}: no participant baseline, so no change can be measured.")
            continue
        followups = rows[(rows["arm"] == PARTICIPANT) & (rows["wave_rank"] > 0)].sort_values("wave_rank")
        if followups.empty:
            notes.append(f"{programme}: baseline only so far; change needs a follow-up wave.")
        for wave, rank in followups[["wave", "wave_rank"]].itertuples(index=False):
            if {0, rank} <= ranks.get(COMPARISON, set()):
                with_comparison.add((programme, wave))
            else:
                notes.append(f"{programme} {wave}: no comparison group at baseline and {wave}, so no DiD.")
    return with_comparison, notes


def _plan(breakdowns: pd.DataFrame, change: pd.DataFrame, paired: pd.DataFrame, did: pd.DataFrame) -> pd.DataFrame:
    """One row per breakdown with every fit it needs, prefixed c_ (change), p_ (paired),
    d_ (DiD) and k_ (the comparison cells: the total's for a group)."""
    plan = breakdowns.merge(change.add_prefix("c_").rename(columns={f"c_{k}": k for k in KEYS}), on=KEYS, how="left")
    plan = plan.merge(paired.add_prefix("p_").rename(columns={f"p_{k}": k for k in KEYS}), on=KEYS, how="left")
    plan = plan.merge(did.add_prefix("d_").rename(columns={f"d_{k}": k for k in KEYS}), on=KEYS, how="left")
    comparison = did.loc[did["group_id"] == ALL, [*INDICATOR, "sex", "age_band", "n0", "n2", "mean0", "mean2"]]
    plan["k_sex"] = plan["sex"]
    plan["k_age_band"] = plan["age_band"]
    comparison = comparison.rename(columns={c: f"k_{c}" for c in ["sex", "age_band", "n0", "n2", "mean0", "mean2"]})
    plan = plan.merge(comparison, on=[*INDICATOR, "k_sex", "k_age_band"], how="left")
    counts = [c for c in plan.columns if c[:2] in ("c_", "p_", "d_", "k_")
              and c[2:] in ("n0", "n1", "n2", "n3", "n_clusters", "n_group_clusters", "n_groups")]
    plan[counts] = plan[counts].fillna(0)
    # plain objects and floats: iterating extension arrays row by row is slow
    return plan.astype({c: object for c in KEYS})


class _Prefixed:
    """Attribute access to one prefix of a plan row: ``_Prefixed(row, columns, 'c_').n0``."""

    __slots__ = ("_row", "_columns", "_prefix")

    def __init__(self, row: tuple, columns: dict[str, int], prefix: str):
        self._row, self._columns, self._prefix = row, columns, prefix

    def __getattr__(self, name: str):
        return self._row[self._columns[self._prefix + name]]


def estimate_rows(plan: pd.DataFrame, kinds: pd.DataFrame, spread: pd.Series, visible: frozenset,
                  with_comparison: set, attrition: dict, blocked: dict, min_cell: int) -> list[dict]:
    """The rows of every breakdown: change, paired change, and DiD where there is a comparison arm."""
    columns = {name: i for i, name in enumerate(plan.columns)}
    at = [columns[c] for c in (*INDICATOR, *BREAKDOWNS)]
    names, spreads = kinds["name"].to_dict(), spread.to_dict()
    rows: list[dict] = []
    key = None
    # one conversion of the whole plan: per-group frames or itertuples cost more than the rows
    for r in plan.to_numpy(dtype=object):
        programme, wave, indicator, group_id, sex, age_band = (r[i] for i in at)
        if key != (programme, wave, indicator):
            key = (programme, wave, indicator)
            kind, name = kinds.at[indicator, "kind"], names[indicator]
            sd = power.SHARE_SD if kind == "share" else float(spreads.get(indicator, float("nan")))
            vis = Visibility(visible, indicator, programme, wave)
            has_comparison = (programme, wave) in with_comparison
        column = next((c for c, v in zip(BREAKDOWNS, (group_id, sex, age_band), strict=True) if v != ALL), None)
        cell = Cell(programme, wave, indicator, kind, name, sd, group_id, sex, age_band, vis,
                    paired_blocked=blocked.get((*key, column)) if column else None)
        waves = _Prefixed(r, columns, "c_")
        rows.append(change_row(cell, waves, min_cell))
        rows.append(paired_row(cell, _Prefixed(r, columns, "p_"), waves,
                               attrition.get(key) if column is None else None, min_cell))
        if has_comparison:
            fit = None if cell.single_group else _Prefixed(r, columns, "d_")
            rows.append(did_row(cell, waves, _Prefixed(r, columns, "k_"), fit, min_cell))
    return rows


def build_impact(con: duckdb.DuckDBPyConnection, min_cell: int,
                 config: ClaimsConfig | None = None) -> ImpactTables:
    """All impact tables from the warehouse behind `con` (writes temp tables only);
    ``config`` declares each programme's primary outcomes (default: all of them).

    Reads indicator_observations, survey, attendance, groups and indicators: the
    asset's dependencies, so all exist.
    """
    empty = ImpactTables(frame([], IMPACT_ESTIMATES), frame([], ATTRITION), frame([], DOSE_RESPONSE))
    kinds = indicator_kinds(read(con, INDICATORS_SQL)["indicator"].tolist())
    prepare(con)
    presence = load_presence(con)
    if presence.empty:
        empty.notes.append("indicator_observations has no rows with a value.")
        return empty
    with_comparison, notes = programme_waves(presence)
    visible = load_visible(con)
    change, participant_blocks = fit_change(con, kinds)
    paired = fit_paired(con, kinds)
    did = fit_did(con, kinds, participant_blocks)
    attrition, for_paired = attrition_rows(con, kinds, visible, min_cell)
    breakdowns = read(con, sql("breakdowns"))
    plan = _plan(breakdowns, change, paired, did)
    blocked = paired_blocked(paired, visible, min_cell)
    rows = estimate_rows(plan, kinds, load_spread(con), visible, with_comparison, for_paired, blocked, min_cell)
    estimates = frame(decide(rows, config or ClaimsConfig()).to_dict("records"), IMPACT_ESTIMATES)
    dose = dose_rows(con, kinds, visible, min_cell)
    if read(con, KNOWN_DOSES_SQL)["n"][0] == 0:
        notes.append("No attendance registers for the people interviewed twice, so no dose-response.")
    return ImpactTables(estimates, frame(attrition, ATTRITION), frame(dose, DOSE_RESPONSE), notes)
