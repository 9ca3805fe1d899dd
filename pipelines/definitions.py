"""The aai-impact code location: every stage's assets, checks, schedule and sensor.

Jobs run in one process: DuckDB allows one writing process per database file, and
running every step in the same process means a run never waits on itself. The file
lock in `pipelines.warehouse` serialises separate runs (a schedule firing while an
analyst materializes from the UI).
"""

from __future__ import annotations

import dagster as dg

from pipelines import automation
from pipelines.charts import assets as chart_assets
from pipelines.disclosure import assets as disclosure_assets
from pipelines.impact import assets as impact_assets
from pipelines.indicators import assets as indicator_assets
from pipelines.ingest import assets as ingest_assets
from pipelines.report import assets as report_assets
from pipelines.validate import assets as validate_assets
from pipelines.warehouse import Warehouse

STAGES = (ingest_assets, validate_assets, indicator_assets, impact_assets, chart_assets, report_assets,
          disclosure_assets)

defs = dg.Definitions(
    assets=dg.load_assets_from_modules(STAGES),
    asset_checks=dg.load_asset_checks_from_modules(STAGES),
    jobs=[automation.refresh_job],
    schedules=[automation.monthly_refresh],
    sensors=[automation.new_files_sensor],
    resources={"warehouse": Warehouse()},
    executor=dg.in_process_executor,
)
