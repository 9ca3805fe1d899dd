"""Impact estimates: every method against an explicit CR2 computation (statsmodels OLS and
scipy matrices), the refusals for few groups and single groups, a planted-effect
simulation, small-sample suppression, what notes may print, and single-wave input."""

from __future__ import annotations

import math
import re

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from reference_cr2 import block_icc, explicit_cr2
from scipy import stats
from statsmodels.stats.multitest import multipletests

from pipelines import catalogue
from pipelines.impact import build_impact
from pipelines.defs.impact.assets import impact_tables
from pipelines.impact.attrition import AT_AN_END, at_an_end
from pipelines.impact.claims import attrition_claims, claims, decide
from pipelines.impact.inputs import load_doses
from pipelines.impact.sentences import Verdict, change_sentence, did_sentence
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES
from pipelines.impact.verdict import FEW_GROUPS, SINGLE_GROUP
from pipelines.indicators.build import build_indicator_table
from pipelines.settings import ClaimsConfig
from pipelines.defs.resources import AaiSettings
from pipelines.warehouse import connect

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


def panel(seed: int, effect: float, *, n_part=150, n_comp=150, groups=1, keep=0.85, kind="share",
          group_sd=0.0) -> pd.DataFrame:
    """indicator_observations-shaped rows with a planted DiD `effect` (proportion or score);
    participant i is in group i mod `groups`, whose answers share a shift of sd `group_sd`
    (in proportion or score points) at each wave."""
    indicator = "3.1" if kind == "share" else "P.who5_mean"  # the catalogue's kinds
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0, group_sd, (groups, 2))
    rows = []
    for arm, n in (("participant", n_part), ("comparison", n_comp)):
        for i in range(n):
            person = rng.normal(0, 0.15 if kind == "share" else 4)
            group = f"G{i % groups:02d}"
            for wave, post in (("baseline", 0), ("followup1", 1)):
                if post and rng.random() > keep:
                    continue
                shift = 0.05 * post + (0.03 if arm == "participant" else 0) + effect * post * (arm == "participant")
                shift += shocks[i % groups, post] if arm == "participant" else 0.0
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
    """12 participants in 4 groups (G1–G4, 3 each) and 10 comparison respondents; a share
    (3.1) and a score (P.who5_mean).

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
            group = f"G{i % 4 + 1}"
            rows.append(obs_row(pid, "participant", wave, "3.1", s, sex=sex, group=group))
            rows.append(obs_row(pid, "participant", wave, "P.who5_mean", sc, sex=sex, group=group))
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



def reference(obs: pd.DataFrame, indicator: str, method: str) -> dict:
    """The row's statistics computed independently: explicit CR2 (statsmodels, scipy),
    the ANOVA working correlation, t interval and test, Bloom's MDE."""
    rows = obs[obs["indicator"] == indicator].copy()
    rows["post"] = (rows["wave"] != "baseline").astype(int)
    part = rows[rows["arm"] == "participant"]
    if method == "change":
        cluster, cell, y, weights, cells = part["group_id"], part["post"], part["value"], [-1.0, 1.0], 2
    elif method == "paired_change":
        wide = part.pivot(index="participant_id", columns="post", values="value").dropna()
        groups = part.drop_duplicates("participant_id").set_index("participant_id")["group_id"]
        cluster, cell, y, weights, cells = groups[wide.index], np.zeros(len(wide), int), wide[1] - wide[0], [1.0], 1
    else:
        cluster = rows["group_id"].fillna("person " + rows["participant_id"])
        cell = (rows["arm"] == "participant").astype(int) + 2 * rows["post"]
        y, weights, cells = rows["value"], [1.0, -1.0, -1.0, 1.0], 4
    cluster, cell, y = np.asarray(cluster), np.asarray(cell), np.asarray(y, float)
    est, se, df = explicit_cr2(cluster, cell, y, weights, cells, block_icc(cluster, cell, y))
    t = stats.t.ppf(0.975, df)
    return {"estimate": est, "se": se, "df": df, "ci_low": est - t * se, "ci_high": est + t * se,
            "p_value": 2 * stats.t.sf(abs(est) / se, df), "mde": (t + stats.t.ppf(0.8, df)) * se}


# --- each method against an explicit computation ---------------------------------------

@pytest.mark.parametrize("method", ["change", "paired_change", "did"])
@pytest.mark.parametrize("indicator, scale", [("3.1", 100.0), ("P.who5_mean", 1.0)])
def test_each_method_is_cr2_with_groups_as_clusters(hand_made, method, indicator, scale):
    con, obs = hand_made
    row = total(build_impact(con, 5).estimates, method, indicator)
    expected = reference(obs, indicator, method)
    for column in ("estimate", "se", "ci_low", "ci_high", "mde"):
        assert row[column] == pytest.approx(scale * expected[column], rel=1e-9), column
    assert (row["df"], row["p_value"]) == pytest.approx((expected["df"], expected["p_value"]), rel=1e-9)
    assert row["clustering"] == "group" and row["n_clusters"] == 4
    assert "clustered by group (CR2, 4 groups" in row["note"]


def test_sizes_in_a_row_are_the_published_cells(hand_made):
    con, obs = hand_made
    est = build_impact(con, 5).estimates
    # change and DiD: observations used, the sum of the wave cells `indicators` publishes
    assert total(est, "change", "3.1")["n"] == 11 + 11
    assert total(est, "did", "3.1")["n"] == 11 + 11 + 9 + 9
    assert "11 respondents at baseline and 11 at followup1" in total(est, "change", "3.1")["note"]
    # 10 pairs: 11 − 10 = 1 seen only at baseline, so the pair count is withheld
    paired = total(est, "paired_change", "3.1")
    assert pd.isna(paired["n"]) and "how many is withheld" in paired["note"]
    assert not re.search(r"\b10\b", paired["note"] + paired["sentence"])


def test_an_interval_never_leaves_the_possible_range():
    """Everyone at 0 at baseline and 1 at follow-up in 4 groups but one person: the
    change can be at most 100 points, whatever the t quantile says."""
    rows = []
    for i in range(24):
        group = f"G{i % 4}"
        rows.append(obs_row(f"p{i}", "participant", "baseline", "3.1", 0, group=group))
        rows.append(obs_row(f"p{i}", "participant", "followup1", "3.1", int(i != 0), group=group))
    row = total(build_impact(warehouse(rows, all_visible=True), 5).estimates, "change")
    assert row["ci_high"] == 100.0 and row["ci_low"] < row["estimate"] < 100.0
    assert row["ci_low"] > 0 and row["p_value"] < 0.05


# --- refusals ----------------------------------------------------------------------------

@pytest.mark.parametrize("groups", [1, 2, 3])
def test_fewer_than_four_groups_are_described_not_tested(groups):
    est = build_impact(warehouse(panel(5, 0.2, n_part=60, n_comp=40, groups=groups)), 5).estimates
    for method in ("change", "paired_change", "did"):
        row = total(est, method)
        assert pd.notna(row["estimate"])
        assert pd.isna(row["ci_low"]) and pd.isna(row["p_value"]) and pd.isna(row["mde"]) and pd.isna(row["se"])
        assert pd.isna(row["bh_significant"]) and pd.isna(row["clustering"])
        assert row["note"].startswith(FEW_GROUPS.note) and row["n_clusters"] == groups
        assert "described, not tested: fewer than 4 groups" in row["sentence"]
    assert "95% CI" not in " ".join(est["sentence"])


def test_a_single_groups_change_is_never_tested():
    est = build_impact(warehouse(panel(6, 0.2, n_part=120, n_comp=60, groups=5)), 5).estimates
    groups = est[est["group_id"] != "all"]
    assert set(groups["group_id"]) == {"G00", "G01", "G02", "G03", "G04"} and len(groups) == 15
    assert groups["p_value"].isna().all() and groups["estimate"].notna().all()
    assert groups["note"].str.startswith(SINGLE_GROUP.note).all()
    assert groups.loc[groups["method"] == "did", "note"].str.contains("whole comparison group").all()
    assert pd.notna(total(est, "did")["p_value"])


def test_a_single_comparison_respondent_gives_no_did():
    est = build_impact(warehouse(panel(7, 0.2, n_part=60, n_comp=1, groups=5)), 5).estimates
    row = total(est, "did")
    assert pd.isna(row["estimate"]) and pd.isna(row["n"])
    assert "comparison group fewer than 5 and fewer than 5" in row["note"]
    assert pd.notna(total(est, "change")["p_value"])


def test_one_group_holding_a_whole_wave_is_described():
    rows = [obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i, group=f"G{i % 4}")
            for i in range(20)]
    rows += [obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 50 + i, group="G0") for i in range(0, 20, 4)]
    row = total(build_impact(warehouse(rows), 5).estimates, "change")
    assert pd.notna(row["estimate"]) and pd.isna(row["p_value"])
    assert "every answer of one wave comes from a single group" in row["note"]


# --- planted effect -------------------------------------------------------------------

@pytest.mark.parametrize("kind, effect, scale, group_sd", [("share", 0.20, 100.0, 0.03), ("mean", 5.0, 1.0, 1.0)])
def test_planted_did_effect_is_inside_the_interval(kind, effect, scale, group_sd):
    est = build_impact(warehouse(panel(11, effect, n_part=400, n_comp=400, groups=20, kind=kind,
                                       group_sd=group_sd)), 5).estimates
    row = total(est, "did")
    assert row["ci_low"] <= effect * scale <= row["ci_high"]
    assert row["ci_low"] > 0 and row["bh_significant"] and row["n_clusters"] == 20
    assert "more among participants than in the comparison group" in row["sentence"]


def test_without_effect_the_interval_covers_zero_in_most_programmes():
    """40 programmes with no effect and group shocks, in one warehouse."""
    obs = pd.concat([panel(100 + seed, 0.0, n_part=80, n_comp=60, groups=8, group_sd=0.08).assign(
        programme_id=f"P{seed:02d}", participant_id=lambda d, s=seed: f"{s}-" + d["participant_id"],
        group_id=lambda d, s=seed: np.where(d["group_id"].isna(), None, f"{s}-" + d["group_id"].astype(str)))
        for seed in range(40)])
    est = build_impact(warehouse(obs), 5).estimates
    did = est[(est["method"] == "did") & (est["group_id"] == "all") & (est["sex"] == "all")
              & (est["age_band"] == "all")]
    assert len(did) == 40 and did["p_value"].notna().all()
    covered = ((did["ci_low"] <= 0) & (0 <= did["ci_high"])).sum()
    assert covered >= 34


# --- small samples and a single wave -------------------------------------------------

def test_small_cells_give_no_estimate_but_a_reason_and_an_mde():
    rows = [obs_row(f"p{i}", "participant", "baseline", "3.1", i % 2) for i in range(8)]
    rows += [obs_row(f"p{i}", "participant", "followup1", "3.1", 1) for i in range(4)]
    rows += [obs_row(f"c{i}", "comparison", w, "3.1", i % 2) for i in range(8) for w in ("baseline", "followup1")]
    est = build_impact(warehouse(rows, all_visible=True), 5).estimates
    for method in ("change", "paired_change", "did"):
        row = total(est, method)
        assert pd.isna(row["estimate"]) and pd.isna(row["ci_low"]) and pd.isna(row["p_value"])
        assert row["note"].startswith("Not estimated:") and "5" in row["note"]
        assert "not estimated" in row["sentence"]
        assert pd.isna(row["bh_significant"]) and pd.isna(row["n"]) and pd.isna(row["mde"])
    # 4 follow-up respondents and 4 pairs: never published as a number, not even through the MDE
    change_row = total(est, "change")
    assert "8 respondents at baseline and fewer than 5 respondents at followup1" in change_row["note"]
    assert "fewer than 5 people with this indicator in both waves" in total(est, "paired_change")["note"]
    assert "participants 8 at baseline and fewer than 5 at followup1" in total(est, "did")["note"]
    for method in ("change", "paired_change", "did"):
        row = total(est, method)
        assert not re.search(r"\b[1-4]\b", row["note"] + row["sentence"]), row["note"]
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
    tables = build_impact(warehouse(obs[obs["arm"] == "participant"]), 5)
    assert "did" not in set(tables.estimates["method"])
    assert any("no comparison group" in n for n in tables.notes)


# --- attrition, dose-response, multiplicity -----------------------------------------

def test_attrition_counts_and_the_baseline_difference_is_cr2():
    rows = []
    for i in range(30):
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i + (7 * i) % 11,
                            group=f"G{i % 5}"))
        if i < 20:
            rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45 + i, group=f"G{i % 5}"))
    tables = build_impact(warehouse(rows), 5)
    att = tables.attrition
    people = att[(att["indicator"] == "all") & (att["arm"] == "participant")].iloc[0]
    assert (people["n_baseline"], people["n_retained"], people["n_lost"]) == (30, 20, 10)
    row = att[att["indicator"] == "P.who5_mean"].iloc[0]
    base = pd.DataFrame(rows).query("wave == 'baseline'")
    lost = (base["participant_id"].str[1:].astype(int) >= 20).astype(int).to_numpy()
    y = base["value"].to_numpy()
    cluster = base["group_id"].to_numpy()
    est, se, df = explicit_cr2(cluster, lost, y, [-1.0, 1.0], 2, block_icc(cluster, lost, y))
    t = stats.t.ppf(0.975, df)
    assert row["difference"] == pytest.approx(est) and row["se"] == pytest.approx(se) and row["df"] == pytest.approx(df)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((est - t * se, est + t * se))
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(est) / se, df))
    assert row["clustering"] == "group" and row["n_clusters"] == 5
    paired = total(tables.estimates, "paired_change")
    assert "10 of 30 baseline respondents (33%) were not interviewed at followup1" in paired["note"]
    assert "Those lost started" in paired["note"] or "No clear baseline difference" in paired["note"]



def test_a_size_hidden_after_wording_leaves_no_number_in_words():
    """``protect`` hides sizes after the notes are worded; ``withheld.reword`` takes the
    hidden numbers out of the notes and sentences that printed them."""
    from pipelines.disclosure.impact import Hidden
    from pipelines.disclosure.notes import stated
    from pipelines.impact.tables import write_table
    from pipelines.impact.withheld import reword

    rows = []
    for i in range(30):
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i, group=f"G{i % 5}"))
        if i < 20:
            rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45 + i, group=f"G{i % 5}"))
    con = warehouse(rows)
    tables = build_impact(con, 5)
    write_table(con, "impact_estimates", tables.estimates, IMPACT_ESTIMATES)
    write_table(con, "attrition", tables.attrition, ATTRITION)
    paired = {"programme_id": "P1", "wave": "followup1", "group_id": "all", "sex": "all", "age_band": "all",
              "indicator": "P.who5_mean", "method": "paired_change"}
    before = con.execute("SELECT note, sentence FROM impact_estimates WHERE method = 'paired_change' "
                         "AND group_id = 'all'").fetchone()
    assert "Paired on 20 people" in before[0] and "10 of 30 baseline respondents (33%)" in before[0]
    assert "the 20 participants interviewed" in before[1]
    con.execute("UPDATE attrition SET n_retained = NULL, n_lost = NULL, lost_pct = NULL WHERE indicator = 'all'")
    con.execute("UPDATE impact_estimates SET n = NULL WHERE method = 'paired_change' AND group_id = 'all'")
    reword(con, [Hidden("attrition", "n_lost", {"programme_id": "P1", "wave": "followup1",
                                                "arm": "participant", "indicator": "all"}, 10.0),
                 Hidden("impact_estimates", "n", paired, 20.0)])
    note, sentence = con.execute("SELECT note, sentence FROM impact_estimates WHERE method = 'paired_change' "
                                 "AND group_id = 'all'").fetchone()
    attrition_note = con.execute("SELECT note FROM attrition WHERE indicator = 'all'").fetchone()[0]
    assert attrition_note == ("How many of 30 baseline respondents were not interviewed at followup1 is withheld to "
                              "protect a small count.")
    assert attrition_note in note and "how many is withheld to protect a small count" in note
    assert not {10, 20} & stated(f"{note} {sentence}")[0] and "(33%)" not in note
    assert "the participants interviewed at both baseline and followup1" in sentence


def test_attrition_is_not_tested_when_one_side_is_all_at_an_end_of_the_scale():
    """The 10 lost all have 3.1 (a share of 100 %), the 20 retained 7 (35 %): the lost
    side has no spread, so a test would take 100 % as exact (it gave p = 0.0003 for five
    people in the claims study); the difference is described, not tested. WHO-5, which
    varies on both sides, is tested as before."""
    rows = []
    for i in range(30):
        group = f"G{i % 5}"
        rows.append(obs_row(f"p{i}", "participant", "baseline", "3.1", 1 if i >= 20 else int(i % 3 == 0),
                            group=group))
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + (7 * i) % 11, group=group))
        if i < 20:
            rows.append(obs_row(f"p{i}", "participant", "followup1", "3.1", int(i % 3 == 0), group=group))
            rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45, group=group))
    att = build_impact(warehouse(rows), 5).attrition.set_index("indicator")
    share = att.loc["3.1"]
    assert (share["baseline_lost"], share["baseline_retained"], share["difference"]) == (100.0, 35.0, 65.0)
    assert pd.isna(share["p_value"]) and pd.isna(share["ci_low"]) and pd.isna(share["ci_high"])
    assert share["note"] == ("Those lost started 65 percentage points higher than those retained. "
                             + AT_AN_END.note)
    assert pd.notna(att.loc["P.who5_mean", "p_value"])
    assert at_an_end((0.5, 0.0), (0.0, 1.0)) is AT_AN_END and at_an_end((0.5, 0.2), (0.0, 1.0)) is None
    assert at_an_end((3.0, 5.0), (3.0, 9.0)) is AT_AN_END  # a mean at the bottom of its scale (UCLA-3)


def test_dose_response_thirds_and_trend_are_cr2():
    rows, att = [], []
    for i in range(30):
        sessions = i  # 0…29: thirds 0–9, 10–19, 20–29
        group = f"G{i % 5}"
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 50, group=group))
        rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 50 + sessions / 5 + (i % 3),
                            group=group))
        att += [(group, pd.Timestamp("2024-02-01") + pd.Timedelta(days=k), f"p{i}", True) for k in range(sessions)]
        # after the follow-up interview (2024-12-31): must not count
        att.append((group, pd.Timestamp("2025-03-01"), f"p{i}", True))
        att.append((group, pd.Timestamp("2024-01-15"), f"p{i}", False))
    attendance = pd.DataFrame(att, columns=["group_id", "session_date", "participant_id", "attended"])
    dose = build_impact(warehouse(rows, attendance=attendance), 5).dose_response
    assert list(dose["tertile"]) == [1, 2, 3]
    assert list(dose["sessions_min"]) == [0, 10, 20] and list(dose["sessions_max"]) == [9, 19, 29]
    change = np.array([i / 5 + (i % 3) for i in range(30)])
    tertile = np.repeat([1, 2, 3], 10)
    cluster = np.array([f"G{i % 5}" for i in range(30)])
    assert list(dose["change"]) == pytest.approx(list(pd.Series(change).groupby(tertile).mean()))
    fit = smf.ols("change ~ tertile", data=pd.DataFrame({"change": change, "tertile": tertile})).fit()
    assert dose["trend_slope"].iloc[0] == pytest.approx(fit.params["tertile"])
    # the slope is the contrast (r − r̄)/Σ(r − r̄)² of the thirds' means, 10 people each
    est, se, df = explicit_cr2(cluster, tertile - 1, change, [-0.5, 0.0, 0.5], 3,
                               block_icc(cluster, tertile - 1, change))
    assert dose["trend_slope"].iloc[0] == pytest.approx(est)
    assert dose["trend_df"].iloc[0] == pytest.approx(df)
    assert dose["trend_p"].iloc[0] == pytest.approx(2 * stats.t.sf(abs(est) / se, df))
    first = explicit_cr2(cluster[:10], np.zeros(10, int), change[:10], [1.0], 1,
                         block_icc(cluster[:10], np.zeros(10, int), change[:10]))
    half = stats.t.ppf(0.975, first[2]) * first[1]
    assert (dose["ci_low"].iloc[0], dose["ci_high"].iloc[0]) == pytest.approx((first[0] - half, first[0] + half))


def test_one_claim_family_per_programme_report(hand_made):
    """The family is the programme's primary tests: each indicator at the programme
    total by the design's method (DiD, there being a comparison arm), corrected
    together by Benjamini-Hochberg; every other row is exploratory and never flagged."""
    con, _ = hand_made
    est = build_impact(con, 3).estimates
    primary = est[est["role"] == "primary"]
    assert set(primary["method"]) == {"did"}
    assert (primary[["group_id", "sex", "age_band"]] == "all").all().all()
    family = primary[primary["p_value"].notna()]
    assert len(family) == 2 and (family["family_size"] == 2).all() and (family["n_tests"] == 2).all()
    assert list(family["survives"]) == list(multipletests(family["p_value"], method="fdr_bh")[0])
    assert list(family["bh_significant"]) == list(family["survives"])
    exploratory = est[est["role"] == "exploratory"]
    assert exploratory["survives"].isna().all() and exploratory["bh_significant"].isna().all()
    assert exploratory["n_tests"].isna().all()
    assert (est["family_size"] == 2).all() and (est["n_outcomes"] == 2).all()


def test_only_a_surviving_primary_test_rose_or_fell(hand_made):
    con, _ = hand_made
    est = build_impact(con, 3).estimates
    for row in est[est["p_value"].notna()].itertuples():
        excludes_zero = row.ci_low > 0 or row.ci_high < 0
        claimed = bool(row.survives) if row.role == "primary" else False
        says = bool(re.search(r"\b(rose|fell)\b", row.sentence))
        assert says == (claimed and excludes_zero), row.sentence
        if excludes_zero and not claimed:
            assert ("exploratory" in row.sentence) or ("not a finding" in row.sentence), row.sentence


def test_declared_primary_outcomes_narrow_the_family(hand_made):
    con, _ = hand_made
    config = ClaimsConfig(by_programme={"P1": ("P.who5_mean",)})
    est = build_impact(con, 3, config).estimates
    primary = est[est["role"] == "primary"]
    assert list(primary["indicator"].unique()) == ["P.who5_mean"]
    assert (est["family_size"] == 1).all()



def primary_tests(p_values: dict[str, list[float]]) -> pd.DataFrame:
    """Paired-change rows at the programme total (so primary, there being no DiD) with
    these p-values, programme by programme, on the catalogue's first survey indicators."""
    codes = ["2.1", "3.1", "4.3", "4.5", "P.who5_mean"]
    return pd.DataFrame([{"programme_id": programme, "indicator": codes[k], "group_id": "all", "sex": "all",
                          "age_band": "all", "wave": "followup1", "method": "paired_change", "p_value": p,
                          "estimate": 5.0, "ci_low": 1.0, "ci_high": 9.0}
                         for programme, ps in p_values.items() for k, p in enumerate(ps)])


def test_a_report_of_several_programmes_claims_nothing_its_programmes_own_reports_do_not():
    """A's own family {0.03, 0.9}: BH needs 0.03 <= 0.05·1/2 = 0.025, so nothing survives.
    The union with B's {0.001, 0.002, 0.004} (five tests) admits p = 0.03 at rank 4
    (0.03 <= 0.05·4/5 = 0.04): plain BH over the union would claim what A's report does
    not, so the union claims it only where A's own family does too; B's three survive
    both (0.004 <= 0.05·3/3 in its own)."""
    union = primary_tests({"A": [0.03, 0.9], "B": [0.001, 0.002, 0.004]})
    assert list(multipletests(union["p_value"], method="fdr_bh")[0]) == [True, False, True, True, True]
    claimed = claims(union, ClaimsConfig())
    assert list(claimed["survives"]) == [False, False, True, True, True]
    assert (claimed["family_size"] == 5).all()
    own = {programme: claims(part, ClaimsConfig()) for programme, part in union.groupby("programme_id")}
    assert list(own["A"]["survives"]) == [False, False] and list(own["B"]["survives"]) == [True, True, True]
    # so a figure claimed in the all-programmes report is claimed in its programme's own
    for programme, part in claimed.groupby("programme_id"):
        assert not (part["survives"].to_numpy(bool) & ~own[programme]["survives"].to_numpy(bool)).any()


def test_the_impact_table_keeps_each_programmes_own_family():
    """decide() corrects each programme apart: A's 0.03 does not survive in its own
    family of two, whatever B's p-values."""
    rows = primary_tests({"A": [0.03, 0.9], "B": [0.001, 0.002, 0.004]}).to_dict("records")
    table = decide(rows, ClaimsConfig())
    assert list(table["family_size"]) == [2, 2, 3, 3, 3]
    assert list(table["survives"]) == [False, False, True, True, True]


def attrition_tests(p_values: list[float], programme: str = "P1") -> pd.DataFrame:
    """The attrition table's counts row and one tested comparison per p-value: the first
    18 survey indicators for participants, then the same for the comparison group; an
    interval that excludes zero where p < 0.05."""
    codes = list(catalogue.survey_indicators()["code"])[:18]
    rows = [{"programme_id": programme, "arm": "participant", "wave": "followup1", "indicator": "all",
             "difference": None, "ci_low": None, "ci_high": None, "p_value": None}]
    rows += [{"programme_id": programme, "arm": "participant" if k < 18 else "comparison", "wave": "followup1",
              "indicator": codes[k % 18], "difference": 8.0 if p < 0.05 else 1.0,
              "ci_low": 2.0 if p < 0.05 else -4.0, "ci_high": 14.0, "p_value": p}
             for k, p in enumerate(p_values)]
    return pd.DataFrame(rows)


def test_attrition_differences_are_one_family_corrected_like_the_claims():
    """36 tested comparisons (the counts row has no test): p = 0.01 excludes zero but
    BH needs the smallest p <= 0.05/36 = 0.00139, so nothing survives; p = 0.001 does."""
    claimed = attrition_claims(attrition_tests([0.01] + [0.5] * 35), ClaimsConfig())
    assert len(claimed) == 36 and (claimed["family_size"] == 36).all()
    assert not claimed["survives"].any()
    claimed = attrition_claims(attrition_tests([0.001] + [0.5] * 35), ClaimsConfig())
    assert list(claimed["survives"]) == [True] + [False] * 35


def test_attrition_of_several_programmes_is_stated_only_where_the_programmes_own_family_holds_it():
    """A: {0.03, 0.9} (nothing survives on its own, as above); with B's
    {0.001, 0.002, 0.004} the union would admit 0.03; the intersection does not."""
    both = pd.concat([attrition_tests([0.03, 0.9], "A"), attrition_tests([0.001, 0.002, 0.004], "B")])
    claimed = attrition_claims(both, ClaimsConfig())
    assert list(claimed["survives"]) == [False, False, True, True, True]
    assert (claimed["family_size"] == 5).all()


# --- wording ---------------------------------------------------------------------------

def test_sentences_say_rose_or_fell_only_for_a_finding():
    finding = Verdict(family=12, finding=True)
    assert change_sentence("Physical exercise", "share", 27.2, 20.1, 34.4, "followup1", "participants",
                           verdict=finding) == (
        "Among participants, physical exercise rose by 27 percentage points from baseline to followup1 "
        "(95% CI 20 to 34; one of 12 tests, after correction).")
    assert "fell by 2.5 points" in change_sentence("UCLA-3 loneliness", "mean", -2.5, -3.1, -1.9, "followup1",
                                                   "participants", verdict=finding)
    assert "no clear change" in change_sentence("Physical exercise", "share", 3.0, -2.0, 8.0, "followup1",
                                                "participants", verdict=finding)
    assert did_sentence("Daily exercise", "share", 27.0, 20.0, 34.0, "followup1", "participants", 30.0, 3.0,
                        verdict=finding)\
        .startswith("Daily exercise rose by 27 percentage points more among participants than in the comparison")
    # Both arms fell, participants less: never "rose".
    assert "fell by 5 percentage points less" in did_sentence("Daily exercise", "share", 5.0, 1.0, 9.0, "followup1",
                                                             "participants", -2.0, -7.0, verdict=finding)
    # an interval that excludes zero is still not a finding outside the family, or when it does not survive
    exploratory = change_sentence("Physical exercise", "share", 27.2, 20.1, 34.4, "followup1", "participants")
    assert "changed by +27" in exploratory and "exploratory" in exploratory and "rose" not in exploratory
    lost = did_sentence("Daily exercise", "share", 27.0, 20.0, 34.0, "followup1", "participants", 30.0, 3.0,
                        verdict=Verdict(family=12, finding=False))
    assert "not a finding" in lost and "12 tests" in lost and "rose" not in lost


def test_breakdowns_carry_all_and_group_did_uses_the_whole_comparison_arm(hand_made):
    con, obs = hand_made
    est = build_impact(con, 3).estimates
    women = est[(est["sex"] == "female") & (est["method"] == "did") & (est["indicator"] == "P.who5_mean")]
    assert len(women) == 1 and women.iloc[0]["group_id"] == "all" and women.iloc[0]["age_band"] == "all"
    # 3 people in G1: under the real rules its cells are hidden, and so are its estimates
    hidden = build_impact(warehouse(obs), 3).estimates
    group = hidden[(hidden["group_id"] == "G1") & (hidden["method"] == "did")]
    assert len(group) == 2 and group["note"].str.contains("suppressed in the indicators table").all()
    assert group["estimate"].isna().all()
    assert set(est["method"]) == {"change", "paired_change", "did"}
    assert list(est.columns[:12]) == ["indicator", "programme_id", "group_id", "sex", "age_band", "method",
                                      "estimate", "ci_low", "ci_high", "p_value", "n", "note"]


# --- the Dagster asset ------------------------------------------------------------------

def test_asset_writes_the_three_tables(tmp_path, hand_made):
    _, obs = hand_made
    root = AaiSettings(data_dir=str(tmp_path))
    with connect(root.paths.warehouse) as con:
        survey = obs[["participant_id", "programme_id", "group_id", "arm", "wave"]].drop_duplicates().assign(
            interview_date=pd.NaT)
        load_inputs(con, obs, survey)
    result = dg.materialize([impact_tables], resources={"settings": root})
    assert result.success
    with connect(root.paths.warehouse, read_only=True) as con:
        columns = [r[0] for r in con.execute("describe impact_estimates").fetchall()]
        n = con.execute("select count(*) from impact_estimates").fetchone()[0]
        assert con.execute("select count(*) from attrition").fetchone()[0] > 0
    assert columns == list(IMPACT_ESTIMATES) and n > 0


def test_asset_on_a_single_wave_writes_empty_tables_and_says_why(tmp_path):
    root = AaiSettings(data_dir=str(tmp_path))
    obs = pd.DataFrame([obs_row(f"p{i}", "participant", "baseline", "3.1", 1) for i in range(6)], columns=OBS_COLUMNS)
    with connect(root.paths.warehouse) as con:
        load_inputs(con, obs)
    result = dg.materialize([impact_tables], resources={"settings": root})
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


def test_attrition_hides_a_small_number_lost_everywhere():
    """20 at baseline, 17 again: the 3 lost are never printed, nor the 17 pairs that the
    published baseline total would turn into them."""
    rows = [obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 40 + i, group=f"G{i % 4}") for i in range(20)]
    rows += [obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 45 + i, group=f"G{i % 4}")
             for i in range(17)]
    tables = build_impact(warehouse(rows), 5)
    people = tables.attrition[tables.attrition["indicator"] == "all"].iloc[0]
    assert people["n_baseline"] == 20
    assert pd.isna(people["n_lost"]) and pd.isna(people["n_retained"]) and pd.isna(people["lost_pct"])
    assert people["note"] == "Fewer than 5 of 20 baseline respondents were not interviewed at followup1."
    indicator = tables.attrition[tables.attrition["indicator"] == "P.who5_mean"].iloc[0]
    assert pd.isna(indicator["n_lost"]) and pd.isna(indicator["n_retained"])
    assert indicator["note"] == "Lost and retained not compared at baseline: each needs at least 5 people."
    paired = total(tables.estimates, "paired_change")
    assert pd.isna(paired["n"])
    assert "Fewer than 5 of 20 baseline respondents were not interviewed" in paired["note"]
    text = paired["note"] + paired["sentence"] + " " + tables.attrition["note"].str.cat(sep=" ")
    assert not re.search(r"\b(3|17)\b", text)


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


def test_dose_with_fewer_than_four_groups_is_described():
    rows, att = [], []
    for i in range(30):
        group = f"G{i % 3}"
        rows.append(obs_row(f"p{i}", "participant", "baseline", "P.who5_mean", 50, group=group))
        rows.append(obs_row(f"p{i}", "participant", "followup1", "P.who5_mean", 50 + i / 5 + (i % 4), group=group))
        att += [(group, pd.Timestamp("2024-02-01") + pd.Timedelta(days=k), f"p{i}", True) for k in range(i)]
    attendance = pd.DataFrame(att, columns=["group_id", "session_date", "participant_id", "attended"])
    dose = build_impact(warehouse(rows, attendance=attendance), 5).dose_response
    assert list(dose["n"]) == [10, 10, 10] and dose["change"].notna().all()
    assert dose["ci_low"].isna().all() and dose["trend_slope"].isna().all() and dose["trend_p"].isna().all()
    assert (dose["note"] == "No interval for this third: its people are in fewer than 4 groups. "
                            "No trend test: fewer than 4 groups.").all()
