"""The review stage: outlier flags with reasons, a reviewer's decisions, and what an
exclusion changes. The small files below are made so every flag can be worked out by
hand; the scoring rule is checked against scipy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
from conftest import GROUPS, aai, ingest, write
from scipy.stats import median_abs_deviation

from pipelines.defs.resources import AaiSettings
from pipelines.defs.review.assets import RULE_CHECKS
from pipelines.defs.review.assets import review as review_asset
from pipelines.indicators.build import build_indicators
from pipelines.ingest.stage import stage_all
from pipelines.publish.i18n import Translator
from pipelines.publish.queries import read_period
from pipelines.report.context import review_note
from pipelines.review import DecisionsError, build_review
from pipelines.review.analysed import sql
from pipelines.review.build import THRESHOLD
from pipelines.sample import PLANTED_OUTLIERS, generate
from pipelines.sample.outliers import DAYS_APART, EXTRA_SESSIONS, MISTYPED_MINUTES
from pipelines.validate.warehouse_tables import build_tables

TODAY = date(2026, 12, 1)

# Group BY-GRO-001 in March 2024: four sessions (the 4th, 11th, 18th, 25th); A to E
# came 2, 2, 3, 3, 2 times. F came to all four and is marked present on eight more days
# the group did not meet (lines 26-33), so F's count is 12. A's row of the 11th (line 8)
# says 480 minutes; every other present row says 90.
REGULAR = {  # date → who was present, in the order A..F
    "2024-03-04": "yyynny", "2024-03-11": "ynyyny", "2024-03-18": "nyyyyy", "2024-03-25": "nnnyyy",
}
F_EXTRA = ["2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08",
           "2024-03-12", "2024-03-13", "2024-03-14", "2024-03-15"]


def _attendance() -> str:
    lines = ["group_id,session_date,participant_id,attended,duration_minutes"]
    for day, marks in REGULAR.items():
        for person, mark in zip("ABCDEF", marks, strict=True):
            minutes = "" if mark == "n" else ("480" if (day, person) == ("2024-03-11", "A") else "90")
            lines.append(f"BY-GRO-001,{day},{person},{'yes' if mark == 'y' else 'no'},{minutes}")
    lines += [f"BY-GRO-001,{day},F,yes,90" for day in F_EXTRA]
    return "\n".join(lines) + "\n"


# WHO-5 raw scores at baseline 10, 11, 12, 12, 13 and 25 (S6 answered 5 to every item);
# S1 is interviewed again ten days after the baseline.
SURVEY = (
    "participant_id,programme_id,group_id,arm,wave,interview_date,sex,birth_year,consent,"
    "who5_1,who5_2,who5_3,who5_4,who5_5\n"
    "S1,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1950,yes,2,2,2,2,2\n"   # line 2: 10
    "S2,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1950,yes,3,2,2,2,2\n"   # line 3: 11
    "S3,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,yes,3,3,2,2,2\n"     # line 4: 12
    "S4,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,yes,2,3,3,2,2\n"     # line 5: 12
    "S5,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1950,yes,3,3,3,2,2\n"   # line 6: 13
    "S6,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1950,yes,5,5,5,5,5\n"   # line 7: 25
    "S1,BRC-WWC,BY-GRO-001,participant,followup1,2024-03-25,female,1950,yes,3,3,3,3,3\n"  # line 8
)

# (rule, file, row, records, value, modified z-score), by hand:
# - F's count 12 among 2, 2, 3, 3, 2, 12: median 2.5, MAD 0.5, M = 0.6745 × 9.5 / 0.5;
# - the session of the 11th (480) among eleven of 90: MAD 0, so M = 390 / (1.253314 ×
#   MeanAD) with MeanAD = 390 / 12;
# - S6's 25 among 10, 11, 12, 12, 13, 25: median 12, MAD 1, M = 0.6745 × 13.
EXPECTED = {
    ("attendance_count", "att.csv", 7, 12, 12.0, 0.6745 * 9.5 / 0.5),
    ("session_duration", "att.csv", 8, 1, 480.0, 390 / (1.253314 * 390 / 12)),
    ("who5_score", "survey.csv", 7, 1, 25.0, 0.6745 * 13 / 1),
    ("straight_lining", "survey.csv", 7, 1, 5.0, None),
    ("close_interviews", "survey.csv", 8, 1, 10.0, None),
}


@pytest.fixture
def root(data_root: Path) -> Path:
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", _attendance())
    write(data_root / "raw/survey.csv", SURVEY)
    return data_root


def _review(root: Path, decisions: str | None = None) -> duckdb.DuckDBPyConnection:
    con = ingest(root / "raw")
    if decisions is not None:
        write(root / "review/decisions.csv", decisions)
    build_review(con, root / "review/decisions.csv", shown_as="review/decisions.csv", today=TODAY)
    return con


def _flags(con: duckdb.DuckDBPyConnection) -> set[tuple]:
    rows = con.execute("SELECT rule, source_file, source_row, records, value, score FROM review").fetchall()
    return {(*r[:5], None if r[5] is None else round(r[5], 6)) for r in rows}


def _flag_id(con: duckdb.DuckDBPyConnection, rule: str) -> str:
    return con.execute("SELECT flag_id FROM review WHERE rule = ?", [rule]).fetchall()[0][0]


def test_each_planted_value_is_flagged_once_with_the_score_worked_out_by_hand(root: Path) -> None:
    con = _review(root)
    assert _flags(con) == {(*e[:5], None if e[5] is None else round(e[5], 6)) for e in EXPECTED}
    reasons = dict(con.execute("SELECT rule, reason FROM review").fetchall())
    assert reasons["attendance_count"].startswith("F attended 12 sessions of group BY-GRO-001 in 2024-03, where "
                                                  "the median of the 6 people on that month's register is 2.5")
    assert "lasted 480 minutes" in reasons["session_duration"]
    assert "mean absolute deviation" in reasons["session_duration"]
    assert reasons["close_interviews"].startswith("S1 was interviewed at baseline on 2024-03-15 and at followup1 "
                                                  "on 2024-03-25, 10 days apart")
    # F's twelve present rows are what an exclusion of the count would take out
    assert con.execute("SELECT list(r.source_row ORDER BY r.source_row) FROM review_records AS r JOIN review USING "
                       "(flag_id) WHERE rule = 'attendance_count'").fetchall()[0][0] == [7, 13, 19, 25, *range(26, 34)]


def test_the_modified_z_score_matches_scipy_and_falls_back_to_the_mean_deviation() -> None:
    rng = np.random.default_rng(3)
    spread = np.round(rng.normal(50, 8, 40)).tolist() + [120.0, -20.0]   # MAD > 0
    flat = [90.0] * 30 + [60.0, 60.0, 480.0]                              # MAD = 0
    con = duckdb.connect()
    con.execute("CREATE TABLE survey (programme_id VARCHAR, group_id VARCHAR, arm VARCHAR, wave VARCHAR, participant_id VARCHAR, "
                "interview_date DATE, who5_1 INT, who5_2 INT, who5_3 INT, who5_4 INT, who5_5 INT, "
                "source_file VARCHAR, source_row BIGINT, source_line BIGINT)")
    con.execute("CREATE TEMP TABLE review_measures AS SELECT 'who5_score' AS rule, 'survey' AS table_name, "
                "'P' AS programme_id, unit, 'baseline' AS period, NULL AS participant_id, NULL::DATE AS session_date, "
                "x, [{'source_file': unit, 'source_row': i::BIGINT, 'source_line': i::BIGINT, 'source_column': 0}] "
                "AS records FROM (SELECT 'spread' AS unit, unnest($a) AS x, generate_subscripts($a, 1) AS i "
                "UNION ALL SELECT 'flat', unnest($b), generate_subscripts($b, 1))", {"a": spread, "b": flat})
    con.execute(sql("screen"), {"threshold": THRESHOLD, "min_values": 5, "min_days": 30})
    got = {(r[0], r[1]): r[2] for r in con.execute("SELECT source_file, source_row, score FROM review_flags")
           .fetchall()}

    x = np.array(spread)
    mad = median_abs_deviation(x, scale=1.0)
    assert mad > 0
    z = 0.6745 * (x - np.median(x)) / mad
    want = {("spread", i + 1): z[i] for i in range(len(x)) if abs(z[i]) > THRESHOLD}
    y = np.array(flat)
    assert median_abs_deviation(y, scale=1.0) == 0
    mean_ad = np.mean(np.abs(y - np.median(y)))
    zf = (y - np.median(y)) / (1.253314 * mean_ad)
    want |= {("flat", i + 1): zf[i] for i in range(len(y)) if abs(zf[i]) > THRESHOLD}
    assert {("spread", 41), ("spread", 42), ("flat", 33)} <= set(want)
    assert set(got) == set(want)
    for key, score in want.items():
        assert got[key] == pytest.approx(score, rel=1e-9)


def _figure(con: duckdb.DuckDBPyConnection, indicator: str, wave: str) -> float:
    return con.execute(
        "SELECT value FROM indicators WHERE indicator = ? AND programme_id = 'BRC-WWC' AND arm = 'participant' "
        "AND wave = ? AND group_id = 'all' AND country = 'all' AND region = 'all' AND sex = 'all' "
        "AND age_band = 'all' AND disability = 'all'", [indicator, wave]).fetchall()[0][0]


def test_an_exclusion_changes_the_figures_keeps_the_rows_and_the_report_says_so(root: Path) -> None:
    before = _review(root)
    build_indicators(before, min_cell=5)
    # WHO-5 as a percentage score: 4 × (10 + 11 + 12 + 12 + 13 + 25) / 6; sessions held: 4 + F's 8 days
    assert _figure(before, "P.who5_mean", "baseline") == pytest.approx(4 * 83 / 6)
    assert _figure(before, "P.sessions", "all") == 12
    who5, count = _flag_id(before, "who5_score"), _flag_id(before, "attendance_count")

    after = _review(root, "flag_id,source_file,source_row,decision,reason,reviewer,date\n"
                          f"{who5},,,exclude,every item typed as 5,O. Reviewer,2026-11-30\n"
                          f"{count},,,exclude,dates of another register,O. Reviewer,2026-11-30\n"
                          ",att.csv,8,keep,the session was a day trip,O. Reviewer,2026-11-30\n")
    build_indicators(after, min_cell=5)
    assert _figure(after, "P.who5_mean", "baseline") == pytest.approx(4 * 58 / 5)
    assert _figure(after, "P.sessions", "all") == 4
    # nothing is deleted: the rows are in their tables, and the review lists each decision
    assert after.execute("SELECT count(*) FROM survey").fetchall()[0][0] == 7
    assert after.execute("SELECT count(*) FROM attendance").fetchall()[0][0] == 32
    assert after.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM ingest_log "
                         "WHERE source_file <> 'groups.csv'").fetchall() == [(39, 39, 0)]
    decided = set(after.execute("SELECT rule, decision, excluded FROM review").fetchall())
    assert decided == {("who5_score", "exclude", True), ("attendance_count", "exclude", True),
                       ("session_duration", "keep", False), ("straight_lining", None, True),
                       ("close_interviews", None, False)}
    assert after.execute("SELECT table_name, count(*) FROM review_exclusions GROUP BY ALL ORDER BY 1").fetchall() == [
        ("attendance", 12), ("survey", 1)]

    data = read_period(after, min_cell=5)
    # the report's sessions per month leave the excluded register rows out too
    assert data.attendance["sessions"].tolist() == [4]
    assert read_period(before, min_cell=5).attendance["sessions"].tolist() == [12]
    assert review_note(Translator("en"), data.review_exclusions) == (
        "Records excluded by review and left out of the figures, though kept in the warehouse: 13 "
        "(attendance far above the group's that month: 12; a WHO-5 score far from the group's: 1).")
    assert review_note(Translator("en"), read_period(before, min_cell=5).review_exclusions).startswith(
        "No record was excluded by review")


def test_a_row_no_rule_flagged_can_be_excluded_by_file_and_row(root: Path) -> None:
    con = _review(root, "flag_id,source_file,source_row,decision,reason,reviewer,date\n"
                        ",survey.csv,3,exclude,interviewed the wrong person,O. Reviewer,2026-11-30\n")
    assert con.execute("SELECT rule, source_file, source_row, decision, excluded FROM review WHERE rule = 'reviewer'"
                       ).fetchall() == [("reviewer", "survey.csv", 3, "exclude", True)]
    build_indicators(con, min_cell=5)
    assert _figure(con, "P.who5_mean", "baseline") == pytest.approx(4 * (83 - 11) / 5)


HEADER = "flag_id,source_file,source_row,decision,reason,reviewer,date\n"


@pytest.mark.parametrize(("text", "message"), [
    ("flag_id,decision,reason,reviewer,date\n",
     "review/decisions.csv line 1: the header lacks source_file, source_row"),
    (HEADER + ",survey.csv,2,keep,fine,O. R.,2026-11-30\n,survey.csv,3,drop,typo,O. R.,2026-11-30\n",
     "review/decisions.csv line 3: decision 'drop' is not keep or exclude"),
    (HEADER + ",survey.csv,2,exclude,typo,O. R.,30.11.2026\n",
     "review/decisions.csv line 2: date '30.11.2026' is not a date written YYYY-MM-DD"),
    (HEADER + ",survey.csv,2,exclude,,O. R.,2026-11-30\n",
     "review/decisions.csv line 2: reason is empty"),
    (HEADER + ",survey.csv,row 2,exclude,typo,O. R.,2026-11-30\n",
     "review/decisions.csv line 2: source_row 'row 2' is not a row number"),
    (HEADER + "R-0000000000,,,exclude,typo,O. R.,2026-11-30\n",
     "review/decisions.csv line 2: there is no flag R-0000000000 in this run"),
    (HEADER + ",survey.csv,99,exclude,typo,O. R.,2026-11-30\n",
     "review/decisions.csv line 2: survey.csv has no loaded survey or attendance row 99"),
    (HEADER + ",survey.csv,2,exclude,typo,O. R.,2026-11-30\n\n,survey.csv,2,keep,no,O. R.,2026-11-30\n",
     "review/decisions.csv line 4: row 2 of survey.csv was already decided on line 2"),
])
def test_a_decisions_file_that_cannot_be_used_is_one_error_naming_its_line(root: Path, text: str, message: str):
    with pytest.raises(DecisionsError) as caught:
        _review(root, text)
    assert str(caught.value).startswith(message)


def test_aai_run_refuses_a_bad_decisions_file_before_reading_anything(root: Path) -> None:
    write(root / "review/decisions.csv", HEADER + ",survey.csv,2,maybe,unsure,O. R.,2026-11-30\n")
    done = aai("run", root=root)
    assert done.returncode == 2
    assert "review/decisions.csv line 2: decision 'maybe' is not keep or exclude" in done.stderr
    assert not (root / "processed/warehouse.duckdb").exists()


def test_the_demo_outliers_are_flagged_with_their_reasons(tmp_path: Path) -> None:
    generate(tmp_path / "raw")
    con = ingest(tmp_path / "raw")
    build_review(con, tmp_path / "review/decisions.csv", shown_as="review/decisions.csv", today=TODAY)
    flagged = con.execute(
        "SELECT r.rule, r.source_file, coalesce(s.participant_id, a.participant_id), s.wave, r.value, r.reason "
        "FROM review AS r "
        "LEFT JOIN survey AS s ON r.table_name = 'survey' AND s.source_file = r.source_file "
        "  AND s.source_row = r.source_row "
        "LEFT JOIN attendance AS a ON r.table_name = 'attendance' AND a.source_file = r.source_file "
        "  AND a.source_row = r.source_row").fetchall()
    by_key = {(rule, file, person, wave): (value, reason) for rule, file, person, wave, value, reason in flagged}
    values = {}
    for outlier in PLANTED_OUTLIERS:
        key = (outlier.rule, outlier.file, outlier.key[0], outlier.key[1] if len(outlier.key) > 1 else None)
        assert key in by_key, outlier.what
        values[outlier.rule], reason = by_key[key]
        assert reason.endswith(("for that month", "(450 typed for 45?)", "this person and this wave",
                                "typed for this interview", "the wave of this interview")), reason
    # the person also came to some of the group's own sessions that month
    assert values.pop("attendance_count") > EXTRA_SESSIONS
    assert values == {"straight_lining": 5, "who5_score": 1, "close_interviews": DAYS_APART,
                      "session_duration": MISTYPED_MINUTES}


def test_the_asset_warns_per_rule_until_each_flag_is_decided(root: Path) -> None:
    settings = AaiSettings(data_dir=str(root))
    with settings.connect() as con:
        stage_all(con, root / "raw")
        build_tables(con)
    first = dg.materialize([review_asset], resources={"settings": settings})
    assert first.success
    checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
    assert set(checks) == set(RULE_CHECKS)
    assert not any(e.passed for e in checks.values())
    assert {e.severity for e in checks.values()} == {dg.AssetCheckSeverity.WARN}
    with settings.connect(read_only=True) as con:
        flag = _flag_id(con, "straight_lining")
    write(root / "review/decisions.csv", f"{HEADER}{flag},,,keep,she says she is well all the time,O. R.,2026-11-30\n")
    second = dg.materialize([review_asset], resources={"settings": settings})
    passed = {e.check_name for e in second.get_asset_check_evaluations() if e.passed}
    assert passed == {"no_straight_lining"}
