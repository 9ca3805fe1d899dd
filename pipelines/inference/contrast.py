"""The interval, the test and the minimum detectable effect of one contrast, from one t.

A row's interval and its p-value come from the same estimate, standard error and
degrees of freedom: the interval is ``est ± t_{df, 0.975} · se`` and p is
``2 · P(T_df > |est| / se)``, so "the interval excludes 0" and "p < 0.05" are the same
statement. The interval is then intersected with the values the contrast can take
(a change in a share lies within ±100 points; a change in a UCLA-3 score within ±6):
the truth always lies in that range, so intersecting changes neither coverage nor
the agreement with the test, and no interval reaches past what is possible.

The minimum detectable effect at 80 % power and a two-sided 5 % level is
``(t_{df, 0.975} + t_{df, 0.80}) · se`` (Bloom 1995, Evaluation Review 19(5)).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ALPHA = 0.05
POWER = 0.80


def contrast_range(weights: np.ndarray, cell_min: np.ndarray, cell_max: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value ``Σ w_c μ_c`` can take with each μ_c in [cell_min_c, cell_max_c]."""
    weights = np.atleast_2d(weights)
    with np.errstate(invalid="ignore"):  # 0 · ∞ for an unbounded cell that does not enter
        ends = np.stack(np.broadcast_arrays(weights * cell_min, weights * cell_max))
    ends = np.where(weights == 0, 0.0, ends)
    return ends.min(0).sum(1), ends.max(0).sum(1)


def t_test(estimate, se, df, lower=-np.inf, upper=np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """95 % interval (intersected with [lower, upper]) and two-sided p, vectorised.

    NaN where there is no standard error, no degrees of freedom, or no spread (se 0).
    """
    estimate, se, df = (np.asarray(x, dtype=float) for x in (estimate, se, df))
    ok = np.isfinite(se) & (se > 0) & np.isfinite(df) & (df > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = np.where(ok, stats.t.ppf(1 - ALPHA / 2, df) * se, np.nan)
        p = np.where(ok, 2 * stats.t.sf(np.abs(estimate) / se, df), np.nan)
    low = np.where(ok, np.maximum(estimate - half, lower), np.nan)
    high = np.where(ok, np.minimum(estimate + half, upper), np.nan)
    return low, high, p


def mde(se, df) -> np.ndarray:
    """Bloom's minimum detectable effect, in the unit of ``se``; NaN where untested."""
    se, df = np.asarray(se, dtype=float), np.asarray(df, dtype=float)
    ok = np.isfinite(se) & (se > 0) & np.isfinite(df) & (df > 0)
    with np.errstate(invalid="ignore"):
        return np.where(ok, (stats.t.ppf(1 - ALPHA / 2, df) + stats.t.ppf(POWER, df)) * se, np.nan)
