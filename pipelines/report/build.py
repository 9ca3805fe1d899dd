"""Build one report: a programme (or all programmes), a period, a language.

``build_report(con, reports_dir, scope, ...)`` writes
``<reports_dir>/<programme or all>/<period>/<lang>/`` holding ``report.html``
(self-contained), ``report.pdf`` and ``headline_figures.csv`` and ``.json``, beside the
``charts/`` the charts stage drew there for the same scope (the report reads their
manifest and never draws). The figures come from ``scope.scope_data`` of the period's
own warehouse — the warehouse itself for the data period, else the ``period_tables``
slice —, the same call the charts made, so chart and text agree.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines import files
from pipelines.charts.build import load_charts
from pipelines.charts.info import ChartInfo
from pipelines.publish import figures
from pipelines.report.context import benchmark_sources, gather
from pipelines.publish.i18n import Translator
from pipelines.publish.queries import PeriodData
from pipelines.report.render import check_fonts, render_html, write_pdf
from pipelines.publish.scope import CHARTS_FOLDER, Period, Scope, report_folder

HTML_NAME, PDF_NAME = "report.html", "report.pdf"


@dataclass(frozen=True)
class ReportPaths:
    folder: Path
    html: Path
    pdf: Path
    csv: Path
    json: Path
    content_hash: str


def build_report(
    data: PeriodData,
    spans: dict[str, tuple[date, date]],
    reports_dir: Path,
    scope: Scope,
    *,
    period: Period,
    full: Period,
    lang: str = "en",
    min_cell: int,
) -> ReportPaths:
    """The report of ``scope`` for ``period`` (``full``: the data period of the whole
    warehouse) in ``lang``, from ``data`` (``scope.scope_data`` of the period's
    warehouse) and the programmes' data spans (``scope.programme_spans``)."""
    prov = figures.report_provenance(data, spans, scope.programmes, period=period, full=full, min_cell=min_cell)
    return write_report(data, report_folder(reports_dir, scope.key, period.label, lang), programmes=scope.programmes,
                        total=scope.total, prov=prov, lang=lang, min_cell=min_cell)


def write_report(
    data: PeriodData,
    folder: Path,
    *,
    programmes: list[str],
    total: bool,
    prov: figures.Provenance,
    lang: str = "en",
    min_cell: int,
) -> ReportPaths:
    """One report of ``data`` (already narrowed to ``programmes``) into ``folder``, whose
    ``charts/`` the charts stage has drawn: figures first (their hash goes into the
    report), then HTML and PDF. Each file is written under a temporary name and
    renamed, so a failure leaves no partial report looking complete."""
    check_fonts(lang)
    files.sweep(files.writable_folder(folder, "report"))
    tr = Translator(lang)
    rows = figures.figure_rows(data, total=total, prov=prov)
    content_hash = figures.write_figures(rows, prov, folder)
    charts = load_charts(folder / CHARTS_FOLDER)
    context = gather(data, tr, programmes=programmes, min_cell=min_cell)
    context |= {
        "charts": _charts_by_section(charts),
        # the sources of exactly the national figures a drawn chart shows
        "benchmark_sources": benchmark_sources(tr) if any(c.key == "domain_profile" and c.available
                                                          for c in charts) else [],
        "scope": ", ".join(programmes) if not total else tr("all programmes (%(list)s)", list=", ".join(programmes)),
        "period": _period_text(tr, prov),
        "cite": _citation(tr, programmes, total, prov, content_hash) | {"example": rows[0]["id"] if rows else "–"},
        "provenance": prov,
    }
    html = render_html(context, tr)
    paths = ReportPaths(folder, folder / HTML_NAME, folder / PDF_NAME, folder / figures.CSV_NAME,
                        folder / figures.JSON_NAME, content_hash)
    files.write_text(paths.html, html)
    with files.replacing(paths.pdf) as pdf_part:
        write_pdf(html, pdf_part, identifier=content_hash)
    return paths


def _period_text(tr: Translator, prov: figures.Provenance) -> str:
    """The period asked for, and the dates of the data the report actually used."""
    if prov.period == prov.data_period:
        text = tr("%(period)s (the whole data period)", period=prov.period)
    else:
        text = tr("%(period)s (data available: %(data)s)", period=prov.period, data=prov.data_period)
    if prov.used_from is None:
        return text
    return text + "; " + tr("data used: %(first)s to %(last)s", first=tr.date(prov.used_from), last=tr.date(prov.used_to))


def _data_uri(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _charts_by_section(charts: list[ChartInfo]) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    for chart in charts:
        item = {"key": chart.key, "title": chart.title, "caption": chart.caption, "alt": chart.alt,
                "message": chart.message, "src": _data_uri(chart.png, "image/png") if chart.available else None}
        sections.setdefault(chart.section, []).append(item)
    return sections


def _citation(tr: Translator, programmes: list[str], total: bool, prov: figures.Provenance, content_hash: str) -> dict:
    """A suggested citation naming the scope, period, code version and content hash:
    the sha256 of ``headline_figures.json``, the same whenever inputs and code are."""
    scope = tr("All programmes") if total else ", ".join(programmes)
    return {
        "hash": content_hash,
        "text": tr("%(scope)s. Active Ageing Index programme report, period %(period)s. Produced with aai-impact "
                   "%(version)s from input files with fingerprint %(inputs)s. Content hash (SHA-256 of "
                   "headline_figures.json): %(hash)s.", scope=scope, period=prov.period, version=prov.code_version,
                   inputs=prov.inputs_sha256[:16], hash=content_hash),
    }
