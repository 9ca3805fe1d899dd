"""The report from the hand-made warehouse of ``test_charts`` (see its docstring for
the numbers), and from an empty one.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipelines.charts import build_charts
from pipelines.report.build import build_report
from test_charts import SECRET_NAME, make_warehouse


def pdf_pages_and_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("report")
    path = make_warehouse(root / "warehouse.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        charts = build_charts(con, root / "charts")
        paths = build_report(con, charts, root / "reports")
    return paths


@pytest.fixture(scope="module")
def html(built) -> str:
    return built.html.read_text(encoding="utf-8")


# -- HTML ---------------------------------------------------------------------------------
def test_headline_figures_are_stated_in_plain_words(html: str) -> None:
    assert ("3 groups in 2 programmes across 2 countries; still meeting: 2; run by their own members: 1."
            in html)
    assert "15 people attended at least one of 30 sessions between Jan 3, 2024 and Jun 17, 2024." in html
    assert ("Among BRC-WWC participants, 4.5 Social connectedness rose from 40.0% at baseline to 75.0% at "
            "follow-up 1 (n = 40)") in html
    assert "40 rows from 3 files were read: 38 loaded and 2 held in quarantine for correction." in html


def test_indicator_table_shows_value_interval_and_n(html: str) -> None:
    assert "45.0%" in html and "95% CI 30.7–60.2" in html and "n = 40" in html
    assert "+35.0 points" in html  # 4.5 participants, 40.0 → 75.0


def test_suppressed_cell_never_appears(html: str) -> None:
    # the hidden share is 77.77% (3.11 of 4): no formatting of it may surface
    for leak in ("77.8", "77.77", "3.11"):
        assert leak not in html
    assert '<td class="num suppressed">suppressed' in html


def test_small_programme_reach_is_suppressed_with_its_neighbour(html: str) -> None:
    # ZTRASS has 3 people; BRC-WWC's 12 is hidden too, else 15 − 12 gives the 3 back
    section = re.search(r'<section id="participation">(.*?)</section>', html, re.S).group(1)
    for programme in ("BRC-WWC", "ZTRASS"):
        row = re.search(rf"<td>{programme}</td>(.*?)</tr>", section, re.S).group(1)
        assert "suppressed" in row and ">12<" not in row and ">3<" not in row


def test_quarantined_values_and_records_stay_out(html: str) -> None:
    assert SECRET_NAME not in html
    assert "1890" not in html and "P-17" not in html
    assert "birth_year_range" in html  # counted by rule instead


def test_html_is_self_contained(html: str) -> None:
    external = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert external == []
    assert "@import" not in html and "url(http" not in html
    assert html.count('src="data:image/png;base64,') == 5  # every drawn chart, embedded
    assert html.count("<img ") == html.count('alt="')


def test_impact_missing_is_said_not_failed(html: str) -> None:
    assert "Impact estimates are not computed yet." in html
    assert "No follow-up wave yet: change cannot be shown." in html  # ZTRASS


def test_methodology_states_the_choices(html: str) -> None:
    assert "raw score of 13 or more" in html
    assert "Wilson score intervals" in html
    assert "fewer than 5 people" in html
    assert "Figures fingerprint" in html


# -- PDF ----------------------------------------------------------------------------------
def test_pdf_has_pages_and_text(built) -> None:
    data = built.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages, text = pdf_pages_and_text(data)
    assert 3 <= pages <= 12
    assert "Headline figures" in text
    assert "15 people attended at least one of 30 sessions" in text
    assert "Impact estimates are not computed yet." in text
    assert "77.8" not in text and SECRET_NAME not in text


# -- robustness ---------------------------------------------------------------------------
def test_empty_warehouse_still_renders(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "empty.duckdb", empty=True)
    with duckdb.connect(str(path), read_only=True) as con:
        charts = build_charts(con, tmp_path / "charts")
        paths = build_report(con, charts, tmp_path / "reports")
    html = paths.html.read_text(encoding="utf-8")
    for message in (
        "No groups are registered yet.",
        "No attendance has been recorded yet.",
        "No AAI indicators have been computed yet.",
        "No AAI domain scores for participants yet",
        "No indicators computed yet.",
        "Impact estimates are not computed yet.",
        "No files have been ingested yet.",
    ):
        assert message in html, message
    assert paths.pdf.read_bytes().startswith(b"%PDF-")


def test_impact_estimates_are_shown_when_present(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("""create table impact_estimates as select '4.5' as indicator, 'BRC-WWC' as programme_id,
            'all' as group_id, 'all' as sex, 'all' as age_band, 'did' as method, 35.0 as estimate,
            12.0 as ci_low, 58.0 as ci_high, 0.004 as p_value, 60 as n, 'difference in differences' as note""")
        paths = build_report(con, [], tmp_path / "reports")
    html = paths.html.read_text(encoding="utf-8")
    assert "Impact estimates are not computed yet." not in html
    assert "<td>did</td><td class=\"num\">35.0</td>" in html


def test_dagster_assets_write_charts_and_report(tmp_path: Path) -> None:
    import dagster as dg

    from pipelines.charts.assets import charts
    from pipelines.report.assets import report
    from pipelines.warehouse import Warehouse

    warehouse = Warehouse(data_dir=str(tmp_path))
    warehouse.paths.processed.mkdir(parents=True)
    make_warehouse(warehouse.paths.warehouse)
    result = dg.materialize([charts, report], resources={"warehouse": warehouse})
    assert result.success
    meta = result.asset_materializations_for_node("charts")[0].metadata
    assert meta["charts_drawn"].value == 5
    assert "data:image/png;base64," in meta["preview"].value
    assert (tmp_path / "processed" / "reports" / "report.html").exists()
    assert (tmp_path / "processed" / "reports" / "report.pdf").exists()
    assert (tmp_path / "processed" / "charts" / "domain_profile.svg").exists()
