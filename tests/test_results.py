"""Results frameworks, progress labels, the IATI export and the spreadsheet exports.

Expected labels are derived by hand from the figures quoted beside them; exported
numbers are compared with the report's own ``headline_figures.json``, and the IATI file
is validated with lxml against the official 2.03 schema shipped in the repository.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from lxml import etree
from openpyxl import load_workbook

from pipelines.publish import tables
from pipelines.publish.framework import FrameworkError, load_framework, load_frameworks
from pipelines.publish.results import Dates, results
from tests.conftest import aai, write

XSD = Path(__file__).parents[1] / "pipelines" / "reference" / "iati-2.03" / "iati-activities-schema.xsd"

VALID = """\
programme: P1
start: 2024-01-01
indicators:
  - code: "4.3"
    name: Good mental well-being
    baseline: from data
    target: 50
    target_date: 2025-12-31
"""


# -- the framework file ------------------------------------------------------------------------
def test_a_valid_framework_reads_as_written(tmp_path: Path) -> None:
    framework, shown = load_framework(write(tmp_path / "frameworks" / "P1.yaml", VALID), tmp_path)
    assert shown == "frameworks/P1.yaml"
    (row,) = framework.indicators
    assert (framework.programme, framework.start) == ("P1", date(2024, 1, 1))
    assert (row.code, row.baseline, row.target, row.target_date, row.ascending) == \
        ("4.3", "from data", 50.0, date(2025, 12, 31), True)


@pytest.mark.parametrize(("line", "text", "where", "message"), [
    # line 4 holds the code, 6 the baseline, 7 the target, 8 the date
    (4, '  - code: "9.9"', "indicators[1].code", "unknown indicator '9.9'"),
    (7, "    target: 150", "indicators[1].target", "150 is outside the scale of 4.3 (0–100 percent)"),
    (8, "    target_date: 2025-02-30", "indicators[1].target_date", "Input should be a valid date"),
    (8, "    target_date: 2023-12-31", "indicators[1].target_date", "is not after the framework's start"),
    (6, "    baseline: sometime", "indicators[1].baseline", "a number or 'from data', not 'sometime'"),
])
def test_an_invalid_framework_names_file_line_and_field(tmp_path: Path, line: int, text: str, where: str,
                                                        message: str) -> None:
    lines = VALID.splitlines()
    lines[line - 1] = text
    write(tmp_path / "frameworks" / "P1.yaml", "\n".join(lines) + "\n")
    with pytest.raises(FrameworkError) as caught:
        load_frameworks(tmp_path / "frameworks", tmp_path)
    (error,) = str(caught.value).splitlines()  # one clear error
    assert error.startswith(f"frameworks/P1.yaml line {line}: {where}: "), error
    assert message in error


def test_a_register_count_needs_a_stated_baseline(tmp_path: Path) -> None:
    write(tmp_path / "frameworks" / "P1.yaml", VALID.replace('"4.3"', "P.reached"))
    with pytest.raises(FrameworkError) as caught:
        load_frameworks(tmp_path / "frameworks", tmp_path)
    assert str(caught.value) == ("frameworks/P1.yaml line 6: indicators[1].baseline: P.reached is counted from the "
                                 "registers, which have no baseline wave: give the baseline as a number")


def test_an_unknown_field_is_named(tmp_path: Path) -> None:
    write(tmp_path / "frameworks" / "P1.yaml", VALID + "    colour: red\n")
    with pytest.raises(FrameworkError) as caught:
        load_frameworks(tmp_path / "frameworks", tmp_path)
    assert str(caught.value) == \
        "frameworks/P1.yaml line 9: indicators[1].colour: unknown field 'colour'; see docs/results.md for the fields"


def test_a_key_given_twice_is_named_with_both_lines(tmp_path: Path) -> None:
    write(tmp_path / "frameworks" / "P1.yaml", VALID + "start: 2024-02-01\n")
    with pytest.raises(FrameworkError, match=r"frameworks/P1.yaml line 9: 'start' is given twice \(also line 2\)"):
        load_frameworks(tmp_path / "frameworks", tmp_path)


def test_a_target_may_name_a_measure_the_questionnaires_mapping_declares(tmp_path: Path) -> None:
    from pipelines import catalogue
    from pipelines.mapping.load import load_mappings
    from pipelines.mapping.measures import catalogue_rows
    from test_measures import _declaring

    write(tmp_path / "mappings" / "k6.yaml", _declaring())  # P.k6_mean, a mean on 0–8
    framework = VALID.replace('"4.3"', "P.k6_mean").replace("target: 50", "target: 3")
    with pytest.raises(FrameworkError, match="unknown indicator 'P.k6_mean'"):
        load_framework(write(tmp_path / "frameworks" / "P1.yaml", framework), tmp_path)
    catalogue.declare(catalogue_rows(load_mappings(tmp_path / "mappings", shown_from=tmp_path)))
    try:
        (row,) = load_framework(tmp_path / "frameworks" / "P1.yaml", tmp_path)[0].indicators
        assert (row.code, row.baseline, row.target) == ("P.k6_mean", "from data", 3.0)
        write(tmp_path / "frameworks" / "P1.yaml", framework.replace("target: 3", "target: 9"))
        with pytest.raises(FrameworkError, match=r"frameworks/P1.yaml line 7.*9 is outside the scale of P.k6_mean "
                                                 r"\(0–8"):
            load_framework(tmp_path / "frameworks" / "P1.yaml", tmp_path)
    finally:
        catalogue.declare(catalogue_rows(()))


# -- progress labels on hand-made figures --------------------------------------------------------
def _row(code: str, wave: str, value: float | None, low: float | None = None, high: float | None = None, *,
         method: str = "", role: str | None = None, survives: bool | None = None) -> dict:
    return {"id": f"P1/x/{code}/{method or 'participant'}/{wave}", "programme_id": "P1", "indicator": code,
            "arm": "participant", "wave": wave, "method": method, "value": value, "ci_low": low, "ci_high": high,
            "n": None if value is None else 40, "suppressed": value is None, "role": role, "survives": survives}


def _framework(tmp_path: Path, body: str):
    framework, _ = load_framework(write(tmp_path / "P1.yaml", "programme: P1\nstart: 2024-01-01\nindicators:\n"
                                        + body))
    return framework


def test_progress_labels_follow_the_interval_and_the_reports_findings(tmp_path: Path) -> None:
    framework = _framework(tmp_path, """\
  - {code: "4.3", name: a, baseline: from data, target: 50, target_date: 2025-12-31}
  - {code: "4.5", name: b, baseline: from data, target: 70, target_date: 2025-12-31}
  - {code: "3.1", name: c, baseline: from data, target: 40, target_date: 2025-12-31}
  - {code: "2.1", name: d, baseline: 10, target: 30, target_date: 2025-12-31}
  - {code: P.ucla_mean, name: e, baseline: from data, target: 5, target_date: 2025-12-31, ascending: false}
  - {code: "3.7", name: f, baseline: from data, target: 90, target_date: 2025-12-31}
  - {code: P.reached, name: g, baseline: 0, target: 200, target_date: 2025-12-31}
  - {code: P.sessions, name: h, baseline: 0, target: 100, target_date: 2025-12-31}
""")
    rows = [
        _row("4.3", "baseline", 40.0, 30.0, 50.0), _row("4.3", "followup1", 60.0, 51.0, 69.0),  # low 51 ≥ 50: met
        _row("4.5", "baseline", 40.0, 30.0, 50.0), _row("4.5", "followup1", 60.0, 52.0, 68.0),
        _row("4.5", "followup1", 20.0, 5.0, 35.0, method="did", role="primary", survives=True),  # a finding, up
        _row("3.1", "baseline", 30.0, 20.0, 40.0), _row("3.1", "followup1", 35.0, 25.0, 45.0),
        _row("3.1", "followup1", 5.0, 1.0, 9.0, method="did", role="primary", survives=False),  # not a finding
        _row("2.1", "baseline", 10.0, 5.0, 15.0), _row("2.1", "followup1", None),  # hidden
        _row("P.ucla_mean", "baseline", 6.0, 5.8, 6.2), _row("P.ucla_mean", "followup1", 5.5, 5.3, 5.7),
        _row("P.ucla_mean", "followup1", 0.4, 0.1, 0.7, method="did", role="primary", survives=True),  # away
        _row("3.7", "baseline", 80.0, 70.0, 90.0),  # no follow-up wave yet
        _row("P.reached", "all", 120.0), _row("P.sessions", "all", 30.0),
    ]
    # data end 2025-01-01: 366 of 730 days from start to target date, so the line is
    # 200 × 366/730 = 100.3 people (120 is above it) and 100 × 366/730 = 50.1 sessions (30 is below)
    out = results(framework, rows, Dates(date(2025, 1, 1))).set_index("indicator")
    assert out["progress"].to_dict() == {
        "4.3": "target_met", "4.5": "on_track", "3.1": "no_clear_progress", "2.1": "not_measurable",
        "P.ucla_mean": "not_on_track", "3.7": "not_measurable", "P.reached": "on_track", "P.sessions": "not_on_track",
    }
    assert out.at["2.1", "baseline"] == 10.0 and out.at["4.5", "baseline"] == 40.0


def test_after_the_target_date_an_interval_wholly_short_is_not_on_track(tmp_path: Path) -> None:
    framework = _framework(tmp_path, '  - {code: "4.3", name: a, baseline: 40, target: 70, target_date: 2024-12-31}\n')
    rows = [_row("4.3", "followup1", 55.0, 50.0, 60.0)]  # high 60 < 70
    # a survey figure is dated by its wave's last interview, not by the programme's last session
    labels = [results(framework, rows, Dates(date(2025, 3, 1), {"followup1": end}))["progress"].iloc[0]
              for end in (date(2025, 2, 1), date(2024, 6, 1))]
    assert labels == ["not_on_track", "no_clear_progress"]


def test_a_difference_in_differences_towards_the_target_is_not_progress_when_participants_moved_away(
        tmp_path: Path) -> None:
    framework = _framework(tmp_path, '  - {code: "4.3", name: a, baseline: from data, target: 70, '
                                     'target_date: 2025-12-31}\n')
    # participants fell from 50 to 45, the comparison group further: the DiD (+5) survives
    rows = [_row("4.3", "baseline", 50.0, 45.0, 55.0), _row("4.3", "followup1", 45.0, 40.0, 50.0),
            _row("4.3", "followup1", 5.0, 1.0, 9.0, method="did", role="primary", survives=True)]
    out = results(framework, rows, Dates(date(2025, 1, 1)))
    assert out["progress"].tolist() == ["no_clear_progress"]
    assert "relative to the comparison group" in out["reason"].iloc[0]
    rows[1] = _row("4.3", "followup1", 55.0, 50.0, 60.0)  # participants rose: on track, relative to comparison
    out = results(framework, rows, Dates(date(2025, 1, 1)))
    assert out["progress"].tolist() == ["on_track"]
    assert out["reason"].iloc[0].endswith("(relative to the comparison group)")


def test_a_periods_register_count_is_compared_only_when_it_counts_from_the_frameworks_start(tmp_path: Path) -> None:
    framework = _framework(tmp_path, "  - {code: P.reached, name: g, baseline: 0, target: 200, "
                                     "target_date: 2025-12-31}\n")
    rows = [_row("P.reached", "all", 120.0)]
    # a 2025 report counts 2025's sessions only: not a count since the start (2024-01-01)
    later = results(framework, rows, Dates(date(2025, 6, 30), counted_from=date(2025, 1, 1)))
    assert later["progress"].tolist() == ["not_measurable"]
    assert "after the framework's start" in later["reason"].iloc[0]
    # a report whose period starts at or before the framework's start counts everything since
    assert results(framework, rows, Dates(date(2025, 1, 1), counted_from=date(2024, 1, 1)))["progress"].tolist() == \
        ["on_track"]


# -- spreadsheet safety ---------------------------------------------------------------------------
HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]


def test_csv_and_xlsx_escape_formulas_and_keep_numbers(tmp_path: Path) -> None:
    table = [["name", "value"], *[[text, -3.2] for text in HOSTILE], ["plain", 7]]
    parsed = list(csv.reader(io.StringIO(tables.csv_bytes(table).decode("utf-8-sig")),
                             quoting=csv.QUOTE_NONNUMERIC))
    assert [r[0] for r in parsed[1:-1]] == ["'" + t for t in HOSTILE]
    assert all(r[1] == -3.2 for r in parsed[1:-1]) and parsed[-1] == ["plain", 7.0]
    path = tmp_path / "t.xlsx"
    tables.workbook({"t": table}).save(path)
    sheet = load_workbook(path)["t"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert [sheet.cell(row=i + 2, column=1).value for i in range(len(HOSTILE))] == ["'" + t for t in HOSTILE]
    assert sheet.cell(row=2, column=2).value == -3.2 and sheet.cell(row=2, column=2).data_type == "n"


# -- the demo -------------------------------------------------------------------------------------
def _report_figures(root: Path, programme: str) -> dict[str, dict]:
    """The figures of ``programme``'s own report of the data period, by id, as written."""
    for path in sorted((root / "processed" / "reports").rglob("headline_figures.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        prov, figures = document["provenance"], document["figures"]
        if prov["period"] == prov["data_period"] and figures and \
                {f["programme_id"] for f in figures} == {programme}:
            return {f["id"]: f for f in figures}
    raise AssertionError(f"no report of {programme} for the data period")


def test_demo_frameworks_give_the_labels_the_figures_support(demo_root: Path) -> None:
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        table = con.execute("select programme_id, indicator, progress, actual, ci_low, ci_high, baseline, actual_id "
                            "from results").df().set_index(["programme_id", "indicator"])
    assert table["progress"].to_dict() == {
        # 22.2 (15.7–30.5) against 25: not met; its primary DiD (+11.0, 7.0–14.9) survives the correction
        ("BRC-WWC", "3.1"): "on_track",
        # 60.4 (54.0–66.5): the whole interval above 50
        ("BRC-WWC", "4.3"): "target_met",
        # 57.0 (52.1–61.7) against 65; its primary DiD (+8.0, 2.3–13.8) does not survive the correction
        ("BRC-WWC", "P.who5_mean"): "no_clear_progress",
        # hidden in every programme of the demo
        ("BRC-WWC", "P.retention_3m"): "not_measurable",
        # 127 people by 2025-03-24 against the line 0 → 150 from 2024-03-01 to 2025-12-31 (86.9 by then)
        ("BRC-WWC", "P.reached"): "on_track",
        # 5.22 (5.05–5.39) against 5.0, aim down; its primary DiD (−1.00, −1.70 to −0.31) survives
        ("ZTRASS-WI", "P.ucla_mean"): "on_track",
        # the programme's 4.5 cells are hidden
        ("ZTRASS-WI", "4.5"): "not_measurable",
    }
    figures = _report_figures(demo_root, "BRC-WWC")
    for _, row in table.loc["BRC-WWC"].iterrows():
        cited = figures[row["actual_id"]]
        assert cited["suppressed"] == pd.isna(row["actual"])
        assert (cited["value"], cited["ci_low"], cited["ci_high"]) == \
            tuple(None if pd.isna(v) else v for v in (row["actual"], row["ci_low"], row["ci_high"]))


def test_the_programmes_report_draws_its_results_and_the_all_programmes_report_does_not(demo_root: Path) -> None:
    period = next(iter(_report_figures(demo_root, "BRC-WWC").values()))["period"]
    manifests = {path.parents[3].name: json.loads(path.read_text(encoding="utf-8"))
                 for path in (demo_root / "processed" / "reports").glob(f"*/{period}/en/charts/manifest.json")}
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        table = con.execute("select name, progress from results where programme_id = 'BRC-WWC'").fetchall()
        framed = {p for (p,) in con.execute("select distinct programme_id from results").fetchall()}
    (chart,) = [c for c in manifests["BRC-WWC"] if c["key"] == "results"]
    met = sum(progress == "target_met" for _, progress in table)
    on_track = sum(progress == "on_track" for _, progress in table)
    assert chart["title"] == f"{met} of {len(table)} targets met, {on_track} more on track"
    assert all(name in chart["alt"] for name, _ in table)
    assert "not yet measurable" in chart["alt"]  # the hidden 3-month retention is written, never drawn
    unframed = set(manifests) - framed - {"all"}
    assert unframed  # a demo programme without a framework
    for key in unframed | {"all"}:
        assert not [c for c in manifests[key] if c["key"] == "results"], key


@pytest.mark.parametrize("lang", ["en", "ru", "uk", "pl"])
def test_no_text_of_the_results_chart_overlaps_another(demo_root: Path, tmp_path: Path, monkeypatch, lang: str) -> None:
    from pipelines.charts import info as chart_info
    from pipelines.charts.results import results_chart
    from pipelines.publish.i18n import Translator
    from test_charts import _overlapping_texts

    drawn, save = {}, chart_info.save_figure

    def checked(fig, stem, **kwargs):
        drawn[stem.parent.name] = _overlapping_texts(fig)
        return save(fig, stem, **kwargs)

    monkeypatch.setattr(chart_info, "save_figure", checked)
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        table = con.execute("select * from results").df()
    for programme, rows in table.groupby("programme_id"):
        (tmp_path / programme).mkdir()
        results_chart(rows.reset_index(drop=True), tmp_path / programme, Translator(lang))
    assert drawn == {"BRC-WWC": [], "ZTRASS-WI": []}


@pytest.mark.slow
def test_a_period_report_states_progress_as_of_its_period(demo_root: Path) -> None:
    done = aai("report", "--programme", "BRC-WWC", "--period", "2024", root=demo_root)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = demo_root / "processed" / "reports" / "BRC-WWC" / "2024" / "en"
    figures = {f["id"]: f for f in json.loads((folder / "headline_figures.json").read_text(encoding="utf-8"))["figures"]}
    with duckdb.connect(str(demo_root / "processed" / "periods" / "2024.duckdb"), read_only=True) as con:
        table = con.execute("select indicator, actual, actual_id, progress from results "
                            "where programme_id = 'BRC-WWC'").df().set_index("indicator")
    # the follow-up wave ends in 2025, so in 2024 the survey targets have no actual yet; the
    # register count stands at the period's own figure
    assert table["progress"].to_dict() == {"3.1": "not_measurable", "4.3": "not_measurable",
                                           "P.who5_mean": "not_measurable", "P.retention_3m": "not_measurable",
                                           "P.reached": "on_track"}
    reached = table.loc["P.reached"]
    assert reached["actual_id"] == "BRC-WWC/2024/P.reached/participant/all"
    assert figures[reached["actual_id"]]["value"] == reached["actual"]
    manifest = json.loads((folder / "charts" / "manifest.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in manifest if c["key"] == "results"] == ["results"]
    assert 'id="results"' in (folder / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_report_states_progress_from_its_own_figures_not_an_older_table(demo_root: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "root"
    shutil.copytree(demo_root, root)
    framework = root / "frameworks" / "BRC-WWC.yaml"
    framework.write_text(framework.read_text(encoding="utf-8").replace("target: 50", "target: 75"), encoding="utf-8")
    done = aai("report", "--programme", "BRC-WWC", root=root)
    assert done.returncode == 0, done.stdout + done.stderr
    period = next(iter(_report_figures(root, "BRC-WWC").values()))["period"]
    html = root / "processed" / "reports" / "BRC-WWC" / period / "en" / "report.html"
    results_section = html.read_text(encoding="utf-8").split('id="results"')[1].split("</section>")[0]
    assert "75.0%" in results_section and "50.0%" not in results_section
    # 60.4 (54.0–66.5) against 75 is no longer met; the stored table (for exports) waits for the next run
    with duckdb.connect(str(root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select target from results where indicator = '4.3' and programme_id = 'BRC-WWC'"
                           ).fetchall() == [(50.0,)]


def test_iati_export_is_valid_2_03_and_states_the_reports_figures(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "iati.xml"
    done = aai("export", "iati", "--programme", "BRC-WWC", "--out", str(out), root=demo_root)
    assert done.returncode == 0, done.stderr
    document = etree.parse(str(out))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(document), schema.error_log
    figures = _report_figures(demo_root, "BRC-WWC")
    period = next(iter(figures.values()))["period"]
    indicators = document.findall(".//result/indicator")
    assert [i.find("reference").get("code") for i in indicators] == \
        ["3.1", "4.3", "P.who5_mean", "P.retention_3m", "P.reached"]
    for indicator in indicators:
        code = indicator.find("reference").get("code")
        wave = "all" if code.startswith("P.r") else "followup1"
        cited = figures[f"BRC-WWC/{period}/{code}/participant/{wave}"]
        total = indicator.find("period/actual")
        assert total.find("dimension") is None
        if cited["suppressed"]:
            assert total.get("value") is None  # the hidden 3-month retention has no number
        else:
            assert float(total.get("value")) == cited["value"]
        if wave == "followup1":
            assert float(indicator.find("baseline").get("value")) == \
                figures[f"BRC-WWC/{period}/{code}/participant/baseline"]["value"]
    # 4.3 by sex and age band: only cells indicators_public shows, rounded as the report rounds
    well_being = indicators[1]
    parts = {(a.find("dimension").get("name"), a.find("dimension").get("value")): float(a.get("value"))
             for a in well_being.findall("period/actual") if a.find("dimension") is not None}
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        visible = con.execute("""
            select case when sex <> 'all' then 'sex' else 'age_band' end, case when sex <> 'all' then sex
                   else age_band end, round(value, 1), suppressed
            from indicators_public
            where indicator = '4.3' and programme_id = 'BRC-WWC' and arm = 'participant' and wave = 'followup1'
              and country = 'all' and region = 'all' and group_id = 'all' and disability = 'all'
              and ((sex in ('female', 'male') and age_band = 'all') or (sex = 'all' and age_band not in ('all', 'unknown')))
        """).fetchall()
    assert parts == {(d, c): v for d, c, v, hidden in visible if not hidden}
    assert parts  # the demo shows some, and hides others
    assert any(hidden for *_, hidden in visible)


def test_exports_of_programmes_differing_in_case_never_share_a_folder(tmp_path: Path) -> None:
    """`BRC-WWC` and `brc-wwc` once shared exports/BRC-WWC/ and its file names on macOS and
    Windows: exports are named by the report folders' keys, which tell them apart."""
    from pipelines.publish.results import COLUMNS
    from pipelines.publish.scope import export_key, scope_keys
    from pipelines.publish.tables import write_tables

    con = duckdb.connect()
    con.execute("create table groups as select * from (values ('BRC-WWC'), ('brc-wwc'), ('COL/1')) t(programme_id)")
    keys = {p: export_key(con, p) for p in ("BRC-WWC", "brc-wwc", "COL/1")}
    assert keys == scope_keys(keys) and keys["BRC-WWC"] == "BRC-WWC"
    assert len({k.casefold() for k in keys.values()}) == 3
    written = [p.name.casefold() for k in keys.values()
               for p in write_tables([], pd.DataFrame(columns=COLUMNS), tmp_path, k)]
    assert len(set(written)) == 9


def test_tables_export_opens_in_excel_with_the_reports_numbers(demo_root: Path, tmp_path: Path) -> None:
    done = aai("export", "tables", "--programme", "BRC-WWC", "--out", str(tmp_path), root=demo_root)
    assert done.returncode == 0, done.stderr
    figures = _report_figures(demo_root, "BRC-WWC")
    text = (tmp_path / "BRC-WWC_headline_figures.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["id"] for r in rows} == set(figures)
    for r in rows:
        cited = figures[r["id"]]
        assert (r["value"] == "") == (cited["value"] is None)
        if cited["value"] is not None:
            assert float(r["value"]) == cited["value"]
    sheet = load_workbook(tmp_path / "BRC-WWC_figures.xlsx")["results"]
    header = [c.value for c in sheet[1]]
    by_code = {row[header.index("indicator")]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_code["4.3"][header.index("actual")] == figures[by_code["4.3"][header.index("actual_id")]]["value"]
    assert by_code["P.retention_3m"][header.index("actual")] is None
    assert by_code["4.3"][header.index("progress")] == "target_met"
