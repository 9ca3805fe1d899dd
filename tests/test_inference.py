"""The inference library against independent computations: explicit matrices from
statsmodels and scipy, scipy's t tests, and hand-computed intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference_cr2 import explicit_cr2
from scipy import stats

from pipelines.inference import (
    Blocks,
    Singletons,
    contrast_range,
    cr2,
    level_interval,
    mde,
    t_test,
    wilson,
)
from pipelines.inference.levels import effective_n

DID = np.array([1.0, -1.0, -1.0, 1.0])


def unbalanced_did(seed: int):
    """Participants in 6 unequal groups seen at baseline (cell 1) and, most of them, at
    follow-up (cell 3); 9 comparison respondents (clusters of one) in cells 0 and 2."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 9, 6)
    members = np.repeat(np.arange(6), sizes)
    kept = members[rng.random(len(members)) > 0.3]
    base, later = np.arange(9), np.array([0, 1, 2, 5, 8, 9, 10])
    cluster = np.concatenate([members, kept, 100 + base, 100 + later])
    cell = np.concatenate([np.full(len(members), 1), np.full(len(kept), 3), np.zeros(9, int), np.full(7, 2)])
    y = rng.normal(size=len(cluster)) + rng.normal(size=cluster.max() + 1)[cluster]
    return cluster, cell, y


# --- (a) the closed form is the explicit matrix computation ------------------------------

@pytest.mark.parametrize("rho", [0.0, 0.3, 0.9])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cr2_and_df_equal_the_explicit_matrix_computation(seed, rho):
    cluster, cell, y = unbalanced_did(seed)
    est, se, df = explicit_cr2(cluster, cell, y, DID, 4, rho)
    blocks = Blocks.from_observations(np.zeros(len(y), int), cluster, cell, y)
    fit = cr2(DID[None], blocks, rho=rho)
    assert (fit.estimate[0], fit.se[0], fit.df[0]) == pytest.approx((est, se, df), rel=1e-10)


@pytest.mark.parametrize("seed", [4, 5])
def test_one_person_clusters_as_patterns_give_the_same_answer(seed):
    """Comparison respondents enter as patterns of the waves they were seen in: exactly
    what one block per person gives, with the working-model correlation estimated."""
    cluster, cell, y = unbalanced_did(seed)
    part = cluster < 100
    zeros = np.zeros(len(y), int)
    as_blocks = cr2(DID[None], Blocks.from_observations(zeros, cluster, cell, y))
    as_patterns = cr2(DID[None], Blocks.from_observations(zeros[part], cluster[part], cell[part], y[part]),
                      Singletons.from_observations(zeros[~part], cluster[~part], cell[~part], y[~part], 4))
    assert as_patterns.rho[0] == pytest.approx(as_blocks.rho[0], rel=1e-10)
    assert (as_patterns.se[0], as_patterns.df[0]) == pytest.approx((as_blocks.se[0], as_blocks.df[0]), rel=1e-10)
    assert explicit_cr2(cluster, cell, y, DID, 4, as_blocks.rho[0])[2] == pytest.approx(as_blocks.df[0], rel=1e-10)


def test_many_estimates_at_once_equal_one_at_a_time():
    fits = [unbalanced_did(seed) for seed in (6, 7, 8)]
    estimate = np.concatenate([np.full(len(f[0]), k) for k, f in enumerate(fits)])
    together = cr2(np.tile(DID, (3, 1)), Blocks.from_observations(
        estimate, np.concatenate([f[0] for f in fits]), np.concatenate([f[1] for f in fits]),
        np.concatenate([f[2] for f in fits])))
    for k, (cluster, cell, y) in enumerate(fits):
        alone = cr2(DID[None], Blocks.from_observations(np.zeros(len(y), int), cluster, cell, y))
        assert (together.se[k], together.df[k], together.rho[k]) == pytest.approx(
            (alone.se[0], alone.df[0], alone.rho[0]), rel=1e-10)


# --- (b) balanced clusters: the t test on group means (Donald & Lang) ------------------------

def test_equal_groups_intercept_only_is_the_t_test_on_group_means():
    rng = np.random.default_rng(10)
    groups, size = 5, 7
    cluster = np.repeat(np.arange(groups), size)
    y = rng.normal(size=groups * size) + rng.normal(size=groups)[cluster]
    fit = cr2(np.ones((1, 1)), Blocks.from_observations(np.zeros(len(y), int), cluster, np.zeros(len(y), int), y))
    means = pd.Series(y).groupby(cluster).mean()
    test = stats.ttest_1samp(means, 0.0)
    assert fit.df[0] == pytest.approx(groups - 1, rel=1e-10)
    assert fit.estimate[0] / fit.se[0] == pytest.approx(test.statistic, rel=1e-10)
    low, high, p = t_test(fit.estimate, fit.se, fit.df)
    ci = test.confidence_interval()
    assert (low[0], high[0], p[0]) == pytest.approx((ci.low, ci.high, test.pvalue), rel=1e-9)


def test_two_arms_of_equal_groups_is_welch_on_group_means():
    """Standard error: Welch's on the group means. Degrees of freedom (ρ = 0): the
    Welch–Satterthwaite formula at the variances the independence model implies."""
    rng = np.random.default_rng(11)
    arms = [(4, 6), (7, 3)]  # (groups, people per group)
    cluster, cell, y = [], [], []
    for c, (groups, size) in enumerate(arms):
        cluster.append(np.repeat(np.arange(groups), size) + 100 * c)
        cell.append(np.full(groups * size, c))
        y.append(rng.normal(size=groups * size) + rng.normal(size=groups).repeat(size))
    cluster, cell, y = map(np.concatenate, (cluster, cell, y))
    fit = cr2(np.array([[-1.0, 1.0]]), Blocks.from_observations(np.zeros(len(y), int), cluster, cell, y), rho=0.0)
    means = pd.Series(y).groupby(cluster).mean()
    welch = stats.ttest_ind(means[means.index >= 100], means[means.index < 100], equal_var=False)
    assert fit.estimate[0] / fit.se[0] == pytest.approx(welch.statistic, rel=1e-10)
    v = [1 / (g * m) for g, m in arms]  # variance of each arm's mean under independence, σ² = 1
    df = sum(v) ** 2 / sum(vk**2 / (g - 1) for vk, (g, _) in zip(v, arms, strict=True))
    assert fit.df[0] == pytest.approx(df, rel=1e-10)


def test_the_icc_is_the_one_way_anova_estimator():
    rng = np.random.default_rng(12)
    groups, size = 6, 5
    cluster = np.repeat(np.arange(groups), size)
    y = rng.normal(size=groups * size) + 1.5 * rng.normal(size=groups)[cluster]
    fit = cr2(np.ones((1, 1)), Blocks.from_observations(np.zeros(len(y), int), cluster, np.zeros(len(y), int), y))
    f = stats.f_oneway(*[y[cluster == g] for g in range(groups)]).statistic
    assert fit.rho[0] == pytest.approx((f - 1) / (f + size - 1), rel=1e-10)


# --- (c) clusters of one person: HC2 with the Satterthwaite df -------------------------------

def test_one_person_clusters_give_the_t_test_and_welch():
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=9), rng.normal(2, 3, size=14)
    one = cr2(np.ones((1, 1)), Blocks.from_observations(np.zeros(9, int), np.arange(9), np.zeros(9, int), a))
    t1 = stats.ttest_1samp(a, 0.0)
    assert (one.estimate[0] / one.se[0], one.df[0]) == pytest.approx((t1.statistic, 8), rel=1e-10)
    y = np.concatenate([a, b])
    cell = np.repeat([0, 1], [9, 14])
    two = cr2(np.array([[-1.0, 1.0]]), Blocks.empty(),
              Singletons.from_observations(np.zeros(23, int), np.arange(23), cell, y, 2))
    welch = stats.ttest_ind(b, a, equal_var=False)
    assert two.estimate[0] / two.se[0] == pytest.approx(welch.statistic, rel=1e-10)  # HC2 is Welch's variance
    n0, n1 = 9, 14
    df = (1 / n0 + 1 / n1) ** 2 / (1 / (n0**2 * (n0 - 1)) + 1 / (n1**2 * (n1 - 1)))
    assert two.df[0] == pytest.approx(df, rel=1e-10) and two.rho[0] == 0


def test_one_group_holding_a_whole_cell_is_undefined():
    cluster = np.array([0, 0, 0, 1, 1, 2, 2])
    cell = np.array([0, 0, 0, 1, 1, 1, 1])
    y = np.arange(7.0)
    fit = cr2(np.array([[-1.0, 1.0]]), Blocks.from_observations(np.zeros(7, int), cluster, cell, y))
    assert math.isnan(fit.se[0]) and math.isnan(fit.df[0])
    assert fit.estimate[0] == pytest.approx(np.mean(y[3:]) - 1.0)


# --- the test of a contrast ----------------------------------------------------------------

def test_interval_and_test_come_from_one_t_and_agree():
    rng = np.random.default_rng(14)
    est, se, df = rng.normal(size=2000), rng.uniform(0.2, 2, 2000), rng.uniform(1.2, 40, 2000)
    low, high, p = t_test(est, se, df, -3.0, 3.0)
    assert np.array_equal((low > 0) | (high < 0), p < 0.05)
    t = stats.t.ppf(0.975, df[0])
    assert (low[0], high[0]) == pytest.approx((max(est[0] - t * se[0], -3), min(est[0] + t * se[0], 3)))
    assert mde(se[:1], df[:1])[0] == pytest.approx((t + stats.t.ppf(0.8, df[0])) * se[0])


def test_the_range_of_a_contrast():
    assert contrast_range(DID, 0.0, 1.0) == (pytest.approx([-2.0]), pytest.approx([2.0]))
    low, high = contrast_range(np.array([0.5, -1.0, 0.0]), np.array([3.0, -6, -np.inf]), np.array([9.0, 6, np.inf]))
    assert (low[0], high[0]) == (1.5 - 6, 4.5 + 6)


# --- (d) Korn–Graubard Wilson by hand, (e) inside the scale ----------------------------------

def test_korn_graubard_wilson_by_hand():
    p, n, variance, df = 0.3, 100, 0.004, 5
    n_star = (0.21 / 0.004) * (1.959963984540054 / 2.570581835636314) ** 2  # t(0.975, 5)
    z2 = 1.959963984540054**2
    centre = (p + z2 / (2 * n_star)) / (1 + z2 / n_star)
    half = math.sqrt(z2) * math.sqrt(p * (1 - p) / n_star + z2 / (4 * n_star**2)) / (1 + z2 / n_star)
    low, high = level_interval("share", p, n, variance, df, True)
    assert (low, high) == pytest.approx((centre - half, centre + half), rel=1e-10)
    assert effective_n(0.0, 0.0, 40, 5, cap=False) == pytest.approx(40 * (1.959963984540054 / 2.570581835636314) ** 2)
    # independent people: the plain Wilson interval
    from statsmodels.stats.proportion import proportion_confint
    assert level_interval("share", 0.3, 20, np.nan, np.nan, False) == pytest.approx(
        proportion_confint(6, 20, method="wilson"))


@pytest.mark.parametrize("mean, variance", [(0.0, 0.0), (1.0, 0.0), (0.02, 0.0001), (0.98, 0.0001)])
def test_share_intervals_stay_inside_zero_to_one(mean, variance):
    low, high = level_interval("share", mean, 30, variance, 2.5, True)
    assert 0.0 <= low <= mean <= high <= 1.0 and high > low


@pytest.mark.parametrize("mean", [3.0, 3.05, 8.9, 9.0])
def test_ucla_intervals_stay_inside_three_to_nine(mean):
    low, high = level_interval("bounded", mean, 8, 0.05 if 3 < mean < 9 else 0.0, 3.0, True, 3.0, 9.0)
    assert 3.0 <= low <= mean <= high <= 9.0 and high > low


def test_a_score_bounded_below_gets_a_log_interval_above_its_minimum():
    low, high = level_interval("lower_bounded", 1.2, 30, 0.04, 6.0, True, 1.0)
    t = stats.t.ppf(0.975, 6.0)
    assert (low, high) == pytest.approx((1 + 0.2 * math.exp(-t * 0.2 / 0.2), 1 + 0.2 * math.exp(t * 0.2 / 0.2)))
    assert low > 1.0


def test_wilson_is_statsmodels_wilson():
    from statsmodels.stats.proportion import proportion_confint
    low, high = wilson(np.array([0.0, 0.25, 1.0]), np.array([7, 12, 9]))
    for (x, n), lo, hi in zip([(0, 7), (3, 12), (9, 9)], low, high, strict=True):
        assert (lo, hi) == pytest.approx(proportion_confint(x, n, method="wilson"))

