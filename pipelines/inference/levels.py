"""Intervals for a level — a share or a mean of one cell — that stay inside the scale.

A symmetric interval clipped at 0 % is not an interval, so the form follows the scale:

- **Shares**, independent people: the Wilson (1927) score interval.
- **Shares**, people clustered in groups: Korn & Graubard (1998, Survey Methodology
  24(2)): the effective sample size ``n_eff = p̂(1 − p̂) / V`` (V the CR2 variance),
  shrunk for the few degrees of freedom the variance rests on,
  ``n* = n_eff · (z / t_df)²``, then Wilson on ``(p̂, n*)``. At p̂ = 0 or 1 the
  variance is 0 and says nothing: n is used (design effect 1) with the same df
  shrinkage. Korn and Graubard also cap n_eff at n (design effect never below 1); on
  top of the df shrinkage that double-counts the uncertainty of a variance estimated
  from few groups: in the coverage study the capped interval covered 98–100 % with 3–4
  groups and up to 98.6 % with 8. Not capping gives 94–96 % in every setting
  (docs/impact.md, "Coverage study").
- **Bounded scores** (WHO-5 0–100, UCLA-3 3–9, an attendance rate): the mean is
  rescaled to 0–1 and the same effective-n Wilson interval is used, not capped at n
  (a score varies less than a 0/1 answer with the same mean: by the Bhatia–Davis
  inequality p̂(1 − p̂) bounds the variance of one answer). Where every answer is
  the same the spread is unknown and the largest one the scale allows is assumed, as
  for a share of 0 %.
- **Scores bounded on one side** (sessions per participant ≥ 1): a t interval for
  ``log(mean − min)``, by the delta method, mapped back.
- **Unbounded scores**: the t interval ``mean ± t_df · √V``.

Independent people (a comparison arm, a single group's own cell) use the same
formulas with the variance of independent observations: ``V = s² / n``, df = n − 1,
and the plain Wilson interval on n for shares.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

Z = float(stats.norm.ppf(0.975))

SHARE = "share"
BOUNDED = "bounded"
LOWER_BOUNDED = "lower_bounded"
UNBOUNDED = "unbounded"

METHODS = {
    (SHARE, False): "wilson",
    (SHARE, True): "cluster_kg_wilson",
    (BOUNDED, False): "bounded_wilson",
    (BOUNDED, True): "cluster_kg_bounded_wilson",
    (LOWER_BOUNDED, False): "log_t",
    (LOWER_BOUNDED, True): "cluster_log_t",
    (UNBOUNDED, False): "t",
    (UNBOUNDED, True): "cluster_t",
}


def scale_family(kind: str, scale_min: float, scale_max: float) -> str:
    """Which interval form a catalogue indicator takes (see the module docstring)."""
    if kind == "share":
        return SHARE
    has_min, has_max = np.isfinite(scale_min), np.isfinite(scale_max)
    if has_min and has_max:
        return BOUNDED
    if has_min:
        return LOWER_BOUNDED
    return UNBOUNDED


def wilson(p: np.ndarray, n: np.ndarray, z: float = Z) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion p on n (n may be an effective size)."""
    p, n = np.asarray(p, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0.0, p), np.clip(centre + half, p, 1.0)


def effective_n(p: np.ndarray, variance: np.ndarray, n: np.ndarray, df: np.ndarray, *, cap: bool) -> np.ndarray:
    """Korn–Graubard effective sample size with the df shrinkage ``(z / t_df)²``.

    n where the variance is 0 (p̂ at a bound, or no spread); capped at n when ``cap``.
    """
    p, variance, n = (np.asarray(x, dtype=float) for x in (p, variance, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(variance > 0, p * (1 - p) / variance, n)
    n_eff = np.where((p <= 0) | (p >= 1), n, n_eff)
    if cap:
        n_eff = np.minimum(n_eff, n)
    shrink = (Z / stats.t.ppf(0.975, np.asarray(df, dtype=float))) ** 2
    return n_eff * shrink


def level_interval(family: str, mean, n, variance, df, clustered: bool, scale_min: float = np.nan,
                   scale_max: float = np.nan) -> tuple[np.ndarray, np.ndarray]:
    """95 % interval for cell means of one family, vectorised; shares as proportions.

    ``variance`` is the variance of the mean (CR2 when clustered, s²/n otherwise),
    ``df`` its degrees of freedom. Returns NaN where no interval exists (df missing,
    or a one-sided or unbounded score with no spread).
    """
    mean, n, variance, df = (np.asarray(x, dtype=float) for x in (mean, n, variance, df))
    if family == SHARE:
        if not clustered:
            return wilson(mean, n)
        return wilson(mean, effective_n(mean, variance, n, df, cap=False))
    if family == BOUNDED:
        width = scale_max - scale_min
        p = np.clip((mean - scale_min) / width, 0.0, 1.0)
        low, high = wilson(p, effective_n(p, variance / width**2, n, df, cap=False))
        return scale_min + width * low, scale_min + width * high
    t = stats.t.ppf(0.975, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == LOWER_BOUNDED:
            above = mean - scale_min
            ok = (above > 0) & (variance > 0)
            half = np.where(ok, t * np.sqrt(variance) / np.where(ok, above, 1), np.nan)
            return scale_min + above * np.exp(-half), scale_min + above * np.exp(half)
        half = np.where(variance > 0, t * np.sqrt(variance), np.nan)
        return mean - half, mean + half
