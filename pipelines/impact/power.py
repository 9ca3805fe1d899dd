"""Minimum detectable effect: the smallest true change these numbers would find.

At 80 % power and a two-sided 5 % level, from statsmodels' power classes, in the unit
of the estimate. The spread behind it is fixed in advance, never read from the small
cell itself (that would publish a statistic of fewer than min_cell people): shares use
p = 50 %, the largest possible variance, so the MDE is an upper bound; means use the
indicator's standard deviation over every respondent in the warehouse. Paired MDEs
assume no correlation between a person's two answers (again an upper bound), and DiD
MDEs treat the four arm-wave cells as independent samples.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

from pipelines.impact.rules import ALPHA

POWER = 0.80
SHARE_SD = 0.5


@lru_cache(maxsize=4096)
def _solve(design: str, **kwargs) -> float:
    """Standardised MDE (Cohen's d); cached, as many cells share their sizes."""
    power_class = {"independent": TTestIndPower, "paired": TTestPower, "normal": NormalIndPower}[design]()
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            d = power_class.solve_power(effect_size=None, alpha=ALPHA, power=POWER, **kwargs)
    except (ValueError, RuntimeError, ZeroDivisionError):
        return math.nan
    d = float(np.asarray(d).ravel()[0])
    return d if np.isfinite(d) and d > 0 else math.nan


def mde_change(sd: float, n_baseline: int, n_followup: int) -> float:
    """Two independent samples (Welch-type change between waves)."""
    if min(n_baseline, n_followup) < 2 or not np.isfinite(sd):
        return math.nan
    return _solve("independent", nobs1=n_followup, ratio=n_baseline / n_followup) * sd


def mde_paired(sd: float, n_pairs: int) -> float:
    """Paired change; the SD of a difference is √2·SD when answers are uncorrelated."""
    if n_pairs < 2 or not np.isfinite(sd):
        return math.nan
    return _solve("paired", nobs=n_pairs) * sd * math.sqrt(2)


def mde_did(sd: float, cells: list[int]) -> float:
    """DiD from four cells: se = sd·√Σ1/nᵢ, solved as two equal samples of 2/Σ1/nᵢ."""
    if min(cells) < 1 or not np.isfinite(sd):
        return math.nan
    harmonic = 2 / sum(1 / n for n in cells)
    return _solve("normal", nobs1=harmonic, ratio=1.0) * sd
