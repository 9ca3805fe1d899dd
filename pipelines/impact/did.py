"""Difference-in-differences: participants' change against the comparison group's.

A linear model of the value on arm × wave, fitted by OLS on every observation of both
arms at baseline and one follow-up wave; the interaction is the DiD estimate (a linear
probability model for shares). People seen in both waves make their two rows
correlated, so standard errors are clustered: by person, or by group once there are
enough participant groups for the cluster-robust variance to be trusted. A comparison
respondent has no group and is a cluster of their own, which nests each person inside
one cluster either way. Intervals use the t distribution with (clusters − 1) degrees
of freedom, statsmodels' small-sample choice for clustered errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from pipelines.impact.change import Estimate
from pipelines.impact.rules import ALPHA

# Cluster-robust variances need many clusters; below about 20 they are too small
# (Cameron & Miller 2015), so with fewer participant groups we cluster by person.
MIN_GROUP_CLUSTERS = 20
TERM = "treated:post"  # the column names of `value ~ treated * post`


@dataclass(frozen=True)
class DidFit:
    result: Estimate
    cluster_by: str  # "group" or "participant"
    n_clusters: int
    change_treated: float  # raw follow-up minus baseline means, for the sentence
    change_control: float


def cluster_ids(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Cluster codes: participant groups when there are enough, else people."""
    treated_groups = frame.loc[frame["treated"] == 1, "group_id"].dropna().nunique()
    if treated_groups >= MIN_GROUP_CLUSTERS:
        # Respondents without a group (the comparison arm) each form their own cluster.
        key = frame["group_id"].astype("string").fillna("person:" + frame["participant_id"].astype("string"))
        return pd.factorize(key)[0], "group"
    return pd.factorize(frame["participant_id"])[0], "participant"


def fit_did(frame: pd.DataFrame) -> DidFit:
    """frame: participant_id, group_id, value, treated (0/1), post (0/1)."""
    data = frame[["participant_id", "group_id", "value", "treated", "post"]].reset_index(drop=True)
    groups, cluster_by = cluster_ids(data)
    means = data.groupby(["treated", "post"])["value"].mean()
    change_treated = float(means.loc[(1, 1)] - means.loc[(1, 0)])
    change_control = float(means.loc[(0, 1)] - means.loc[(0, 0)])
    estimate = change_treated - change_control
    n_clusters = int(len(np.unique(groups)))
    if data["value"].nunique() < 2:
        return DidFit(Estimate(estimate, math.nan, math.nan, math.nan), cluster_by, n_clusters,
                      change_treated, change_control)
    with np.errstate(all="ignore"):
        # The design of `value ~ treated * post`, built directly: patsy costs more than the fit.
        design = pd.DataFrame({"Intercept": 1.0, "treated": data["treated"], "post": data["post"],
                               TERM: data["treated"] * data["post"]}, dtype=float)
        fit = sm.OLS(data["value"].astype(float), design).fit(
            cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        low, high = fit.conf_int(alpha=ALPHA).loc[TERM]
        p = fit.pvalues[TERM]
    return DidFit(
        Estimate(float(fit.params[TERM]), float(low), float(high), float(p) if np.isfinite(p) else math.nan),
        cluster_by,
        n_clusters,
        change_treated,
        change_control,
    )
