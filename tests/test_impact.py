"""Impact estimates: every method against an independent statsmodels/scipy computation,
a planted-effect simulation, small-sample suppression and single-wave input."""

from __future__ import annotations

import math
import re

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats import proportion

from pipelines.impact import build_impact
from pipelines.impact.assets import impact_tables
from pipelines.impact.did import fit_did
from pipelines.impact.inputs import load_doses
from pipelines.impact.sentences import change_sentence, did_sentence
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES
from pipelines.indicators.build import build_indicator_table
from pipelines.warehouse import Warehouse, connect

OBS_COLUMNS = ["participant_id", "programme_id", "country", "region", "group_id", "arm", "wave", "sex",
               "age_band", "disability", "indicator", "value"]
SURVEY_COLUMNS = ["participant_id", "programme_id", "group_id", "arm", "wave", "interview_date"]


# --- hand-made and generated inputs -------------------------------------------------

def obs_row(pid, arm, wave, indicator, value, *, programme="P1", group="G1", sex="female", band="65-74"):
    return {"participant_id": pid, "programme_id": programme, "country": "BY", "region": "Grodno",
            "group_id": group if arm == "participant" else None, "arm": arm, "wave": wave, "sex": sex,
            "age_band": band, "disability": "no", "indicator": indicator, "value": float(value)}


def load_inputs(con: duckdb.DuckDBPyConnection, obs: pd.DataFrame, survey: pd.DataFrame | None = None,
                attendance: pd.DataFrame | None = None) -> None:
    """The impact stage's inputs, and `indicators` built from them by the real indicator SQL."""
    if survey is None:
        survey = obs[["participant_id", "programme_id", "group_id", "arm", "wave"]].drop_duplicates()
        survey["interview_date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
            np.where(survey["wave"] == "baseline", 0, 365), unit="D")
    groups = obs.loc[obs["group_id"].notna(), ["group_id", "programme_id", "country", "region"]].drop_duplicates(
        "group_id").assign(end_date=pd.NaT, facilitation="staff_led")
    if attendance is None:
        attendance = pd.DataFrame(columns=["group_id", "session_date", "participant_id", "attended"])
    attendance = attendance.reindex(columns=["group_id", "session_date", "participant_id", "attended",
                                             "duration_minutes", "led_by"])
    for name, df in (("indicator_observations", obs), ("survey", survey), ("groups", groups)):
        con.register(f"{name}_df", df)
        con.execute(f"create table {name} as select * from {name}_df").fetchall()
    con.register("attendance_df", attendance)
    con.execute("create table attendance (group_id varchar, session_date date, participant_id varchar, "
                "attended boolean, duration_minutes integer, led_by varchar)").fetchall()
    con.execute("insert into attendance select * from attendance_df").fetchall()
    build_indicator_table(con, 5)


def warehouse(obs: list[dict] | pd.DataFrame, survey: pd.DataFrame | None = None,
              attendance: pd.DataFrame | None = None, *, all_visible: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the impact stage's inputs. ``all_visible`` shows every
    indicator cell, for tests of the estimators on a dozen people (whose shares the
    disclosure rules would hide: tests/test_disclosure.py tests those)."""
    con = duckdb.connect()
    load_inputs(con, pd.DataFrame(obs, columns=OBS_COLUMNS), survey, attendance)
    if all_visible:
        con.execute("UPDATE indicators SET suppressed = false").fetchall()
    return con


def panel(seed: int, effect: float, *, n_part=150, n_comp=150, groups=1, keep=0.85, kind="share") -> pd.DataFrame:
    """indicator_observations-shaped rows with a planted DiD `effect` (proportion or score)."""
    indicator = "3.1" if kind == "share" else "P.who5_mean"  # the catalogue's kinds
    rng = np.random.default_rng(seed)
    rows = []
    for arm, n in (("participant", n_part), ("comparison", n_comp)):
        for i in range(n):
            person = rng.normal(0, 0.15 if kind == "share" else 4)
            group = f"G{i % groups:02d}"
            for wave, post in (("baseline", 0), ("followup1", 1)):
                if post and rng.random() > keep:
                    continue
                shift = 0.05 * post + (0.03 if arm == "participant" else 0) + effect * post * (arm == "participant")
                if kind == "share":
                    value = float(rng.random() < np.clip(0.4 + person + shift, 0, 1))
                else:
                    value = 50 + person + shift + rng.normal(0, 6)
                rows.append(obs_row(f"{arm[0]}{i}", arm, wave, indicator, value, group=group))
    return pd.DataFrame(rows, columns=OBS_COLUMNS)


def total(est: pd.DataFrame, method: str, indicator: str | None = None) -> pd.Series:
    rows = est[(est["method"] == method) & (est["group_id"] == "all") & (est["sex"] == "all")
               & (est["age_band"] == "all")]
    if indicator:
        rows = rows[rows["indicator"] == indicator]
    assert len(rows) == 1, rows
    return rows.iloc[0]


@pytest.fixture
def hand_made() -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """12 participants and 10 comparison respondents; a share (3.1) and a score (P.who5_mean).

    Participant p11 misses follow-up; comparison c9 too. p10 and c8 are seen only at follow-up.
    """
    share_base = [0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, None]
    share_follow = [1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, None]
    score_base = [40, 44, 52, 60, 36, 48, 56, 64, 40, 52, 68, None]
    score_follow = [48, 52, 52, 68, 44, 48, 64, 64, 52, 56, 72, None]
    rows = []
    for i in range(12):
        pid = f"p{i}"
        sex = "female" if i % 2 else "male"
        for wave, share, score in (("baseline", share_base, score_base), ("followup1", share_follow, score_follow)):
            if (i == 10 and wave == "baseline") or (i == 11 and wave == "followup1"):
                continue
            s = share[i] if share[i] is not None else 1
            sc = score[i] if score[i] is not None else 60
            rows.append(obs_row(pid, "participant", wave, "3.1", s, sex=sex))
            rows.append(obs_row(pid, "participant", wave, "P.who5_mean", sc, sex=sex))
    comp_share_base = [0, 1, 0, 0, 1, 0, 0, 1, None, 0]
    comp_share_follow = [0, 1, 1, 0, 1, 0, 0, 1, 0, None]
    comp_score_base = [44, 52, 48, 60, 40, 56, 52, 48, None, 44]
    comp_score_follow = [44, 56, 48, 60, 44, 52, 52, 52, 48, None]
    for i in range(10):
        for wave, share, score in (("baseline", comp_share_base, comp_score_base),
                                   ("followup1", comp_share_follow, comp_score_follow)):
            if share[i] is None:
                continue
            rows.append(obs_row(f"c{i}", "comparison", wave, "3.1", share[i], sex="female" if i % 2 else "male"))
            rows.append(obs_row(f"c{i}", "comparison", wave, "P.who5_mean", score[i],
                                sex="female" if i % 2 else "male"))
    obs = pd.DataFrame(rows, columns=OBS_COLUMNS)
    return warehouse(obs, all_visible=True), obs


def values(obs, arm, wave, indicator) -> pd.Series:
    rows = obs[(obs["arm"] == arm) & (obs["wave"] == wave) & (obs["indicator"] == indicator)]
    return rows.set_index("participant_id")["value"]


# --- each method against statsmodels / scipy ---------------------------------------

def test_change_of_a_share_is_agresti_caffo(hand_made):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, "change", "3.1")
    b, f = values(obs, "participant", "baseline", "3.1"), values(obs, "participant", "followup1", "3.1")
    low, high = proportion.confint_proportions_2indep(f.sum(), len(f), b.sum(), len(b), method="agresti-caffo")
    p = proportion.test_proportions_2indep(f.sum(), len(f), b.sum(), len(b), method="agresti-caffo").pvalue
    assert row["estimate"] == pytest.approx(100 * (8 / 11 - 4 / 11))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert row["p_value"] == pytest.approx(p)
    assert row["n"] == 12 and row["unit"] == "percentage_points"


def test_change_of_a_mean_is_welch(hand_made):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, "change", "P.who5_mean")
    b, f = values(obs, "participant", "baseline", "P.who5_mean"), values(obs, "participant", "followup1", "P.who5_mean")
    res = stats.ttest_ind(f, b, equal_var=False)
    ci = res.confidence_interval()
    assert row["estimate"] == pytest.approx(f.mean() - b.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert row["p_value"] == pytest.approx(res.pvalue)
    assert row["unit"] == "score"


def test_paired_change_of_a_share_uses_mcnemar(hand_made):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, "paired_change", "3.1")
    b, f = values(obs, "participant", "baseline", "3.1"), values(obs, "participant", "followup1", "3.1")
    both = b.index.intersection(f.index)
    b, f = b[both], f[both]
    table = pd.crosstab(b, f).reindex(index=[1.0, 0.0], columns=[1.0, 0.0], fill_value=0).to_numpy()
    assert row["n"] == 10
    assert row["estimate"] == pytest.approx(100 * (f.mean() - b.mean()))
    assert row["p_value"] == pytest.approx(mcnemar(table, exact=True).pvalue)
    # Agresti–Min: Wald on the table with 1/2 added to each cell, written out here.
    a = table + 0.5
    n = a.sum()
    d = (a[1, 0] - a[0, 1]) / n
    se = math.sqrt(((a[1, 0] + a[0, 1]) - (a[1, 0] - a[0, 1]) ** 2 / n) / n**2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * (d - 1.959964 * se), 100 * (d + 1.959964 * se)))
    assert "not interviewed at followup1" in row["note"]


def test_paired_change_of_a_mean_is_paired_t(hand_made):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, "paired_change", "P.who5_mean")
    b = values(obs, "participant", "baseline", "P.who5_mean")
    f = values(obs, "participant", "followup1", "P.who5_mean")
    both = b.index.intersection(f.index)
    res = stats.ttest_rel(f[both], b[both])
    ci = res.confidence_interval()
    assert row["estimate"] == pytest.approx((f[both] - b[both]).mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert row["p_value"] == pytest.approx(res.pvalue)


@pytest.mark.parametrize("indicator, scale", [("3.1", 100.0), ("P.who5_mean", 1.0)])
def test_did_is_the_clustered_interaction(hand_made, indicator, scale):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, "did", indicator)
    data = obs[obs["indicator"] == indicator].assign(
        treated=lambda d: (d["arm"] == "participant").astype(int),
        post=lambda d: (d["wave"] == "followup1").astype(int),
    ).reset_index(drop=True)
    fit = smf.ols("value ~ treated * post", data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["participant_id"])[0]}, use_t=True)
    means = data.groupby(["treated", "post"])["value"].mean()
    hand = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
    assert row["estimate"] == pytest.approx(scale * hand)
    assert row["estimate"] == pytest.approx(scale * fit.params["treated:post"])
    low, high = fit.conf_int().loc["treated:post"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((scale * low, scale * high))
    assert row["p_value"] == pytest.approx(fit.pvalues["treated:post"])
    assert "clustered by participant" in row["note"]


def test_did_clusters_by_group_when_groups_are_many():
    data = panel(3, 0.1, groups=24).assign(
        treated=lambda d: (d["arm"] == "participant").astype(int),
        post=lambda d: (d["wave"] == "followup1").astype(int))
    got = fit_did(data)
    key = data["group_id"].fillna("person:" + data["participant_id"])
    fit = smf.ols("value ~ treated * post", data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(key)[0]}, use_t=True)
    assert got.cluster_by == "group"
    assert got.result.ci_low == pytest.approx(fit.conf_int().loc["treated:post", 0])
    assert got.result.p_value == pytest.approx(fit.pvalues["treated:post"])


def test_breakdowns_carry_all_and_group_did_uses_the_whole_comparison_arm(hand_made):
    con, obs = hand_made
    est = build_impact(con, 3).estimates
    women = est[(est["sex"] == "female") & (est["method"] == "did") & (est["indicator"] == "P.who5_mean")]
    assert len(women) == 1 and women.iloc[0]["group_id"] == "all" and women.iloc[0]["age_band"] == "all"
    group = est[(est["group_id"] == "G1") & (est["method"] == "did")]
    assert len(group) == 2 and group["note"].str.contains("whole comparison group").all()
    assert set(est["method"]) == {"change", "paired_change", "did"}
    assert list(est.columns[:12]) == ["indicator", "programme_id", "group_id", "sex", "age_band", "method",
                                      "estimate", "ci_low", "ci_high", "p_value", "n", "note"]


# --- planted effect -------------------------------------------------------------------

def _did_total(obs: pd.DataFrame) -> pd.Series:
    return total(build_impact(warehouse(obs), 5).estimates, "did")


@pytest.mark.parametrize("kind, effect, scale", [("share", 0.20, 100.0), ("mean", 5.0, 1.0)])
def test_planted_did_effect_is_inside_the_interval(kind, effect, scale):
    row = _did_total(panel(11, effect, n_part=400, n_comp=400, kind=kind))
    assert row["ci_low"] <= effect * scale <= row["ci_high"]
    assert row["ci_low"] > 0 and row["bh_significant"]
    assert "more among participants than in the comparison group" in row["sentence"]


def test_without_effect_the_interval_covers_zero_in_most_seeds():
    covered = 0
    for seed in range(40):
        data = panel(100 + seed, 0.0, n_part=80, n_comp=80).assign(
            treated=lambda d: (d["arm"] == "participant").astype(int),
            post=lambda d: (d["wave"] == "followup1").astype(int))
        fit = fit_did(data).result
        covered += fit.ci_low <= 0 <= fit.ci_high
    assert covered >= 34


# --- small samples and a single wave -------------------------------------------------

def test_small_cells_give_no_estimate_but_a_reason_and_an_mde():
    rows = [obs_row(f"p{i}", "participant", "baseline", "3.1", i % 2) for i in range(8)]
    rows += [obs_row(f"p{i}", "participant", "followup1", "3.1", 1) for i in range(4)]
    rows += [obs_row(f"c{i}", "comparison", w, "3.1", i % 2) for i in range(8) for w in ("baseline", "followup1")]
    est = build_impact(warehouse(rows), 5).estimates
    for method in ("change", "paired_change", "did"):
        row = total(est, method)
        assert pd.isna(row["estimate"]) and pd.isna(row["ci_low"]) and pd.isna(row["p_value"])
        assert row["note"].startswith("Not estimated:") and "5" in row["note"]
        assert "not estimated" in row["sentence"]
        assert pd.isna(row["bh_significant"])
    # 4 follow-up respondents and 4 pairs: never published as a number, not even through the MDE
    change_row = total(est, "change")
    assert "8 respondents at baseline and fewer than 5 respondents at followup1" in change_row["note"]
    assert "fewer than 5 people with this indicator in both waves" in total(est, "paired_change")["note"]
    assert "participants 8 at baseline and fewer than 5 at followup1" in total(est, "did")["note"]
    for method in ("change", "paired_change", "did"):
        row = total(est, method)
        assert not re.search(r"\b[1-4]\b", row["note"] + row["sentence"]), row["note"]
        assert pd.isna(row["mde"])
    assert pd.isna(total(est, "paired_change")["n"])  # 4 pairs
    assert total(est, "change")["n"] == 8
    assert "Even with 5 in each small cell, only a change of more than" in change_row["note"]


def test_min_cell_is_a_parameter():
    # the impact stage's own rule (each wave needs min_cell people), with every cell shown
    rows = [obs_row(f"p{i}", "participant", w, "3.1", (i + (w == "followup1")) % 2)
            for i in range(7) for w in ("baseline", "followup1")]
    assert pd.isna(total(build_impact(warehouse(rows, all_visible=True), 10).estimates, "change")["estimate"])
    assert pd.notna(total(build_impact(warehouse(rows, all_visible=True), 5).estimates, "change")["estimate"])


def test_single_wave_gives_empty_tables_with_the_right_columns():
    rows = [obs_row(f"p{i}", "participant", "baseline", "3.1", i % 2) for i in range(20)]
    tables = build_impact(warehouse(rows), 5)
    assert tables.estimates.empty and list(tables.estimates.columns) == list(IMPACT_ESTIMATES)
    assert list(tables.attrition.columns) == list(ATTRITION)
    assert list(tables.dose_response.columns) == list(DOSE_RESPONSE)
    assert any("baseline only" in n for n in tables.notes)


def test_an_indicator_missing_from_the_catalogue_fails_loudly():
    rows = [obs_row(f"p{i}", "participant", w, "3.1", i % 2) for i in range(6) for w in ("baseline", "followup1")]
    con = warehouse(rows)
    con.execute("update indicator_observations set indicator = 'X.9' where participant_id = 'p0'").fetchall()
    with pytest.raises(ValueError, match="catalogue does not list.*X.9"):
        build_impact(con, 5)


def test_no_comparison_arm_means_no_did(hand_made):
    _, obs = hand_made
    est = build_impact(warehouse(obs[obs["arm"] == "participant"]), 5).estimates
    assert "did" not in set(est["method"])


# --- attrition, dose-response, multiplicity -----------------------------------------

def test_attrition_counts_and_baseline_difference():
    rows = []
    for i in range(30):
        lost = i >= 20
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i))
        if not lost:
            rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45 + i))
    att = build_impact(warehouse(rows), 5).attrition
    people = att[(att["indicator"] == "all") & (att["arm"] == "participant")].iloc[0]
    assert (people["n_baseline"], people["n_retained"], people["n_lost"]) == (30, 20, 10)
    row = att[att["indicator"] == "P.who5_mean"].iloc[0]
    lost, kept = np.arange(60, 70), np.arange(40, 60)
    res = stats.ttest_ind(lost, kept, equal_var=False)
    assert row["difference"] == pytest.approx(lost.mean() - kept.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(res.confidence_interval()))
    assert row["p_value"] == pytest.approx(res.pvalue)
    assert "Those lost started 15.0 points higher" in row["note"]
    paired = total(build_impact(warehouse(rows), 5).estimates, "paired_change")
    assert "10 of 30 baseline respondents (33%) were not interviewed at followup1" in paired["note"]
    assert "Those lost started" in paired["note"]


def test_dose_response_tertiles_and_trend():
    rows, att = [], []
    for i in range(30):
        sessions = i  # 0…29: thirds 0–9, 10–19, 20–29
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 50))
        rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 50 + sessions / 5 + (i % 3)))
        att += [("G1", pd.Timestamp("2024-02-01") + pd.Timedelta(days=k), f"p{i}", True) for k in range(sessions)]
        # after the follow-up interview (2024-12-31): must not count
        att.append(("G1", pd.Timestamp("2025-03-01"), f"p{i}", True))
        att.append(("G1", pd.Timestamp("2024-01-15"), f"p{i}", False))
    attendance = pd.DataFrame(att, columns=["group_id", "session_date", "participant_id", "attended"])
    dose = build_impact(warehouse(rows, attendance=attendance), 5).dose_response
    assert list(dose["tertile"]) == [1, 2, 3]
    assert list(dose["sessions_min"]) == [0, 10, 20] and list(dose["sessions_max"]) == [9, 19, 29]
    change = pd.Series([i / 5 + (i % 3) for i in range(30)])
    tertile = pd.Series(np.repeat([1, 2, 3], 10))
    assert list(dose["change"]) == pytest.approx(list(change.groupby(tertile).mean()))
    fit = smf.ols("change ~ tertile", data=pd.DataFrame({"change": change, "tertile": tertile})).fit(cov_type="HC1")
    assert dose["trend_slope"].iloc[0] == pytest.approx(fit.params["tertile"])
    assert dose["trend_p"].iloc[0] == pytest.approx(fit.pvalues["tertile"])


def test_benjamini_hochberg_over_the_outcomes_of_each_comparison(hand_made):
    con, _ = hand_made
    est = build_impact(con, 3).estimates
    tested = est[est["p_value"].notna()]
    families = tested.groupby(["programme_id", "wave", "method", "group_id", "sex", "age_band"])
    assert families.ngroups > 1
    for _, family in families:
        assert list(family["bh_significant"]) == list(multipletests(family["p_value"], method="fdr_bh")[0])
        assert (family["n_tests"] == len(family)).all()
    assert (est["n_outcomes"] == 2).all()
    assert est.loc[est["p_value"].isna(), "bh_significant"].isna().all()


# --- wording ---------------------------------------------------------------------------

def test_sentences_say_rose_fell_or_no_clear_change():
    assert change_sentence("Physical exercise", "share", 27.2, 20.1, 34.4, "followup1", "participants") == (
        "Among participants, physical exercise rose by 27 percentage points from baseline to followup1 "
        "(95% CI 20 to 34).")
    assert "fell by 2.5 points" in change_sentence("UCLA-3 loneliness", "mean", -2.5, -3.1, -1.9, "followup1",
                                                   "participants")
    assert "no clear change" in change_sentence("Physical exercise", "share", 3.0, -2.0, 8.0, "followup1",
                                                "participants")
    assert did_sentence("Daily exercise", "share", 27.0, 20.0, 34.0, "followup1", "participants", 30.0, 3.0)\
        .startswith("Daily exercise rose by 27 percentage points more among participants than in the comparison")
    # Both arms fell, participants less: never "rose".
    assert "fell by 5 percentage points less" in did_sentence("Daily exercise", "share", 5.0, 1.0, 9.0, "followup1",
                                                             "participants", -2.0, -7.0)


# --- the Dagster asset ------------------------------------------------------------------

def test_asset_writes_the_three_tables(tmp_path, hand_made):
    _, obs = hand_made
    root = Warehouse(data_dir=str(tmp_path))
    with connect(root.paths.warehouse) as con:
        survey = obs[["participant_id", "programme_id", "group_id", "arm", "wave"]].drop_duplicates().assign(
            interview_date=pd.NaT)
        load_inputs(con, obs, survey)
    result = dg.materialize([impact_tables], resources={"warehouse": root})
    assert result.success
    with connect(root.paths.warehouse, read_only=True) as con:
        columns = [r[0] for r in con.execute("describe impact_estimates").fetchall()]
        n = con.execute("select count(*) from impact_estimates").fetchone()[0]
        assert con.execute("select count(*) from attrition").fetchone()[0] > 0
    assert columns == list(IMPACT_ESTIMATES) and n > 0


def test_asset_on_a_single_wave_writes_empty_tables_and_says_why(tmp_path):
    root = Warehouse(data_dir=str(tmp_path))
    obs = pd.DataFrame([obs_row(f"p{i}", "participant", "baseline", "3.1", 1) for i in range(6)], columns=OBS_COLUMNS)
    with connect(root.paths.warehouse) as con:
        load_inputs(con, obs)
    result = dg.materialize([impact_tables], resources={"warehouse": root})
    assert result.success
    meta = result.asset_materializations_for_node("impact_tables")[0].metadata
    assert "baseline only" in meta["why_empty"].value
    with connect(root.paths.warehouse, read_only=True) as con:
        assert con.execute("select count(*) from impact_estimates").fetchone()[0] == 0


# --- disclosure control -------------------------------------------------------------------

def test_breakdown_suppressed_in_indicators_is_not_estimated():
    """12 women and 3 men: the men's cells are small, so `indicators` hides the women's too
    (secondary suppression). Estimating the women's change would give both back."""
    rows = [obs_row(f"p{i}", "participant", w, "P.who5_mean", 40 + i + 5 * (w == "followup1"),
                    sex="male" if i < 3 else "female")
            for i in range(15) for w in ("baseline", "followup1")]
    est = build_impact(warehouse(rows), 5).estimates
    women = est[(est["sex"] == "female")]
    assert set(women["method"]) == {"change", "paired_change"}
    assert women["estimate"].isna().all() and women["n"].isna().all() and women["mde"].isna().all()
    assert women["note"].str.contains("suppressed in the indicators table to protect a small neighbouring cell").all()
    assert total(est, "change")["estimate"] == pytest.approx(5.0)  # the total stays


def test_paired_breakdown_withheld_when_a_part_has_few_pairs():
    """Every wave cell is visible, but only 2 men were seen twice: the women's paired change
    and the total's would give the two men's change away."""
    rows = [obs_row(f"w{i}", "participant", w, "P.who5_mean", 40 + i + 5 * (w == "followup1"))
            for i in range(10) for w in ("baseline", "followup1")]
    rows += [obs_row(f"m{i}", "participant", "baseline", "P.who5_mean", 50, sex="male") for i in range(6)]
    rows += [obs_row(f"m{i}", "participant", "followup1", "P.who5_mean", 60, sex="male") for i in range(2)]
    rows += [obs_row(f"n{i}", "participant", "followup1", "P.who5_mean", 60, sex="male") for i in range(4)]
    est = build_impact(warehouse(rows), 5).estimates
    women = est[(est["sex"] == "female") & (est["method"] == "paired_change")].iloc[0]
    assert pd.isna(women["estimate"]) and "paired change by sex is withheld" in women["note"]
    assert pd.notna(total(est, "paired_change")["estimate"])
    assert pd.notna(est[(est["sex"] == "female") & (est["method"] == "change")].iloc[0]["estimate"])


def test_attrition_hides_a_small_number_lost():
    rows = [obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i) for i in range(20)]
    rows += [obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45 + i) for i in range(17)]
    tables = build_impact(warehouse(rows), 5)
    people = tables.attrition[tables.attrition["indicator"] == "all"].iloc[0]
    assert people["n_baseline"] == 20
    assert pd.isna(people["n_lost"]) and pd.isna(people["n_retained"]) and pd.isna(people["lost_pct"])
    assert people["note"] == "Fewer than 5 of 20 baseline respondents were not interviewed at followup1."
    paired = total(tables.estimates, "paired_change")
    assert "Fewer than 5 of 20 baseline respondents were not interviewed" in paired["note"]
    assert not re.search(r"\b3\b", paired["note"] + " " + tables.attrition["note"].str.cat(sep=" "))


def test_dose_is_withheld_whole_when_a_third_is_small():
    rows, att = [], []
    sessions = [1] * 10 + [5] * 10 + [9] * 3  # ties never split: "thirds" of 20 and 3 people
    for i, n in enumerate(sessions):
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 50))
        rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 50 + n + i % 2))
        att += [("G1", pd.Timestamp("2024-02-01") + pd.Timedelta(days=k), f"p{i}", True) for k in range(n)]
    attendance = pd.DataFrame(att, columns=["group_id", "session_date", "participant_id", "attended"])
    dose = build_impact(warehouse(rows, attendance=attendance), 5).dose_response
    assert list(dose["tertile"]) == [1, 2]
    for column in ("n", "sessions_min", "sessions_max"):
        assert dose[column].isna().all()
    assert dose["change"].isna().all() and dose["trend_slope"].isna().all()
    assert dose["note"].str.startswith("Not estimated: every attendance third").all()


def test_dose_counts_sessions_in_every_group_of_the_programme():
    """p0 is surveyed in G1 but also attends G2 (nobody surveyed there) of the same
    programme, and G9 of another programme: G1 and G2 count, G9 does not."""
    rows = [obs_row(f"p{i}", "participant", w, "P.who5_mean", 50) for i in range(6) for w in ("baseline", "followup1")]
    rows.append(obs_row("q0", "participant", "baseline", "P.who5_mean", 50, programme="P2", group="G9"))
    att = [("G1", pd.Timestamp("2024-02-01"), "p0", True), ("G1", pd.Timestamp("2024-02-08"), "p0", True),
           ("G2", pd.Timestamp("2024-03-01"), "p0", True), ("G2", pd.Timestamp("2024-03-08"), "p0", True),
           ("G2", pd.Timestamp("2024-03-15"), "p0", False), ("G9", pd.Timestamp("2024-03-01"), "p0", True)]
    con = duckdb.connect()
    obs = pd.DataFrame(rows, columns=OBS_COLUMNS)
    load_inputs(con, obs, attendance=pd.DataFrame(att, columns=["group_id", "session_date", "participant_id",
                                                                 "attended"]))
    con.execute("insert into groups values ('G2', 'P1', 'BY', 'Grodno', null, 'staff_led')").fetchall()
    doses = load_doses(con).set_index("participant_id")["sessions"]
    assert doses["p0"] == 4 and doses["p1"] == 0  # G1 keeps a register: p1 attended none
