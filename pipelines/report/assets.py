"""The ``report`` asset: ``report.html`` and ``report.pdf`` under ``processed/reports/``."""

import dagster as dg

from pipelines.charts import load_charts
from pipelines.charts.assets import CHART_INPUTS
from pipelines.report.build import build_report
from pipelines.warehouse import Warehouse


# impact_estimates is read when present; depending on it keeps the report after the impact stage.
@dg.asset(deps=["charts", "impact_estimates", *CHART_INPUTS], kinds={"html", "pdf"}, group_name="report")
def report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The evaluation report for funders and evaluators, as HTML and PDF.

    Sections: headline figures in plain words; participation and reach (groups,
    sessions, people); AAI domains and indicators (value, 95% interval, n); change from
    baseline to the latest follow-up, with impact estimates once they are computed;
    data quality (files, rows loaded and quarantined, quarantine counts by rule —
    never the quarantined values); methodology, limitations and how to cite.

    The HTML is one self-contained file (charts embedded, no external requests) that
    can be e-mailed or archived; the PDF is A4. Figures under `$AAI_MIN_CELL` people
    (default 5) are suppressed everywhere. Missing inputs — no follow-up wave yet,
    impact not computed — are stated in the report rather than failing the run.
    """
    paths = warehouse.paths
    charts = load_charts(paths.charts)
    with warehouse.connect(read_only=True) as con:
        built = build_report(con, charts, paths.reports)
    context.log.info("Report written to %s and %s", built.html, built.pdf)
    return dg.MaterializeResult(metadata={
        "html": dg.MetadataValue.path(str(built.html)),
        "pdf": dg.MetadataValue.path(str(built.pdf)),
        "html_kb": round(built.html.stat().st_size / 1024, 1),
        "pdf_kb": round(built.pdf.stat().st_size / 1024, 1),
        "charts_embedded": sum(c.available for c in charts),
    })
