"""Indicators, programme outputs, suppression and domain scores on hand-counted data.

The survey below has 12 participants in programme PRG (groups G1, G2; G3 never met)
and one comparison respondent. Every expected number was counted by hand from it;
the comments next to EXPECTED say which respondents count.
"""

from __future__ import annotations

import re
from datetime import date

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from reference_cr2 import block_icc, explicit_cr2
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from pipelines import catalogue
from pipelines.disclosure import domains
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit_indicators
from pipelines.disclosure.model import primary_cells, register_rules
from pipelines.defs.indicators import assets
from pipelines.indicators.build import build_indicators, sql
from pipelines.indicators.intervals import FEW_COUNTED_NOTE, FEW_GROUPS_NOTE
from pipelines.defs.resources import AaiSettings

GROUP_COLUMNS = [
    "group_id", "programme_id", "group_name", "country", "region", "settlement_type",
    "target_population", "start_date", "end_date", "facilitation",
]
ATTENDANCE_COLUMNS = [
    "group_id", "session_date", "participant_id", "attended", "duration_minutes", "activity", "led_by",
]
ITEMS = [
    "employment_status", "volunteer_freq", "care_children_freq", "care_older_disabled_freq",
    "political_activity_12m", "exercise_freq", "unmet_medical_need_12m", "unmet_dental_need_12m",
    "household_type", "make_ends_meet", "deprivation_count", "safe_after_dark", "training_4w",
    "who5", "internet_freq", "meet_socially_freq", "education_isced", "ucla", "self_rated_health",
]

# fmt: off
# id, group, sex, age, then ITEMS in order; who5 and ucla are tuples; None = refused.
SURVEY = [
    ("r1",  "G1", "female", 54,   "employed", "weekly", "daily", "never", True, "daily", False, False, "couple", "easily", 0, "safe", True, (3, 3, 3, 3, 3), "daily", "weekly", 5, (1, 1, 1), "good"),
    ("r2",  "G1", "female", 55,   "employed", "weekly", "never", "weekly", False, "daily", False, False, "couple", "difficulty", 2, "very_safe", True, (4, 4, 4, 4, 4), "daily", "daily", 4, (2, 2, 2), "very_good"),
    ("r3",  "G1", "male",   59,   "retired", "never", "weekly", None, None, "weekly", True, False, "alone", "some_difficulty", 5, "unsafe", False, (2, 2, 2, 2, 2), "never", "monthly", 2, (1, 2, 1), "fair"),
    ("r4",  "G1", "female", 60,   "self_employed", "monthly", "daily", "daily", True, "daily", False, None, "with_children", None, None, "safe", None, (3, 3, 2, 2, 3), "weekly", "weekly", 3, (3, 3, 3), "good"),
    ("r5",  "G2", "female", 64,   "retired", "weekly", "weekly", "never", False, "less_often", False, False, "couple", "great_difficulty", 4, "very_unsafe", False, (2, 3, 2, 3, 2), "monthly", "never", 3, (2, 1, 2), "bad"),
    ("r6",  "G2", "male",   65,   "employed", "never", "never", "never", False, "daily", False, False, "alone", "fairly_easily", 3, "safe", True, (5, 5, 5, 5, 5), "daily", "weekly", 6, (1, 1, 2), "good"),
    ("r7",  "G2", "female", 69,   "retired", "daily", "monthly", "weekly", True, "never", True, True, "couple", "difficulty", 6, "safe", False, (1, 1, 1, 1, 1), "never", "weekly", 1, (3, 2, 2), "very_bad"),
    ("r8",  "G1", "female", 70,   None, None, None, None, None, None, None, None, None, None, None, None, None, (None,) * 5, None, None, None, (None,) * 3, None),
    ("r9",  "G2", "male",   74,   "employed", "weekly", "never", "monthly", False, "weekly", False, False, "multigeneration", "easily", 1, "very_safe", True, (4, 3, 3, 3, 0), "weekly", "daily", 3, (1, 1, 1), "good"),
    ("r10", "G2", "female", 75,   "retired", "weekly", "weekly", "daily", True, "daily", False, False, "alone", "some_difficulty", 4, "unsafe", True, (2, 2, 2, 2, None), "daily", "weekly", 7, (2, 2, None), "fair"),
    ("r11", "G1", "female", 82,   "retired", "never", "never", "never", False, "daily", True, False, "institution", "easily", 0, "safe", False, (3, 3, 3, 3, 3), "never", "monthly", 2, (2, 2, 2), "good"),
    ("r12", "G2", "female", None, "employed", "weekly", "weekly", "weekly", True, "daily", False, False, "alone", "easily", 0, "safe", True, (5, 5, 5, 5, 5), "daily", "daily", 8, (1, 1, 1), "very_good"),
]
COMPARISON = ("c1", None, "male", 66, None, None, None, None, None, "daily", None, None, None, None, None, None, None, (None,) * 5, None, None, None, (None,) * 3, "good")

# Participant arm, programme PRG, wave baseline, all respondents: (numerator, denominator).
EXPECTED = {
    "1.1": (1, 2),   # 55-59: r2 employed, r3 retired
    "1.2": (1, 2),   # 60-64: r4 self_employed, r5 retired
    "1.3": (1, 2),   # 65-69: r6 employed, r7 retired
    "1.4": (1, 1),   # 70-74: r8 refused, r9 employed
    "2.1": (5, 9),   # 55+ answering (r2-r7, r9-r11): weekly+ r2 r5 r7 r9 r10
    "2.2": (4, 9),   # r3 r4 r5 r10
    "2.3": (4, 8),   # r3 refused; r2 r4 r7 r10
    "2.4": (3, 8),   # r3 refused; r4 r7 r10
    "3.1": (5, 9),   # daily: r2 r4 r6 r10 r11
    "3.2": (5, 8),   # r4 refused dental; no unmet need: r2 r5 r6 r9 r10
    "3.3": (1, 2),   # 75+: r10 alone, r11 institution
    "3.5": (4, 5),   # 65+ answering r6 r7 r9 r10 r11; r7 'difficulty'
    "3.6": (3, 5),   # deprivation < 4: r6 (3) r9 (1) r11 (0); r7 (6) and r10 (4) not
    "3.7": (6, 9),   # r2 r4 r6 r7 r9 r11
    "3.8": (3, 6),   # 55-74 answering r2 r3 r5 r6 r7 r9: r2 r6 r9
    "4.3": (5, 8),   # r10 partial WHO-5; raw >= 13: r2 (20) r4 (13) r6 (25) r9 (13) r11 (15)
    "4.4": (4, 7),   # 55-74 r2 r3 r4 r5 r6 r7 r9: r2 r4 r6 r9
    "4.5": (6, 9),   # r2 r4 r6 r7 r9 r10
    "4.6": (5, 7),   # ISCED >= 3: r2 r4 r5 r6 r9
    "P.lonely": (4, 10),    # all ages, r8 and r10 missing: UCLA >= 6 r2 r4 r7 r11
    "P.srh_good": (7, 11),  # r8 refused: r1 r2 r4 r6 r9 r11 r12
}
EXPECTED_MEANS = {
    "P.who5_mean": (612, 10),  # 4 x (15+20+10+13+12+25+5+13+15+25)
    "P.ucla_mean": (50, 10),   # 3+6+4+9+5+4+7+3+6+3
}

GROUPS = [
    ("G1", "PRG", "Grodno one", "BY", "Grodno", "urban", "older_people", date(2023, 12, 1), None, "volunteer_led"),
    ("G2", "PRG", "Minsk two", "BY", "Minsk", "rural", "older_people", date(2024, 1, 1), None, "staff_led"),
    ("G3", "PRG", "Never met", "BY", "Grodno", "rural", "mixed", date(2024, 5, 1), None, "self_run"),
]
# (group, date, duration, led_by, {participant: attended})
SESSIONS = [
    ("G1", date(2023, 12, 18), 60, "volunteer", {"a1": True, "a2": True, "a3": True}),
    ("G1", date(2024, 1, 15), 60, "volunteer", {"a1": True, "a2": False, "a3": True}),
    ("G1", date(2024, 1, 22), 90, "participant", {"a1": True, "a2": False, "a3": False}),
    ("G1", date(2024, 3, 4), 60, "participant", {"a1": False, "a2": True, "a3": False}),
    ("G1", date(2024, 4, 15), 60, None, {"a1": True, "a2": False, "a3": False}),
    ("G1", date(2024, 7, 1), 45, "staff", {"a1": True, "a2": False, "a3": False}),
    ("G2", date(2024, 1, 10), 60, "volunteer", {"b1": True, "b2": True}),
    ("G2", date(2024, 6, 20), 60, "volunteer", {"b1": True, "b2": False}),
    ("G2", date(2024, 6, 27), None, None, {"b1": False, "b2": False}),  # nobody came: not held
]
# fmt: on


def survey_frame(rows, *, programme="PRG", arm="participant", wave="baseline") -> pd.DataFrame:
    records = []
    for row in rows:
        pid, group, sex, age, *items = row
        record = {
            "participant_id": pid, "programme_id": programme, "group_id": group, "arm": arm,
            "wave": wave, "interview_date": date(2024, 3, 1), "sex": sex,
            "birth_year": None if age is None else 2024 - age, "age": age,
            "disability": pid in {"r3", "r7"}, "consent": True,
        }
        for name, value in zip(ITEMS, items, strict=True):
            if name in ("who5", "ucla"):
                for i, v in enumerate(value or (None,) * (5 if name == "who5" else 3), start=1):
                    record[f"{name}_{i}"] = v
            else:
                record[name] = value
        record["source_file"], record["source_row"] = "survey.csv", len(records) + 2
        records.append(record)
    return pd.DataFrame(records)


SURVEY_DDL = """
CREATE TABLE survey (
    participant_id VARCHAR, programme_id VARCHAR, group_id VARCHAR, arm VARCHAR, wave VARCHAR,
    interview_date DATE, sex VARCHAR, birth_year INTEGER, age INTEGER, disability BOOLEAN,
    consent BOOLEAN, employment_status VARCHAR, volunteer_freq VARCHAR, care_children_freq VARCHAR,
    care_older_disabled_freq VARCHAR, political_activity_12m BOOLEAN, exercise_freq VARCHAR,
    unmet_medical_need_12m BOOLEAN, unmet_dental_need_12m BOOLEAN, household_type VARCHAR,
    make_ends_meet VARCHAR, deprivation_count INTEGER, safe_after_dark VARCHAR, training_4w BOOLEAN,
    who5_1 INTEGER, who5_2 INTEGER, who5_3 INTEGER, who5_4 INTEGER, who5_5 INTEGER,
    internet_freq VARCHAR, meet_socially_freq VARCHAR, education_isced INTEGER,
    ucla_1 INTEGER, ucla_2 INTEGER, ucla_3 INTEGER, self_rated_health VARCHAR,
    source_file VARCHAR, source_row BIGINT);
CREATE TABLE groups (
    group_id VARCHAR, programme_id VARCHAR, group_name VARCHAR, country VARCHAR, region VARCHAR,
    settlement_type VARCHAR, target_population VARCHAR, start_date DATE, end_date DATE,
    facilitation VARCHAR, source_file VARCHAR, source_row BIGINT);
CREATE TABLE attendance (
    group_id VARCHAR, session_date DATE, participant_id VARCHAR, attended BOOLEAN,
    duration_minutes INTEGER, activity VARCHAR, led_by VARCHAR, source_file VARCHAR, source_row BIGINT);
"""


def load(con: duckdb.DuckDBPyConnection, survey: pd.DataFrame, groups: list, sessions: list) -> None:
    """Create the three input tables with the column set of docs/warehouse.md."""
    con.execute(SURVEY_DDL).fetchall()
    columns = [c[0] for c in con.execute("DESCRIBE survey").fetchall()]
    survey_df = survey.reindex(columns=columns)  # noqa: F841 (read by DuckDB)
    con.execute("INSERT INTO survey SELECT * FROM survey_df").fetchall()
    groups_df = pd.DataFrame(groups, columns=GROUP_COLUMNS).assign(source_file="groups.csv", source_row=2)  # noqa: F841
    con.execute("INSERT INTO groups SELECT * FROM groups_df").fetchall()
    rows = [
        (g, d, pid, present, None if (pid == "a1" and d == date(2024, 7, 1)) else duration, "social", led)
        for g, d, duration, led, marks in sessions
        for pid, present in marks.items()
    ]
    attendance_df = pd.DataFrame(rows, columns=ATTENDANCE_COLUMNS).assign(  # noqa: F841
        source_file="attendance.csv", source_row=2
    )
    con.execute("INSERT INTO attendance SELECT * FROM attendance_df").fetchall()


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    survey = pd.concat([survey_frame(SURVEY), survey_frame([COMPARISON], arm="comparison")])
    load(connection, survey, GROUPS, SESSIONS)
    build_indicators(connection, min_cell=5)
    yield connection
    connection.close()


def cell(con, indicator, **breakdown) -> dict:
    keys = {"programme_id": "PRG", "country": "all", "region": "all", "group_id": "all",
            "arm": "participant", "wave": "baseline", "sex": "all", "age_band": "all", "disability": "all"}
    keys |= breakdown
    where = " AND ".join(f"{k} = ${k}" for k in keys)
    rows = con.execute(f"SELECT rowid AS row, * FROM indicators WHERE indicator = $indicator AND {where}",
                       keys | {"indicator": indicator}).fetchdf()
    assert len(rows) == 1, f"{indicator} {breakdown}: {len(rows)} rows"
    return rows.iloc[0].to_dict()


# ---------------------------------------------------------------- survey indicators

@pytest.mark.parametrize("indicator", sorted(EXPECTED))
def test_share_indicators_match_hand_counts(con, indicator):
    numerator, denominator = EXPECTED[indicator]
    row = cell(con, indicator)
    assert row["numerator"] == numerator
    assert row["denominator"] == denominator
    assert row["value"] == pytest.approx(100 * numerator / denominator)
    # a share of fewer than 2m = 10 people, or with 1-4 on either side, is hidden
    if denominator < 10 or 1 <= numerator <= 4 or 1 <= denominator - numerator <= 4:
        assert row["suppressed"]


@pytest.mark.parametrize("indicator", sorted(EXPECTED_MEANS))
def test_mean_indicators_match_hand_counts(con, indicator):
    total, n = EXPECTED_MEANS[indicator]
    row = cell(con, indicator)
    assert (row["numerator"], row["denominator"]) == (total, n)
    assert row["value"] == pytest.approx(total / n)


def test_every_survey_indicator_is_tested():
    survey = set(catalogue.survey_indicators()["code"])
    assert survey == set(EXPECTED) | set(EXPECTED_MEANS)


def test_national_only_indicators_never_come_from_the_survey(con):
    found = con.execute(
        "SELECT count(*) FROM indicators WHERE indicator IN ('3.4', '4.1', '4.2')"
    ).fetchall()[0][0]
    assert found == 0


def test_age_bands_on_the_boundaries(con):
    bands = dict(con.execute(
        "SELECT DISTINCT participant_id, age_band FROM indicator_observations"
    ).fetchall())
    assert bands == {
        "r1": "<55", "r2": "55-64", "r3": "55-64", "r4": "55-64", "r5": "55-64",
        "r6": "65-74", "r7": "65-74", "r9": "65-74", "r10": "75+", "r11": "75+",
        "r12": "unknown", "c1": "65-74",
    }


def test_missing_age_counts_only_where_the_population_is_everyone(con):
    indicators = {r[0] for r in con.execute(
        "SELECT indicator FROM indicator_observations WHERE participant_id = 'r12'").fetchall()}
    assert indicators == {"P.who5_mean", "P.ucla_mean", "P.lonely", "P.srh_good"}


def test_full_refusal_leaves_no_observation(con):
    assert con.execute(
        "SELECT count(*) FROM indicator_observations WHERE participant_id = 'r8'").fetchall()[0][0] == 0


def test_breakdowns_by_sex_age_group_and_disability(con):
    # 4.5 meet socially weekly+: women r2 r4 r5 r7 r10 r11 -> 4 of 6; men r3 r6 r9 -> 2 of 3
    assert (cell(con, "4.5", sex="female")["numerator"], cell(con, "4.5", sex="female")["denominator"]) == (4, 6)
    assert cell(con, "4.5", sex="male")["denominator"] == 3
    # by age band: 55-64 r2 r3 r4 r5 -> 2 of 4; 65-74 r6 r7 r9 -> 3 of 3; 75+ r10 r11 -> 1 of 2
    assert cell(con, "4.5", age_band="55-64")["numerator"] == 2
    assert cell(con, "4.5", age_band="65-74")["numerator"] == 3
    # disability: r3, r7 -> 1 of 2
    assert cell(con, "4.5", disability="yes")["denominator"] == 2
    # group G2 (r5 r6 r7 r9 r10) carries its country and region
    g2 = cell(con, "4.5", group_id="G2", country="BY", region="Minsk")
    assert (g2["numerator"], g2["denominator"]) == (4, 5)
    # country and region totals
    assert cell(con, "4.5", programme_id="all", country="BY")["denominator"] == 9
    assert cell(con, "4.5", programme_id="all", country="BY", region="Grodno")["denominator"] == 4


def test_comparison_respondents_have_no_group_or_country_cell(con):
    assert cell(con, "3.1", arm="comparison")["denominator"] == 1
    rows = con.execute(
        "SELECT count(*) FROM indicators WHERE arm = 'comparison' AND (group_id <> 'all' OR country <> 'all')"
    ).fetchall()[0][0]
    assert rows == 0
    assert con.execute("SELECT count(*) FROM indicators WHERE group_id IS NULL OR country IS NULL").fetchall()[0][0] == 0


# ---------------------------------------------------------------- programme outputs

PROGRAMME = {
    # indicator: (numerator, denominator, value)
    "P.reached": (5, 5, 5),                  # a1 a2 a3 b1 b2
    "P.sessions": (8, 8, 8),                 # G1 6; G2 2 (27 June: nobody came)
    "P.hours": (12.25, 5, 12.25),            # a1 60+60+90+60+45; a2, a3, b1 2 h; b2 1 h
    "P.sessions_per_participant": (12, 5, 2.4),
    "P.attendance_rate": (100 * 5 / 6 + 50 + 300, 5, (100 * 5 / 6 + 350) / 5),  # a1 5 of 6, a2 2 of 4
    "P.retention_3m": (2, 5, 40),            # a1, b1 still came 3 months on
    "P.retention_6m": (1, 3, 100 / 3),       # only G1 members started 6 months before 1 July; a1
    "P.return_after_gap": (2, 4, 50),        # a1, a2 came back; a3, b2 lapsed; b1: the group paused
    "P.led_by_participants": (2, 7, 200 / 7),  # 22 Jan, 4 Mar of 7 sessions with a leader recorded
    "P.groups_started": (3, 3, 3),           # G3 counts though it never met
    "P.groups_meeting": (2, 3, 200 / 3),     # G1, G2 met after 6 May; G3 never
    "P.groups_self_run": (1, 3, 100 / 3),    # G3
}


@pytest.mark.parametrize("indicator", sorted(PROGRAMME))
def test_programme_outputs_match_hand_counts(con, indicator):
    numerator, denominator, value = PROGRAMME[indicator]
    row = cell(con, indicator, wave="all")
    assert row["numerator"] == pytest.approx(numerator)
    assert row["denominator"] == denominator
    assert row["value"] == pytest.approx(value)


def test_every_programme_output_is_tested():
    df = catalogue.indicators()
    assert set(df.loc[df["source"].isin(["attendance", "groups"]), "code"]) == set(PROGRAMME)


def test_programme_outputs_per_group_and_empty_group(con):
    g1 = cell(con, "P.sessions", wave="all", group_id="G1", country="BY", region="Grodno")
    g2 = cell(con, "P.sessions", wave="all", group_id="G2", country="BY", region="Minsk")
    # sessions are not people: no threshold rule hides a group's 2 sessions (docs/disclosure.md)
    assert (g1["value"], g2["value"]) == (6, 2)
    assert not g1["suppressed"] and not g2["suppressed"]
    assert not cell(con, "P.sessions", wave="all")["suppressed"]
    led = cell(con, "P.led_by_participants", wave="all", group_id="G1", country="BY", region="Grodno")
    assert (led["numerator"], led["denominator"]) == (2, 5)
    # G3 never met: no per-group row, and counts of groups are not reported per group
    assert con.execute("SELECT count(*) FROM indicators WHERE group_id = 'G3'").fetchall()[0][0] == 0
    assert con.execute(
        "SELECT count(*) FROM indicators WHERE indicator LIKE 'P.groups%' AND group_id <> 'all'"
    ).fetchall()[0][0] == 0
    assert cell(con, "P.groups_started", wave="all", programme_id="all", country="BY", region="Grodno")["value"] == 2


# ---------------------------------------------------------------- intervals

def test_programme_cells_of_two_groups_have_no_interval_and_say_why(con):
    for indicator, wave in (("2.1", "baseline"), ("P.who5_mean", "baseline"), ("P.attendance_rate", "all")):
        row = cell(con, indicator, wave=wave)
        assert pd.isna(row["ci_low"]) and pd.isna(row["ci_high"]) and row["interval_method"] is None
        assert row["interval_note"] == FEW_GROUPS_NOTE and row["n_clusters"] == 2
        assert "fewer than 4 groups" in row["interval_note"]


def test_a_share_of_fewer_than_four_groups_has_no_interval(con):
    # PRG has three groups (G3 never met): a Wilson interval would read as if a sample of groups said more
    for indicator in ("P.groups_meeting", "P.groups_self_run"):
        row = cell(con, indicator, wave="all")
        assert row["denominator"] < 4
        assert pd.isna(row["ci_low"]) and pd.isna(row["ci_high"]) and row["interval_method"] is None
        assert row["interval_note"] == FEW_COUNTED_NOTE


def test_group_and_comparison_cells_treat_people_as_independent(con):
    # shares: the plain Wilson interval of statsmodels
    for indicator in ("2.1", "3.2", "P.lonely", "P.srh_good"):
        row = cell(con, indicator, group_id="G2", country="BY", region="Minsk")
        expected = proportion_confint(row["numerator"], row["denominator"], alpha=0.05, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * expected[0], 100 * expected[1]), abs=1e-9)
        assert row["interval_method"] == "wilson" and pd.isna(row["df"]) and pd.isna(row["n_clusters"])
    lone = cell(con, "P.srh_good", arm="comparison")  # c1, in good health
    assert (lone["ci_low"], lone["ci_high"]) == pytest.approx(
        tuple(100 * x for x in proportion_confint(1, 1, method="wilson")))
    # a bounded score: Wilson on the effective n of the rescaled mean, s²/n with n − 1 df, by hand
    values = [v[0] for v in con.execute(
        "SELECT value FROM indicator_observations WHERE indicator = 'P.who5_mean' AND group_id = 'G1'").fetchall()]
    n, mean, var = len(values), sum(values) / len(values), stats.tvar(values)
    p = mean / 100
    n_star = p * (1 - p) / (var / n / 100**2) * (1.959963984540054 / stats.t.ppf(0.975, n - 1)) ** 2
    low, high = proportion_confint(p * n_star, n_star, alpha=0.05, method="wilson")
    row = cell(con, "P.who5_mean", group_id="G1", country="BY", region="Grodno")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high), abs=1e-9)
    assert row["interval_method"] == "bounded_wilson" and row["df"] == n - 1


def test_counts_have_no_interval_and_a_single_value_no_mean_interval(con):
    reached = cell(con, "P.reached", wave="all")
    assert pd.isna(reached["ci_low"]) and pd.isna(reached["ci_high"]) and reached["interval_note"] is None
    lone = con.execute(
        "SELECT ci_low, ci_high, interval_note FROM indicators WHERE indicator = 'P.ucla_mean' AND denominator = 1 "
        "AND group_id <> 'all'").fetchall()
    assert lone and all(low is None and high is None for low, high, _ in lone)
    assert {note for _, _, note in lone} == {"No interval: a single respondent."}


def test_every_share_and_mean_cell_has_an_interval_or_says_why(con):
    missing = con.execute(
        "SELECT count(*) FROM indicators AS i JOIN indicator_catalogue AS k ON k.code = i.indicator "
        "WHERE k.kind IN ('share', 'mean') AND i.ci_low IS NULL AND i.interval_note IS NULL").fetchall()[0][0]
    assert missing == 0


# Five groups: the programme's cells are clustered, CR2 with groups as clusters.
FIVE_GROUPS = {"r1": "G1", "r2": "G1", "r3": "G2", "r4": "G2", "r5": "G3", "r6": "G3", "r7": "G3",
               "r8": "G4", "r9": "G4", "r10": "G5", "r11": "G5", "r12": "G5"}


@pytest.fixture(scope="module")
def five_groups_con():
    connection = duckdb.connect()
    survey = survey_frame(SURVEY)
    survey["group_id"] = survey["participant_id"].map(FIVE_GROUPS)
    extra = [(g, "PRG", g, "BY", "Brest", "urban", "older_people", date(2024, 1, 1), None, "staff_led")
             for g in ("G4", "G5")]
    load(connection, survey, GROUPS + extra, SESSIONS)
    build_indicators(connection, min_cell=5)
    yield connection
    connection.close()


@pytest.mark.parametrize("indicator, low, high", [("2.1", 0, 1), ("P.srh_good", 0, 1), ("P.ucla_mean", 3, 9)])
def test_clustered_cells_are_cr2_with_korn_graubard_wilson(five_groups_con, indicator, low, high):
    obs = five_groups_con.execute(
        "SELECT group_id, value FROM indicator_observations WHERE indicator = $i AND arm = 'participant'",
        {"i": indicator}).fetchdf()
    cluster, y = obs["group_id"].to_numpy(), obs["value"].to_numpy()
    zeros = np.zeros(len(y), int)
    est, se, df = explicit_cr2(cluster, zeros, y, [1.0], 1, block_icc(cluster, zeros, y))
    width = high - low
    p = (est - low) / width
    n_star = p * (1 - p) / (se / width) ** 2 * (1.959963984540054 / stats.t.ppf(0.975, df)) ** 2
    ci = proportion_confint(p * n_star, n_star, alpha=0.05, method="wilson")
    factor = 100 if indicator != "P.ucla_mean" else 1
    row = cell(five_groups_con, indicator)
    expected = tuple(factor * (low + width * x) for x in ci)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected, abs=1e-9)
    assert row["df"] == pytest.approx(df, abs=0.005) and row["n_clusters"] == 5
    assert row["interval_method"] == ("cluster_kg_wilson" if factor == 100 else "cluster_kg_bounded_wilson")


# ---------------------------------------------------------------- suppression

def test_small_cells_are_suppressed_and_blank_in_public_view(con):
    people = [c for c, n in catalogue.indicators()[["code", "counts"]].itertuples(index=False)
              if n in ("respondents", "participants", "memberships")]
    assert con.execute("SELECT count(*) FROM indicators WHERE denominator < 5 AND NOT suppressed "
                       "AND list_contains($people, indicator)", {"people": people}).fetchall()[0][0] == 0
    public = con.execute(
        "SELECT * FROM indicators_public WHERE indicator = '1.1' AND programme_id = 'PRG' AND group_id = 'all' "
        "AND sex = 'all' AND age_band = 'all' AND disability = 'all' AND arm = 'participant'"
    ).fetchdf().iloc[0]
    assert public["suppressed"]
    assert all(pd.isna(public[c]) for c in ["numerator", "denominator", "value", "ci_low", "ci_high",
                                            "interval_method", "n_clusters", "df", "interval_note"])


def test_a_share_of_fewer_than_twice_the_minimum_is_hidden(con):
    # 4.5 in PRG: 6 of 9 (9 < 2m), women 4 of 6, men 2 of 3: every cell hidden
    assert cell(con, "4.5", sex="male")["suppressed"]
    assert cell(con, "4.5", sex="female")["suppressed"]
    assert cell(con, "4.5")["suppressed"]



def test_suppressed_cells_never_feed_domain_scores(con):
    # every D1 indicator rests on 1-2 people, so D1 has no score and the AAI is not computed
    rows = con.execute(
        "SELECT item, value, indicators_used, note FROM domain_scores WHERE programme_id = 'PRG' "
        "AND group_id = 'all' AND country = 'all' AND arm = 'participant' AND wave = 'baseline' AND sex = 'all'"
    ).fetchall()
    by_item = {item: (value, used, note) for item, value, used, note in rows}
    # every AAI indicator of PRG rests on fewer than 2m = 10 respondents and is hidden,
    # so no domain of PRG has a score, and no AAI row is made from nothing
    assert by_item == {}
    assert domains.unreproducible(con, catalogue.national_indicators()).empty


def test_national_figures_complete_a_domain_and_are_named():
    connection = duckdb.connect()
    # three respondents for each of SURVEY's: the same shares, over enough people to be shown
    tripled = [(f"{pid}{copy}", *rest) for copy in "abc" for pid, *rest in SURVEY]
    load(connection, survey_frame(tripled), GROUPS, SESSIONS)
    national = pd.DataFrame({
        "country": ["BY", "BY", "PL"], "sex": ["all", "all", "all"], "indicator": ["4.1", "4.2", "4.1"],
        "value": [40.0, 60.0, 99.0], "year": ["2019"] * 3, "source": ["Belstat"] * 3,
    })
    build_indicators(connection, min_cell=5, national=national)
    value, used, note = connection.execute(
        "SELECT value, indicators_used, note FROM domain_scores WHERE programme_id = 'PRG' AND group_id = 'all' "
        "AND country = 'all' AND wave = 'baseline' AND sex = 'all' AND item = 'D4'"
    ).fetchall()[0]
    share = {"4.3": 62.5, "4.4": 400 / 7, "4.5": 600 / 9, "4.6": 500 / 7}
    expected = (33 * 40 + 23 * 60 + 17 * share["4.3"] + 7 * share["4.4"] + 13 * share["4.5"] + 7 * share["4.6"]) / 100
    assert value == pytest.approx(expected)
    assert used == 6
    assert note == "national figures for 4.1, 4.2"
    connection.close()


def test_comparable_scores_use_the_indicators_every_arm_and_wave_share():
    """A follow-up where nobody answered the political item: D2 at baseline rests on
    2.1-2.4, at follow-up on 2.1-2.3, so only the comparable score (2.1-2.3 in both
    waves) may be set side by side; national figures never enter it."""
    connection = duckdb.connect()
    tripled = [(f"{pid}{copy}", *rest) for copy in "abc" for pid, *rest in SURVEY]  # enough people to be shown
    followup = survey_frame(tripled, wave="followup1")
    followup["political_activity_12m"] = None
    load(connection, pd.concat([survey_frame(tripled), followup], ignore_index=True), GROUPS, SESSIONS)
    national = pd.DataFrame({"country": ["BY", "BY"], "sex": ["all", "all"], "indicator": ["4.1", "4.2"],
                             "value": [40.0, 60.0], "year": ["2019"] * 2, "source": ["Belstat"] * 2})
    build_indicators(connection, min_cell=5, national=national)
    rows = connection.execute(
        "SELECT wave, item, value, indicator_set, comparable_value, comparable_set FROM domain_scores "
        "WHERE programme_id = 'PRG' AND group_id = 'all' AND country = 'all' AND arm = 'participant' "
        "AND sex = 'all' AND item IN ('D2', 'D4') ORDER BY item, wave").fetchall()
    (d2_base, d2_follow, d4_base, _) = rows
    # both waves share 2.1 (5/9), 2.2 (4/9), 2.3 (4/8); 2.4 (3/8) only at baseline
    shared = (25 * 500 / 9 + 25 * 400 / 9 + 30 * 50) / 80
    assert d2_base[3] == "2.1, 2.2, 2.3, 2.4" and d2_follow[3] == "2.1, 2.2, 2.3"
    assert d2_base[4] == pytest.approx(shared) and d2_follow[4] == pytest.approx(shared)
    assert d2_base[5] == d2_follow[5] == "2.1, 2.2, 2.3"
    assert d2_follow[2] == pytest.approx(shared) and d2_base[2] != pytest.approx(shared)
    # D4's level includes the national 4.1 and 4.2; its comparable score does not
    assert d4_base[3] == "4.1, 4.2, 4.3, 4.4, 4.5, 4.6" and d4_base[5] == "4.3, 4.4, 4.5, 4.6"
    survey_only = (17 * 62.5 + 7 * 400 / 7 + 13 * 600 / 9 + 7 * 500 / 7) / 44
    assert d4_base[4] == pytest.approx(survey_only)
    connection.close()


def test_national_file_rejects_survey_indicators(tmp_path):
    path = tmp_path / "national.csv"
    path.write_text("country,sex,indicator,value,year,source\nBY,all,4.3,50,2020,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not national-only"):
        catalogue.national_indicators(path)
    assert catalogue.national_indicators().empty  # the shipped file is a header only
    path.write_text("country,sex,indicator,value,year,source\nBY,all,4.1,0.52,2020,x\nBY,male,4.2,120,2020,x\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match="0-100 scale; BY male 4.2 is 120"):
        catalogue.national_indicators(path)


# ---------------------------------------------------------------- secondary suppression

def many(prefix, group, n, sex="female"):
    return [(f"{prefix}{i}", group, sex, 70, *([None] * 18), "good") for i in range(n)]


@pytest.fixture(scope="module")
def suppression_con():
    """PRG: group A 3 people (a small cell), B 6 (all women), C 8 (6 women, 2 men)."""
    connection = duckdb.connect()
    rows = many("a", "A", 3) + many("b", "B", 6) + many("c", "C", 6) + many("m", "C", 2, sex="male")
    groups = [
        (g, "PRG", g, "BY", region, "urban", "mixed", date(2024, 1, 1), None, "volunteer_led")
        for g, region in [("A", "Grodno"), ("B", "Grodno"), ("C", "Minsk")]
    ]
    load(connection, survey_frame(rows), groups, [])
    build_indicators(connection, min_cell=5)
    yield connection
    connection.close()


def test_secondary_suppression(suppression_con):
    """All in good health: PRG 17 of 17 (100 % of 2m or more: shown), women 15 of 15 (shown
    by the threshold rules), men 2 of 2. Women and the total would give the men away, so
    the planner hides one more cell; after it the attacker pins nothing."""
    c = suppression_con

    def hidden(**breakdown):
        return bool(cell(c, "P.srh_good", **breakdown)["suppressed"])

    for g, r in [("A", "Grodno"), ("B", "Grodno"), ("C", "Minsk")]:
        assert hidden(group_id=g, country="BY", region=r)  # 3, 6, 8 < 2m
    assert hidden(sex="male")
    assert hidden(sex="female") or hidden()  # 17 − 15 = 2 men otherwise
    result = AuditResult()
    audit_indicators(c, 5, result)
    assert result.passed and result.targets > 0
    leaked = c.execute(
        "SELECT count(*) FROM indicators_public WHERE suppressed AND (value IS NOT NULL OR denominator IS NOT NULL)"
    ).fetchall()[0][0]
    assert leaked == 0


def test_min_cell_ten_and_never_below_five():
    connection = duckdb.connect()
    load(connection, survey_frame(SURVEY), GROUPS, SESSIONS)
    build_indicators(connection, min_cell=10)
    register_rules(connection)
    caught = primary_cells(connection, 10)
    assert cell(connection, "P.who5_mean")["row"] not in caught  # a mean of 10 respondents: m = 10
    assert cell(connection, "2.1")["row"] in caught  # 9 < 10
    with pytest.raises(ValueError, match="from 5 to 10"):
        build_indicators(connection, min_cell=3)
    connection.close()


# ---------------------------------------------------------------- Dagster

def test_assets_materialize_with_checks(tmp_path, monkeypatch):
    monkeypatch.delenv("AAI_MIN_CELL", raising=False)
    warehouse = AaiSettings(data_dir=str(tmp_path))
    with warehouse.connect() as connection:
        load(connection, pd.concat([survey_frame(SURVEY), survey_frame([COMPARISON], arm="comparison")]), GROUPS, SESSIONS)
    result = dg.materialize(
        [*assets.ASSETS, *assets.ASSET_CHECKS], resources={"settings": warehouse}
    )
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert {e.check_name for e in checks} == {
        assets.CHECK_OBSERVATIONS_VALID, assets.CHECK_SMALL_CELLS_HIDDEN,
        assets.CHECK_NO_LONE_SUPPRESSED_SIBLING, assets.CHECK_INTERVALS_CONTAIN_VALUE,
        assets.CHECK_AAI_ONLY_WHEN_COMPLETE,
    }
    assert all(e.passed for e in checks)
    metadata = result.asset_materializations_for_node("indicators")[0].metadata
    assert metadata["dagster/row_count"].value > 0
    with warehouse.connect(read_only=True) as connection:
        tables = {r[0] for r in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"indicator_observations", "indicators", "indicators_public", "domain_scores"} <= tables


def test_catalogue_and_sql_name_the_same_indicators(con):
    produced = {r[0] for r in con.execute(
        "SELECT indicator FROM indicator_observations UNION SELECT indicator FROM programme_observations"
    ).fetchall()}
    df = catalogue.indicators()
    assert produced == set(df.loc[~df["kind"].isin(["domain", "national"]), "code"])


# ---------------------------------------------------------------- no part of a total goes missing

@pytest.fixture(scope="module")
def unknowns_con():
    """PRG: G1 (BY/Grodno) 6 women; G9 has no region or country; GX is not in `groups`;
    two respondents have no sex; three comparison respondents (no group)."""
    connection = duckdb.connect()
    rows = many("w", "G1", 6) + many("n", "G9", 2) + many("x", "GX", 1) + [
        ("s1", "G1", None, 70, *([None] * 18), "good"), ("s2", "G9", None, 70, *([None] * 18), "bad")]
    survey = pd.concat([survey_frame(rows), survey_frame(many("c", None, 3, sex="male"), arm="comparison")])
    groups = [("G1", "PRG", "one", "BY", "Grodno", "urban", "mixed", date(2024, 1, 1), None, "volunteer_led"),
              ("G9", "PRG", "nine", None, None, "urban", "mixed", date(2024, 1, 1), None, "volunteer_led")]
    load(connection, survey, groups, [])
    build_indicators(connection, min_cell=5)
    yield connection
    connection.close()


def test_unknown_sex_region_country_and_group_are_cells_of_their_own(unknowns_con):
    c = unknowns_con
    assert cell(c, "P.srh_good", sex="unknown")["denominator"] == 2  # before: dropped, total − women − men = 2
    g9 = cell(c, "P.srh_good", group_id="G9", country="unknown", region="unknown")
    assert g9["denominator"] == 3 and g9["suppressed"]
    gx = cell(c, "P.srh_good", group_id="GX", country="unknown", region="unknown")
    assert gx["denominator"] == 1 and gx["suppressed"]
    assert cell(c, "P.srh_good", programme_id="all", country="unknown")["denominator"] == 4


def test_every_relation_adds_up_to_its_total(unknowns_con):
    """Sexes, age bands, disability groups and (participant arm) groups add up to their total."""
    sums = unknowns_con.execute("""
        WITH t AS (SELECT * FROM indicators WHERE programme_id <> 'all' AND country = 'all'
                   AND sex = 'all' AND age_band = 'all' AND disability = 'all' AND group_id = 'all')
        SELECT t.indicator, t.arm, t.denominator,
               (SELECT sum(denominator) FROM indicators i WHERE i.indicator = t.indicator AND i.arm = t.arm
                AND i.wave = t.wave AND i.programme_id = t.programme_id AND i.group_id = 'all' AND i.sex <> 'all'),
               (SELECT sum(denominator) FROM indicators i WHERE i.indicator = t.indicator AND i.arm = t.arm
                AND i.wave = t.wave AND i.programme_id = t.programme_id AND i.age_band <> 'all'),
               (SELECT sum(denominator) FROM indicators i WHERE i.indicator = t.indicator AND i.arm = t.arm
                AND i.wave = t.wave AND i.programme_id = t.programme_id AND i.disability <> 'all'),
               (SELECT sum(denominator) FROM indicators i WHERE i.indicator = t.indicator AND i.arm = t.arm
                AND i.wave = t.wave AND i.programme_id = t.programme_id AND i.group_id <> 'all' AND i.sex = 'all')
        FROM t WHERE t.indicator = 'P.srh_good'
    """).fetchall()
    by_arm = {arm: rest for _, arm, *rest in sums}
    assert by_arm["participant"] == [11, 11, 11, 11, 11]
    # the comparison arm has no group cells: nothing to subtract its total from
    assert by_arm["comparison"] == [3, 3, 3, 3, None]


def test_nested_age_populations_never_share_a_rule():
    """Two indicators with the same items and rule but nested populations (55+ and 55-74,
    say) would let a suppressed band's *value* be worked out from their difference; only
    denominators (counts of respondents) may overlap that way (docs/indicators.md)."""
    survey = catalogue.survey_indicators()
    for _, same in survey.groupby(["items", "rule_sql"]):
        ranges = sorted((low or 0, high or 200) for low, high in map(catalogue.age_range, same["population"]))
        # 1.1-1.4 share a rule over disjoint five-year bands: fine; overlapping bands are not
        assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])), same["code"].tolist()


# ---------------------------------------------------------------- programme outputs per programme

def test_period_is_per_programme_and_leader_ties_are_deterministic():
    """PRG's registers run to July; OLD's stop in March. OLD's retention and groups still
    meeting are judged against March, not July. A tie of leaders is read as staff."""
    connection = duckdb.connect()
    groups = GROUPS + [("H1", "OLD", "old", "PL", "Mazovia", "urban", "mixed", date(2023, 1, 1), None, "staff_led")]
    old = [
        ("H1", date(2023, 11, 1), 60, None, {"o1": True, "o2": True, "o3": True}),
        ("H1", date(2024, 3, 1), None, None, {"o1": True, "o2": False, "o3": False}),
    ]
    load(connection, survey_frame(SURVEY), groups, SESSIONS + old)
    # on 1 Nov one row says participant and one says staff: a tie
    connection.execute("UPDATE attendance SET led_by = CASE participant_id WHEN 'o1' THEN 'participant' "
                       "WHEN 'o2' THEN 'staff' END WHERE group_id = 'H1' AND session_date = DATE '2023-11-01'"
                       ).fetchall()
    build_indicators(connection, min_cell=5)
    # OLD's data end on 1 March: nobody started 6 months before it (with PRG's July end
    # all 3 would count, as not retained); o1 is retained at 3 months
    assert connection.execute(
        "SELECT count(*) FROM indicators WHERE indicator = 'P.retention_6m' AND programme_id = 'OLD'"
    ).fetchall()[0][0] == 0
    row = cell(connection, "P.retention_3m", programme_id="OLD", wave="all")
    assert (row["numerator"], row["denominator"]) == (1, 3)
    # H1 met in the last 8 weeks of OLD's own period
    assert cell(connection, "P.groups_meeting", programme_id="OLD", wave="all")["numerator"] == 1
    led = cell(connection, "P.led_by_participants", programme_id="OLD", wave="all")
    assert (led["numerator"], led["denominator"]) == (0, 1)
    # hours: the 1 March session has no duration at all, so o1's hours are from 1 Nov only,
    # and all three contribute: 3 people with hours
    hours = cell(connection, "P.hours", programme_id="OLD", wave="all")
    assert (hours["numerator"], hours["denominator"]) == (3.0, 3)
    connection.close()


# ---------------------------------------------------------------- checks catch corrupted data

def test_checks_fail_on_corrupted_tables(tmp_path, monkeypatch):
    monkeypatch.delenv("AAI_MIN_CELL", raising=False)
    warehouse = AaiSettings(data_dir=str(tmp_path))
    with warehouse.connect() as connection:
        load(connection, pd.concat([survey_frame(SURVEY), survey_frame([COMPARISON], arm="comparison")]), GROUPS, SESSIONS)
    assert dg.materialize([*assets.ASSETS], resources={"settings": warehouse}).success
    with warehouse.connect() as connection:
        connection.execute("UPDATE indicators SET suppressed = false WHERE indicator = '1.1'").fetchall()
        connection.execute("UPDATE indicators SET value = 140, ci_high = 150 WHERE indicator = '2.1'").fetchall()
        # women are hidden only to protect the 3 men (secondary): showing them gives the men away
        connection.execute(
            "UPDATE indicators SET suppressed = false WHERE indicator = '4.5' AND programme_id = 'PRG' "
            "AND group_id = 'all' AND sex = 'female' AND age_band = 'all' AND disability = 'all' "
            "AND arm = 'participant'").fetchall()
    with warehouse.connect(read_only=True) as connection:
        assert not assets.check_small_cells_hidden(connection, 5).passed
        assert not assets.check_intervals_contain_value(connection, 5).passed
        assert not assets.check_no_lone_suppressed_sibling(connection, 5).passed


def test_observation_metadata_states_no_person_and_no_total_the_public_view_does_not_give(tmp_path, monkeypatch):
    """Metadata outlives suppression (Dagster's event log): the observations' metadata
    must not add up cells the public view hides. It used to state each indicator's
    observations over every cell, hidden ones included."""
    monkeypatch.delenv("AAI_MIN_CELL", raising=False)
    warehouse = AaiSettings(data_dir=str(tmp_path))
    with warehouse.connect() as connection:
        load(connection, pd.concat([survey_frame(SURVEY), survey_frame([COMPARISON], arm="comparison")]),
             GROUPS, SESSIONS)
    result = dg.materialize([*assets.ASSETS], resources={"settings": warehouse})
    metadata = result.asset_materializations_for_node("indicator_observations")[0].metadata
    text = " ".join(str(v.value) for v in metadata.values())
    assert "r1" not in text and "participant_id" not in text
    with warehouse.connect(read_only=True) as connection:
        totals = {n for (n,) in connection.execute(
            "SELECT count(*) FROM indicator_observations GROUP BY indicator "
            "UNION SELECT count(*) FROM indicator_observations").fetchall()}
        public = {int(n) for (n,) in connection.execute(
            "SELECT denominator FROM indicators_public WHERE denominator IS NOT NULL "
            "UNION SELECT numerator FROM indicators_public WHERE numerator IS NOT NULL").fetchall()}
    stated = {int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", text)}  # not the digits of "1.1", "who5"
    assert totals - public and not (totals - public) & stated
