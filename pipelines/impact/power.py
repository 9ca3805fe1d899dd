"""Minimum detectable effect of a row that could not be estimated (a small cell).

A tested row's MDE is Bloom's (t.975 + t.80)·se from its own CR2 standard error
(``pipelines.inference.contrast.mde``). A row with a cell under min_cell has no
standard error to publish, so its note bounds the MDE from these classical formulas,
at 80 % power and a two-sided 5 % level (statsmodels' power classes), with each small
cell counted as min_cell people. The spread is fixed in advance, never read from the
small cell itself (that would publish a statistic of fewer than min_cell people):
shares use p = 50 %, the largest possible variance; means use the indicator's standard
deviation over every respondent in the warehouse. People are taken as independent
(paired: no correlation between a person's two answers; DiD: four independent cells),
so with groups the true MDE is larger still: the note says "more than".
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
