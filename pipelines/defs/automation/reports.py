"""The reports follow a refresh: one run per reporting period's tables, then one run
per (programme, period) report partition, in the languages of ``AAI_REPORT_LANG``.

A run holds one partition of one partitions definition, so the refresh (unpartitioned),
a period's tables (by period) and its reports (by programme × period) are separate
runs, chained here by run-status sensors (shipped stopped, like the drop-zone sensor:
an operator switches them on together, docs/operations.md). ``aai run`` runs the same chain in-process
(``runs_after_refresh``), so a terminal and the daemon build the same reports.
"""

import dagster as dg

from pipelines.defs.automation.refresh import refresh_job
from pipelines.defs.partitions import Partitions, period_of
from pipelines.defs.report.assets import chart_key, latest_partitions, report_key
from pipelines.defs.resources import AaiSettings

period_job = dg.define_asset_job(
    "period_tables_job", selection=dg.AssetSelection.assets("period_tables"),
    description="Build one reporting period's indicators and impact tables, with their checks.",
)
reports_job = dg.define_asset_job(
    "reports", selection=dg.AssetSelection.key_prefixes(["report"], ["report_charts"]),
    description="Draw one report's charts and write the report, per language.",
)


def report_selection(languages: list[str]) -> list[dg.AssetKey]:
    return [key for lang in languages for key in (chart_key(lang), report_key(lang))]


def report_requests(partitions: Partitions, period: str, languages: list[str]) -> list[dg.RunRequest]:
    return [dg.RunRequest(run_key=None, job_name=reports_job.name, partition_key=key,
                          asset_selection=report_selection(languages))
            for key in partitions.reports([period])]


def runs_after_refresh(partitions: Partitions) -> tuple[list[str], str]:
    """(the periods whose tables need their own run, the period reported from the
    warehouse itself): the data period needs no slice."""
    return [p for p in partitions.periods if p != partitions.data_period], partitions.data_period


@dg.run_status_sensor(monitored_jobs=[refresh_job], run_status=dg.DagsterRunStatus.SUCCESS,
                      request_jobs=[period_job, reports_job], default_status=dg.DefaultSensorStatus.STOPPED)
def reports_after_refresh(context: dg.RunStatusSensorContext, settings: AaiSettings):
    """After a refresh: the data period's reports, and a run for every other period's tables."""
    partitions = latest_partitions(context.instance)
    if partitions is None:
        return dg.SkipReason("report_partitions has not been materialized")
    slices, data = runs_after_refresh(partitions)
    yield from report_requests(partitions, data, settings.languages)
    for period in slices:
        yield dg.RunRequest(run_key=None, job_name=period_job.name, partition_key=period)


@dg.run_status_sensor(monitored_jobs=[period_job], run_status=dg.DagsterRunStatus.SUCCESS,
                      request_job=reports_job, default_status=dg.DefaultSensorStatus.STOPPED)
def reports_after_period_tables(context: dg.RunStatusSensorContext, settings: AaiSettings):
    """After a period's tables: that period's reports."""
    partitions = latest_partitions(context.instance)
    period = context.dagster_run.tags.get("dagster/partition")
    if partitions is None or period is None:
        return dg.SkipReason("no period partition on the finished run")
    period_of(period)  # a key that is not a period fails here, loudly
    yield from report_requests(partitions, period, settings.languages)
