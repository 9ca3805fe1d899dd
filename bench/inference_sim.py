"""Simulated programmes for the coverage study (bench/inference.py).

One replicate is one programme: ``groups`` mutual-aid groups of 8–30 participants
each (uniform), and a comparison arm of 50 individuals with no group, interviewed at
baseline and at one follow-up, with 15 % of each arm lost at random in between.
Everything is vectorised over replicates.

Each answer comes from a latent value with variance 1:

    η = μ + β·post + δ·post·participant + u_g + v_g,wave + p_i + e_i,wave

with a persistent group effect u and a group × wave shock v (variance ICC/2 each),
a person effect p and noise e (variance (1 − ICC)/2 each; 1/2 each in the comparison
arm, which has no groups). ICC is therefore the share of a participant's latent
variance that their group explains. Outcomes, all inside their scale by construction:

- ``share``: 1 when η > 0, else 0 (baseline share 30 %); the truth is Φ(mean η).
  ``share05`` and ``share95`` are the same with a baseline share of 5 % and 95 %.
- ``ucla``: a UCLA-3-like score 3 + Binomial(6, Φ(η)), 3–9, baseline mean about 5.
- ``who5``: a WHO-5-like score 4·Binomial(25, Φ(η)), 0–100, baseline mean about 57.
- ``sessions``: sessions attended per participant, 1 + Poisson(9 · exp(η/2 − 1/8)),
  bounded only below (by 1), mean 10, skewed; levels only (the comparison arm has no
  sessions, and the pipeline publishes no change in attendance).

For the bounded scores the truth is ``min + width · Φ(mean η / √2)``. A single group's
own cell describes that group's people, so its truth is conditional on the group's shocks
(``group_truth``). A third of the people, at random, are in the breakdown studied (an age
band, ``band``): its cells hold about a third as many people per group. Two scenarios:
*null*, nothing changes (β = δ = 0, every design's truth is 0, so rejections are false
positives); *effect*, a secular trend common to both arms (β = 0.1) and a programme
effect δ = 0.3 on the latent scale (about 11 points for the share, 0.5 for UCLA-3, 8
for WHO-5; DiD must remove the trend).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from pipelines.inference import scale_family

GROUP_SIZES = (8, 30)
COMPARISON = 50
KEEP = 0.85
TREND = 0.1
EFFECT = 0.3
BAND = 1 / 3  # share of people in the breakdown studied
SESSIONS = "sessions"
SESSIONS_MEAN = 9.0  # sessions beyond the first, on average

OUTCOMES = {
    # name: (latent mean at baseline, scale min, scale max, binomial trials or None for a share)
    "share": (float(stats.norm.ppf(0.30)), 0.0, 1.0, None),
    "share05": (float(stats.norm.ppf(0.05)), 0.0, 1.0, None),
    "share95": (float(stats.norm.ppf(0.95)), 0.0, 1.0, None),
    "ucla": (-0.61, 3.0, 9.0, 6),
    "who5": (0.25, 0.0, 100.0, 25),
    "sessions": (0.0, 1.0, np.inf, SESSIONS),
}


def family(outcome: str) -> str:
    """The interval family the pipeline gives the outcome (``pipelines.inference.scale_family``)."""
    _, low, high, trials = OUTCOMES[outcome]
    return scale_family("share" if trials is None else "mean", low, high)


def truth(outcome: str, latent_mean: float) -> float:
    """Expected value of the outcome (a proportion for the share) at a latent mean."""
    _, low, high, trials = OUTCOMES[outcome]
    if trials == SESSIONS:
        return low + SESSIONS_MEAN
    spread = 1.0 if trials is None else np.sqrt(2.0)
    return low + (high - low) * float(stats.norm.cdf(latent_mean / spread))


def group_truth(outcome: str, shift: np.ndarray, icc: float) -> np.ndarray:
    """Expected value in one group whose shared effect (u + v at the wave) is ``shift``."""
    mu, low, high, trials = OUTCOMES[outcome]
    if trials == SESSIONS:
        return low + SESSIONS_MEAN * np.exp(shift / 2 - icc / 8)
    spread = np.sqrt(1.0 - icc) if trials is None else np.sqrt(2.0 - icc)
    return low + (high - low) * stats.norm.cdf((mu + shift) / spread)


@dataclass(frozen=True)
class Sample:
    """Observations of ``reps`` programmes: one row per person and wave interviewed.

    ``group`` is −1 in the comparison arm; ``person`` is unique across replicates.
    ``y`` is raw: 1/0 for a share, the score otherwise.
    """

    rep: np.ndarray
    participant: np.ndarray
    group: np.ndarray
    person: np.ndarray
    post: np.ndarray
    y: np.ndarray
    sessions: np.ndarray  # per row, the person's dose (participants), NaN otherwise
    band: np.ndarray  # per row, whether the person is in the breakdown studied
    shift: np.ndarray  # reps × groups × waves: each group's shared effect u + v
    icc: float


def simulate(rng: np.random.Generator, reps: int, groups: int, icc: float, outcome: str, effect: float) -> Sample:
    mu, low, high, trials = OUTCOMES[outcome]
    sizes = rng.integers(GROUP_SIZES[0], GROUP_SIZES[1] + 1, (reps, groups))
    p_rep = np.repeat(np.repeat(np.arange(reps), groups), sizes.ravel())
    p_group = np.repeat(np.tile(np.arange(groups), reps), sizes.ravel())
    c_rep = np.repeat(np.arange(reps), COMPARISON)
    rep = np.concatenate([p_rep, c_rep])
    participant = np.concatenate([np.ones(len(p_rep), bool), np.zeros(len(c_rep), bool)])
    group = np.concatenate([p_group, np.full(len(c_rep), -1)])
    person = np.arange(len(rep))
    u = rng.normal(0, np.sqrt(icc / 2), (reps, groups))
    v = rng.normal(0, np.sqrt(icc / 2), (reps, groups, 2))
    person_sd = np.where(participant, np.sqrt((1 - icc) / 2), np.sqrt(0.5))
    p_eff = rng.normal(0, 1, len(rep)) * person_sd
    # group-level attendance (some groups meet more often) plus personal variation
    group_dose = rng.uniform(5, 25, (reps, groups))
    dose = np.where(participant, group_dose[rep, np.maximum(group, 0)] + rng.normal(0, 4, len(rep)), np.nan)
    rows = []
    for post in (0, 1):
        shared = np.where(participant, u[rep, np.maximum(group, 0)] + v[rep, np.maximum(group, 0), post], 0.0)
        trend = TREND if effect else 0.0
        eta = mu + trend * post + effect * post * participant + shared + p_eff + rng.normal(0, 1, len(rep)) * person_sd
        seen = np.ones(len(rep), bool) if post == 0 else rng.random(len(rep)) < KEEP
        if trials is None:
            y = (eta > 0).astype(float)
        elif trials == SESSIONS:
            y = low + rng.poisson(SESSIONS_MEAN * np.exp((eta - mu) / 2 - 1 / 8))
        else:
            y = low + (high - low) * rng.binomial(trials, stats.norm.cdf(eta)) / trials
        rows.append((seen, np.full(len(rep), post), y))
    band = rng.random(len(rep)) < BAND
    take = np.concatenate([r[0] for r in rows])
    stack = lambda a: np.concatenate([a, a])[take]  # noqa: E731
    return Sample(stack(rep), stack(participant), stack(group), stack(person),
                  np.concatenate([r[1] for r in rows])[take], np.concatenate([r[2] for r in rows])[take],
                  stack(dose), stack(band), u[:, :, None] + v, icc)


def truths(outcome: str, effect: float) -> dict[str, float]:
    """The value each design estimates."""
    mu = OUTCOMES[outcome][0]
    trend = TREND if effect else 0.0
    change = truth(outcome, mu + trend + effect) - truth(outcome, mu)
    did = truth(outcome, mu + trend + effect) - truth(outcome, mu + trend)
    return {
        "level": truth(outcome, mu),
        "change": change,
        "paired_change": change,
        "did": did,
        "attrition": 0.0,
        "dose_trend": 0.0,
        "dose_third": change,  # attendance does not change the effect: every third's truth
        "level_comparison": truth(outcome, mu),
        "level_breakdown": truth(outcome, mu),  # the band is drawn at random
        "paired_breakdown": change,
        "did_breakdown": did,
    }


# --- today's methods, as the pipeline computed them before group clustering ------------------

Z = float(stats.norm.ppf(0.975))


def wilson_or_t(share: bool, mean, n, sd):
    """Levels: Wilson on n (shares) or the t interval (means)."""
    from pipelines.inference.levels import wilson

    if share:
        return wilson(mean, n)
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    return mean - half, mean + half


def independent_difference(share: bool, m0, n0, sd0, m1, n1, sd1):
    """Follow-up minus baseline as independent samples: Agresti–Caffo or Welch."""
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    if share:
        c1, c0 = np.rint(m1 * n1), np.rint(m0 * n0)
        with np.errstate(all="ignore"):
            low, high = confint_proportions_2indep(c1, n1, c0, n0, method="agresti-caffo")
            p = test_proportions_2indep(c1, n1, c0, n0, method="agresti-caffo").pvalue
        return low, high, p
    with np.errstate(all="ignore"):  # no spread in a replicate: no interval, as in the pipeline
        v0, v1 = sd0**2 / n0, sd1**2 / n1
        df = (v0 + v1) ** 2 / (v0**2 / (n0 - 1) + v1**2 / (n1 - 1))
        se = np.sqrt(v0 + v1)
        half = stats.t.ppf(0.975, df) * se
        return m1 - m0 - half, m1 - m0 + half, 2 * stats.t.sf(np.abs(m1 - m0) / se, df)


def paired_naive(share: bool, gained, lost, n, mean_d, sd_d):
    """Agresti–Min interval and McNemar test (shares); paired t (means)."""
    if share:
        a10, a01 = gained + 0.5, lost + 0.5
        na = n + 2
        d = (a10 - a01) / na
        se = np.sqrt(((a10 + a01) - (a10 - a01) ** 2 / na) / na**2)
        discordant = gained + lost
        exact = 2 * stats.binom.cdf(np.minimum(gained, lost), discordant, 0.5)
        chi = stats.chi2.sf((np.abs(gained - lost) - 1) ** 2 / np.maximum(discordant, 1), 1)
        p = np.where(discordant == 0, 1.0, np.where(discordant < 25, np.minimum(exact, 1.0), chi))
        return np.maximum(d - Z * se, -1), np.minimum(d + Z * se, 1), p
    se = sd_d / np.sqrt(n)
    half = stats.t.ppf(0.975, n - 1) * se
    return mean_d - half, mean_d + half, 2 * stats.t.sf(np.abs(mean_d) / se, n - 1)
