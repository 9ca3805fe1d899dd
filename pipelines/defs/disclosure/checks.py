"""The disclosure audit as asset checks.

- ``no_lone_suppressed_sibling`` on ``indicators`` (pipelines/defs/indicators/assets.py,
  blocking): the attack on ``indicators_public``, right after it is built.
- ``disclosure_audit`` on ``impact_estimates`` (blocking): every published domain score
  is a function of the visible cells, so the attack on the cells covers the scores too;
  it runs before the report is drawn from them.
- ``impact_sizes_protected`` on ``impact_estimates`` (blocking): the impact tables'
  published sizes (``n``, attrition counts, dose thirds) with the visible denominators,
  and the notes beside withheld sizes (``disclosure.notes``).
- ``reports_disclosure_audit`` on each ``report/<lang>`` (pipelines/defs/report/assets.py).
- ``period_tables`` carries all of them but the report's for each reporting period's slice.

Metadata names cells and the attacker's range widths, never a hidden count.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines import catalogue
from pipelines.disclosure import impact
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit_domains
from pipelines.defs.resources import AaiSettings

CHECK_DISCLOSURE_AUDIT = "disclosure_audit"
CHECK_IMPACT_SIZES = "impact_sizes_protected"


def audit_published(con: duckdb.DuckDBPyConnection, settings: AaiSettings) -> dg.AssetCheckResult:
    """The domain scores published beside the indicator cells add nothing an attacker
    could use: each is a function of the visible cells. The attack on the cells
    themselves is ``no_lone_suppressed_sibling``'s, on the same table."""
    result = AuditResult()
    audit_domains(con, catalogue.national_indicators_for(settings.paths), result)
    metadata = result.metadata()
    return dg.AssetCheckResult(passed=result.passed, metadata={
        key: metadata[key] for key in metadata if key.startswith(("checked: ", "failing"))})


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
    """The domain scores published beside the indicator cells are functions of the
    visible cells: they give an attacker nothing more than the cells."""
    with settings.connect(read_only=True) as con:
        return audit_published(con, settings)


@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_IMPACT_SIZES, blocking=True,
                additional_deps=["attrition", "dose_response"])
def impact_sizes_protected(settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1
    people, and no note states a size the columns withhold."""
    with settings.connect(read_only=True) as con:
        return audit_sizes(con, settings)
