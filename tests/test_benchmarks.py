"""National AAI benchmarks: every figure has a source, sex is mapped once, a chart shows one
edition only, and the report lists the source of each figure it shows.

The charts and reports are built from ``test_charts``'s hand-made warehouse; the
mixed-edition table below puts a full 2014 domain profile of the EU28 beside a 2018 AAI
alone, the case the issue found on the domain chart.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines import catalogue
from pipelines.charts import build_charts, plots
from pipelines.publish import benchmarks
from reporting import build_reports
from test_charts import make_warehouse

PRESS_RELEASE_2018 = "https://unece.org/media/press/1691"


def _mixed_editions() -> pd.DataFrame:
    rows = [("2014", 2012, item, value, "https://example.org/aai-2014")
            for item, value in (("D1", 28.0), ("D2", 18.0), ("D3", 70.0), ("D4", 55.0), ("AAI", 33.9))]
    rows += [("2018", 2016, "AAI", 35.8, PRESS_RELEASE_2018), ("2018", 2008, "AAI", 32.2, PRESS_RELEASE_2018)]
    return pd.DataFrame([{"edition": e, "data_year": y, "country": "EU28", "sex": "all", "item": i, "value": v,
                          "source_url": u, "source_type": "official_report", "source_note": ""}
                         for e, y, i, v, u in rows]).astype({"data_year": "Int64"})


@pytest.fixture
def mixed(monkeypatch) -> None:
    monkeypatch.setattr(catalogue, "aai_published", _mixed_editions)


@pytest.fixture
def drawn(monkeypatch) -> list[pd.DataFrame]:
    """The benchmark frames the domain chart is asked to draw."""
    seen: list[pd.DataFrame] = []
    original = plots.domain_profile

    def recording(df, **kwargs):
        seen.append(kwargs["benchmarks"])
        return original(df, **kwargs)

    monkeypatch.setattr(plots, "domain_profile", recording)
    return seen


def _domain_chart(tmp_path: Path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        charts = build_charts(con, tmp_path / "charts", min_cell=5)
    return next(c for c in charts if c.key == "domain_profile")


def test_every_published_figure_has_a_source_and_a_source_type() -> None:
    df = catalogue.aai_published()
    assert len(df) == 47
    assert df["source_url"].str.match(r"https?://").all()
    assert set(df["source_type"]) <= set(catalogue.SOURCE_TYPES)
    # the UNECE/European Commission editions cite no news page (the issue found swissredcross.by)
    official = df[df["edition"].isin(["2014", "2018"])]
    assert not official["source_url"].str.contains("swissredcross").any()
    assert set(official["source_type"]) == {"official_press_release"}
    # news is kept only with a note saying why
    assert (df.loc[df["source_type"] == "news", "source_note"].str.len() > 0).all()


def test_sex_is_mapped_once_to_the_projects_words() -> None:
    df = catalogue.aai_published()
    assert set(df["sex"]) == {"all", "female", "male"} == catalogue.NATIONAL_SEXES
    turkey = df[(df["country"] == "Turkey") & (df["item"] == "AAI") & (df["data_year"] == 2024)]
    assert dict(zip(turkey["sex"], turkey["value"])) == {"all": 29.7, "male": 34.5, "female": 25.3}
    tehran = df[df["edition"] == "IR-Tajvar2022"]
    assert dict(zip(tehran["sex"], tehran["value"])) == {"all": 26.8, "male": 33.9, "female": 20.6}


def test_an_unknown_sex_is_refused_not_dropped() -> None:
    assert list(catalogue.project_sex(pd.Series(["men", "total", "women"]))) == ["male", "all", "female"]
    with pytest.raises(ValueError, match="female"):
        catalogue.project_sex(pd.Series(["total", "female"]))


def test_the_latest_edition_and_data_year_are_chosen() -> None:
    latest = benchmarks.select()
    assert (latest.edition, latest.data_year) == ("2018", 2016)
    assert latest.rows[["item", "value", "source_url"]].values.tolist() == [["AAI", 35.8, PRESS_RELEASE_2018]]
    older = benchmarks.select("2014")
    assert (older.edition, older.data_year) == ("2014", 2012)
    assert older.rows[["item", "value"]].values.tolist() == [["AAI", 33.9]]
    with pytest.raises(ValueError, match="2016"):
        benchmarks.select("2016")


def test_a_chart_never_mixes_editions(tmp_path: Path, mixed, drawn) -> None:
    chart = _domain_chart(tmp_path)
    [marks] = drawn
    # the 2014 edition has every domain, the 2018 one only the AAI: the chart shows 2018's AAI alone
    assert marks[["edition", "data_year", "item", "value"]].values.tolist() == [["2018", 2016, "AAI", 35.8]]
    assert "AAI 2018 edition (data for 2016)" in chart.caption
    assert "2014" not in chart.caption and "33.9" not in chart.caption and "32.2" not in chart.caption


def test_a_configured_edition_is_shown_whole(mixed) -> None:
    rows = benchmarks.select("2014").rows
    assert set(rows["edition"]) == {"2014"}
    assert rows[["item", "value"]].values.tolist() == [
        ["D1", 28.0], ["D2", 18.0], ["D3", 70.0], ["D4", 55.0], ["AAI", 33.9]]


@pytest.mark.slow
def test_the_report_lists_the_source_of_each_figure_it_shows(tmp_path: Path) -> None:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        out = tmp_path / "reports"
        paths = {p.folder.relative_to(out).parts[0]: p for p in build_reports(con, out, min_cell=5)}
    html = paths["BRC-WWC"].html.read_text(encoding="utf-8")
    assert "Sources of the national figures" in html
    assert ("Active Ageing Index, EU28, AAI 2018 edition, data for 2016: 35.8. Source (official press release): "
            + PRESS_RELEASE_2018) in html
    # ZTRASS has no domain scores, so no domain chart and no national figures to source
    assert "Sources of the national figures" not in paths["ZTRASS"].html.read_text(encoding="utf-8")
