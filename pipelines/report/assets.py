"""The ``report`` asset: every report of the data period under ``processed/reports/``."""

import os

import dagster as dg

from pipelines import catalogue
from pipelines.charts.assets import CHART_INPUTS
from pipelines.report import LANGUAGE_ENV
from pipelines.report.build import build_reports
from pipelines.report.i18n import DEFAULT_LANGUAGE
from pipelines.settings import read_claims_config
from pipelines.warehouse import Warehouse


# impact_estimates is read when present; depending on it keeps the report after the impact stage.
@dg.asset(deps=["charts", "impact_estimates", *CHART_INPUTS], kinds={"html", "pdf"}, group_name="report")
def report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Evaluation reports for funders and evaluators: one per programme and one for all
    programmes, for the data period, in `$AAI_REPORT_LANG` (en, ru, uk or pl; default en).

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
    lang = os.environ.get(LANGUAGE_ENV, "").strip() or DEFAULT_LANGUAGE
    national = catalogue.national_indicators_for(warehouse.paths)
    with warehouse.connect(read_only=True) as con:
        built = build_reports(con, warehouse.paths.reports, lang=lang, national=national,
                              claims_config=read_claims_config(warehouse.paths))
    for paths in built:
        context.log.info("Report written to %s", paths.folder)
    return dg.MaterializeResult(metadata={
        "reports": dg.MetadataValue.md("\n".join(f"- `{p.folder}` (content hash `{p.content_hash[:16]}`)"
                                                 for p in built)),
        "language": lang,
        "reports_written": len(built),
    })
