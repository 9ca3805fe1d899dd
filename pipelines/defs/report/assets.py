"""The ``report`` asset: every report of the data period under ``processed/reports/``."""

import dagster as dg

from pipelines import catalogue
from pipelines.defs.charts.assets import CHART_INPUTS
from pipelines.defs.resources import AaiSettings
from pipelines.report.build import build_reports


# impact_estimates is read when present; depending on it keeps the report after the impact stage.
@dg.asset(deps=["charts", "impact_estimates", "results", *CHART_INPUTS], kinds={"html", "pdf"}, group_name="report")
def report(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """Evaluation reports for funders and evaluators: one per programme and one for all
    programmes, for the data period, in the first of the report languages (`AAI_REPORT_LANG`:
    en, ru, uk or pl; default en).

    Each lands in `processed/reports/<programme or all>/<period>/`: a self-contained
    `report.html`, an A4 `report.pdf`, its charts, and the citable
    `headline_figures.csv` / `.json` (one row per figure with a stable id, value,
    interval, n, definition and provenance; byte-identical for the same inputs and
    code). Sections: headline figures; participation and reach; AAI domains against
    published benchmarks; change; impact with attrition and dose-response; attendance
    and sustainability of groups; data quality; methodology; how to cite. Figures under
    `$AAI_MIN_CELL` people (default 5) are suppressed everywhere. `aai report` rebuilds
    them for another period, programme or language without re-running the pipeline.
    """
    lang = settings.languages[0]
    national = catalogue.national_indicators_for(settings.paths)
    with settings.connect(read_only=True) as con:
        built = build_reports(con, settings.paths.reports, lang=lang, min_cell=settings.min_cell, national=national,
                              claims_config=settings.claims())
    for paths in built:
        context.log.info("Report written to %s", paths.folder)
    return dg.MaterializeResult(metadata={
        "reports": dg.MetadataValue.md("\n".join(f"- `{p.folder}` (content hash `{p.content_hash[:16]}`)"
                                                 for p in built)),
        "language": lang,
        "reports_written": len(built),
    })
