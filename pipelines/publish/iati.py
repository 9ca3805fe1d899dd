"""IATI results: a programme's results framework as an IATI 2.03 ``iati-activity``.

Funders that publish to IATI want a logframe's figures in its results format
(https://iatistandard.org/en/iati-standard/203/activity-standard/iati-activities/
iati-activity/result/): per indicator a baseline, a period with its target and actual,
``measure`` (1 unit, 2 percentage), ``ascending`` and ``aggregation-status``, and
``dimension`` elements for the actual by sex and by age band. Every number is a
citable figure of the programme's report (``headline_figures``, as written) or a cell
of ``indicators_public``; a hidden figure has no value here, and a hidden breakdown cell
no ``actual`` at all. The document is validated against the official schema shipped in
``pipelines/reference/iati-2.03/`` (no download at run time).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
from lxml import etree

from pipelines import catalogue
from pipelines.publish.framework import Framework
from pipelines.publish.i18n import digits
from pipelines.publish.readers import indicator_breakdowns
from pipelines.publish.results import build_results
from pipelines.settings import ClaimsConfig

SCHEMA = Path(__file__).parents[1] / "reference" / "iati-2.03" / "iati-activities-schema.xsd"
VERSION = "2.03"
MEASURE = {"percent": "2"}  # IndicatorMeasure: 2 percentage; every other unit 1 (unit)
RESULT_TYPE = {"survey": "2"}  # ResultType: 2 outcome; register figures 1 (output)
REFERENCE_VOCABULARY = "99"  # IndicatorVocabulary 99: the reporting organisation's own
DOCUMENT_CATEGORY = "A08"  # DocumentCategory: results, outcomes and outputs
ACTUAL_START = "2"  # ActivityDateType 2: actual start
IMPLEMENTING = "4"  # OrganisationRole 4: implementing
# Hidden is not always small: a figure may be hidden because, beside the others, it
# would give a small count away (secondary suppression, docs/disclosure.md).
HIDDEN = "hidden to protect people (fewer than %s, or a figure that would reveal such a count)"


class IatiError(ValueError):
    """The programme cannot be exported (no framework, or no ``iati`` section in it)."""


def activity(framework: Framework, results: pd.DataFrame, breakdowns: pd.DataFrame, *, min_cell: int) -> bytes:
    """The ``iati-activities`` document holding the programme's activity and one
    ``result`` per logframe result of ``framework``; ``results`` is its rows of the
    results table, ``breakdowns`` the programme's cells by sex and age band."""
    if framework.iati is None:
        raise IatiError(f"the results framework of {framework.programme} has no 'iati' section (docs/results.md)")
    info = framework.iati
    root = etree.Element("iati-activities", version=VERSION)
    act = etree.SubElement(root, "iati-activity")
    etree.SubElement(act, "iati-identifier").text = info.identifier
    org = etree.SubElement(act, "reporting-org", ref=info.reporting_org.ref, type=info.reporting_org.type)
    _narrative(org, info.reporting_org.name)
    _narrative(etree.SubElement(act, "title"), info.title)
    _narrative(etree.SubElement(act, "description", type="1"), info.description)
    partner = etree.SubElement(act, "participating-org", ref=info.reporting_org.ref, role=IMPLEMENTING,
                               type=info.reporting_org.type)
    _narrative(partner, info.reporting_org.name)
    etree.SubElement(act, "activity-status", code=info.activity_status)
    etree.SubElement(act, "activity-date", type=ACTUAL_START, **{"iso-date": framework.start.isoformat()})
    sources = catalogue.indicators().set_index("code")["source"]
    for title, rows in results.groupby("result", sort=False):
        survey = any(sources.get(code) in catalogue.SURVEY_SOURCES for code in rows["indicator"])
        result = etree.SubElement(act, "result", type=RESULT_TYPE["survey"] if survey else "1",
                                  **{"aggregation-status": "false"})
        _narrative(etree.SubElement(result, "title"), str(title))
        if info.report_url:
            _document_link(result, info.report_url, framework.programme)
        for row in rows.itertuples():
            _indicator(result, framework, row, breakdowns, min_cell)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _indicator(result: etree._Element, framework: Framework, row, breakdowns: pd.DataFrame, min_cell: int) -> None:
    target = next(t for t in framework.indicators if t.code == row.indicator)
    cat = catalogue.indicators().set_index("code").loc[row.indicator]
    summable = cat["kind"] in ("count", "sum")
    ind = etree.SubElement(result, "indicator", measure=MEASURE.get(row.unit, "1"),
                           ascending=_bool(bool(row.ascending)), **{"aggregation-status": _bool(summable)})
    _narrative(etree.SubElement(ind, "title"), row.name)
    about = f"{cat['name']} ({row.indicator}): {cat['success_rule']}"
    _narrative(etree.SubElement(ind, "description"), f"{row.reference}. {about}" if row.reference else about)
    etree.SubElement(ind, "reference", vocabulary=REFERENCE_VOCABULARY, code=row.indicator)
    baseline = etree.SubElement(ind, "baseline", year=str(target.baseline_year or framework.start.year))
    if pd.notna(row.baseline):
        baseline.set("value", _value(row.baseline, row.indicator))
    _comment(baseline, f"figure {row.baseline_id} of the programme's report" if pd.notna(row.baseline_id)
             else "baseline from the results framework" if pd.notna(row.baseline)
             else f"baseline figure not published: {HIDDEN % min_cell}")
    period = etree.SubElement(ind, "period")
    etree.SubElement(period, "period-start", **{"iso-date": framework.start.isoformat()})
    etree.SubElement(period, "period-end", **{"iso-date": _date(row.target_date).isoformat()})
    etree.SubElement(period, "target", value=_value(row.target, row.indicator))
    actual = etree.SubElement(period, "actual")
    if pd.notna(row.actual):
        actual.set("value", _value(row.actual, row.indicator))
    _comment(actual, _actual_note(row, min_cell))
    if pd.isna(row.actual) or not target.disaggregation:
        return
    cells = breakdowns[(breakdowns["indicator"] == row.indicator) & (breakdowns["arm"] == "participant")
                       & (breakdowns["wave"] == row.actual_wave) & ~breakdowns["suppressed"]
                       & breakdowns["dimension"].isin(target.disaggregation)]
    for cell in cells.sort_values(["dimension", "category"]).itertuples():
        part = etree.SubElement(period, "actual", value=_value(cell.value, row.indicator))
        etree.SubElement(part, "dimension", name=cell.dimension, value=str(cell.category))
        _comment(part, f"n = {int(cell.n)}")


def _actual_note(row, min_cell: int) -> str:
    if pd.isna(row.actual_id):
        return f"progress: {row.progress.replace('_', ' ')}; no figure yet"
    if pd.isna(row.actual):
        return (f"progress: {row.progress.replace('_', ' ')}; figure {row.actual_id} not published: "
                f"{HIDDEN % min_cell}")
    interval = f"; 95% CI {_value(row.ci_low, row.indicator)} to {_value(row.ci_high, row.indicator)}" \
        if pd.notna(row.ci_low) and pd.notna(row.ci_high) else ""
    return f"progress: {row.progress.replace('_', ' ')}; figure {row.actual_id}{interval}; n = {int(row.n)}"


def validate(document: bytes) -> None:
    """Raise ``IatiError`` with the schema's first complaint unless ``document`` is a
    valid IATI 2.03 activities file."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    parsed = etree.fromstring(document)
    if not schema.validate(parsed):
        raise IatiError(f"not valid IATI {VERSION}: {schema.error_log.last_error}")


def _narrative(parent: etree._Element, text: str) -> None:
    etree.SubElement(parent, "narrative").text = text


def _comment(parent: etree._Element, text: str) -> None:
    _narrative(etree.SubElement(parent, "comment"), text)


def _document_link(parent: etree._Element, url: str, programme: str) -> None:
    link = etree.SubElement(parent, "document-link", url=url, format="application/pdf")
    _narrative(etree.SubElement(link, "title"), f"Active Ageing Index programme report: {programme}")
    etree.SubElement(link, "category", code=DOCUMENT_CATEGORY)


def _value(value: float, code: str) -> str:
    """As the report rounds it (``digits``), so the file and ``headline_figures`` agree."""
    d = digits(code)
    return f"{round(float(value), d):.{d}f}"


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


def _date(value) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value


def export(con: duckdb.DuckDBPyConnection, framework: Framework, shown: str, *, reports_dir: Path, min_cell: int,
           claims_config: ClaimsConfig) -> bytes:
    """The programme's IATI document, from the same figures as its report, checked
    against the schema before anyone sees it."""
    table = build_results(con, ((framework, shown),), reports_dir=reports_dir, min_cell=min_cell,
                          claims_config=claims_config)
    cells = indicator_breakdowns(con)
    document = activity(framework, table, cells[cells["programme_id"] == framework.programme], min_cell=min_cell)
    validate(document)
    return document
