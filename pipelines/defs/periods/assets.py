"""``period_tables``: the indicators and impact tables of one reporting period.

A report for a period other than the whole data period (``2024``, a quarter, a month)
reads a slice of the warehouse: sessions held in the period, groups started by its end,
survey waves completed by its end, each whole (``publish.scope``). The indicators and
impact stages build their tables in that slice with the same code as in the warehouse,
and every check that guards the warehouse's tables guards the slice's too, so a
period's report passes the same rules as the data period's.
"""


import dagster as dg

from pipelines import catalogue
from pipelines.defs.disclosure.checks import CHECK_DISCLOSURE_AUDIT, CHECK_IMPACT_SIZES, audit_published, audit_sizes
from pipelines.defs.indicators.assets import TABLE_CHECKS
from pipelines.defs.partitions import PERIODS, period_connection, period_file, period_of
from pipelines.defs.resources import AaiSettings
from pipelines.publish.framework import load_frameworks
from pipelines.publish.results import build_results, write_results
from pipelines.publish.scope import check_period, data_period, is_whole, write_period_warehouse
from pipelines.periods import NO_DATA


@dg.asset(
    partitions_def=PERIODS,
    deps=["indicators", "domain_scores", "impact_estimates", "attrition", "dose_response", "report_partitions"],
    kinds={"duckdb"},
    group_name="periods",
)
def period_tables(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """The warehouse's indicators, domain scores, impact estimates, attrition,
    dose-response and results-framework progress as they are for one reporting period, in
    `processed/periods/<period>.duckdb`, built by the same code and guarded by the same
    checks as the warehouse's own. For the whole data period the warehouse itself is
    the period's table set and nothing is written."""
    period = period_of(context.partition_key)
    with settings.connect(read_only=True) as con:
        full = data_period(con) or NO_DATA
    if is_whole(period, full):
        return dg.MaterializeResult(metadata={"tables": "the warehouse's own (the period covers all the data)",
                                              "data_period": full.label})
    try:
        check_period(period, full)
    except ValueError as exc:  # a backfill over an empty period: nothing to do, not a failure
        context.log.info("Nothing to do: %s", exc)
        return dg.MaterializeResult(metadata={"tables": f"nothing to do: {exc}"})
    out = period_file(settings, period)
    root = settings.paths
    frameworks = load_frameworks(root.frameworks, shown_from=root.root)

    def progress(con) -> None:  # the period's own results table: progress as the period's report states it
        write_results(con, build_results(con, frameworks, reports_dir=root.reports, min_cell=settings.min_cell,
                                         claims_config=settings.claims(), period=period, full=full, unknown="skip"))

    write_period_warehouse(root.warehouse, period, out, settings.min_cell,
                           catalogue.national_indicators_for(root), settings.claims(), finish=progress)
    return dg.MaterializeResult(metadata={"tables": dg.MetadataValue.path(str(out)), "data_period": full.label})


def _period_check(name: str, blocking: bool, rule) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=period_tables, name=name, blocking=blocking, description=rule.__doc__)
    def check(context: dg.AssetCheckExecutionContext, settings: AaiSettings) -> dg.AssetCheckResult:
        try:
            with period_connection(settings, context.partition_key) as (con, period, full):
                if is_whole(period, full):
                    return dg.AssetCheckResult(passed=True, metadata={
                        "tables": "the warehouse's own, checked on the warehouse's assets"})
                return rule(con, settings)
        except ValueError as exc:  # no slice: a period without data has nothing to check
            return dg.AssetCheckResult(passed=True, metadata={"tables": f"none: {exc}"})

    return check


def _with_min_cell(rule):
    def run(con, settings: AaiSettings) -> dg.AssetCheckResult:
        return rule(con, settings.min_cell)

    run.__doc__ = rule.__doc__
    return run


# check name → (blocking, rule(period's warehouse, settings))
PERIOD_CHECKS = {
    **{name: (blocking, _with_min_cell(rule)) for name, (_, blocking, rule) in TABLE_CHECKS.items()},
    CHECK_DISCLOSURE_AUDIT: (True, audit_published),
    CHECK_IMPACT_SIZES: (True, audit_sizes),
}

ASSET_CHECKS = [_period_check(name, blocking, rule) for name, (blocking, rule) in PERIOD_CHECKS.items()]
