"""The disclosure audit as asset checks.

- ``disclosure_audit`` on ``impact_estimates`` (blocking): ``indicators_public`` and
  ``domain_scores`` attacked together; it runs before the report is drawn from them.
- ``impact_sizes_protected`` on ``impact_estimates`` (blocking): the impact tables'
  published sizes (``n``, attrition counts, dose thirds) with the visible denominators.
- ``reports_disclosure_audit`` on ``report``: every ``headline_figures.json`` under
  ``processed/reports/``, including reports of other periods, differenced.

``no_lone_suppressed_sibling`` (pipelines/indicators/assets.py) runs the attack on
``indicators_public`` alone, right after it is built. Metadata names cells and the
attacker's range widths, never a hidden count.
"""

from __future__ import annotations

import dagster as dg

from pipelines import catalogue
from pipelines.disclosure import impact
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit
from pipelines.disclosure.periods import audit as audit_reports
from pipelines.defs.resources import AaiSettings

CHECK_DISCLOSURE_AUDIT = "disclosure_audit"
CHECK_IMPACT_SIZES = "impact_sizes_protected"
CHECK_REPORTS_DISCLOSURE_AUDIT = "reports_disclosure_audit"


# domain_scores and the other impact tables are read too: run after them, not on stale copies
@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_DISCLOSURE_AUDIT, blocking=True,
                additional_deps=["domain_scores", "attrition", "dose_response"])
def disclosure_audit(settings: AaiSettings) -> dg.AssetCheckResult:
    """No protected count can be pinned from the indicator cells and domain scores published together."""
    national = catalogue.national_indicators_for(settings.paths)
    with settings.connect(read_only=True) as con:
        result = audit(con, settings.min_cell, national=national, with_impact=False)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())


@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_IMPACT_SIZES, blocking=True,
                additional_deps=["attrition", "dose_response"])
def impact_sizes_protected(settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1 people."""
    result = AuditResult()
    with settings.connect(read_only=True) as con:
        impact.audit(con, settings.min_cell, result)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())


@dg.asset_check(asset=dg.AssetKey("report"), name=CHECK_REPORTS_DISCLOSURE_AUDIT, blocking=True)
def reports_disclosure_audit(settings: AaiSettings) -> dg.AssetCheckResult:
    """No count of people differs by 1 … m−1 between reports of two nested periods."""
    result = AuditResult()
    audit_reports(settings.paths.reports, settings.min_cell, result)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())
