"""The aai-impact code location: everything under ``pipelines/defs/``, one folder per
stage, plus the project-wide policy applied here.

``pipelines/defs/`` holds the Dagster definitions only — each stage's assets and checks
beside the automation (schedule, sensor) and the settings resource — while the work they
call lives in the stage packages (``pipelines/ingest``, ``pipelines/indicators``, …), so
the graph in the UI and the folders on disk tell the same story. ``dg list defs`` and
``dg check defs`` read the same folder.

Policy, in one place: every asset, check and sensor gets the ``settings`` resource
(``AaiSettings``, bound from environment variables), and jobs run in one process.
DuckDB allows one writing process per database file, and running every step in the same
process means a run never waits on itself; the file lock in ``pipelines.warehouse``
serialises separate runs (a schedule firing while an analyst materializes from the UI).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import RESOURCE_KEY, bound_settings


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(resources={RESOURCE_KEY: bound_settings()}, executor=dg.in_process_executor),
    )
