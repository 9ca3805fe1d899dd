"""Coverage study: do the published intervals cover the truth 95 % of the time?

Simulated programmes (bench/inference_sim.py) go through the same estimator code the
pipeline uses (``pipelines.inference``): the CR2 engine on per-(group, cell)
aggregates, the scale-respecting level intervals, the t test of a contrast. For
every setting — outcome (share, UCLA-3-like, WHO-5-like), number of groups, ICC,
programme effect zero or not — it reports, per design and method, the share of
replicates whose interval covers the true value, how often the test rejects
(false positives under a zero effect, power otherwise) and the mean interval width.
Today's methods, which treat people as independent, are the contrast column.

    python -m bench.inference            # the full study (make bench-inference)
    python -m bench.inference --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from bench.inference_sim import EFFECT, OUTCOMES, Sample, independent_difference, paired_naive, simulate, truths
from bench.inference_sim import wilson_or_t
from pipelines.inference import MIN_CLUSTERS, Blocks, Singletons, contrast_range, cr2, level_interval, t_test
from pipelines.inference.levels import effective_n, wilson

OUT = Path(__file__).parent / "out"
GROUPS = (3, 4, 8, 20, 60)
ICCS = (0.0, 0.05, 0.2)
PUBLISHED = "cr2"  # the method the pipeline publishes, in every design


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
    share = outcome == "share"
    family = "share" if share else "bounded"
    out = {PUBLISHED: (*level_interval(family, mean, n, var, fit.df, True, low, high), None)}
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
    out["naive"] = independent_difference(outcome == "share", m[:, 0], n[:, 0], sd[:, 0], m[:, 1], n[:, 1], sd[:, 1])
    return out


def _pairs(s: Sample):
    """Per participant seen in both waves: rep, group, follow-up minus baseline, dose, and
    the two answers."""
    part = s.participant
    size = s.person.max() + 1
    y = np.full((size, 2), np.nan)
    y[s.person[part], s.post[part]] = s.y[part]
    both = np.flatnonzero(~np.isnan(y).any(1))
    info = np.zeros((size, 3))
    info[s.person[part]] = np.column_stack([s.rep[part], s.group[part], s.sessions[part]])
    return (info[both, 0].astype(int), info[both, 1].astype(int), y[both, 1] - y[both, 0], info[both, 2],
            y[both])


def paired(s: Sample, reps, outcome):
    _, low, high, _ = OUTCOMES[outcome]
    rep, group, diff, _, wide = _pairs(s)
    blocks = Blocks.from_observations(rep, group, np.zeros(len(rep), int), diff)
    _, lo, hi, p = _contrast(np.ones((reps, 1)), blocks, None, low - high, high - low)
    n, m, sd = _cell_stats(rep, np.zeros(len(rep), int), diff, reps, 1)
    gained = np.bincount(rep, (wide[:, 1] > wide[:, 0]).astype(float), reps)
    lost = np.bincount(rep, (wide[:, 1] < wide[:, 0]).astype(float), reps)
    return {PUBLISHED: (lo, hi, p), "naive": paired_naive(outcome == "share", gained, lost, n[:, 0], m[:, 0], sd[:, 0])}


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
    return {PUBLISHED: (lo, hi, p),
            "naive": independent_difference(outcome == "share", m[:, 0], n[:, 0], sd[:, 0], m[:, 1], n[:, 1], sd[:, 1])}


def dose_trend(s: Sample, reps, outcome):
    """Thirds of attendance within each programme; the slope of change on the third."""
    _, low, high, _ = OUTCOMES[outcome]
    rep, group, diff, sessions, _ = _pairs(s)
    order = np.lexsort((sessions, rep))
    size = np.bincount(rep, minlength=reps)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    position = np.empty(len(rep), int)
    position[order] = np.arange(len(rep)) - start[rep[order]]
    third = 3 * position // size[rep]  # 0, 1, 2
    n_t = np.bincount(rep * 3 + third, minlength=reps * 3).reshape(reps, 3).astype(float)
    ranks = np.array([1.0, 2.0, 3.0])
    centre = (n_t * ranks).sum(1, keepdims=True) / n_t.sum(1, keepdims=True)
    w = n_t * (ranks - centre) / (n_t * (ranks - centre) ** 2).sum(1, keepdims=True)
    blocks = Blocks.from_observations(rep, group, third, diff)
    fit = cr2(w, blocks)
    lower, upper = contrast_range(w, low - high, high - low)
    lo, hi, p = t_test(fit.estimate, fit.se, fit.df, lower, upper)
    # today's: OLS of change on the third's rank, HC1 errors, normal p (statsmodels' default)
    x = third + 1.0
    xbar = np.bincount(rep, x, reps) / size
    dx = x - xbar[rep]
    sxx = np.bincount(rep, dx**2, reps)
    slope = np.bincount(rep, dx * diff, reps) / sxx
    ybar = np.bincount(rep, diff, reps) / size
    e = diff - ybar[rep] - slope[rep] * dx
    se = np.sqrt(size / (size - 2) * np.bincount(rep, dx**2 * e**2, reps)) / sxx
    z = stats.norm.ppf(0.975)
    naive = (slope - z * se, slope + z * se, 2 * stats.norm.sf(np.abs(slope) / se))
    return {PUBLISHED: (lo, hi, p), "naive": naive}


DESIGNS = {"level": level, "change": change, "paired_change": paired, "did": did, "attrition": attrition,
           "dose_trend": dose_trend}
# designs whose truth does not move with the programme effect: simulated at effect 0 only
NO_EFFECT = {"level", "attrition", "dose_trend"}


def evaluate(task: tuple) -> list[dict]:
    outcome, groups, icc, effect, reps, seed = task
    rng = np.random.default_rng(seed)
    sample = simulate(rng, reps, groups, icc, outcome, effect)
    truth = truths(outcome, effect)
    rows = []
    for design, run in DESIGNS.items():
        if effect and design in NO_EFFECT:
            continue
        for method, (low, high, p) in run(sample, reps, outcome).items():
            ok = np.isfinite(low) & np.isfinite(high)
            covered = (low <= truth[design] + 1e-12) & (truth[design] - 1e-12 <= high)
            rows.append({
                "design": design, "outcome": outcome, "groups": groups, "icc": icc, "effect": effect > 0,
                "method": method, "reps": int(ok.sum()), "coverage": float(covered[ok].mean()),
                "rejects": float(np.mean(p[ok] < 0.05)) if p is not None else np.nan,
                "width": float(np.mean(high[ok] - low[ok])),
                "refused": method == PUBLISHED and groups < MIN_CLUSTERS,
            })
    return rows


def tasks(reps: int, quick: bool) -> list[tuple]:
    groups = (3, 4, 8) if quick else GROUPS
    iccs = (0.0, 0.2) if quick else ICCS
    grid = itertools.product(OUTCOMES, groups, iccs, (0.0, EFFECT))
    return [(o, g, i, e, reps, 1000 + k) for k, (o, g, i, e) in enumerate(grid)]


def run(reps: int, quick: bool = False, workers: int = 2) -> pd.DataFrame:
    jobs = sorted(tasks(reps, quick), key=lambda t: -t[1])  # the slowest (most groups) first
    with Pool(workers) as pool:
        rows = [r for chunk in pool.imap_unordered(evaluate, jobs) for r in chunk]
    return pd.DataFrame(rows).sort_values(["design", "outcome", "groups", "icc", "effect", "method"])


METHOD_NAMES = {
    "cr2": "CR2 + Satterthwaite df (working model)",
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
            "published": "refused" if groups < MIN_CLUSTERS else "yes",
            "coverage min": _pct(pub["coverage"].min()), "coverage max": _pct(pub["coverage"].max()),
            "false positives max": _pct(null["rejects"].max()),
            "power (effect) min–max": (f"{_pct(pub.loc[pub['effect'], 'rejects'].min())}–"
                                       f"{_pct(pub.loc[pub['effect'], 'rejects'].max())}"
                                       if pub["effect"].any() else ""),
            f"today's method: coverage min": _pct(naive["coverage"].min()),
            "today's false positives max": _pct(naive.loc[~naive["effect"], "rejects"].max()),
        })
    order = {d: i for i, d in enumerate(DESIGNS)}
    return pd.DataFrame(rows).sort_values(["design", "groups"], key=lambda s: s.map(order) if s.name == "design" else s)


def report(results: pd.DataFrame, reps: int, seconds: float, command: str) -> str:
    detail = wide(results)
    for column in detail.columns[4:]:
        detail[column] = detail[column].map(_pct)
    detail = detail.loc[:, (detail != "").any()]
    lines = [
        "# Coverage study of the published intervals",
        "",
        f"`{command}` — {reps} replicates per setting, {seconds / 60:.1f} minutes. Percentages; "
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
        "## Every setting",
        "",
        detail.to_markdown(index=False),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=None, help="replicates per setting (default 4000; 300 quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer settings and replicates")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    reps = args.reps or (300 if args.quick else 4000)
    start = time.perf_counter()
    results = run(reps, args.quick, args.workers)
    seconds = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    results.to_csv(args.out / "inference.csv", index=False)
    command = "python -m bench.inference" + (" --quick" if args.quick else "") + (
        f" --reps {args.reps}" if args.reps else "")
    (args.out / "inference.md").write_text(report(results, reps, seconds, command), encoding="utf-8")
    print(summary(results).to_markdown(index=False))
    print(f"\n{len(results)} rows in {seconds:.0f} s; written to {args.out}/inference.md and inference.csv")


if __name__ == "__main__":
    main()
