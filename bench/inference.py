"""Coverage study: do the published intervals cover the truth 95 % of the time?

Simulated programmes (bench/inference_sim.py) go through the same estimator code the
pipeline uses (``pipelines.inference``): the CR2 engine on per-(group, cell)
aggregates, the scale-respecting level intervals, the t test of a contrast, and the
dose stage's ``tertiles`` and ``fit_dose``. For every setting — outcome (shares at 30,
5 and 95 %, UCLA-3-like, WHO-5-like, sessions per participant), number of groups, ICC,
programme effect zero or not — it reports, per design and method, the share of
replicates whose interval covers the true value, how often the test rejects
(false positives under a zero effect, power otherwise) and the mean interval width.
Today's methods, which treat people as independent, are the contrast column.

Designs: the participants' baseline level; change, paired change, DiD; the attrition
difference; the dose trend and each attendance third's mean change (thirds pooled);
a single group's own cell and the comparison arm's cell (independent people); and an
age band's level, paired change and DiD (a random third of the people). Each is counted
only where the pipeline publishes it (``MIN_CLUSTERS`` groups, ``min_cell`` people).

    python -m bench.inference            # the full study (make bench-inference)
    python -m bench.inference --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import platform
import subprocess
import time
from datetime import datetime, timezone
from multiprocessing import Pool, cpu_count
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from bench.inference_sim import EFFECT, OUTCOMES, SESSIONS, Sample, family, group_truth, independent_difference
from bench.inference_sim import paired_naive, simulate, truths, wilson_or_t
from pipelines.impact.attrition import at_an_end
from pipelines.impact.dose import fit_dose, tertiles
from pipelines.inference import MIN_CLUSTERS, Blocks, Singletons, contrast_range, cr2, level_interval, t_test
from pipelines.inference.levels import SHARE, effective_n, wilson

OUT = Path(__file__).parent / "out"
GROUPS = (3, 4, 8, 20, 60)
ICCS = (0.0, 0.05, 0.2)
PUBLISHED = "cr2"  # the method the pipeline publishes, in every design
REPS = 2500  # a coverage of 95 % measured to ±0.9 points; the full study in about 7 minutes on 2 cores
MIN_CELL = 5  # the default min_cell: no estimate from a smaller cell, no dose with a smaller third


def _cell_stats(rep, cell, y, reps, cells):
    """n, mean, sd (ddof 1) per replicate and cell (reps × cells)."""
    key = rep * cells + cell
    n = np.bincount(key, minlength=reps * cells).reshape(reps, cells).astype(float)
    s = np.bincount(key, y, reps * cells).reshape(reps, cells)
    mean = s / np.maximum(n, 1)
    dev = np.bincount(key, (y - mean.ravel()[key]) ** 2, reps * cells).reshape(reps, cells)
    return n, mean, np.sqrt(dev / np.maximum(n - 1, 1))


def _contrast(weights, blocks, singles, low, high, rho=None):
    fit = cr2(weights, blocks, singles, rho=rho)
    lower, upper = contrast_range(weights, low, high)
    ci_low, ci_high, p = t_test(fit.estimate, fit.se, fit.df, lower, upper)
    return fit.estimate, ci_low, ci_high, p


def level(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    base = s.participant & (s.post == 0)
    blocks = Blocks.from_observations(s.rep[base], s.group[base], np.zeros(base.sum(), int), s.y[base])
    fit = cr2(np.ones((reps, 1)), blocks)
    mean, n, var = fit.cell_mean[:, 0], fit.cell_n[:, 0], fit.se**2
    share = family(outcome) == SHARE
    out = {PUBLISHED: (*level_interval(family(outcome), mean, n, var, fit.df, True, low, high), None)}
    if share:
        out["kg_capped"] = (*wilson(mean, effective_n(mean, var, n, fit.df, cap=True)), None)
    _, m, sd = _cell_stats(s.rep[base], np.zeros(base.sum(), int), s.y[base], reps, 1)
    out["naive"] = (*wilson_or_t(share, m[:, 0], n, sd[:, 0]), None)
    return out


def change(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    part = s.participant
    blocks = Blocks.from_observations(s.rep[part], s.group[part], s.post[part], s.y[part])
    w = np.tile([-1.0, 1.0], (reps, 1))
    out = {}
    for name, rho in ((PUBLISHED, None), ("cr2_bm", 0.0)):
        _, lo, hi, p = _contrast(w, blocks, None, low, high, rho)
        out[name] = (lo, hi, p)
    n, m, sd = _cell_stats(s.rep[part], s.post[part], s.y[part], reps, 2)
    share = family(outcome) == SHARE
    out["naive"] = independent_difference(share, m[:, 0], n[:, 0], sd[:, 0], m[:, 1], n[:, 1], sd[:, 1])
    return out


def _pairs(s: Sample):
    """Per participant seen in both waves, in programme order: rep, group, follow-up minus
    baseline, dose, the two answers, and whether they are in the breakdown studied."""
    part = s.participant
    size = s.person.max() + 1
    y = np.full((size, 2), np.nan)
    y[s.person[part], s.post[part]] = s.y[part]
    both = np.flatnonzero(~np.isnan(y).any(1))
    info = np.zeros((size, 4))
    info[s.person[part]] = np.column_stack([s.rep[part], s.group[part], s.sessions[part], s.band[part]])
    return (info[both, 0].astype(int), info[both, 1].astype(int), y[both, 1] - y[both, 0], info[both, 2],
            y[both], info[both, 3].astype(bool))


def _groups(rep, group, reps, groups) -> np.ndarray:
    """Per replicate, the groups with at least one of the observations."""
    seen = np.zeros((reps, groups), bool)
    seen[rep, group] = True
    return seen.sum(1)


def _shown(shown, low, high, p=None):
    """The interval (and p) where the pipeline publishes one, NaN elsewhere."""
    hide = lambda x: None if x is None else np.where(shown, x, np.nan)  # noqa: E731
    return hide(low), hide(high), hide(p)


def paired(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    rep, group, diff, _, wide, _ = _pairs(s)
    blocks = Blocks.from_observations(rep, group, np.zeros(len(rep), int), diff)
    _, lo, hi, p = _contrast(np.ones((reps, 1)), blocks, None, low - high, high - low)
    n, m, sd = _cell_stats(rep, np.zeros(len(rep), int), diff, reps, 1)
    gained = np.bincount(rep, (wide[:, 1] > wide[:, 0]).astype(float), reps)
    lost = np.bincount(rep, (wide[:, 1] < wide[:, 0]).astype(float), reps)
    share = family(outcome) == SHARE
    return {PUBLISHED: (lo, hi, p), "naive": paired_naive(share, gained, lost, n[:, 0], m[:, 0], sd[:, 0])}


def did(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    cell = np.where(s.participant, 1, 0) + 2 * s.post  # comparison base, participant base, comparison fu, participant fu
    part = s.participant
    blocks = Blocks.from_observations(s.rep[part], s.group[part], cell[part], s.y[part])
    singles = Singletons.from_observations(s.rep[~part], s.person[~part], cell[~part], s.y[~part], 4)
    w = np.tile([1.0, -1.0, -1.0, 1.0], (reps, 1))
    out = {}
    for name, rho in ((PUBLISHED, None), ("cr2_bm", 0.0)):
        _, lo, hi, p = _contrast(w, blocks, singles, low, high, rho)
        out[name] = (lo, hi, p)
    out["naive"] = _did_person_cr1(s, cell, reps, w[0])
    return out


def _did_person_cr1(s: Sample, cell, reps, w):
    """Today's DiD with fewer than 20 groups: OLS, CR1 clustered by person, t with G − 1 df."""
    n, mean, _ = _cell_stats(s.rep, cell, s.y, reps, 4)
    est = (mean * w).sum(1)
    resid = s.y - mean[s.rep, cell]
    u = np.bincount(s.person, w[cell] * resid / n[s.rep, cell], s.person.max() + 1)
    owner = np.zeros(s.person.max() + 1, int)
    owner[s.person] = s.rep
    seen = np.bincount(s.person, minlength=len(owner)) > 0
    clusters = np.bincount(owner[seen], minlength=reps).astype(float)
    obs = n.sum(1)
    var = np.bincount(owner[seen], u[seen] ** 2, reps) * clusters / (clusters - 1) * (obs - 1) / (obs - 4)
    se = np.sqrt(var)
    half = stats.t.ppf(0.975, clusters - 1) * se
    return est - half, est + half, 2 * stats.t.sf(np.abs(est) / se, clusters - 1)


def attrition(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    seen_later = np.zeros(s.person.max() + 1, bool)
    seen_later[s.person[s.post == 1]] = True
    base = s.participant & (s.post == 0)
    lost = (~seen_later[s.person[base]]).astype(int)
    blocks = Blocks.from_observations(s.rep[base], s.group[base], lost, s.y[base])
    _, lo, hi, p = _contrast(np.tile([-1.0, 1.0], (reps, 1)), blocks, None, low, high)
    n, m, sd = _cell_stats(s.rep[base], lost, s.y[base], reps, 2)
    # attrition.compare: both sides need min_cell people, and neither may sit at an end of the scale
    shown = (n.min(1) >= MIN_CELL) & np.array([at_an_end((a, b), (low, high)) is None for a, b in m])
    return {PUBLISHED: _shown(shown, lo, hi, p),
            "naive": independent_difference(family(outcome) == SHARE, m[:, 0], n[:, 0], sd[:, 0], m[:, 1], n[:, 1],
                                            sd[:, 1])}


def _independent_level(rep, y, reps, outcome):
    """A cell of independent people as ``indicators`` gives it: s²/n with n − 1 df, and
    plain Wilson for a share (``pipelines.indicators.intervals``)."""
    _, low, high, _ = OUTCOMES[outcome]
    n, m, sd = (x[:, 0] for x in _cell_stats(rep, np.zeros(len(rep), int), y, reps, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, sd**2 / n, np.nan)
    return level_interval(family(outcome), m, n, variance, np.where(n > 1, n - 1, np.nan), False, low, high)


def level_group(s: Sample, reps, outcome):
    """A single group's own cell (group 0 at baseline): it describes that group's people,
    so the truth is its own expected value, given the group's shocks."""
    cell = s.participant & (s.post == 0) & (s.group == 0)
    low, high = _independent_level(s.rep[cell], s.y[cell], reps, outcome)
    return {PUBLISHED: (low, high, None), "truth": group_truth(outcome, s.shift[:, 0, 0], s.icc)}


def level_comparison(s: Sample, reps, outcome):
    """The comparison arm's baseline cell: individuals with no group."""
    cell = ~s.participant & (s.post == 0)
    return {PUBLISHED: (*_independent_level(s.rep[cell], s.y[cell], reps, outcome), None)}


def level_breakdown(s: Sample, reps, outcome):
    """The participants' baseline cell of one age band: clustered, fewer people per group."""
    _, low, high, _ = OUTCOMES[outcome]
    cell = s.participant & (s.post == 0) & s.band
    blocks = Blocks.from_observations(s.rep[cell], s.group[cell], np.zeros(cell.sum(), int), s.y[cell])
    fit = cr2(np.ones((reps, 1)), blocks)
    mean, n = fit.cell_mean[:, 0], fit.cell_n[:, 0]
    interval = level_interval(family(outcome), mean, n, fit.se**2, fit.df, True, low, high)
    shown = (_groups(s.rep[cell], s.group[cell], reps, s.group.max() + 1) >= MIN_CLUSTERS) & (n >= MIN_CELL)
    return {PUBLISHED: _shown(shown, *interval)}


def paired_breakdown(s: Sample, reps, outcome):
    """Paired change of one age band."""
    _, low, high, _ = OUTCOMES[outcome]
    rep, group, diff, _, _, band = _pairs(s)
    rep, group, diff = rep[band], group[band], diff[band]
    blocks = Blocks.from_observations(rep, group, np.zeros(len(rep), int), diff)
    _, lo, hi, p = _contrast(np.ones((reps, 1)), blocks, None, low - high, high - low)
    shown = ((_groups(rep, group, reps, s.group.max() + 1) >= MIN_CLUSTERS)
             & (np.bincount(rep, minlength=reps) >= MIN_CELL))
    return {PUBLISHED: _shown(shown, lo, hi, p)}


def did_breakdown(s: Sample, reps, outcome):
    """DiD of one age band: its participants against the comparison arm's same band."""
    _, low, high, _ = OUTCOMES[outcome]
    cell = np.where(s.participant, 1, 0) + 2 * s.post
    part, comp = s.participant & s.band, ~s.participant & s.band
    blocks = Blocks.from_observations(s.rep[part], s.group[part], cell[part], s.y[part])
    singles = Singletons.from_observations(s.rep[comp], s.person[comp], cell[comp], s.y[comp], 4)
    _, lo, hi, p = _contrast(np.tile([1.0, -1.0, -1.0, 1.0], (reps, 1)), blocks, singles, low, high)
    cells = np.bincount(s.rep[s.band] * 4 + cell[s.band], minlength=reps * 4).reshape(reps, 4)
    shown = (_groups(s.rep[part], s.group[part], reps, s.group.max() + 1) >= MIN_CLUSTERS) & (
        cells.min(1) >= MIN_CELL)
    return {PUBLISHED: _shown(shown, lo, hi, p)}


def _thirds(rep, sessions, reps) -> np.ndarray:
    """Each pair's attendance third (1–3), drawn per programme by the pipeline's ``tertiles``
    on whole sessions (ties never split, as in a register)."""
    assert (np.diff(rep) >= 0).all()
    sessions = np.maximum(np.rint(sessions), 0.0)
    ends = np.cumsum(np.bincount(rep, minlength=reps))[:-1]
    return np.concatenate([tertiles(pd.Series(x)).to_numpy(int) for x in np.split(sessions, ends)])


_dose_cache: list = [None, None]


def _dose(s: Sample, reps, outcome):
    """(pairs, thirds, per-third fits, trend fits) by the dose stage's ``fit_dose`` on
    dose_blocks-like aggregates; computed once per sample."""
    if _dose_cache[0] is s:
        return _dose_cache[1]
    _, low, high, trials = OUTCOMES[outcome]
    pairs = _pairs(s)
    rep, group, diff = pairs[:3]
    third = _thirds(rep, pairs[3], reps)
    groups = s.group.max() + 1
    key = (rep * 3 + third - 1) * groups + group
    used = np.unique(key)
    n = np.bincount(key)[used].astype(float)
    total = np.bincount(key, diff)[used]
    ss = np.maximum(np.bincount(key, diff**2)[used] - total**2 / n, 0)  # as dose_blocks.sql
    k_rep, rest = np.divmod(used, 3 * groups)
    blocks = pd.DataFrame({"programme_id": k_rep, "wave": "follow_up", "indicator": outcome,
                           "tertile": rest // groups + 1, "cluster": k_rep * groups + rest % groups, "cell": 0,
                           "n": n, "total": total, "ss": ss, "unknown_group": False})
    factor = 100.0 if trials is None else 1.0
    kinds = pd.DataFrame({"kind": ["share" if trials is None else "mean"], "scale_min": [low * factor],
                          "scale_max": [high * factor]}, index=[outcome])
    thirds, trend = fit_dose(blocks, kinds)
    # dose is all or nothing: every third needs min_cell people (dose.dose_rows)
    whole = thirds.groupby("programme_id")["n0"].min().reindex(range(reps)).to_numpy() >= MIN_CELL
    _dose_cache[:] = [s, (pairs, third, thirds, trend, whole)]
    return _dose_cache[1]


def dose_third(s: Sample, reps, outcome):
    """Mean change within each attendance third, as the dose table and chart publish it
    (an interval when the third spans ``MIN_CLUSTERS`` groups); all thirds pooled."""
    _, thirds_of, thirds, _, whole = _dose(s, reps, outcome)
    shown = (thirds["n_groups"].to_numpy() >= MIN_CLUSTERS) & whole[thirds["programme_id"].to_numpy()]
    return {PUBLISHED: _shown(shown, thirds["ci_low"].to_numpy(), thirds["ci_high"].to_numpy())}


def dose_trend(s: Sample, reps, outcome):
    """Thirds of attendance within each programme; the slope of change on the third."""
    (rep, group, diff, *_), third, thirds, trend, whole = _dose(s, reps, outcome)
    trend = trend.set_index("programme_id").reindex(range(reps))
    n_thirds = thirds.groupby("programme_id").size().reindex(range(reps)).to_numpy()
    shown = (n_thirds >= 2) & (trend["n_groups"].to_numpy() >= MIN_CLUSTERS) & whole
    lo, hi, p = _shown(shown, trend["ci_low"].to_numpy(), trend["ci_high"].to_numpy(), trend["p_value"].to_numpy())
    # today's: OLS of change on the third's rank, HC1 errors, normal p (statsmodels' default)
    size = np.bincount(rep, minlength=reps)
    x = third.astype(float)
    xbar = np.bincount(rep, x, reps) / size
    dx = x - xbar[rep]
    sxx = np.bincount(rep, dx**2, reps)
    with np.errstate(divide="ignore", invalid="ignore"):  # a single third: no slope
        slope = np.bincount(rep, dx * diff, reps) / sxx
        ybar = np.bincount(rep, diff, reps) / size
        e = diff - ybar[rep] - slope[rep] * dx
        se = np.sqrt(size / (size - 2) * np.bincount(rep, dx**2 * e**2, reps)) / sxx
    z = stats.norm.ppf(0.975)
    with np.errstate(divide="ignore", invalid="ignore"):  # no change in a replicate: no interval
        naive = (slope - z * se, slope + z * se, 2 * stats.norm.sf(np.abs(slope) / se))
    return {PUBLISHED: (lo, hi, p), "naive": naive}


DESIGNS = {"level": level, "change": change, "paired_change": paired, "did": did, "attrition": attrition,
           "dose_trend": dose_trend, "dose_third": dose_third, "level_group": level_group,
           "level_comparison": level_comparison, "level_breakdown": level_breakdown,
           "paired_breakdown": paired_breakdown, "did_breakdown": did_breakdown}
# designs whose truth does not move with the programme effect: simulated at effect 0 only
NO_EFFECT = {"level", "attrition", "dose_trend", "level_group", "level_comparison", "level_breakdown"}
# cells of independent people: published whatever the number of groups
INDEPENDENT = {"level_group", "level_comparison"}
# what the pipeline publishes for sessions per participant: levels of participants' cells
SESSIONS_DESIGNS = {"level", "level_group", "level_breakdown"}


def evaluate(task: tuple) -> list[dict]:
    outcome, groups, icc, effect, reps, seed = task
    rng = np.random.default_rng(seed)
    sample = simulate(rng, reps, groups, icc, outcome, effect)
    truth = truths(outcome, effect)
    rows = []
    for design, run in DESIGNS.items():
        if effect and design in NO_EFFECT or outcome == SESSIONS and design not in SESSIONS_DESIGNS:
            continue
        intervals = run(sample, reps, outcome)
        target = intervals.pop("truth", truth.get(design))
        for method, (low, high, p) in intervals.items():
            ok = np.isfinite(low) & np.isfinite(high)
            covered = (low <= target + 1e-12) & (target - 1e-12 <= high)
            rows.append({
                "design": design, "outcome": outcome, "groups": groups, "icc": icc, "effect": effect > 0,
                "method": method, "reps": int(ok.sum()), "coverage": float(covered[ok].mean()),
                "rejects": float(np.mean(p[ok] < 0.05)) if p is not None else np.nan,
                "width": float(np.mean(high[ok] - low[ok])),
                "refused": method == PUBLISHED and groups < MIN_CLUSTERS and design not in INDEPENDENT,
            })
    return rows


def tasks(reps: int, quick: bool) -> list[tuple]:
    groups = (3, 4, 8) if quick else GROUPS
    iccs = (0.0, 0.2) if quick else ICCS
    grid = itertools.product(OUTCOMES, groups, iccs, (0.0, EFFECT))
    return [(o, g, i, e, reps, 1000 + k) for k, (o, g, i, e) in enumerate(grid) if not (o == SESSIONS and e)]


def run(reps: int, quick: bool = False, workers: int = 2) -> pd.DataFrame:
    jobs = sorted(tasks(reps, quick), key=lambda t: -t[1])  # the slowest (most groups) first
    with Pool(workers) as pool:
        rows = [r for chunk in pool.imap_unordered(evaluate, jobs) for r in chunk]
    return pd.DataFrame(rows).sort_values(["design", "outcome", "groups", "icc", "effect", "method"])


METHOD_NAMES = {
    "cr2": "the published interval: CR2 + Satterthwaite df (working model), levels inside the scale "
           "(Korn–Graubard Wilson, bounded Wilson, log t); for a single group's or the comparison arm's "
           "cell, the independent-cell interval (Wilson, bounded Wilson or log t on s²/n, n − 1 df)",
    "cr2_bm": "CR2 + Bell–McCaffrey df (ρ = 0)",
    "kg_capped": "Korn–Graubard Wilson, design effect capped at 1",
    "naive": "today's method (people independent)",
}
NAIVE = {
    "level": "Wilson / t",
    "change": "Agresti–Caffo / Welch",
    "paired_change": "Agresti–Min + McNemar / paired t",
    "did": "OLS, clustered by person",
    "attrition": "Agresti–Caffo / Welch",
    "dose_trend": "OLS slope, HC1",
}


def _pct(x: float) -> str:
    return "" if pd.isna(x) else f"{100 * x:.1f}"


def wide(results: pd.DataFrame) -> pd.DataFrame:
    """One row per design, outcome, groups and ICC; coverage and rejections per method."""
    keys = ["design", "outcome", "groups", "icc"]
    out = results[keys].drop_duplicates().set_index(keys)
    for (method, effect), part in results.groupby(["method", "effect"]):
        part = part.set_index(keys)
        tag = "effect" if effect else "null"
        out[f"{method} coverage ({tag})"] = part["coverage"]
        out[f"{method} rejects ({tag})"] = part["rejects"]
    return out.reset_index()


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per design and number of groups: the published method's range over every setting."""
    rows = []
    for (design, groups), part in results.groupby(["design", "groups"], sort=False):
        pub, naive = part[part["method"] == PUBLISHED], part[part["method"] == "naive"]
        null = pub[~pub["effect"]]
        rows.append({
            "design": design, "groups": groups,
            "published": "refused" if groups < MIN_CLUSTERS and design not in INDEPENDENT else "yes",
            "coverage min": _pct(pub["coverage"].min()), "coverage max": _pct(pub["coverage"].max()),
            "false positives max": _pct(null["rejects"].max()),
            "power (effect) min–max": (f"{_pct(pub.loc[pub['effect'], 'rejects'].min())}–"
                                       f"{_pct(pub.loc[pub['effect'], 'rejects'].max())}"
                                       if pub.loc[pub["effect"], "rejects"].notna().any() else ""),
            f"today's method: coverage min": _pct(naive["coverage"].min()),
            "today's false positives max": _pct(naive.loc[~naive["effect"], "rejects"].max()),
        })
    order = {d: i for i, d in enumerate(DESIGNS)}
    return pd.DataFrame(rows).sort_values(["design", "groups"], key=lambda s: s.map(order) if s.name == "design" else s)


def by_outcome(results: pd.DataFrame) -> pd.DataFrame:
    """Per design and outcome: the published method's coverage, min–max over every setting
    where the pipeline publishes it (ICC, groups, scenario), and its largest false-positive
    rate (under no effect, where there is a test)."""
    pub = results[(results["method"] == PUBLISHED) & ~results["refused"]]
    rows = []
    for (design, outcome), part in pub.groupby(["design", "outcome"], sort=False):
        null = part.loc[~part["effect"], "rejects"]
        rows.append({"design": design, "outcome": outcome,
                     "coverage": f"{_pct(part['coverage'].min())}–{_pct(part['coverage'].max())}",
                     "false positives max": _pct(null.max()) if null.notna().any() else ""})
    table = pd.DataFrame(rows)
    coverage = table.pivot(index="design", columns="outcome", values="coverage")
    fp = table.groupby("design")["false positives max"].agg(lambda s: max(s, key=lambda x: float(x or -1)))
    coverage = coverage.reindex(index=[d for d in DESIGNS if d in coverage.index],
                                columns=[o for o in OUTCOMES if o in coverage.columns]).fillna("")
    return coverage.assign(**{"false positives max": fp}).reset_index()


def by_icc(results: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per design and method, coverage min–max at each ICC over ``outcomes``, group counts
    and scenarios, wherever the pipeline publishes the design."""
    part = results[results["outcome"].isin(outcomes) & ~results["refused"]
                   & ((results["groups"] >= MIN_CLUSTERS) | results["design"].isin(INDEPENDENT))]
    rows = []
    for design in DESIGNS:
        for method in METHOD_NAMES:
            cells = part[(part["design"] == design) & (part["method"] == method)]
            if cells.empty:
                continue
            row = {"design": design, "method": method}
            for icc in ICCS:
                at = cells.loc[cells["icc"] == icc, "coverage"]
                row[f"ICC {icc:g}"] = f"{_pct(at.min())}–{_pct(at.max())}" if len(at) else ""
            rows.append(row)
    return pd.DataFrame(rows)


def outside(results: pd.DataFrame, low: float = 0.93, high: float = 0.97) -> pd.DataFrame:
    """The published settings whose coverage falls outside the target."""
    pub = results[(results["method"] == PUBLISHED) & ~results["refused"]]
    miss = pub[(pub["coverage"] < low) | (pub["coverage"] > high)]
    return miss[["design", "outcome", "groups", "icc", "effect", "reps", "coverage", "rejects"]].assign(
        coverage=miss["coverage"].map(_pct), rejects=miss["rejects"].map(_pct))


def provenance() -> str:
    """The commit the figures come from (with '+changes' when the tree differs) and the date."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent).stdout
    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    dirty = "+changes" if git("status", "--porcelain", "--untracked-files=no").strip() else ""
    return f"commit {commit}{dirty}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"


def report(results: pd.DataFrame, reps: int, seconds: float, command: str, stamp: str) -> str:
    detail = wide(results)
    for column in detail.columns[4:]:
        detail[column] = detail[column].map(_pct)
    detail = detail.loc[:, (detail != "").any()]
    lines = [
        "# Coverage study of the published intervals",
        "",
        f"`{command}` — {stamp}, {platform.machine()}, {cpu_count()} cores, {reps} replicates "
        f"per setting, {seconds / 60:.1f} minutes. Percentages; "
        f"'null' is a zero programme effect, 'effect' a latent effect of {EFFECT}. "
        f"Published intervals need at least {MIN_CLUSTERS} groups: rows with fewer are refused by "
        "the pipeline and shown here only to say why. Methods: "
        + "; ".join(f"`{k}` {v}" for k, v in METHOD_NAMES.items()) + ". Today's methods: "
        + "; ".join(f"{k}: {v}" for k, v in NAIVE.items()) + ".",
        "",
        "## Summary (published method, every outcome, ICC and effect)",
        "",
        summary(results).to_markdown(index=False),
        "",
        "## Published intervals by outcome (coverage min–max wherever published)",
        "",
        by_outcome(results).to_markdown(index=False),
        "",
        "## Coverage by ICC, shares of 30 % and the scores (wherever published)",
        "",
        by_icc(results, ["share", "ucla", "who5"]).to_markdown(index=False),
        "",
        "## Coverage by ICC, shares of 5 and 95 % (wherever published)",
        "",
        by_icc(results, ["share05", "share95"]).to_markdown(index=False),
        "",
        "## Published settings outside 93–97 %",
        "",
        outside(results).to_markdown(index=False) if len(outside(results)) else "None.",
        "",
        "## Every setting",
        "",
        detail.to_markdown(index=False),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=None, help="replicates per setting (default 2500; 300 quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer settings and replicates")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    reps = args.reps or (300 if args.quick else REPS)
    stamp = provenance()  # the code the run starts from, whatever is committed while it runs
    start = time.perf_counter()
    results = run(reps, args.quick, args.workers)
    seconds = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "inference.csv", index=False)
    command = "python -m bench.inference" + (" --quick" if args.quick else "") + (
        f" --reps {args.reps}" if args.reps else "")
    (args.out / "inference.md").write_text(report(results, reps, seconds, command, stamp), encoding="utf-8")
    print(summary(results).to_markdown(index=False))
    print(by_outcome(results).to_markdown(index=False))
    print(f"\n{len(results)} rows in {seconds:.0f} s; written to {args.out}/inference.md and inference.csv")


if __name__ == "__main__":
    main()
