"""When the pipeline runs: monthly, and whenever the drop zone changes."""

import hashlib

import dagster as dg

from pipelines.ingest.discover import READABLE_SUFFIXES
from pipelines.mapping.load import SUFFIXES as MAPPING_SUFFIXES
from pipelines.defs.resources import AaiSettings

# The partitioned assets run per partition, after the refresh (reports.py).
PARTITIONED = dg.AssetSelection.key_prefixes(["report"], ["report_charts"]) | dg.AssetSelection.assets("period_tables")

refresh_job = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all() - PARTITIONED,
    description="Re-read the drop zone and rebuild every table and chart; the reports follow, one run per "
                "programme and period.",
)

# Funders report monthly; 06:00 on the 1st leaves the night for late uploads.
monthly_refresh = dg.ScheduleDefinition(
    name="monthly_refresh",
    job=refresh_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


def drop_zone_fingerprint(settings: AaiSettings) -> str:
    """A digest of the readable files' names, sizes and modification times, and of the
    mapping files': a corrected mapping changes how the same files read.

    Cheap enough to compute every 30 seconds; a content hash is taken at ingest.
    """
    digest = hashlib.sha256()
    for folder, suffixes in ((settings.paths.raw, READABLE_SUFFIXES), (settings.paths.mappings, MAPPING_SUFFIXES)):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.is_file() and path.suffix.lower() in suffixes:
                stat = path.stat()
                name = path.relative_to(settings.paths.root).as_posix()
                digest.update(f"{name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(job=refresh_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.STOPPED)
def new_files_sensor(context: dg.SensorEvaluationContext, settings: AaiSettings):
    """Start a refresh when files in the drop zone are added, changed or removed."""
    fingerprint = drop_zone_fingerprint(settings)
    if fingerprint == context.cursor:
        return dg.SkipReason("no change in the drop zone since the last run")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
