"""Who was lost between waves, and whether they differed at baseline.

A baseline respondent is *lost* at a follow-up wave when the survey has no interview
of them in that wave (whether or not they answered every item). Per programme, arm
and follow-up wave: how many were lost, and for each indicator the baseline value of
those lost minus that of those retained — a contrast of two cell means with the same
engine as every other estimate (CR2, groups as clusters for participants; comparison
respondents are clusters of one), tested only when the participants span at least
``MIN_CLUSTERS`` named groups. A clear difference means paired estimates describe a
selected group: the note beside the programme's paired estimate says so. Nor is it
tested when everyone on one side sits at an end of the scale (all or none of the few
lost have the indicator): that side shows no spread, and the test would take its
figure as exact, which on a handful of people it is not (a comparison group losing 5
of 40 at random gave p = 0.0003 for "all 5 lonely" against 40 % of those retained).

Counts follow the suppression rule: lost and retained add up to the baseline count,
so when either is under `min_cell` (and not 0) both are withheld (NULL, and no number
in words) and so is the percentage lost; a baseline count under `min_cell` is withheld
too. Lost and retained are counted per programme, arm and wave only: an indicator's
row carries its baseline count (its visible cell) and no split, since with the paired
size beside it the split would give away the few people interviewed again without a
value. An indicator row whose programme baseline cell is suppressed in `indicators`
gives nothing at all, since its counts and means would undo that.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from pipelines.impact.inputs import ATTRITION_BLOCKS_SQL, ATTRITION_COUNTS_SQL, read, visible_key
from pipelines.impact.fits import bounds
from pipelines.impact.rules import ALL, PARTICIPANT, raw_bounds, scale, shown, unit
from pipelines.impact.sentences import count, digits, number, unit_word
from pipelines.impact.verdict import Untested, untested
from pipelines.inference import Singletons
from pipelines.inference.frames import estimate_codes, estimate_index, fit_contrasts

KEYS = ["programme_id", "arm", "wave", "indicator"]
LOST_MINUS_RETAINED = np.array([-1.0, 1.0])  # cell 0 retained, cell 1 lost
SUPPRESSED_NOTE = ("Not compared: the programme's baseline cell is suppressed in the indicators table to "
                   "protect a small neighbouring cell.")
AT_AN_END = Untested(
    "Described, not tested: everyone lost, or everyone retained, is at the same end of the scale, so that side "
    "shows no spread and a test would take its figure as exact.",
    "one side is all at an end of the scale",
)


def at_an_end(means: tuple[float, float], ends: tuple[float, float]) -> Untested | None:
    """``AT_AN_END`` when either side's mean is the lowest or highest value an answer can
    take (in raw units: a share's 0 or 1), where every answer of that side is alike."""
    low, high = ends
    return AT_AN_END if any(math.isclose(m, low) or m <= low or math.isclose(m, high) or m >= high
                            for m in means) else None


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


def lost_withheld_sentence(n_baseline: int, wave: str) -> str:
    """The arm's sentence once ``disclosure.impact.protect`` has hidden its lost count: with
    the published cells, the split would pin a small count elsewhere."""
    return (f"How many of {count(n_baseline, 'baseline respondent')} were not interviewed at {wave} is "
            f"withheld to protect a small count.")


def _singletons(frame: pd.DataFrame, codes: np.ndarray) -> Singletons:
    """Comparison respondents (no group): one pattern per cell, lost or retained."""
    rows, cell = len(frame), frame["cell"].to_numpy(int)
    members = np.zeros((rows, 2), bool)
    members[np.arange(rows), cell] = True
    total = np.zeros((rows, 2))
    total[np.arange(rows), cell] = frame["total"]
    cross = np.zeros((rows, 2, 2))
    cross[np.arange(rows), cell, cell] = frame["sumsq"]
    return Singletons(codes, members, frame["n"].to_numpy(float), total, cross)


def fit_attrition(blocks: pd.DataFrame, kinds: pd.DataFrame) -> pd.DataFrame:
    """Lost minus retained per KEYS, from attrition_blocks."""
    index = estimate_index(KEYS, blocks)
    grouped = blocks["cluster"].notna()
    singles = blocks[~grouped]
    return fit_contrasts(index, blocks[grouped], 2, LOST_MINUS_RETAINED, *bounds(index, kinds),
                         singles=_singletons(singles, estimate_codes(index, singles)))


def compare(kind: str, fit, min_cell: int, ends: tuple[float, float]) -> dict:
    """Baseline values of the lost against the retained, and the note; values NULL below
    min_cell. ``ends``: the range of one answer in raw units (``rules.raw_bounds``)."""
    lost, kept = int(fit.n1), int(fit.n0)
    out = {"baseline_retained": math.nan, "baseline_lost": math.nan, "difference": math.nan, "ci_low": math.nan,
           "ci_high": math.nan, "p_value": math.nan, "se": math.nan, "df": math.nan, "n_clusters": None,
           "clustering": None}
    if lost == 0:
        return {**out, "note": "Nobody was lost."}
    if min(lost, kept) < min_cell:
        return {**out, "note": f"Lost and retained not compared at baseline: each needs at least {min_cell} people."}
    factor = scale(kind)
    out.update(baseline_retained=fit.mean0 * factor, baseline_lost=fit.mean1 * factor,
               difference=fit.estimate * factor)
    participants = fit.arm == PARTICIPANT
    why = (untested(single_group=False, n_groups=fit.n_groups if participants else math.inf, se=fit.se)
           or at_an_end((fit.mean0, fit.mean1), ends))
    d = digits(kind, out["difference"])
    direction = "higher" if out["difference"] > 0 else "lower"
    if why:
        out["note"] = (f"Those lost started {number(abs(out['difference']), d)} {unit_word(kind)} {direction} than "
                       f"those retained. {why.note}")
        return out
    out.update(ci_low=fit.ci_low * factor, ci_high=fit.ci_high * factor, p_value=fit.p_value, se=fit.se * factor,
               df=fit.df, n_clusters=int(fit.n_group_clusters if participants else fit.n_clusters),
               clustering="group" if participants else "person")
    d = digits(kind, out["difference"], out["ci_low"], out["ci_high"])
    ci = f"95% CI {number(out['ci_low'], d)} to {number(out['ci_high'], d)}"
    if out["ci_low"] <= 0 <= out["ci_high"]:
        out["note"] = (f"No clear baseline difference between those lost and those retained "
                       f"({number(out['difference'], d, signed=True)} {unit_word(kind)}, {ci}).")
    else:
        out["note"] = (f"Those lost started {number(abs(out['difference']), d)} {unit_word(kind)} {direction} than "
                       f"those retained ({ci}).")
    return out


def attrition_rows(con: duckdb.DuckDBPyConnection, kinds: pd.DataFrame, visible: frozenset,
                   min_cell: int) -> tuple[list[dict], dict]:
    """The attrition table's rows, and per (programme, wave, indicator) what the note beside
    the participants' paired estimate needs (``change.paired_row``)."""
    counts = read(con, ATTRITION_COUNTS_SQL)
    blocks = read(con, ATTRITION_BLOCKS_SQL)
    fits = fit_attrition(blocks, kinds) if len(blocks) else pd.DataFrame(columns=KEYS)
    by_wave = {key: part for key, part in fits.groupby(["programme_id", "arm", "wave"], sort=False)}
    rows: list[dict] = []
    for_paired: dict = {}
    for c in counts.itertuples(index=False):
        rows.append({"programme_id": c.programme_id, "arm": c.arm, "wave": c.wave, "indicator": ALL, "unit": None,
                     **split_counts(c.n_baseline, c.n_lost, min_cell),
                     "note": lost_sentence(c.n_baseline, c.n_lost, c.wave, min_cell)})
        for fit in by_wave.get((c.programme_id, c.arm, c.wave), pd.DataFrame(columns=KEYS)).itertuples(index=False):
            kind = kinds.loc[fit.indicator, "kind"]
            row = {"programme_id": c.programme_id, "arm": c.arm, "wave": c.wave, "indicator": fit.indicator,
                   "unit": unit(kind)}
            if visible_key(fit.indicator, c.programme_id, c.arm, "baseline") not in visible:
                rows.append({**row, "note": SUPPRESSED_NOTE})
                continue
            n_baseline, n_lost = int(fit.n0 + fit.n1), int(fit.n1)
            # An indicator's own lost and retained counts are not published: with its paired
            # size and the visible wave cells they difference to the people interviewed again
            # without a value, often a handful. Its baseline count is the visible cell's.
            ends = raw_bounds(kind, kinds.loc[fit.indicator, "scale_min"], kinds.loc[fit.indicator, "scale_max"])
            row.update(n_baseline=shown(n_baseline, min_cell), **compare(kind, fit, min_cell, ends))
            rows.append(row)
            if c.arm == PARTICIPANT:
                for_paired[(c.programme_id, c.wave, fit.indicator)] = {
                    "lost_sentence": lost_sentence(c.n_baseline, c.n_lost, c.wave, min_cell), "note": row["note"],
                    "retained_raw": int(fit.n0), "n_lost_raw": n_lost,
                    "arm_baseline": int(c.n_baseline), "arm_retained": int(c.n_baseline - c.n_lost)}
    return rows, for_paired
