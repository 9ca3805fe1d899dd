"""The reports from the hand-made warehouse of ``test_charts`` (see its docstring for
the numbers), with impact, attrition and dose-response tables added here whose small
cells carry distinctive values that must never surface in any output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from pipelines import catalogue
from pipelines.catalogue import national_indicators_for
from pipelines.impact.claims import attrition_claims
from pipelines.impact.tables import ATTRITION, DOSE_RESPONSE, IMPACT_ESTIMATES, frame, write_table
from pipelines.publish import figures
from pipelines.report.build import _period_text
from pipelines.report.context_impact import attrition_differences
from reporting import build_reports
from pipelines.periods import parse_period
from pipelines.publish.i18n import Translator
from pipelines.publish.queries import read_period
from pipelines.publish.scope import claimed, data_period, period_warehouse, programme_spans
from pipelines.settings import ClaimsConfig, DataRoot
from bench.claims import published_texts, stated
from test_charts import SECRET_NAME, make_warehouse
from test_impact import attrition_tests, primary_tests

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PERIOD = "2024-01..2024-06"  # the fixture's sessions run from 3 January to 17 June 2024
# Small cells planted below and in test_charts, written every way a report could print them.
LEAKS = ["77.8", "77,8", "987", "33.3", "33,3", "66.7", "66,7", "SECRET-NOTE", SECRET_NAME] + [
    f"{a}{sep}{b}" for a, b in (("4", "321"), ("1", "231")) for sep in ("", ",", " ", "\u00a0", "\u202f")]


def _impact_rows() -> dict[str, pd.DataFrame]:
    common = {"programme_id": "BRC-WWC", "group_id": "all", "sex": "all", "age_band": "all", "wave": "followup1",
              "unit": "percentage_points", "n_outcomes": 3, "n_tests": 3, "mde": 20.0}
    estimates = [
        {**common, "indicator": "4.5", "method": "did", "estimate": 35.0, "ci_low": 12.0, "ci_high": 58.0,
         "p_value": 0.004, "n": 120, "bh_significant": True, "note": "clustered by person", "sentence": "ok"},
        {**common, "indicator": "4.5", "method": "change", "estimate": -3.2, "ci_low": -9.5, "ci_high": 3.1,
         "p_value": 0.3, "n": 80, "bh_significant": False, "note": "", "sentence": "ok"},
        # not estimated: its n and note describe a small arm-wave cell
        {**common, "indicator": "2.1", "method": "did", "estimate": None, "ci_low": None, "ci_high": None,
         "p_value": None, "n": 4321, "bh_significant": None, "note": "Not estimated: 4 respondents SECRET-NOTE",
         "sentence": "SECRET-NOTE"},
    ]
    attrition = [{"programme_id": "BRC-WWC", "arm": "participant", "wave": "followup1", "indicator": "all",
                  "n_baseline": 1234, "n_retained": 1231, "n_lost": 3, "lost_pct": 0.24,
                  "note": "3 of 1234 SECRET-NOTE"}]
    dose = []
    for indicator, sizes, changes in (("4.5", (3, 20, 20), (66.66, 5.0, 6.0)), ("4.3", (10, 10, 10), (1.0, 4.0, 9.0))):
        trend = indicator == "4.3"
        for tertile, (n, change) in enumerate(zip(sizes, changes, strict=True), start=1):
            dose.append({"programme_id": "BRC-WWC", "wave": "followup1", "indicator": indicator,
                         "unit": "percentage_points", "tertile": tertile, "sessions_min": 10 * tertile,
                         "sessions_max": 10 * tertile + 9, "n": n, "change": change, "ci_low": change - 5,
                         "ci_high": change + 5, "trend_slope": 4.0 if trend else None,
                         "trend_ci_low": 1.0 if trend else None, "trend_ci_high": 7.0 if trend else None,
                         "trend_p": 0.01 if trend else None, "note": "SECRET-NOTE"})
    return {"impact_estimates": frame(estimates, IMPACT_ESTIMATES), "attrition": frame(attrition, ATTRITION),
            "dose_response": frame(dose, DOSE_RESPONSE)}


def make_full_warehouse(path: Path) -> Path:
    make_warehouse(path)
    with duckdb.connect(str(path)) as con:
        tables = _impact_rows()
        for name, columns in (("impact_estimates", IMPACT_ESTIMATES), ("attrition", ATTRITION),
                              ("dose_response", DOSE_RESPONSE)):
            write_table(con, name, tables[name], columns)
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_full_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")


def _build(warehouse: Path, out: Path, **options):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {p.folder.relative_to(out).parts[0]: p for p in build_reports(con, out, **{"min_cell": 5, **options})}


@pytest.fixture(scope="module")
def reports(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _build(warehouse, tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def html(reports) -> str:
    return reports["all"].html.read_text(encoding="utf-8")


def _without_noise(text: str) -> str:
    """Drop embedded images, hashes and the git version, where digits appear by chance."""
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", text)
    text = re.sub(r"\b[0-9a-f]{12,}\b", "", text)
    return re.sub(r"\(git [^)]*\)", "", text)


def pdf_pages_and_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


# -- layout: one folder per programme and period, and one for all ------------------------------
def test_one_report_per_programme_and_one_for_all(reports) -> None:
    assert sorted(reports) == ["BRC-WWC", "ZTRASS", "all"]
    for paths in reports.values():
        assert paths.folder.parent.name == PERIOD and paths.folder.name == "en"
        for path in (paths.html, paths.pdf, paths.csv, paths.json):
            assert path.exists()
        assert (paths.folder / "charts" / "domain_profile.svg").exists() or paths.folder.parent.parent.name == "ZTRASS"


def test_headline_and_sections(html: str) -> None:
    assert "BRC-WWC: 12 people took part in 24 sessions." in html
    assert "ZTRASS: fewer than 5 people took part in 6 sessions." in html
    for section in ("participation", "domains", "change", "impact", "sustainability", "quality", "methodology",
                    "cite"):
        assert f'<section id="{section}">' in html
    assert "Attrition: who was not interviewed again" in html and "Dose-response" in html
    assert "could not be compared at baseline with a test" in html  # the attrition table has counts only
    assert "+35.0" in html and "[12.0 to 58.0]" in html and "−3.2" in html


def test_the_report_claims_only_what_survives_its_correction(reports) -> None:
    """BRC-WWC's primary tests: 4.5 by DiD (p = 0.004) and 2.1 by DiD (not estimated), so
    a family of one test, which 4.5 survives: the headline states it with its interval,
    the chart title too; 4.5's change estimate (p = 0.3) is exploratory and never claimed."""
    html = reports["BRC-WWC"].html.read_text(encoding="utf-8")
    headline = re.search(r'<section id="headline"[^>]*>(.*?)</section>', html, re.S).group(1)
    assert ("BRC-WWC: 4.5 Social connectedness changed by +35.0 percentage points relative to the comparison group, "
            "from baseline (95% interval 12.0 to 58.0), one of 1 primary tests of this report "
            "that holds after correction for all of them.") in headline
    assert "rose from" not in html and "largest rise" not in html
    charts = json.loads((reports["BRC-WWC"].folder / "charts" / "manifest.json").read_text(encoding="utf-8"))
    [change] = [c for c in charts if c["key"] == "indicator_change_BRC-WWC"]
    assert change["title"].startswith("BRC-WWC: 4.5 Social connectedness changed by +35.0 percentage points")
    figures = {r["id"].split("/", 2)[2]: r for r in
               json.loads(reports["BRC-WWC"].json.read_text(encoding="utf-8"))["figures"]}
    did, change = figures["4.5/did/followup1"], figures["4.5/change/followup1"]
    assert (did["role"], did["family_size"], did["survives"]) == ("primary", 1, True)
    assert (change["role"], change["survives"]) == ("exploratory", None)


def test_an_attrition_difference_is_stated_only_where_it_survives_the_correction() -> None:
    """36 comparisons of those lost with those retained: p = 0.01 (interval 2 to 14,
    excluding zero) does not survive Benjamini-Hochberg over 36 (it needs p <= 0.05/36 =
    0.00139), so no "differed" sentence, but one saying so over 36 tests; p = 0.001 does,
    and is named. A frame nobody corrected is corrected, never read by its intervals."""
    tr, config = Translator("en"), ClaimsConfig()
    none = ["No difference at baseline between those not interviewed again and those interviewed again could be "
            "told apart from chance, after correction for every such comparison of this report (36)."]
    assert attrition_differences(tr, attrition_claims(attrition_tests([0.01] + [0.5] * 35), config)) == none
    assert attrition_differences(tr, attrition_tests([0.01] + [0.5] * 35)) == none
    assert attrition_differences(tr, attrition_claims(attrition_tests([0.001] + [0.5] * 35), config)) == [
        "P1, participants: those not interviewed at follow-up 1 differed at baseline on 1.1 Employment rate 55-59, "
        "after correction for every comparison of those lost in this report (36); paired estimates describe a "
        "selected group."]
    assert attrition_differences(tr, attrition_claims(attrition_tests([]), config)) == []


def test_the_all_programmes_report_claims_nothing_a_programmes_own_report_does_not(tmp_path: Path) -> None:
    """Programme A's tests {0.03, 0.9} and B's {0.001, 0.002, 0.004}, primary estimates
    and attrition comparisons alike: in A's own report nothing survives (0.03 > 0.025);
    Benjamini-Hochberg over the union of five would admit 0.03 (<= 0.04), so the
    all-programmes report, which corrects the union, keeps only what each programme's
    own report claims: every figure true in it is true in its programme's report."""
    with duckdb.connect(str(make_warehouse(tmp_path / "empty.duckdb", empty=True)), read_only=True) as con:
        data = read_period(con, min_cell=5)
    ps = {"A": [0.03, 0.9], "B": [0.001, 0.002, 0.004]}
    data = replace(data, impact=primary_tests(ps),
                   attrition_differences=pd.concat([attrition_tests(p, programme) for programme, p in ps.items()]))
    config = ClaimsConfig()
    every = claimed(data.only(["A", "B"]), config)
    own = {programme: claimed(data.only([programme]), config) for programme in ps}
    for frame in ("impact", "attrition_differences"):
        union = getattr(every, frame)
        assert list(union["survives"]) == [False, False, True, True, True] and (union["family_size"] == 5).all()
        assert list(getattr(own["A"], frame)["survives"]) == [False, False]
        assert list(getattr(own["B"], frame)["survives"]) == [True, True, True]
    lines = attrition_differences(Translator("en"), every.attrition_differences)
    assert [line for line in lines if "differed" in line] == [
        "B, participants: those not interviewed at follow-up 1 differed at baseline on 1.1 Employment rate 55-59, "
        "1.2 Employment rate 60-64, 1.3 Employment rate 65-69, after correction for every comparison of those "
        "lost in this report (5); paired estimates describe a selected group."]


def test_the_claims_check_reads_every_statement_of_a_built_report(reports) -> None:
    """What the held-out and bench checks read (bench.claims.published_texts and stated)
    finds exactly this report's claims: BRC-WWC's one finding in the headline, and in the
    change chart's title (on the page, and in the manifest). Its dose chart (4.3 trend
    p = 0.01) and attrition (counts only) state nothing."""
    texts = published_texts(reports["BRC-WWC"].html)
    assert "BRC-WWC: change by sessions attended, exploratory and not corrected (trend tests: 1)" in texts
    assert any(t.startswith("Those lost and those interviewed again could not be compared") for t in texts)
    finding = ("BRC-WWC: 4.5 Social connectedness changed by +35.0 percentage points relative to the comparison "
               "group, from baseline (95% interval 12.0 to 58.0), ")
    assert stated(texts) == [
        finding + "one of 1 primary tests of this report that holds after correction for all of them.",
        finding + "a finding after correction.", finding + "a finding after correction"]


def test_total_adds_only_visible_programmes(html: str) -> None:
    # ZTRASS's 3 people are hidden, so the total is BRC-WWC's 12, never 15 (15 − 12 = 3)
    section = re.search(r'<section id="participation">(.*?)</section>', html, re.S).group(1)
    row = re.search(r"<td>Participants reached</td>(.*?)</tr>", section, re.S).group(1)
    assert "12 (programmes shown)" in row and ">15<" not in row


def test_figures_have_ids_provenance_and_reasons(reports) -> None:
    document = json.loads(reports["all"].json.read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in document["figures"]}
    did = rows[f"BRC-WWC/{PERIOD}/4.5/did/followup1"]
    assert (did["value"], did["ci_low"], did["ci_high"], did["n"]) == (35.0, 12.0, 58.0, 120)
    assert did["definition"].startswith("difference in differences")
    assert rows[f"BRC-WWC/{PERIOD}/4.5/participant/followup1"]["value"] == 75.0
    hidden = rows[f"ZTRASS/{PERIOD}/P.reached/participant/all"]
    assert hidden["value"] is None and hidden["n"] is None and hidden["suppressed"]
    assert hidden["reason"].startswith("suppressed: too few people in this cell") and "fewer than 5" in hidden["reason"]
    assert rows[f"all/{PERIOD}/P.reached/participant/all"]["value"] == 12
    assert rows[f"BRC-WWC/{PERIOD}/2.1/did/followup1"]["n"] is None
    prov = document["provenance"]
    assert [f["file"] for f in prov["files"]] == ["brc/groups.csv", "brc/survey_2024.csv", "ztrass/attendance.csv"]
    assert prov["period"] == PERIOD and prov["min_cell"] == 5 and prov["code_version"]
    text = reports["all"].json.read_text(encoding="utf-8") + reports["all"].csv.read_text(encoding="utf-8")
    assert "/tmp" not in text and str(Path.home()) not in text


def test_means_show_the_same_digits_in_the_report_and_the_figures(tmp_path: Path) -> None:
    # a mean of sessions and a mean 0-100 score: one decimal everywhere (not 7, 7.46 or 61.23)
    path = make_full_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.executemany("insert into indicators values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            ("P.sessions_per_participant", "BRC-WWC", "all", "all", "all", "participant", "all", "all", "all",
             "all", 89.48, 12, 7.4567, 6.1234, 8.7891, False),
            ("P.who5_mean", "BRC-WWC", "all", "all", "all", "participant", "baseline", "all", "all", "all",
             2449.38, 40, 61.2345, 57.0412, 65.4321, False),
        ])
    paths = _build(path, tmp_path / "out", programme="BRC-WWC")["BRC-WWC"]
    html = paths.html.read_text(encoding="utf-8")
    figures_csv = {r["indicator"]: r for r in csv.DictReader(io.StringIO(paths.csv.read_text(encoding="utf-8")))}
    for label, code in (("Sessions per participant", "P.sessions_per_participant"),
                        ("WHO-5 well-being (mean percentage score)", "P.who5_mean")):
        row = re.search(rf"<td>{re.escape(label)}</td>(.*?)</tr>", html, re.S).group(1)
        figure = figures_csv[code]
        for column in ("value", "ci_low", "ci_high"):
            assert re.fullmatch(r"\d+\.\d", figure[column]), (code, column, figure[column])
        assert re.search(rf">\s*{re.escape(figure['value'])}\s*<", row), (code, row)
        assert f"{figure['ci_low']}–{figure['ci_high']}" in row, (code, row)
    assert (figures_csv["P.sessions_per_participant"]["value"], figures_csv["P.who5_mean"]["value"]) == ("7.5", "61.2")


# -- acceptance: byte-identical figures ----------------------------------------------------------
def test_same_inputs_give_byte_identical_figures_and_pdf(warehouse: Path, reports, tmp_path: Path) -> None:
    again = _build(warehouse, tmp_path)
    for name, first in reports.items():
        second = again[name]
        assert first.csv.read_bytes() == second.csv.read_bytes()
        assert first.json.read_bytes() == second.json.read_bytes()
        assert first.content_hash == second.content_hash
        assert first.pdf.read_bytes() == second.pdf.read_bytes()
        assert first.html.read_bytes() == second.html.read_bytes()


def test_pdf_bytes_do_not_depend_on_the_clock_and_honour_source_date_epoch(tmp_path: Path, monkeypatch) -> None:
    """Font subsets carry a timestamp of their own: two renderings a second apart (or in
    two processes) once differed there. SOURCE_DATE_EPOCH, when given, dates the PDF."""
    from pipelines.report.render import write_pdf

    html = "<html><body><h1>Звіт 2024</h1><p>Zażółć gęślą jaźń</p></body></html>"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_pdf(html, tmp_path / "a.pdf", identifier="0" * 64)
    monkeypatch.setattr("time.time", lambda: 2_000_000_000.0)  # the clock fontTools would read
    write_pdf(html, tmp_path / "b.pdf", identifier="0" * 64)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert "SOURCE_DATE_EPOCH" not in os.environ  # restored
    assert "/CreationDate" not in PdfReader(tmp_path / "a.pdf").trailer["/Info"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01
    write_pdf(html, tmp_path / "c.pdf", identifier="0" * 64)
    assert PdfReader(tmp_path / "c.pdf").metadata.creation_date.year == 2025
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")  # empty means unset (reproducible-builds.org)
    write_pdf(html, tmp_path / "d.pdf", identifier="0" * 64)
    assert (tmp_path / "d.pdf").read_bytes() == (tmp_path / "a.pdf").read_bytes()
    assert os.environ["SOURCE_DATE_EPOCH"] == ""  # restored as it was


@pytest.mark.parametrize("value", ["soon", "1.5e9", "-1", "99999999999999"])
def test_a_malformed_source_date_epoch_is_refused_in_one_sentence_before_a_run(value, monkeypatch,
                                                                               data_root: Path) -> None:
    from conftest import AAI
    from pipelines.defs.resources import AaiSettings
    from pipelines.report.render import write_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    sentence = f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 (the date the PDFs carry), " \
               f"got {value!r}; unset it for undated PDFs"
    with pytest.raises(ValueError) as refused:
        AaiSettings.from_environment(data_dir=str(data_root))
    assert str(refused.value) == sentence
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be a whole number"):
        write_pdf("<html></html>", data_root / "x.pdf", identifier="0" * 64)
    if value == "soon":  # the command refuses before any work, with that sentence alone
        done = subprocess.run([AAI, "run"], env=os.environ | {"AAI_DATA_DIR": str(data_root)}, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2
        assert " ".join(done.stderr.split()) == sentence and not (data_root / "processed").exists()


# -- acceptance: no small cell anywhere ----------------------------------------------------------
def test_no_small_cell_anywhere(reports) -> None:
    for name, paths in reports.items():
        outputs = {
            "html": paths.html.read_text(encoding="utf-8"),
            "pdf": pdf_pages_and_text(paths.pdf)[1],
            "csv": paths.csv.read_text(encoding="utf-8"),
            "json": paths.json.read_text(encoding="utf-8"),
            "charts": (paths.folder / "charts" / "manifest.json").read_text(encoding="utf-8"),
            # SVG text is drawn as paths (coordinates, not words): its metadata holds the title and alt text
            "svg": "".join(m for p in (paths.folder / "charts").glob("*.svg")
                           for m in re.findall(r"<metadata>.*?</metadata>", p.read_text(encoding="utf-8"), re.S)),
        }
        for where, text in outputs.items():
            text = _without_noise(text)
            for leak in LEAKS:
                assert leak not in text, f"{leak!r} in the {where} of the {name} report"
    html = reports["all"].html.read_text(encoding="utf-8")
    assert "fewer than 5" in html and "suppressed" in html  # the reason is shown



def test_a_withheld_count_reads_withheld_never_fewer_than() -> None:
    """A NULL count may be withheld for being small or because beside the published cells
    it would pin a small count elsewhere (120 baseline, 15 lost is not "fewer than 5"):
    the attrition and dose tables say "withheld", in every language."""
    from pipelines.report.context_impact import attrition_rows, dose_rows

    counts = pd.DataFrame({"programme_id": ["P"], "arm": ["participant"], "wave": ["followup1"],
                           "n_baseline": [120], "n_retained": pd.array([None], dtype="Int64"),
                           "n_lost": pd.array([None], dtype="Int64")})
    dose = frame([{"programme_id": "P", "wave": "followup1", "indicator": "4.3", "tertile": t, "sessions_min": t,
                   "sessions_max": t, "n": None, "change": 1.0, "trend_slope": 1.0, "trend_ci_low": 0.5,
                   "trend_ci_high": 1.5, "trend_p": 0.01} for t in (1, 2, 3)], DOSE_RESPONSE)
    for lang in ("en", "ru"):
        tr = Translator(lang)
        row = attrition_rows(tr, counts, 5)[0]
        assert row["lost"] == row["retained"] == tr("withheld") and row["lost_pct"] == "–"
        assert dose_rows(tr, dose)[0]["n"] == tr("withheld")
    assert Translator("ru")("withheld") != "withheld"


# -- acceptance: PDF ------------------------------------------------------------------------------
def test_pdf_has_pages_and_text(reports) -> None:
    pages, text = pdf_pages_and_text(reports["all"].pdf)
    assert 4 <= pages <= 25
    for phrase in ("Headline figures", "BRC-WWC: 12 people took part in 24 sessions.", "How to cite",
                   "Content hash"):
        assert phrase in text
    assert reports["all"].content_hash[:16] in text.replace("\n", "")


# -- acceptance: Cyrillic in HTML and PDF ------------------------------------------------------------
def test_ukrainian_report_renders_cyrillic(warehouse: Path, tmp_path: Path) -> None:
    built = _build(warehouse, tmp_path, programme="ZTRASS", lang="uk")
    paths = built["ZTRASS"]
    html = paths.html.read_text(encoding="utf-8")
    assert '<html lang="uk">' in html
    assert "Основні цифри" in html and "Індекс активного довголіття: звіт програми" in html
    _, text = pdf_pages_and_text(paths.pdf)
    assert "Основні цифри" in text and "Як цитувати" in text
    # the citable figures do not depend on the language
    english = _build(warehouse, tmp_path / "en", programme="ZTRASS")["ZTRASS"]
    assert english.json.read_bytes() == paths.json.read_bytes()


# -- acceptance: spreadsheet-safe CSV --------------------------------------------------------------
def test_csv_is_safe_in_a_spreadsheet_and_numbers_stay_numbers(reports) -> None:
    assert figures.spreadsheet_safe("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for text in ("+1", "-cmd", "@SUM(A1)", "\tx"):
        assert str(figures.spreadsheet_safe(text)).startswith("'")
    assert figures.spreadsheet_safe(-3.2) == -3.2 and figures.spreadsheet_safe("BRC-WWC") == "BRC-WWC"
    rows = [{c: "" for c in figures.COLUMNS} | {"id": "=1+1", "programme_id": "@evil", "value": -3.2,
                                                "ci_low": -9.5, "n": 80, "suppressed": False}]
    parsed = list(csv.reader(io.StringIO(figures.csv_bytes(rows).decode("utf-8")), quoting=csv.QUOTE_NONNUMERIC))
    record = dict(zip(parsed[0], parsed[1], strict=True))
    assert record["id"] == "'=1+1" and record["programme_id"] == "'@evil"
    assert record["value"] == -3.2 and record["n"] == 80.0  # unquoted: numbers to a spreadsheet
    for row in csv.reader(io.StringIO(reports["all"].csv.read_text(encoding="utf-8"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")) and not re.match(r"-[^\d]", cell)
    change = next(r for r in csv.DictReader(io.StringIO(reports["all"].csv.read_text(encoding="utf-8")))
                  if r["id"].endswith("4.5/change/followup1"))
    assert change["value"] == "-3.2"


# -- acceptance: a real browser ---------------------------------------------------------------------
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                    "(CI installs it: see .ci/run)")
def test_html_in_a_real_browser(reports) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(reports["all"].html.as_uri(), wait_until="load")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
            page.screenshot(path=str(ARTIFACTS / "report_all.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert len(images) >= 5
    assert all(complete and width > 0 and alt for complete, width, alt in images)
    assert [u for u in requests if not u.startswith(("data:", "file:"))] == []


# -- periods and the command line -----------------------------------------------------------------
def test_parse_period() -> None:
    assert parse_period("2024").label == "2024"
    p = parse_period("2024-02..2024-03")
    assert (str(p.start), str(p.end)) == ("2024-02-01", "2024-03-31")
    with pytest.raises(ValueError):
        parse_period("2024-13")
    with pytest.raises(ValueError):
        parse_period("2024-05..2024-01")


def test_cli_report_rebuilds_from_the_warehouse(warehouse: Path, tmp_path: Path) -> None:
    from pipelines.cli import app

    runner = CliRunner()
    missing = runner.invoke(app, ["report", "--data-dir", str(tmp_path / "empty")])
    assert missing.exit_code == 2 and "aai run" in missing.output
    (tmp_path / "processed").mkdir()
    shutil.copy(warehouse, tmp_path / "processed" / "warehouse.duckdb")
    result = runner.invoke(app, ["report", "--data-dir", str(tmp_path), "--programme", "BRC-WWC", "--lang", "pl"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "processed" / "reports" / "BRC-WWC" / PERIOD / "pl" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="pl">' in html and "Najważniejsze liczby" in html
    assert not (tmp_path / "processed" / "reports" / "BRC-WWC" / PERIOD / "en").exists()
    unknown = runner.invoke(app, ["report", "--data-dir", str(tmp_path), "--programme", "NOPE"])
    assert unknown.exit_code == 2 and "NOPE" in unknown.output


def test_another_period_uses_the_data_roots_national_figures(demo_root: Path) -> None:
    # demo_root's own national_indicators.csv completes D4 for BY; the packaged file has no figures
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        national = national_indicators_for(DataRoot(demo_root))
        with period_warehouse(con, parse_period("2024"), data_period(con), 5, national) as sliced:
            assert sliced is not con
            notes = sliced.execute("SELECT DISTINCT note FROM domain_scores WHERE item = 'D4' AND country = 'BY' "
                                   "AND note LIKE '%national%'").fetchall()
    assert notes


def test_a_period_without_data_is_refused_in_one_line(warehouse: Path, tmp_path: Path) -> None:
    from pipelines.cli import app

    (tmp_path / "processed").mkdir()
    shutil.copy(warehouse, tmp_path / "processed" / "warehouse.duckdb")
    result = CliRunner().invoke(app, ["report", "--data-dir", str(tmp_path), "--period", "1999"])
    assert result.exit_code == 2
    assert result.output.strip() == f"no data in the period 1999: the warehouse holds {PERIOD}"
    assert not (tmp_path / "processed" / "reports").exists()


def test_a_programme_report_counts_only_its_own_files(demo_root: Path) -> None:
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        data = read_period(con, min_cell=5)
        holders = con.execute(
            "SELECT DISTINCT source_file FROM survey WHERE programme_id = 'MAZ-SHC' UNION "
            "SELECT DISTINCT source_file FROM groups WHERE programme_id = 'MAZ-SHC' UNION "
            "SELECT DISTINCT a.source_file FROM attendance a JOIN groups g ON a.group_id = g.group_id "
            "WHERE g.programme_id = 'MAZ-SHC'").df()["source_file"]
        problems = con.execute("SELECT count(*) FROM quarantine WHERE source_file IN (SELECT unnest(?))",
                               [list(holders)]).fetchall()[0][0]
        every = len(con.execute("SELECT * FROM ingest_log").df())
    own = data.only(["MAZ-SHC"])
    assert sorted(own.files["source_file"]) == sorted(holders) and 0 < len(holders) < every
    assert int(own.rules["problems"].sum()) == problems
    everything = data.only(sorted(set(data.file_programmes["programme_id"])), every_file=True)
    assert len(everything.files) == every


def test_the_period_text_gives_the_dates_of_the_data_used(demo_root: Path) -> None:
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        spans = programme_spans(con)
        tables = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("survey", "attendance", "groups")}
    sessions = tables["attendance"][tables["attendance"]["attended"].fillna(False).astype(bool)].merge(
        tables["groups"][["group_id", "programme_id"]], on="group_id")
    days = pd.concat([sessions[["programme_id", "session_date"]].set_axis(["programme_id", "day"], axis=1),
                      tables["survey"][["programme_id", "interview_date"]].set_axis(["programme_id", "day"], axis=1)])
    expected = days.dropna().groupby("programme_id")["day"].agg(["min", "max"])
    assert {p: (pd.Timestamp(a), pd.Timestamp(b)) for p, (a, b) in spans.items()} == {
        p: (pd.Timestamp(r["min"]), pd.Timestamp(r["max"])) for p, r in expected.iterrows()}
    prov = figures.provenance(pd.DataFrame(columns=["source_file", "sha256"]), data_period="2024-03..2025-04",
                              period="2024", min_cell=5)
    used = figures.used(prov, [(date(2024, 3, 4), date(2024, 9, 30)), (date(2024, 4, 1), date(2024, 12, 20))])
    assert used.as_dict()["data_used"] == "2024-03-04..2024-12-20"
    assert _period_text(Translator("en"), used) == \
        "2024 (data available: 2024-03..2025-04); data used: Mar 4, 2024 to Dec 20, 2024"
    assert "использованы данные с 4 мар. 2024\u202fг. по 20 дек. 2024\u202fг." in _period_text(Translator("ru"), used)


# -- robustness and Dagster ---------------------------------------------------------------------------
def test_empty_warehouse_still_renders(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "empty.duckdb", empty=True)
    built = _build(path, tmp_path / "out")
    html = built["all"].html.read_text(encoding="utf-8")
    for message in ("No AAI indicators have been computed yet.", "No AAI domain scores for participants yet",
                    "No indicators computed yet.", "Impact estimates are not computed yet.",
                    "No files have been ingested yet."):
        assert message in html, message
    assert built["all"].pdf.read_bytes().startswith(b"%PDF-")


def test_reports_are_partitions_recorded_per_language(tmp_path: Path) -> None:
    """English and Russian reports of one programme and period coexist, each recorded as
    a materialization of its language's asset, with the language in its metadata."""
    import dagster as dg

    from pipelines.defs.partitions import REPORTS, register, report_key
    from pipelines.defs.report.assets import report, report_charts
    from pipelines.defs.resources import AaiSettings

    warehouse = AaiSettings(data_dir=str(tmp_path))
    warehouse.paths.processed.mkdir(parents=True)
    make_full_warehouse(warehouse.paths.warehouse)
    instance = dg.DagsterInstance.ephemeral()
    register(instance, ["BRC-WWC", "all"], [PERIOD])
    key = report_key("BRC-WWC", PERIOD)
    for lang in ("en", "ru"):
        selection = [dg.AssetKey(["report_charts", lang]), dg.AssetKey(["report", lang])]
        result = dg.materialize([report_charts, report], selection=selection, partition_key=key, instance=instance,
                                resources={"settings": warehouse})
        assert result.success
        [event] = result.asset_materializations_for_node("report")
        assert event.asset_key == dg.AssetKey(["report", lang]) and event.metadata["language"].value == lang
    folder = tmp_path / "processed" / "reports" / "BRC-WWC" / PERIOD
    assert (folder / "en" / "report.pdf").exists() and (folder / "ru" / "report.pdf").exists()
    assert '<html lang="ru">' in (folder / "ru" / "report.html").read_text(encoding="utf-8")
    for lang in ("en", "ru"):
        record = instance.get_latest_materialization_event(dg.AssetKey(["report", lang]))
        assert record.asset_materialization.partition == key
    assert REPORTS.get_partition_keys(dynamic_partitions_store=instance) == [report_key("BRC-WWC", PERIOD),
                                                                             report_key("all", PERIOD)]


def test_the_inputs_digest_ignores_summation_noise_but_not_a_change_a_report_could_show() -> None:
    import numpy as np

    from pipelines.defs.report.unchanged import inputs_digest

    frame = pd.DataFrame({"value": [1.0, 2.5, np.nan], "cell": ["a", "b", "c"], "items": [["x"], ["y"], []]})
    noisy, changed, renamed = frame.copy(), frame.copy(), frame.rename(columns={"cell": "key"})
    noisy.loc[1, "value"] = 2.5 * (1 + 1e-15)  # the last bits of a parallel sum
    changed.loc[1, "value"] = 2.5001
    assert inputs_digest(frame) == inputs_digest(noisy)
    assert len({inputs_digest(f) for f in (frame, changed, renamed, frame.iloc[:2])}) == 4


def test_the_inputs_digest_is_keyed_with_the_data_roots_own_secret(tmp_path: Path) -> None:
    """The digest goes to the event log: keyed with a secret made once per data root, it
    stays comparable from run to run but cannot be recomputed from guessed figures."""
    from pipelines.defs.report.unchanged import DIGEST_KEY, digest_key, inputs_digest

    key = digest_key(tmp_path / "processed")
    assert len(key) == 32 and digest_key(tmp_path / "processed") == key
    assert [p.name for p in (tmp_path / "processed").iterdir()] == [DIGEST_KEY]  # no temporary left
    assert digest_key(tmp_path / "other") != key
    assert inputs_digest(1, key=key) == inputs_digest(1, key=key) != inputs_digest(1)


def test_a_report_whose_inputs_and_files_are_unchanged_is_kept_not_rebuilt(tmp_path: Path) -> None:
    """A second materialization of a partition with the same figures keeps its files
    (``rebuilt: false``, the same data version); another programme's new figures change
    nothing here, its own do, and so does a report file edited on disk."""
    import dagster as dg

    from pipelines.defs.partitions import register, report_key
    from pipelines.defs.report.assets import report, report_charts
    from pipelines.defs.resources import AaiSettings

    settings = AaiSettings(data_dir=str(tmp_path))
    settings.paths.processed.mkdir(parents=True)
    make_full_warehouse(settings.paths.warehouse)
    instance = dg.DagsterInstance.ephemeral()
    register(instance, ["BRC-WWC", "all"], [PERIOD])
    folder = tmp_path / "processed" / "reports" / "BRC-WWC" / PERIOD / "en"

    def materialize() -> dict[str, tuple[bool, str]]:
        result = dg.materialize([report_charts, report], partition_key=report_key("BRC-WWC", PERIOD),
                                selection=[dg.AssetKey(["report_charts", "en"]), dg.AssetKey(["report", "en"])],
                                instance=instance, resources={"settings": settings})
        assert result.success
        events = [*result.asset_materializations_for_node("report_charts"),
                  *result.asset_materializations_for_node("report")]
        return {e.asset_key.path[0]: (e.metadata["rebuilt"].value, e.tags["dagster/data_version"]) for e in events}

    def widen_intervals(programme: str) -> None:
        with duckdb.connect(str(settings.paths.warehouse)) as con:
            con.execute("UPDATE indicators SET ci_low = ci_low - 0.5 WHERE programme_id = ? AND ci_low >= 0.5",
                        [programme])

    first = materialize()
    assert {k: rebuilt for k, (rebuilt, _) in first.items()} == {"report_charts": True, "report": True}
    written = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    again = materialize()
    assert again == {k: (False, version) for k, (_, version) in first.items()}
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == written

    widen_intervals("ZTRASS")  # another programme's figures: not among BRC-WWC's inputs
    assert {k: rebuilt for k, (rebuilt, _) in materialize().items()} == {"report_charts": False, "report": False}
    widen_intervals("BRC-WWC")  # its own
    changed = materialize()
    assert changed["report"][0] and changed["report"][1] != first["report"][1]

    (folder / "report.html").write_text("edited", encoding="utf-8")
    assert {k: rebuilt for k, (rebuilt, _) in materialize().items()} == {"report_charts": False, "report": True}
    assert "edited" not in (folder / "report.html").read_text(encoding="utf-8")


# -- the printed page: headings stay with what follows, every language reads as its own --------------
ENGLISH_MONTHS = re.compile(r"\b(January|February|March|April|June|July|August|September|October|November|December|"
                            r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b")


def _headings(html: str) -> set[str]:
    return {re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", h)).strip()
            for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", html, flags=re.S)}


def _page_ends(pdf: Path) -> list[str]:
    """The last line of text on every page but the last (the page number is its own line)."""
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    ends = []
    for page in reader.pages[:-1]:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        lines = [line for line in lines if not re.fullmatch(r"\d+ / \d+", line)]
        ends.append(lines[-1] if lines else "")
    return ends


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_page_ends_with_a_heading_and_each_language_reads_as_its_own(demo_root: Path, tmp_path: Path,
                                                                         lang: str) -> None:
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        [paths] = build_reports(con, tmp_path, programme="MAZ-SHC", lang=lang, min_cell=5)
    html = paths.html.read_text(encoding="utf-8")
    headings = _headings(html)
    ends = _page_ends(paths.pdf)
    assert len(ends) >= 3 and headings
    assert not [end for end in ends if end in headings]
    first_page = PdfReader(io.BytesIO(paths.pdf.read_bytes())).pages[0].extract_text()
    participation = Translator(lang)("Participation and reach")
    assert "MAZ-SHC: 84" in first_page and participation not in first_page  # the summary has its page
    _, text = pdf_pages_and_text(paths.pdf)
    assert "%%" not in text and "%%" not in html
    if lang != "en":
        assert not ENGLISH_MONTHS.findall(_without_noise(text))
        assert not re.findall(r"\d\.\d+\s?%", text)  # shares use the language's decimal comma
        assert re.search(r"\d,\d+\s?%", text)


def test_the_summary_says_what_could_not_be_measured(demo_root: Path) -> None:
    from pipelines.report.context import gap_lines

    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        data = read_period(con, min_cell=5).only(["ZTRASS-WI"])
        answered = {r[0] for r in con.execute(
            "SELECT DISTINCT indicator FROM indicators_public WHERE programme_id = 'ZTRASS-WI'").fetchall()}
    survey_aai = [c for c in catalogue.survey_indicators()["code"] if c[0].isdigit()]
    absent = sorted(set(survey_aai) - answered, key=lambda c: tuple(int(x) for x in c.split(".")))
    lines = gap_lines(Translator("en"), data.indicators[data.indicators["indicator"].isin(survey_aai)])
    assert absent and lines[0].startswith("Not measured: ")
    assert [part.split(" ")[0] for part in lines[0].removeprefix("Not measured: ").split(" (the survey")[0].split("; ")] \
        == absent


# -- bad input: a clear sentence, never a half-written report ------------------------------------
def test_a_folder_that_cannot_be_written_is_one_clear_error(warehouse: Path, tmp_path: Path) -> None:
    from pipelines.files import FolderError

    out = tmp_path / "reports"
    (out / "BRC-WWC").mkdir(parents=True)
    (out / "BRC-WWC" / PERIOD).write_text("a file where the period's folder should be")
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(FolderError) as caught:
        build_reports(con, out, programme="BRC-WWC", min_cell=5)
    assert str(caught.value).startswith(f"cannot write the charts to {out / 'BRC-WWC' / PERIOD / 'en' / 'charts'}: ")
    assert not list(out.rglob("report.*"))


def test_a_language_no_installed_font_covers_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from pipelines.report import render

    monkeypatch.setattr(render.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(render.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="\n"))
    with pytest.raises(render.MissingFont, match="no installed font covers the report language 'uk'"):
        render.check_fonts("uk")
    monkeypatch.setattr(render.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout="DejaVu Sans\n"))
    render.check_fonts("uk")


def test_the_change_table_lists_what_the_change_chart_draws(demo_root: Path) -> None:
    from pipelines.charts.build import change_outcomes
    from pipelines.report.context import gather

    tr = Translator("en")
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        data = read_period(con, min_cell=5).only(["BRC-WWC"])
    (table,) = gather(data, tr, programmes=["BRC-WWC"], min_cell=5)["changes"]
    listed = {item["label"] for item in table["items"]}
    measured = set(data.indicators.loc[data.indicators["wave"] != "all", "indicator"])
    assert listed == {tr.indicator(code) for code in set(change_outcomes()["code"]) & measured}
    # the programme's own means (WHO-5, loneliness) beside the AAI's shares, and no register output
    assert {tr.indicator("P.who5_mean"), tr.indicator("4.3")} <= listed
    assert tr.indicator("P.reached") not in listed


def test_a_report_of_several_programmes_says_over_how_many_tests_it_corrected():
    """An all-programmes report corrects over every programme's primary tests: a
    programme with none surviving says so with that report's count, not only its own."""
    from pipelines.report.context import claim_lines

    rows = [{"programme_id": programme, "indicator": code, "role": "primary", "p_value": p, "survives": False,
             "family_size": 5, "unit": "percentage_points", "mde": 12.0, "estimate": 1.0, "ci_low": -2.0,
             "ci_high": 4.0, "method": "did"}
            for programme, code, p in (("A", "2.1", 0.2), ("A", "3.1", 0.4), ("B", "2.1", 0.3), ("B", "3.1", 0.6),
                                       ("B", "4.5", 0.9))]
    lines = claim_lines(Translator("en"), pd.DataFrame(rows), ["A", "B"])
    assert lines[0].startswith("A: no change in the 2 primary outcomes tested could be told apart from chance "
                               "after correcting for the 5 primary tests of this report.")
    assert lines[1].startswith("B: no change in the 3 primary outcomes tested could be told apart from chance "
                               "after correcting for the 5 primary tests of this report.")
    one = claim_lines(Translator("en"), pd.DataFrame(rows[:2]).assign(family_size=2), ["A"])
    assert one[0].startswith("A: no change in the 2 primary outcomes tested could be told apart from chance after "
                             "correcting for all of them.")
