"""Build the reports: one per programme and one for all programmes, for a period.

``build_reports(con, reports_dir)`` writes, for each scope,
``<reports_dir>/<programme or all>/<period>/`` holding ``report.html`` (self-contained),
``report.pdf``, ``headline_figures.csv`` and ``.json`` and the charts (PNG, SVG).
The period defaults to the data period; another period reads the period's slice of
the warehouse (``scope.period_warehouse``). Either way the warehouse is read once per
period (``queries.read_period``) and every report of the period is cut from the same
frames, so a programme report and the all-programme report always agree.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import files
from pipelines.charts.build import draw_charts
from pipelines.charts.info import ChartInfo
from pipelines.files import slug
from pipelines.disclosure.periods import guard as guard_periods
from pipelines.impact.claims import claims
from pipelines.publish import figures
from pipelines.report.context import benchmark_sources, gather
from pipelines.publish.i18n import Translator
from pipelines.publish.queries import PeriodData, read_period
from pipelines.report.render import render_html, write_pdf
from pipelines.publish.scope import (
    ALL_PROGRAMMES, NO_DATA, Period, data_period, period_warehouse, programme_spans, programmes as all_programmes,
)
from pipelines.settings import ClaimsConfig

HTML_NAME, PDF_NAME = "report.html", "report.pdf"


@dataclass(frozen=True)
class ReportPaths:
    folder: Path
    html: Path
    pdf: Path
    csv: Path
    json: Path
    content_hash: str


def build_reports(
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    *,
    programme: str | None = None,
    period: Period | None = None,
    lang: str = "en",
    min_cell: int,
    national: pd.DataFrame | None = None,
    claims_config: ClaimsConfig | None = None,
) -> list[ReportPaths]:
    """Every report of ``period`` (default: the data period): one per programme and one
    for all — or only ``programme``'s when given. ``national`` figures are used when
    another period's slice is rebuilt (default: the packaged file); ``claims_config``
    (the data root's aai.toml) says which outcomes a report may claim a change in."""
    claims_config = claims_config or ClaimsConfig()
    full = data_period(con) or NO_DATA
    period = period or full
    if NO_DATA not in (period, full) and not period.overlaps(full):
        raise ValueError(f"no data in the period {period.label}: the warehouse holds {full.label}")
    known = all_programmes(con)
    if programme is not None and programme not in known:
        raise ValueError(f"no programme {programme!r} in the warehouse; known: {', '.join(known) or 'none'}")
    with period_warehouse(con, period, full, min_cell, national, claims_config) as scoped:
        data = read_period(scoped, min_cell=min_cell)
        spans = programme_spans(scoped)
    whole = NO_DATA in (period, full) or period.covers(full)
    if programme is not None and programme not in spans and not whole:
        raise ValueError(f"programme {programme!r} has no sessions or interviews in the period {period.label}")
    # a programme without data in the period gets no report of it
    shown = known if whole else [p for p in known if p in spans]
    scopes = [(programme, [programme], False)] if programme else \
        [(p, [p], False) for p in shown] + [(ALL_PROGRAMMES, shown, True)]
    # a count that would difference to 1 … m−1 against a published nested period is hidden
    data = guard_periods(data, period.label, Path(reports_dir), min_cell)
    prov = figures.provenance(data.inputs, data_period=full.label, period=period.label, min_cell=min_cell)
    return [build_report(claimed(data.only(chosen, every_file=total), claims_config),
                         Path(reports_dir) / slug(name) / period.label, programmes=chosen, total=total,
                         prov=figures.used(prov, [spans[p] for p in chosen if p in spans]), lang=lang,
                         min_cell=min_cell)
            for name, chosen, total in scopes]


def claimed(data: PeriodData, config: ClaimsConfig) -> PeriodData:
    """The report's own claim family: the primary tests of the programmes it covers,
    corrected together (a programme's report: its own; the all-programmes report: the
    union, so it claims less). ``role``, ``family_size`` and ``survives`` of
    ``data.impact`` then say what *this* report may state as a finding."""
    return replace(data, impact=claims(data.impact, config)) if not data.impact.empty else data


def build_report(
    data: PeriodData,
    folder: Path,
    *,
    programmes: list[str],
    total: bool,
    prov: figures.Provenance,
    lang: str = "en",
    min_cell: int,
) -> ReportPaths:
    """One report of ``data`` (already narrowed to ``programmes``): figures first (their
    hash goes into the report), charts, HTML, PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    files.sweep(folder)
    tr = Translator(lang)
    rows = figures.figure_rows(data, total=total, prov=prov)
    content_hash = figures.write_figures(rows, prov, folder)
    charts = draw_charts(data, folder / "charts", programmes=programmes, tr=tr, min_cell=min_cell)
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
