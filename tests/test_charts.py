"""Charts from a small hand-made warehouse whose numbers can be checked by hand.

The warehouse (``make_warehouse``) is shared with ``test_report.py``:

- groups: BRC-WWC has two groups (one self-run), ZTRASS one group that has ended.
- attendance, January–June 2024: each BRC-WWC group meets twice a month with the same
  six people; the ZTRASS group meets once a month with three women (a cell under 5).
  So 2·2·6 + 6 = 30 sessions, 12 + 3 = 15 people.
- indicators (shares on the 0–100 scale, as the indicators stage writes them): BRC-WWC 2.1, 4.3, 4.5 for both arms and both
  waves; the comparison group's 2.1 at follow-up has n = 4 and is suppressed (its
  hidden value 77.77 must never surface); ZTRASS has 4.3 at baseline only; a
  programme outcome ``ucla_mean`` (a mean, not a share); programme outputs (``P.*``):
  BRC-WWC reached 12 people in 24 sessions, ZTRASS's 3 people are a suppressed cell
  (so are its hours, 987.65, and retention, 33.33, which must never surface).
- domain scores for BRC-WWC participants, D1 partial (1 of 4 indicators).
- ingest_log: three files, 40 rows read, 2 quarantined; quarantine: three problems
  on two rows, whose values and records carry a name that must never be shown.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from matplotlib.transforms import Bbox

from pipelines import catalogue
from pipelines.charts import build_charts, load_charts
from pipelines.charts.programme import dose_charts
from pipelines.publish import readers
from pipelines.publish.i18n import LANGUAGES, Translator
from pipelines.publish.queries import read_period

SECRET_NAME = "Olena Secretname"
SUPPRESSED_VALUE = 77.77  # shows as 77.8 / 77.8% if it ever leaks
SUPPRESSED_HOURS = 987.65  # ZTRASS's hours: 3 people, hidden
SUPPRESSED_RETENTION = 33.33  # ZTRASS's retention: 3 memberships, hidden

_ALL = ("all", "all", "all", "all", "all", "all")  # country, region, group_id, sex, age_band, disability


def _indicator_rows() -> list[tuple]:
    rows = []
    # (indicator, programme, arm, wave, numerator, denominator, value, ci_low, ci_high)
    data = [
        ("2.1", "BRC-WWC", "participant", "baseline", 12, 40, 30.0, 18.1, 45.4),
        ("2.1", "BRC-WWC", "participant", "followup1", 18, 40, 45.0, 30.7, 60.2),
        ("2.1", "BRC-WWC", "comparison", "baseline", 6, 20, 30.0, 14.5, 51.9),
        ("2.1", "BRC-WWC", "comparison", "followup1", 3.1108, 4, SUPPRESSED_VALUE, 30.0, 95.0),
        ("4.3", "BRC-WWC", "participant", "baseline", 20, 40, 50.0, 35.2, 64.8),
        ("4.3", "BRC-WWC", "participant", "followup1", 26, 40, 65.0, 49.5, 77.9),
        ("4.3", "BRC-WWC", "comparison", "baseline", 10, 20, 50.0, 29.9, 70.1),
        ("4.3", "BRC-WWC", "comparison", "followup1", 11, 20, 55.0, 34.2, 74.2),
        ("4.5", "BRC-WWC", "participant", "baseline", 16, 40, 40.0, 26.3, 55.5),
        ("4.5", "BRC-WWC", "participant", "followup1", 30, 40, 75.0, 59.8, 85.8),
        ("4.5", "BRC-WWC", "comparison", "baseline", 9, 20, 45.0, 25.8, 65.8),
        ("4.5", "BRC-WWC", "comparison", "followup1", 9, 20, 45.0, 25.8, 65.8),
        ("ucla_mean", "BRC-WWC", "participant", "baseline", 216, 40, 5.4, 5.0, 5.8),
        ("ucla_mean", "BRC-WWC", "participant", "followup1", 196, 40, 4.9, 4.5, 5.3),
        ("4.3", "ZTRASS", "participant", "baseline", 9, 20, 45.0, 25.8, 65.8),
        # programme outputs, as the indicators stage publishes them (arm participant, wave all)
        ("P.reached", "BRC-WWC", "participant", "all", 12, 12, 12.0, None, None),
        ("P.reached", "ZTRASS", "participant", "all", 3, 3, 3.0, None, None),
        ("P.sessions", "BRC-WWC", "participant", "all", 24, 24, 24.0, None, None),
        ("P.sessions", "ZTRASS", "participant", "all", 6, 6, 6.0, None, None),
        ("P.hours", "ZTRASS", "participant", "all", SUPPRESSED_HOURS, 3, SUPPRESSED_HOURS, None, None),
        ("P.retention_3m", "BRC-WWC", "participant", "all", 10, 12, 83.3, 55.2, 95.3),
        ("P.retention_3m", "ZTRASS", "participant", "all", 1, 3, SUPPRESSED_RETENTION, 6.1, 79.2),
        ("P.groups_started", "BRC-WWC", "participant", "all", 2, 2, 2.0, None, None),
    ]
    for ind, prog, arm, wave, num, den, value, lo, hi in data:
        country, region, group_id, sex, age_band, disability = _ALL
        rows.append((ind, prog, country, region, group_id, arm, wave, sex, age_band, disability,
                     num, den, value, lo, hi, den < 5))
    return rows


def make_warehouse(path: Path, *, empty: bool = False) -> Path:
    """Create the contract's tables at ``path``; with ``empty`` create nothing at all."""
    con = duckdb.connect(str(path))
    if empty:
        con.close()
        return path
    con.execute("""
        create table groups (group_id varchar, programme_id varchar, group_name varchar, country varchar,
            region varchar, settlement_type varchar, target_population varchar, start_date date,
            end_date date, facilitation varchar, source_file varchar, source_row bigint)""")
    con.executemany("insert into groups values (?,?,?,?,?,?,?,?,?,?,?,?)", [
        ("BY-GRO-001", "BRC-WWC", "Longevity through Movement", "BY", "Grodno", "rural", "older_people",
         date(2023, 5, 1), None, "self_run", "groups.csv", 2),
        ("BY-VIT-002", "BRC-WWC", "Вместе", "BY", "Vitebsk", "urban", "older_people",
         date(2023, 9, 1), None, "volunteer_led", "groups.csv", 3),
        ("UA-ZHY-001", "ZTRASS", "Без ізоляції", "UA", "Zhytomyr", "rural", "women",
         date(2023, 12, 1), date(2024, 6, 30), "staff_led", "groups.csv", 4),
    ])
    con.execute("""
        create table attendance (group_id varchar, session_date date, participant_id varchar,
            attended boolean, duration_minutes integer, activity varchar, led_by varchar,
            source_file varchar, source_row bigint)""")
    rows = []
    for month in range(1, 7):
        for group, prefix in (("BY-GRO-001", "G"), ("BY-VIT-002", "V")):
            for day in (3, 17):
                for person in range(6):
                    rows.append((group, date(2024, month, day), f"{prefix}{person}", True, 90, "exercise",
                                 "participant", "attendance.csv", len(rows) + 2))
        for person in range(3):
            rows.append(("UA-ZHY-001", date(2024, month, 10), f"Z{person}", True, 120, "mutual_support",
                         "staff", "attendance.csv", len(rows) + 2))
        # someone registered but absent: a session row that adds no person
        rows.append(("UA-ZHY-001", date(2024, month, 10), "Z9", False, None, None, "staff", "attendance.csv",
                     len(rows) + 2))
    con.executemany("insert into attendance values (?,?,?,?,?,?,?,?,?)", rows)

    con.execute("""
        create table indicators (indicator varchar, programme_id varchar, country varchar, region varchar,
            group_id varchar, arm varchar, wave varchar, sex varchar, age_band varchar, disability varchar,
            numerator double, denominator bigint, value double, ci_low double, ci_high double, suppressed boolean)""")
    con.executemany("insert into indicators values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", _indicator_rows())
    con.execute("""
        create view indicators_public as
        select * replace (
            case when suppressed then null else numerator end as numerator,
            case when suppressed then null else value end as value,
            case when suppressed then null else ci_low end as ci_low,
            case when suppressed then null else ci_high end as ci_high),
            case when suppressed or ci_low is null then null else 'wilson' end as interval_method,
            cast(null as bigint) as n_clusters, cast(null as double) as df
        from indicators""")

    con.execute("""
        create table domain_scores (programme_id varchar, country varchar, region varchar, group_id varchar,
            arm varchar, wave varchar, sex varchar, item varchar, value double, indicators_used integer,
            indicators_total integer, partial boolean, note varchar, indicator_set varchar,
            comparable_value double, comparable_set varchar)""")
    scores = {"baseline": (8.0, 31.0, 55.0, 44.0), "followup1": (8.5, 38.5, 57.0, 51.0)}
    totals = (4, 4, 8, 4)
    for wave, values in scores.items():
        for i, value in enumerate(values):
            used = 1 if i == 0 else totals[i]
            codes = ", ".join(f"{i + 1}.{k + 1}" for k in range(used))
            con.execute("insert into domain_scores values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        ["BRC-WWC", "all", "all", "all", "participant", wave, "all", f"D{i + 1}", value, used,
                         totals[i], used < totals[i], None, codes, value, codes])

    con.execute("""
        create table ingest_log (source_file varchar, sha256 varchar, kind varchar, encoding varchar,
            delimiter varchar, rows_read bigint, rows_loaded bigint, rows_quarantined bigint, status varchar,
            message varchar)""")
    con.executemany("insert into ingest_log values (?,?,?,?,?,?,?,?,?,?)", [
        ("brc/groups.csv", "a" * 64, "groups", "utf-8", ",", 3, 3, 0, "loaded", "ok"),
        ("brc/survey_2024.csv", "b" * 64, "survey", "cp1251", ";", 25, 23, 2, "loaded_with_quarantine",
         f"2 rows quarantined, e.g. {SECRET_NAME}"),
        ("ztrass/attendance.csv", "c" * 64, "attendance", "utf-8", ",", 12, 12, 0, "loaded", "ok"),
    ])
    con.execute("""
        create table quarantine (source_file varchar, source_row bigint, table_name varchar,
            column_name varchar, rule varchar, value varchar, reason varchar, record varchar)""")
    record = json.dumps({"participant_id": "P-17", "note": SECRET_NAME})
    con.executemany("insert into quarantine values (?,?,?,?,?,?,?,?)", [
        ("brc/survey_2024.csv", 7, "survey", "birth_year", "birth_year_range", "1890",
         "birth year 1890 is before 1900", record),
        ("brc/survey_2024.csv", 7, "survey", "consent", "no_consent", "нет", "consent is no", record),
        ("brc/survey_2024.csv", 12, "survey", "birth_year", "birth_year_range", SECRET_NAME,
         f"birth year {SECRET_NAME} is not a number", record),
    ])
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def charts_dir(tmp_path: Path) -> Path:
    return tmp_path / "charts"


def test_every_chart_is_written_as_png_and_svg(warehouse: Path, charts_dir: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = build_charts(con, charts_dir, min_cell=5)
    keys = [c.key for c in charts]
    assert keys == ["attendance", "groups", "retention", "domain_profile", "indicator_change_BRC-WWC",
                    "indicator_change_ZTRASS", "data_quality"]
    # two groups are a suppressed cell: no group timeline, and the report says why
    assert not charts[1].available and "5 or more registered groups" in charts[1].message
    for chart in charts[:1] + charts[2:]:
        assert chart.available, chart.message
        assert chart.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = chart.svg.read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert chart.title and chart.caption and chart.alt
        assert "Source:" in chart.caption


def test_titles_state_the_finding(warehouse: Path, charts_dir: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = {c.key: c for c in build_charts(con, charts_dir, min_cell=5)}
    # 4.5 rose 40.0% → 75.0% between the published cells, but no impact test stands behind
    # it here: the title never announces a raw rise
    assert charts["indicator_change_BRC-WWC"].title == (
        "BRC-WWC: outcomes at baseline and follow-up 1, described, not tested"
    )
    assert charts["indicator_change_ZTRASS"].title == "ZTRASS: baseline only — no follow-up wave yet"
    assert charts["domain_profile"].title == (
        "Participants score highest on D3 Independent, healthy and secure living (57.0) "
        "and lowest on D1 Employment (8.5)"
    )
    assert charts["attendance"].title == "30 sessions held from Jan 2024 to Jun 2024, a steady 5 a month"
    assert charts["data_quality"].title == (
        "2 of 40 rows (5.0%) held in quarantine; most common problem: birth_year_range"
    )
    assert charts["attendance"].n == 12  # the published P.reached cells: ZTRASS's 3 are suppressed


def test_suppressed_cell_is_labelled_never_drawn(warehouse: Path, charts_dir: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = {c.key: c for c in build_charts(con, charts_dir, min_cell=5)}
    change = charts["indicator_change_BRC-WWC"]
    assert "2.1 Voluntary activities, comparison: 30.0% → suppressed." in change.alt
    assert "77.8" not in change.alt and "77.8" not in change.caption
    # The SVG draws text as paths, so check the PNG/SVG metadata carry the alt text too
    assert "comparison: 30.0% → suppressed." in change.svg.read_text(encoding="utf-8")


def test_quarantined_values_never_reach_a_chart(warehouse: Path, charts_dir: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = build_charts(con, charts_dir, min_cell=5)
    for chart in charts:
        words = chart.title + chart.caption + chart.alt
        assert SECRET_NAME not in words and "1890" not in words
        if chart.available:
            assert SECRET_NAME not in chart.svg.read_text(encoding="utf-8")


def test_manifest_round_trips_and_stale_files_go(warehouse: Path, charts_dir: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = build_charts(con, charts_dir, min_cell=5)
    assert [c.key for c in load_charts(charts_dir)] == [c.key for c in charts]
    assert load_charts(charts_dir)[0].png == charts[0].png
    # ZTRASS leaves the data: its chart files must not linger
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from indicators where programme_id = 'ZTRASS'")
        build_charts(con, charts_dir, min_cell=5)
    assert not (charts_dir / "indicator_change_ZTRASS.png").exists()
    assert (charts_dir / "indicator_change_BRC-WWC.png").exists()


def test_same_data_gives_identical_files(warehouse: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = build_charts(con, tmp_path / "a", min_cell=5)
        second = build_charts(con, tmp_path / "b", min_cell=5)
    for a, b in zip(first, second, strict=True):
        if not a.available:
            continue
        assert a.png.read_bytes() == b.png.read_bytes()
        assert a.svg.read_bytes() == b.svg.read_bytes()


K6_MAPPING = """\
kind: survey
constants: {programme_id: BRC-WWC}
columns: {ID: participant_id}
indicators:
  P.k6_mean:
    name: {en: K6 psychological distress (mean score), ru: Психологический дистресс K6}
    kind: mean
    scale: [0, 12]
    population: 60+
    items: {k6_1: Q20a, k6_2: Q20b, k6_3: Q20c}
    rule: k6_1 + k6_2 + k6_3
    citation: Kessler et al. 2002
"""
SUPPRESSED_K6 = 9.87  # the comparison group's K6 at follow-up: 4 people, hidden


@pytest.fixture
def with_k6(tmp_path: Path):
    """The catalogue with P.k6_mean declared, and the project's alone afterwards."""
    from pipelines import catalogue
    from pipelines.mapping import load_mappings
    from pipelines.mapping.measures import catalogue_rows

    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings/k6.yaml").write_text(K6_MAPPING, encoding="utf-8")
    catalogue.declare(catalogue_rows(load_mappings(tmp_path / "mappings", shown_from=tmp_path)))
    yield
    catalogue.declare(catalogue_rows(()))


def test_the_change_chart_draws_programme_outcomes_and_declared_measures(warehouse, charts_dir, with_k6,
                                                                         monkeypatch) -> None:
    """WHO-5 (a catalogue mean on 0–100) and a declared K6 mean (0–12) are drawn like the
    AAI shares, each mean in a panel of its own scale, labelled by its declaration; a
    hidden K6 cell is not drawn; ``ucla_mean`` (no catalogue code) and the register's
    outputs (P.reached) are not outcomes."""
    from pipelines.charts import plots

    with duckdb.connect(str(warehouse)) as con:
        con.executemany("insert into indicators values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            (code, "BRC-WWC", *_ALL[:3], arm, wave, *_ALL[3:], num, den, value, lo, hi, den < 5)
            for code, arm, wave, num, den, value, lo, hi in [
                ("P.k6_mean", "participant", "baseline", 244, 40, 6.1, 5.2, 7.0),
                ("P.k6_mean", "participant", "followup1", 120, 40, 3.0, 2.2, 3.8),
                ("P.k6_mean", "comparison", "baseline", 120, 20, 6.0, 4.9, 7.1),
                ("P.k6_mean", "comparison", "followup1", 39.48, 4, SUPPRESSED_K6, 8.0, 11.0),
                ("P.who5_mean", "participant", "baseline", 2080, 40, 52.0, 46.0, 58.0),
                ("P.who5_mean", "participant", "followup1", 2400, 40, 60.0, 54.0, 66.0),
            ]])
    drawn = {}

    def spy(frame, **words):
        drawn.setdefault(words["title"].split(":")[0], (frame, words["panels"]))
        return plots_indicator_change(frame, **words)

    plots_indicator_change = plots.indicator_change
    monkeypatch.setattr(plots, "indicator_change", spy)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        build_charts(con, charts_dir, min_cell=5)
    # shares first, then the means by code: P.k6_mean (0–12) before P.who5_mean (0–100)
    frame, panels = drawn["BRC-WWC"]
    assert panels == [("percent", "Share of respondents (%)", 0.0, 100.0), ("0-12", "Mean score (0–12)", 0.0, 12.0),
                      ("0-100", "Mean score (0–100)", 0.0, 100.0)]
    assert list(dict.fromkeys(zip(frame["panel"], frame["label"], strict=True))) == [
        ("percent", "2.1 Voluntary activities"), ("percent", "4.3 Mental well-being"),
        ("percent", "4.5 Social connectedness"), ("0-12", "K6 psychological distress (mean score)"),
        ("0-100", "WHO-5 well-being (mean percentage score)")]
    manifest = json.loads((charts_dir / "manifest.json").read_text(encoding="utf-8"))
    [change] = [c for c in manifest if c["key"] == "indicator_change_BRC-WWC"]
    assert ("K6 psychological distress (mean score), participants: 6.1 → 3.0. "
            "K6 psychological distress (mean score), comparison: 6.0 → suppressed. "
            "WHO-5 well-being (mean percentage score), participants: 52.0 → 60.0.") in change["alt"]
    assert "Mean scores are drawn in panels of their own, each on its own scale." in change["caption"]
    assert "9.9" not in change["alt"] + change["caption"] and "ucla" not in change["alt"].lower()
    assert "comparison: 6.0 → suppressed." in (charts_dir / change["svg"]).read_text(encoding="utf-8")


@pytest.mark.parametrize("smallest", [0.012, 0.0001])
def test_a_dose_trend_is_never_stated_as_a_finding(tmp_path: Path, smallest: float) -> None:
    """18 trend tests, the smallest with a rising slope. p = 0.012 would not even survive
    Benjamini-Hochberg over the 18 (it needs p <= 0.05/18 = 0.0028); and dose-response is
    exploratory by design (pipelines.impact.claims), so not even p = 0.0001 titles the chart:
    the title names no indicator and no link, and says how many tests it draws from."""
    codes = list(catalogue.survey_indicators()["code"])[:18]
    rows = [{"programme_id": "STUDY", "wave": "followup1", "indicator": code, "unit": "percentage_points",
             "tertile": t, "sessions_min": 10 * t, "sessions_max": 10 * t + 9, "n": 10, "change": 3.0 * t,
             "ci_low": 3.0 * t - 4, "ci_high": 3.0 * t + 4, "trend_slope": 3.0, "trend_ci_low": 0.7,
             "trend_ci_high": 5.3, "trend_p": smallest if k == 0 else 0.2 + 0.04 * k}
            for k, code in enumerate(codes) for t in (1, 2, 3)]
    [chart] = dose_charts(pd.DataFrame(rows), tmp_path, Translator("en"))
    assert chart.title == "STUDY: change by sessions attended, exploratory and not corrected (trend tests: 18)"
    assert "attended more" not in chart.title and "p =" not in chart.title
    assert "no trend here is a finding" in chart.caption


def test_empty_warehouse_draws_nothing_and_says_why(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "empty.duckdb", empty=True)
    with duckdb.connect(str(path), read_only=True) as con:
        charts = build_charts(con, tmp_path / "charts", min_cell=5)
    assert charts and not any(c.available for c in charts)
    assert all(c.message for c in charts)
    assert not list((tmp_path / "charts").glob("*.png"))


def test_latest_wave_ranks_follow_ups_by_number() -> None:
    import pandas as pd

    from pipelines.publish.readers import latest_wave

    # a text sort would pick followup9
    assert latest_wave(pd.DataFrame({"wave": ["baseline", "followup9", "followup10", "followup2"]})) == "followup10"
    assert latest_wave(pd.DataFrame({"wave": ["followup2", "baseline"]})) == "followup2"
    assert latest_wave(pd.DataFrame(columns=["wave"])) is None


def test_programme_ids_never_share_a_folder():
    """`COL/1` and `COL 1` once both became the folder `COL-1`: one report replaced the other.
    A safe id that merely ends like a hash (a date, a grant number) keeps its plain folder."""
    from pipelines.files import slug, slugs

    ids = ["COL/1", "COL 1", "COL-1", "COL_1", "../COL-1", "Без ізоляції", "BRC-WWC", slug("COL/1"),
           "PRG-20240101"]
    folders = list(slugs(ids).values())
    assert len(set(folders)) == len(ids)
    assert slug("BRC-WWC") == "BRC-WWC" and slug("COL-1") == "COL-1"  # safe ids keep their folder
    assert slug("PRG-20240101") == slugs(ids)["PRG-20240101"] == "PRG-20240101"
    assert all(re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", f) for f in folders)
    assert slug("COL/1") == slug("COL/1")  # stable across runs
    with pytest.raises(ValueError, match="empty programme id"):
        slug("  ")


def test_programme_keys_differ_in_any_letter_case_and_never_take_the_total_s():
    """The id `COL-1-d8958a89` once shared the folder of `COL/1`, `all-5ef5ef03` that of
    the programme `all`, and `brc-wwc` that of `BRC-WWC` on macOS and Windows."""
    from pipelines.files import slug
    from pipelines.publish.scope import ALL_PROGRAMMES, scope_key, scope_keys

    ids = ["COL/1", "COL-1-d8958a89", "all", "ALL", "All", "all-5ef5ef03", "BRC-WWC", "brc-wwc", "Brc-Wwc",
           "MAZ-SHC", "ZTRASS-WI"]
    keys = scope_keys(ids)
    folded = [k.casefold() for k in keys.values()]
    assert len(set(folded)) == len(ids) and ALL_PROGRAMMES not in folded
    # a safe id keeps its plain folder; the hashed id it meets gets a longer digest
    assert keys["COL-1-d8958a89"] == "COL-1-d8958a89" == slug("COL/1") != keys["COL/1"]
    assert re.fullmatch(r"COL-1-d8958a89[0-9a-f]{8}", keys["COL/1"])
    assert keys["all-5ef5ef03"] == scope_key("all") == "all-5ef5ef03" != keys["all"]
    assert re.fullmatch(r"all-5ef5ef03[0-9a-f]{8}", keys["all"])
    # safe ids keep their folder; of two that differ only in case, the one sorting first
    assert [keys[p] for p in ("BRC-WWC", "MAZ-SHC", "ZTRASS-WI")] == ["BRC-WWC", "MAZ-SHC", "ZTRASS-WI"]
    assert keys["brc-wwc"].startswith("brc-wwc-") and scope_key("brc-wwc") == "brc-wwc"  # alone, it is itself
    assert scope_keys(reversed(ids)) == keys  # whatever order the warehouse lists them in


def test_two_programmes_that_would_still_share_a_folder_are_refused_naming_both(monkeypatch):
    """Two hashes that agree: no report may overwrite another's, so the run stops."""
    from pipelines import files
    from pipelines.defs.partitions import current
    from pipelines.periods import NO_DATA
    from pipelines.publish.scope import report_scopes

    monkeypatch.setattr(files, "_digest", lambda text, chars=files.SLUG_HASH_CHARS: "0" * chars)
    con = duckdb.connect()
    con.execute("create table groups as select * from (values ('COL/1'), ('COL 1'), ('BRC-WWC')) t(programme_id)")
    sentence = "the programme ids 'COL 1' and 'COL/1' would share the folder 'COL-1-00000000'; " \
               "rename one of them in its files"
    with pytest.raises(files.FolderCollision) as refused:
        report_scopes(con, NO_DATA, NO_DATA)
    assert str(refused.value) == sentence
    with pytest.raises(files.FolderCollision, match="'COL 1' and 'COL/1'"):
        report_scopes(con, NO_DATA, NO_DATA, key="BRC-WWC")
    # and the refresh registers no partitions for them: report_partitions fails with that sentence
    con.execute("create table survey as select programme_id, date '2024-03-01' as interview_date from groups")
    with pytest.raises(files.FolderCollision, match="'COL 1' and 'COL/1'"):
        current(con, [])


# -- legibility: no chart text drawn over another, in any language ----------------------------------
def _overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose boxes overlap by more than a pixel each way. Tick
    labels of ticks outside the axis's view are not drawn and are left out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from pipelines.charts.style import chart_style

    canvas = FigureCanvasAgg(fig)
    with chart_style():
        canvas.draw()
    renderer = canvas.get_renderer()
    undrawn = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            undrawn |= {id(t.label1) for t in axis.get_major_ticks() if not low <= t.get_loc() <= high}
    texts = [t for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in undrawn]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    pairs = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            overlap = Bbox.intersection(box_a, box_b)
            if overlap is not None and overlap.width > 1 and overlap.height > 1:
                pairs.append((a[:40], b[:40]))
    return pairs


# English in the default tier; the other languages (their longer words) in the slow one
@pytest.mark.parametrize("lang", [pytest.param(lang, marks=[pytest.mark.slow] if lang != "en" else [])
                                  for lang in LANGUAGES])
def test_no_chart_text_overlaps_another(demo_root: Path, tmp_path: Path, monkeypatch, lang: str) -> None:
    from pipelines.charts import info as chart_info

    drawn, save = {}, chart_info.save_figure

    def checked(fig, stem, **kwargs):
        drawn[stem.name] = _overlapping_texts(fig)
        return save(fig, stem, **kwargs)

    monkeypatch.setattr(chart_info, "save_figure", checked)
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        build_charts(con, tmp_path, lang=lang, min_cell=5)
    assert len(drawn) >= 5
    assert {name: pairs for name, pairs in drawn.items() if pairs} == {}


def test_the_overlap_check_sees_an_overlap() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    assert ("first label", "second label") in _overlapping_texts(fig)


def test_month_ticks_are_in_the_reports_language_and_partial_months_are_marked(demo_root: Path) -> None:
    tr = Translator("ru")
    assert [tr.month_tick(date(2024, m, 1)) for m in (1, 3, 5)] == ["2024", "март", "май"]
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        data = read_period(con, min_cell=5)
        first, last = con.execute("SELECT min(session_date), max(session_date) FROM attendance").fetchall()[0]
    # the demo's registers start on a weekday after 1 March 2024 and stop mid-April 2025
    assert first.day > 1 and first.strftime("%Y-%m") == "2024-03" and last.strftime("%Y-%m") == "2025-04" and last.day < 30
    assert readers.partial_months(data.attendance) == [pd.Timestamp("2024-03-01"), pd.Timestamp("2025-04-01")]
    assert readers.partial_months(data.only(["BRC-WWC"]).attendance)[0] == pd.Timestamp("2024-03-01")


def _domains(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["programme_id", "item", "value", "indicator_set"])


def test_the_domain_title_compares_no_programmes_and_the_caption_names_differing_sets() -> None:
    from pipelines.charts.build import _domain_title
    from pipelines.publish.domain_sets import differing as _sets_sentence, national as _national_sentence

    tr = Translator("en")
    one = _domains([("A", "D1", 20.0, "1.3"), ("A", "D2", 15.6, "2.1, 2.2"), ("A", "AAI", 30.4, "1.3, 2.1, 2.2")])
    assert _domain_title(one, tr) == ("Participants score highest on D1 Employment (20.0) "
                                      "and lowest on D2 Participation in society (15.6)")
    # two programmes whose D1 rests on different indicators: no title averages them, the caption says why
    two = pd.concat([one, _domains([("B", "D1", 35.7, "1.2"), ("B", "D2", 24.8, "2.1, 2.2"),
                                    ("B", "AAI", 40.4, "1.2, 2.1, 2.2")])])
    assert _domain_title(two, tr) == "AAI domain profile of participants"
    assert _sets_sentence(two, tr) == (
        "Programmes' scores are not comparable where they rest on different indicators: "
        "D1 Employment: A 1.3; B 1.2 — Active Ageing Index: A 1.3, 2.1, 2.2; B 1.2, 2.1, 2.2.")
    assert _sets_sentence(one, tr) == "" and _national_sentence(two, tr) == ""
    national = _domains([("A", "D4", 60.0, "4.1, 4.3")])
    assert _national_sentence(national, tr).startswith("D4 Capacity")
    assert "(3.4, 4.1, 4.2)" in _national_sentence(national, tr)
