"""The disclosure audit as asset checks.

- ``disclosure_audit`` on ``impact_estimates`` (blocking): ``indicators_public`` and
  ``domain_scores`` attacked together; it runs before the report is drawn from them.
- ``impact_sizes_protected`` on ``impact_estimates`` (blocking): the impact tables'
  published sizes (``n``, attrition counts, dose thirds) with the visible denominators,
  and the notes beside withheld sizes (``disclosure.notes``).
- ``reports_disclosure_audit`` on each ``report/<lang>`` (pipelines/defs/report/assets.py).
- ``period_tables`` carries the first two for each reporting period's slice.

``no_lone_suppressed_sibling`` (pipelines/indicators/assets.py) runs the attack on
``indicators_public`` alone, right after it is built. Metadata names cells and the
attacker's range widths, never a hidden count.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines import catalogue
from pipelines.disclosure import impact
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit
from pipelines.defs.resources import AaiSettings

CHECK_DISCLOSURE_AUDIT = "disclosure_audit"
CHECK_IMPACT_SIZES = "impact_sizes_protected"


def audit_published(con: duckdb.DuckDBPyConnection, settings: AaiSettings) -> dg.AssetCheckResult:
    """No protected count can be pinned from the indicator cells and domain scores published together."""
    result = audit(con, settings.min_cell, national=catalogue.national_indicators_for(settings.paths),
                   with_impact=False)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())


def audit_sizes(con: duckdb.DuckDBPyConnection, settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1
    people, and no note states a size the columns withhold."""
    result = AuditResult()
    impact.audit(con, settings.min_cell, result)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())


# domain_scores and the other impact tables are read too: run after them, not on stale copies
@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_DISCLOSURE_AUDIT, blocking=True,
                additional_deps=["domain_scores", "attrition", "dose_response"])
def disclosure_audit(settings: AaiSettings) -> dg.AssetCheckResult:
    """No protected count can be pinned from the indicator cells and domain scores published together."""
    with settings.connect(read_only=True) as con:
        return audit_published(con, settings)


@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_IMPACT_SIZES, blocking=True,
                additional_deps=["attrition", "dose_response"])
def impact_sizes_protected(settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1
    people, and no note states a size the columns withhold."""
    with settings.connect(read_only=True) as con:
        return audit_sizes(con, settings)
