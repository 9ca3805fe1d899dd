"""Follow-up minus baseline: all respondents of each wave, or the people seen in both.

Every function takes raw values (1/0 for shares, the score for means) and returns the
difference in the same unit; the caller scales shares to percentage points.

- Shares, independent waves: Agresti–Caffo interval (Wald after adding one success and
  one failure to each wave) with the matching Wald test, so "the interval excludes 0"
  and "p < 0.05" never disagree. Newcombe's hybrid score interval is as good; it has
  no matching test, and statsmodels' Miettinen–Nurminen score interval fails to
  converge on ordinary tables in the version we pin.
- Shares, paired: Agresti–Min interval (Wald on the 2×2 table of baseline × follow-up
  after adding ½ to each cell) and McNemar's test (exact binomial when fewer than 25
  people changed, χ² with continuity correction otherwise).
- Means: Welch's t (independent waves) and the paired t test (people in both waves).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from pipelines.impact.rules import ALPHA

MCNEMAR_EXACT_BELOW = 25


@dataclass(frozen=True)
class Estimate:
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float

    def scaled(self, factor: float) -> "Estimate":
        return Estimate(self.estimate * factor, self.ci_low * factor, self.ci_high * factor, self.p_value)


def _f(x) -> float:
    return float(x) if x is not None and np.isfinite(x) else math.nan


def change_share(baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    """Difference of two independent proportions, follow-up minus baseline."""
    c1, n1 = int(np.sum(followup)), len(followup)
    c0, n0 = int(np.sum(baseline)), len(baseline)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # statsmodels also computes ratio and odds ratio, which divide by zero at 0 %.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(c1, n1, c0, n0, method="agresti-caffo", compare="diff", alpha=ALPHA)
        test = test_proportions_2indep(c1, n1, c0, n0, method="agresti-caffo", compare="diff")
    return Estimate(c1 / n1 - c0 / n0, _f(low), _f(high), _f(test.pvalue))


def change_mean(baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    """Difference of two independent means (Welch), follow-up minus baseline."""
    diff = float(np.mean(followup) - np.mean(baseline))
    if np.var(followup) == 0 and np.var(baseline) == 0:
        return Estimate(diff, math.nan, math.nan, math.nan)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # scipy warns of precision loss when one wave has no spread; the result stands.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_ind(followup, baseline, equal_var=False)
        ci = res.confidence_interval(confidence_level=1 - ALPHA)
    return Estimate(diff, _f(ci.low), _f(ci.high), _f(res.pvalue))


def paired_table(baseline: np.ndarray, followup: np.ndarray) -> np.ndarray:
    """2×2 counts, rows = baseline 1/0, columns = follow-up 1/0."""
    b = np.asarray(baseline, dtype=bool)
    f = np.asarray(followup, dtype=bool)
    return np.array([[np.sum(b & f), np.sum(b & ~f)], [np.sum(~b & f), np.sum(~b & ~f)]])


def paired_share(baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    """Difference of paired proportions (same people), follow-up minus baseline."""
    table = paired_table(baseline, followup)
    n = table.sum()
    lost_it, gained_it = table[0, 1], table[1, 0]
    diff = (gained_it - lost_it) / n
    # Agresti & Min (2005): add 1/2 to every cell, then Wald. Keeps the interval
    # from collapsing to [0, 0] when nobody changed.
    a = table + 0.5
    na = a.sum()
    d = (a[1, 0] - a[0, 1]) / na
    var = ((a[1, 0] + a[0, 1]) - (a[1, 0] - a[0, 1]) ** 2 / na) / na**2
    z = stats.norm.ppf(1 - ALPHA / 2)
    half = z * math.sqrt(var)
    discordant = lost_it + gained_it
    if discordant == 0:
        p = 1.0
    else:
        exact = discordant < MCNEMAR_EXACT_BELOW
        p = mcnemar(table, exact=exact, correction=True).pvalue
    return Estimate(float(diff), max(d - half, -1.0), min(d + half, 1.0), _f(p))


def paired_mean(baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    """Mean within-person change (paired t), follow-up minus baseline."""
    d = np.asarray(followup, dtype=float) - np.asarray(baseline, dtype=float)
    if np.var(d) == 0:
        return Estimate(float(np.mean(d)), math.nan, math.nan, math.nan)
    res = stats.ttest_rel(followup, baseline)
    ci = res.confidence_interval(confidence_level=1 - ALPHA)
    return Estimate(float(np.mean(d)), _f(ci.low), _f(ci.high), _f(res.pvalue))


def independent(kind: str, baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    return change_share(baseline, followup) if kind == "share" else change_mean(baseline, followup)


def paired(kind: str, baseline: np.ndarray, followup: np.ndarray) -> Estimate:
    return paired_share(baseline, followup) if kind == "share" else paired_mean(baseline, followup)
