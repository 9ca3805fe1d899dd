"""Which estimates a report may state as findings: one family per report.

A report shows many estimates — every indicator by three methods, by group, sex and
age band — and a sentence such as "X rose by 8 points" drawn from that many tests
finds something on data with no effect at all. So a report claims a change only
where the evidence survives a correction over everything it could have claimed:
its **family**.

- **Primary tests.** For each programme the report covers, each *primary outcome* at
  the programme total, by the programme's *primary method*, at each follow-up wave
  of the report. Primary outcomes are declared in the data root's ``aai.toml``
  (``[claims] primary_outcomes`` or per programme, ``[programmes.<id>]``), before the
  data come in: survey indicators of the catalogue, or a questionnaire's own measures
  its mapping file declares (docs/questionnaire.md); without a declaration every
  survey indicator of the catalogue and every declared measure is primary. The primary method is set by the
  design, never by the results: the difference in differences when the programme has
  a comparison arm at baseline and that wave, else the paired change.
- **Exploratory.** Every other estimate (other methods, groups, sexes, age bands) is
  shown with its interval and never stated as a finding.
- **Correction.** Benjamini & Hochberg (1995) at the configured false-discovery rate
  (default 5 %) over the family's tests. When nothing has an effect, a family-wise
  false claim then happens in at most that share of reports; ``bench/claims.py``
  measures it on simulated programmes with group effects.
- **Several programmes.** A report covering several programmes (the all-programmes
  report) corrects the union of their families, and claims an estimate only if it
  also survives its own programme's family (``survive``): it may claim less than a
  programme's own report, never more.
- **Dose-response** trends are exploratory by design (observational: who attends more
  differs in other ways): shown with their intervals and uncorrected
  p-values, never stated as a finding, in a chart title or in the text.
- **Attrition.** Whether those lost at a follow-up differed at baseline is a second
  family of the report (``attrition_claims``): every tested lost-versus-retained
  comparison of its programmes, corrected the same way (BH, intersected with each
  programme's own); the report states a difference only where it survives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from pipelines import catalogue
from pipelines.impact.rows import WORDING
from pipelines.impact.sentences import Verdict
from pipelines.settings import ClaimsConfig

PRIMARY, EXPLORATORY = "primary", "exploratory"
PRIMARY_METHOD_WITH_COMPARISON, PRIMARY_METHOD_WITHOUT = "did", "paired_change"
TOTAL = {"group_id": "all", "sex": "all", "age_band": "all"}
CLAIM_COLUMNS = ["role", "family_size", "survives"]


def survey_outcomes() -> tuple[str, ...]:
    """The default primary outcomes: every survey indicator of the catalogue and every
    measure the data root's mapping files declare (an outcome the report draws and
    tests like the catalogue's own, so one it may claim only under the same correction)."""
    return (*catalogue.survey_indicators()["code"], *catalogue.declared()["code"])


def check_config(config: ClaimsConfig) -> None:
    """Primary outcomes must be survey indicators of the catalogue or measures a mapping
    file of the data root declares (``catalogue.declare`` has run); a programme's own
    list may not name a measure whose mapping reads another programme's files only, as
    that programme can never have it. A mistake raises ``ValueError`` naming aai.toml,
    the section and each code. ``aai run`` calls it once the mappings have loaded,
    before any file is read; the impact stage again, for runs started elsewhere."""
    known = set(catalogue.survey_indicators()["code"])
    declared = catalogue.declared()
    mappings = dict(zip(declared["code"], declared["mapping"]))
    owners = dict(zip(declared["code"], declared["programme"]))
    lists = [("[claims]", None, config.primary_outcomes or ())]
    lists += [(f"[programmes.{programme}]", programme, codes)
              for programme, codes in (config.by_programme or {}).items()]
    problems = []
    for section, programme, codes in lists:
        for code in codes:
            if code in known:
                continue
            if code not in mappings:
                problems.append(f"{section} primary_outcomes: {code} is not a survey indicator of the catalogue, "
                                "and no mapping file of the data root declares it")
            elif programme is not None and owners[code] not in ("", programme):
                problems.append(f"{section} primary_outcomes: {code} is declared in {mappings[code]}, which reads "
                                f"programme {owners[code]}'s files only, so {programme} has no {code}")
    if problems:
        choices = ", ".join(sorted(known) + sorted(mappings))
        raise ValueError(f"aai.toml: {'; '.join(problems)}. Choose among {choices}, or declare the measure under "
                         "indicators: in its questionnaire's mapping file (docs/questionnaire.md)")


def primary_methods(estimates: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(programme, wave) → the primary method: DiD where the design has a comparison
    arm at baseline and that wave (the impact stage writes DiD rows exactly then)."""
    keys = estimates[["programme_id", "wave"]].drop_duplicates().itertuples(index=False, name=None)
    with_did = set(estimates.loc[estimates["method"] == "did", ["programme_id", "wave"]]
                   .drop_duplicates().itertuples(index=False, name=None))
    return {key: PRIMARY_METHOD_WITH_COMPARISON if key in with_did else PRIMARY_METHOD_WITHOUT for key in keys}


def roles(estimates: pd.DataFrame, config: ClaimsConfig) -> pd.Series:
    """``primary`` or ``exploratory`` for every estimate row."""
    if estimates.empty:
        return pd.Series([], index=estimates.index, dtype="str")
    methods = primary_methods(estimates)
    default = survey_outcomes()
    is_total = np.logical_and.reduce([estimates[c].eq(v).to_numpy() for c, v in TOTAL.items()])
    is_method = [methods[(p, w)] == m for p, w, m in
                 estimates[["programme_id", "wave", "method"]].itertuples(index=False, name=None)]
    is_outcome = [code in (config.primary_for(p) or default) for p, code in
                  estimates[["programme_id", "indicator"]].itertuples(index=False, name=None)]
    primary = is_total & np.asarray(is_method, dtype=bool) & np.asarray(is_outcome, dtype=bool)
    return pd.Series(np.where(primary, PRIMARY, EXPLORATORY), index=estimates.index, dtype="str")


def claims(estimates: pd.DataFrame, config: ClaimsConfig) -> pd.DataFrame:
    """``estimates`` (one report's rows) with ``role``, ``family_size`` (tests in the
    report's family) and ``survives`` (true for a primary test that survives the
    correction, false for one that does not, NA for rows that are not in the family
    or have no test)."""
    out = estimates.copy()
    out["role"] = roles(out, config)
    tested = (out["role"] == PRIMARY) & out["p_value"].notna()
    out["family_size"] = pd.array([int(tested.sum())] * len(out), dtype="Int64")
    out["survives"] = survive(out["p_value"].where(tested), out["programme_id"], config)
    return out


def survive(p_values: pd.Series, programmes: pd.Series, config: ClaimsConfig) -> pd.Series:
    """Which tests a report may state (NA where ``p_values`` is NA: not in the family):
    those Benjamini-Hochberg rejects over every test of the family *and* over the tests
    of their own programme. For one programme the two are the same family; a report of
    several (the union) so never claims what a programme's own report does not."""
    survives = pd.array([pd.NA] * len(p_values), dtype="boolean")
    tested = p_values.notna().to_numpy()
    if not tested.any():
        return pd.Series(survives, index=p_values.index)
    p = p_values.to_numpy(dtype=float, na_value=np.nan)
    keep = np.zeros(len(p), dtype=bool)
    keep[tested] = _rejects(p[tested], config)
    owner = programmes.to_numpy()
    for programme in pd.unique(owner[tested]):
        own = tested & (owner == programme)
        keep[own] &= _rejects(p[own], config)
    survives[tested] = keep[tested]
    return pd.Series(survives, index=p_values.index)


def _rejects(p: np.ndarray, config: ClaimsConfig) -> np.ndarray:
    return multipletests(p, alpha=config.false_discovery_rate, method="fdr_bh")[0]


def attrition_claims(attrition: pd.DataFrame, config: ClaimsConfig) -> pd.DataFrame:
    """The tested rows of one report's attrition table (an indicator's baseline
    difference between those lost and those retained, with a p-value) with
    ``family_size`` (how many) and ``survives`` (``survive`` over them): the report's
    attrition family. A difference is stated only where it survives."""
    out = attrition[(attrition["indicator"] != "all") & attrition["p_value"].notna()].copy()
    out["family_size"] = pd.array([len(out)] * len(out), dtype="Int64")
    out["survives"] = survive(out["p_value"], out["programme_id"], config)
    return out


def findings(claimed: pd.DataFrame) -> pd.DataFrame:
    """The claims of one report, strongest evidence first (smallest p, then the
    estimate furthest from zero in standard errors); never ranked by a raw rise."""
    found = claimed[claimed["survives"].fillna(False).astype(bool)].copy()
    half_width = (found["ci_high"] - found["ci_low"]).abs() / 2
    found["_strength"] = (found["estimate"].abs() / half_width.where(half_width > 0)).fillna(0.0)
    found = found.sort_values(["p_value", "_strength", "programme_id", "indicator"],
                              ascending=[True, False, True, True], kind="stable")
    return found.drop(columns="_strength").reset_index(drop=True)


def decide(rows: list[dict], config: ClaimsConfig) -> pd.DataFrame:
    """The impact stage's rows with the claims of the programme's own report: ``role``,
    ``family_size``, ``survives``; ``bh_significant`` and ``n_tests`` say the same in
    their older terms (survives, and the family's size, for the family's rows only); and
    each tested row's sentence worded for its verdict ("rose" only for a finding).
    Programmes are separate reports, so each gets its own family."""
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = pd.concat([claims(part, config) for _, part in table.groupby("programme_id", sort=False)])
    in_family = (table["role"] == PRIMARY) & table["p_value"].notna()
    table["bh_significant"] = table["survives"]
    table["n_tests"] = table["family_size"].where(in_family)
    tested = table["p_value"].notna()
    table["n_outcomes"] = table["programme_id"].map(table[tested].groupby("programme_id")["indicator"].nunique())
    if WORDING in table:
        for index, wording in table.loc[table[WORDING].notna(), WORDING].items():
            verdict = (Verdict(int(table.at[index, "family_size"]), bool(table.at[index, "survives"]))
                       if in_family[index] else Verdict())
            table.at[index, "sentence"] = wording(verdict=verdict)
        table = table.drop(columns=WORDING)
    return table.sort_index()
