"""The reports as assets: one per programme (and ``all``), reporting period and language.

``report_partitions`` registers the programmes and periods the warehouse has as
dynamic partitions. For each language there are two assets, partitioned by
(programme, period): ``report_charts/<lang>`` draws the report's charts into its folder
and ``report/<lang>`` writes the report beside them, reading the charts' manifest, never
redrawing. Both read the period's own warehouse (the warehouse itself for the whole data
period, else ``period_tables``). Each report materialization is recorded with its
language, programme, period and content hash; ``reports_disclosure_audit`` differences
every published report against the reports of overlapping periods before anyone reads it.
"""


from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg

from pipelines.charts.build import draw_report_charts
from pipelines.defs.report import unchanged
from pipelines.defs.partitions import REPORTS, Partitions, current, period_connection, register
from pipelines.defs.resources import AaiSettings
from pipelines.disclosure.periods import audit as audit_reports
from pipelines.disclosure.result import AuditResult
from pipelines.publish.i18n import LANGUAGES
from pipelines.periods import Period
from pipelines.publish.framework import load_frameworks
from pipelines.publish.queries import PeriodData
from pipelines.publish.results import report_results
from pipelines.files import FolderCollision
from pipelines.publish.scope import (
    CHARTS_FOLDER,
    Scope,
    check_period,
    is_whole,
    programme_spans,
    programmes,
    report_folder,
    report_scopes,
    scope_data,
)
from pipelines.report.build import build_report

CHECK_REPORTS_DISCLOSURE_AUDIT = "reports_disclosure_audit"
# metadata naming the folder an asset writes (``folder_of`` in _per_language)
PATH_FIELDS = ("folder", "charts_dir")
# the tables the programmes and the data's dates come from
PARTITION_INPUTS = ["groups", "survey", "attendance"]


def chart_key(lang: str) -> dg.AssetKey:
    return dg.AssetKey(["report_charts", lang])


def report_key(lang: str) -> dg.AssetKey:
    return dg.AssetKey(["report", lang])


@dg.asset(deps=PARTITION_INPUTS, group_name="report")
def report_partitions(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """The reports the warehouse calls for: its programmes (plus `all`) and reporting
    periods (the whole data period, and the years, quarters or months of
    `AAI_REPORT_PERIODS` that hold data), registered as the `programme` and `period`
    partitions of the report assets. Its metadata lists them; the run after a refresh
    builds exactly these."""
    with settings.connect(read_only=True) as con:
        partitions = current(con, settings.periods)
    register(context.instance, partitions.programmes, partitions.periods)
    return dg.MaterializeResult(metadata=partitions.as_metadata())


def latest_partitions(instance: dg.DagsterInstance) -> Partitions | None:
    """What the last ``report_partitions`` recorded; None before the first run."""
    event = instance.get_latest_materialization_event(dg.AssetKey("report_partitions"))
    if event is None or event.asset_materialization is None:
        return None
    return Partitions.from_metadata(event.asset_materialization.metadata)


@dataclass(frozen=True)
class _Read:
    """What one report partition needs from the period's warehouse, read at once so the
    warehouse is released before the slow part (drawing, rendering) begins."""

    scope: Scope | None  # None: the programme or period has no data, nothing to do
    data: PeriodData | None
    spans: dict
    period: Period
    full: Period
    nothing: str = ""  # why there is nothing to do


def _read(context: dg.AssetExecutionContext, settings: AaiSettings) -> _Read:
    keys = context.partition_key.keys_by_dimension
    with period_connection(settings, keys["period"]) as (con, period, full):
        try:
            check_period(period, full)
            among = _programmes(settings, period, full)
            scope = report_scopes(con, period, full, key=keys["programme"], among=among)[0]
        except FolderCollision:  # two programmes would write one folder: the run stops, saying which
            raise
        except ValueError as exc:  # a backfill over it has nothing to do, which is not a failure
            context.log.info("Nothing to do: %s", exc)
            return _Read(None, None, {}, period, full, f"nothing to do: {exc}")
        data = scope_data(con, scope, period, settings.paths.reports, min_cell=settings.min_cell,
                          claims_config=settings.claims())
        if not scope.total:  # a programme's progress, from this report's own figures (docs/results.md)
            root = settings.paths
            data = replace(data, results=report_results(
                con, data, scope.programmes[0], load_frameworks(root.frameworks, shown_from=root.root),
                period=period, full=full, min_cell=settings.min_cell))
        # only the report's own programmes' spans: another programme's new dates change nothing here
        spans = {p: span for p, span in programme_spans(con).items() if p in scope.programmes}
        return _Read(scope, data, spans, period, full)


def _programmes(settings: AaiSettings, period: Period, full: Period) -> list[str]:
    """The whole warehouse's programmes, when the report reads a period's slice (whose
    own are fewer): a programme's key is the one its partition got from the whole.
    (With the warehouse itself, ``period_connection`` holds its lock and it is ``con``.)"""
    if is_whole(period, full):
        return []
    with settings.connect(read_only=True) as con:
        return programmes(con)


def _per_language(context: dg.AssetExecutionContext, settings: AaiSettings, key_of, what: str, build, *,
                  folder_of, skip: str | None = None, extra=lambda folder: ()):
    """One materialization per selected language: ``build(read, lang)``'s metadata, or,
    when the partition has no data, ``what``: why there was nothing to do.

    ``folder_of(read, lang)`` is where the asset writes (less its subfolder ``skip``);
    ``extra(folder)`` adds what else it reads there. A language whose inputs and files
    are those of its last materialization is not built again (``unchanged``)."""
    read = _read(context, settings)
    for lang in _languages(context):
        key = key_of(lang)
        if read.scope is None:
            yield dg.MaterializeResult(asset_key=key, metadata={"language": lang, what: read.nothing})
            continue
        folder = folder_of(read, lang)
        # what building uses: of the whole data period, only its label (the provenance's)
        inputs = unchanged.inputs_digest(read.scope, read.data, read.spans, read.period, read.full.label, lang,
                                         settings.min_cell, *extra(folder),
                                         key=unchanged.digest_key(settings.paths.processed))
        previous = unchanged.last_metadata(context.instance, key, context.partition_key)
        outputs = unchanged.files_digest(folder, skip=skip)
        if unchanged.unchanged(previous, inputs, outputs):
            context.log.info("%s %s of %s: nothing it shows has changed and its files are as written, kept",
                             what, lang, context.partition_key)
            metadata = {k: v for k, v in previous.items() if k not in (unchanged.INPUTS, unchanged.OUTPUTS)}
            # where it is now (the data root may have moved since): the folder that matched
            metadata |= {k: dg.MetadataValue.path(str(folder)) for k in PATH_FIELDS if k in metadata}
            metadata |= {unchanged.REBUILT: False}
        else:
            metadata = build(read, lang) | {unchanged.REBUILT: True}
            outputs = unchanged.files_digest(folder, skip=skip)
        yield dg.MaterializeResult(asset_key=key, data_version=dg.DataVersion(outputs), metadata={
            **metadata, "language": lang, unchanged.INPUTS: inputs, unchanged.OUTPUTS: outputs})


def _folder(settings: AaiSettings, read: _Read, lang: str) -> Path:
    return report_folder(settings.paths.reports, read.scope.key, read.period.label, lang)


def _languages(context: dg.AssetExecutionContext) -> list[str]:
    return [key.path[-1] for key in sorted(context.selected_asset_keys, key=lambda k: LANGUAGES.index(k.path[-1]))]


@dg.multi_asset(
    specs=[dg.AssetSpec(chart_key(lang), deps=["period_tables", "results", "report_partitions"], kinds={"matplotlib"},
                        description=f"The charts of one report in {lang}: PNG and SVG with a manifest of titles, "
                                    "captions and alt text, in the report's `charts/` folder.")
           for lang in LANGUAGES],
    partitions_def=REPORTS,
    can_subset=True,
    group_name="report",
)
def report_charts(context: dg.AssetExecutionContext, settings: AaiSettings):
    """Each selected language's charts of the partition's report, drawn into
    `processed/reports/<programme>/<period>/<lang>/charts/`."""
    def draw(read: _Read, lang: str) -> dict:
        charts = draw_report_charts(read.data, settings.paths.reports, read.scope, period=read.period, lang=lang,
                                    min_cell=settings.min_cell)
        missing = [c for c in charts if not c.available]
        for chart in missing:
            context.log.info("Chart %s not drawn: %s", chart.key, chart.message)
        return {
            "charts_dir": dg.MetadataValue.path(str(_folder(settings, read, lang) / CHARTS_FOLDER)),
            "charts_drawn": len(charts) - len(missing),
            "charts_missing": dg.MetadataValue.md("\n".join(f"- **{c.key}**: {c.message}" for c in missing)
                                                  or "none"),
        }

    yield from _per_language(context, settings, chart_key, "charts", draw,
                             folder_of=lambda read, lang: _folder(settings, read, lang) / CHARTS_FOLDER)


@dg.multi_asset(
    specs=[dg.AssetSpec(report_key(lang), deps=[chart_key(lang), "period_tables", "results"], kinds={"html", "pdf"},
                        description=f"One evaluation report in {lang} for a programme (or all) and a period.")
           for lang in LANGUAGES],
    partitions_def=REPORTS,
    can_subset=True,
    group_name="report",
)
def report(context: dg.AssetExecutionContext, settings: AaiSettings):
    """Evaluation reports for funders and evaluators: for each (programme or `all`,
    reporting period) partition, one per language (en, ru, uk, pl; `aai run` builds
    those of `AAI_REPORT_LANG`).

    Each lands in `processed/reports/<programme or all>/<period>/<lang>/`: a
    self-contained `report.html`, an A4 `report.pdf`, its charts (drawn by
    `report_charts/<lang>`), and the citable `headline_figures.csv` / `.json` (one row
    per figure with a stable id, value, interval, n, definition and provenance;
    byte-identical for the same inputs and code). Sections: summary for a funder;
    participation and reach; AAI domains against published benchmarks; change; impact
    with attrition and dose-response; attendance and sustainability of groups; data
    quality; methodology; how to cite. Figures under `$AAI_MIN_CELL` people (default 5)
    are suppressed everywhere.
    """
    def write(read: _Read, lang: str) -> dict:
        paths = build_report(read.data, read.spans, settings.paths.reports, read.scope, period=read.period,
                             full=read.full, lang=lang, min_cell=settings.min_cell)
        context.log.info("Report written to %s", paths.folder)
        return {
            "programmes": ", ".join(read.scope.programmes) or "none",
            "period": read.period.label,
            "folder": dg.MetadataValue.path(str(paths.folder)),
            "content_hash": paths.content_hash,
        }

    # the report embeds its charts: their files are among its inputs
    yield from _per_language(context, settings, report_key, "report", write,
                             folder_of=lambda read, lang: _folder(settings, read, lang), skip=CHARTS_FOLDER,
                             extra=lambda folder: (unchanged.files_digest(folder / CHARTS_FOLDER),))


def _reports_audit(lang: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=report_key(lang), name=CHECK_REPORTS_DISCLOSURE_AUDIT, blocking=True)
    def reports_disclosure_audit(settings: AaiSettings) -> dg.AssetCheckResult:
        """No count of people differs by 1 … m−1 between reports of two overlapping periods."""
        result = AuditResult()
        audit_reports(settings.paths.reports, settings.min_cell, result)
        return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())

    return reports_disclosure_audit


ASSET_CHECKS = [_reports_audit(lang) for lang in LANGUAGES]
