"""Reports built from a warehouse connection in-process, the way the report assets
build them (charts first, then the report reading them), for tests that look at report
content rather than at Dagster runs (those are in test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.charts.build import draw_report_charts
from pipelines.periods import NO_DATA, Period
from pipelines.publish.scope import (
    ALL_PROGRAMMES, check_period, data_period, period_warehouse, programme_spans, report_scopes, scope_data, scope_key,
)
from pipelines.report.build import ReportPaths, build_report
from pipelines.settings import ClaimsConfig


def build_reports(con: duckdb.DuckDBPyConnection, reports_dir: Path, *, programme: str | None = None,
                  period: Period | None = None, lang: str = "en", min_cell: int,
                  national: pd.DataFrame | None = None, claims_config: ClaimsConfig | None = None) -> list[ReportPaths]:
    """Every report of ``period`` (default: the data period), or ``programme``'s only."""
    full = data_period(con) or NO_DATA
    period = period or full
    check_period(period, full)
    key = None if programme is None else ALL_PROGRAMMES if programme == ALL_PROGRAMMES else scope_key(programme)
    built = []
    with period_warehouse(con, period, full, min_cell, national, claims_config) as scoped:
        spans = programme_spans(scoped)
        for scope in report_scopes(scoped, period, full, key=key):
            data = scope_data(scoped, scope, period, Path(reports_dir), min_cell=min_cell, claims_config=claims_config)
            draw_report_charts(data, reports_dir, scope, period=period, lang=lang, min_cell=min_cell)
            built.append(build_report(data, spans, reports_dir, scope, period=period, full=full, lang=lang,
                                      min_cell=min_cell))
    return built
