"""The ``results`` asset: progress against each programme's results framework."""

import dagster as dg

from pipelines.defs.resources import AaiSettings
from pipelines.publish.framework import load_frameworks
from pipelines.publish.results import build_results, write_results
from pipelines.publish.scope import programmes
from pipelines.warehouse import WAREHOUSE_POOL, markdown_table

# The citable figures it reads come from these (publish.figures.programme_figures).
INPUTS = ["indicators", "domain_scores", "impact_estimates", "ingest_log"]


@dg.asset(deps=INPUTS, kinds={"duckdb"}, group_name="results", pool=WAREHOUSE_POOL)
def results(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """Progress against each programme's results framework (`frameworks/<programme>.yaml`
    in the data root; docs/results.md): per target, the baseline, the latest published
    actual with its 95% interval, the target and its date, and a label — target met, on
    track, not on track, no clear progress, not yet measurable — that claims progress only
    where the interval, or a finding that survives the report's correction, supports it.

    Every number is a citable figure of the programme's report (`headline_figures`, with
    its id), so a hidden cell is "not yet measurable", never a number. Without a
    `frameworks/` folder the table is empty.
    """
    root = settings.paths
    frameworks = load_frameworks(root.frameworks, shown_from=root.root)
    with settings.connect() as con:
        known = set(programmes(con))
        waiting = [shown for framework, shown in frameworks if framework.programme not in known]
        for shown in waiting:  # written before its programme's data came in: not an error
            context.log.warning("%s: its programme has no groups or interviews in the warehouse yet", shown)
        table = build_results(con, frameworks, reports_dir=root.reports, min_cell=settings.min_cell,
                              claims_config=settings.claims(), unknown="skip")
        write_results(con, table)
    for row in table.itertuples():
        context.log.info("%s %s: %s (%s)", row.programme_id, row.indicator, row.progress, row.reason)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": len(table),
        "frameworks": len(frameworks),
        "frameworks_without_data": dg.MetadataValue.md("\n".join(f"- {shown}" for shown in waiting) or "none"),
        "progress": dg.MetadataValue.md(markdown_table(
            table[["programme_id", "indicator", "name", "actual", "target", "progress"]]) if not table.empty
            else "_no results framework in the data root_"),
    })
