"""The disclosure audit as asset checks.

- ``no_lone_suppressed_sibling`` on ``indicators`` (pipelines/defs/indicators/assets.py,
  blocking): the attack on ``indicators_public``, right after it is built.
- ``disclosure_audit`` on ``impact_estimates`` (blocking): every published domain score
  is a function of the visible cells, so the attack on the cells covers the scores too;
  the cells are attacked again unless ``no_lone_suppressed_sibling`` passed on this
  very table (its recorded fingerprint); it runs before the report is drawn from them.
- ``impact_sizes_protected`` on ``impact_estimates`` (blocking): the impact tables'
  published sizes (``n``, attrition counts, dose thirds) with the visible denominators,
  and the notes beside withheld sizes (``disclosure.notes``).
- ``reports_disclosure_audit`` on each ``report/<lang>`` (pipelines/defs/report/assets.py).
- ``period_tables`` carries all of them but the report's for each reporting period's
  slice (its ``disclosure_audit`` attacks the slice's cells again).

Metadata names cells and the attacker's range widths, never a hidden count.
"""

import dagster as dg
import duckdb

from pipelines import catalogue
from pipelines.disclosure import impact
from pipelines.disclosure.result import AuditResult
from pipelines.defs.indicators.assets import CHECK_NO_LONE_SUPPRESSED_SIBLING, FINGERPRINT, fingerprint
from pipelines.publish.audit import audit_domains, audit_indicators
from pipelines.defs.resources import AaiSettings

CHECK_DISCLOSURE_AUDIT = "disclosure_audit"
CHECK_IMPACT_SIZES = "impact_sizes_protected"


def audit_published(con: duckdb.DuckDBPyConnection, settings: AaiSettings, *,
                    cells_audited: bool = False) -> dg.AssetCheckResult:
    """No protected count can be pinned from the indicator cells and domain scores
    published together. The domain scores add nothing an attacker could use, each being
    a function of the visible cells; the cells are attacked here unless
    ``cells_audited``: ``no_lone_suppressed_sibling`` passed on this very table."""
    result = AuditResult()
    if not cells_audited:
        audit_indicators(con, settings.min_cell, result)
    audit_domains(con, catalogue.national_indicators_for(settings.paths), result)
    metadata = result.metadata()
    if cells_audited:
        metadata = {key: metadata[key] for key in metadata if key.startswith(("checked: ", "failing"))}
    return dg.AssetCheckResult(passed=result.passed, metadata={**metadata, "cells attacked here": not cells_audited})


def cells_audited(instance: dg.DagsterInstance, con: duckdb.DuckDBPyConnection, min_cell: int) -> bool:
    """Whether ``no_lone_suppressed_sibling`` last passed on exactly the ``indicators``
    table behind ``con``, with the same smallest cell: then its attack need not be
    repeated. Not when its check was skipped (deselected in the UI, a script's
    materialize) or the table changed after it."""
    key = dg.AssetCheckKey(dg.AssetKey("indicators"), CHECK_NO_LONE_SUPPRESSED_SIBLING)
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key]).get(key)
    event = record.event.dagster_event if record is not None and record.event is not None else None
    evaluation = getattr(event, "event_specific_data", None) if event is not None else None
    if not isinstance(evaluation, dg.AssetCheckEvaluation) or not evaluation.passed:
        return False
    recorded = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    return recorded.get(FINGERPRINT) == fingerprint(con) and recorded.get("min_cell") == min_cell


def audit_sizes(con: duckdb.DuckDBPyConnection, settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1
    people, and no note states a size the columns withhold."""
    result = AuditResult()
    impact.audit(con, settings.min_cell, result)
    return dg.AssetCheckResult(passed=result.passed, metadata=result.metadata())


# domain_scores and the other impact tables are read too: run after them, not on stale copies
@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_DISCLOSURE_AUDIT, blocking=True,
                additional_deps=["domain_scores", "attrition", "dose_response"])
def disclosure_audit(context: dg.AssetCheckExecutionContext, settings: AaiSettings) -> dg.AssetCheckResult:
    """No protected count can be pinned from the indicator cells and domain scores
    published together: the domain scores are functions of the visible cells, and the
    cells are attacked again unless `no_lone_suppressed_sibling` passed on this very table."""
    with settings.connect(read_only=True) as con:
        return audit_published(con, settings, cells_audited=cells_audited(context.instance, con, settings.min_cell))


@dg.asset_check(asset=dg.AssetKey("impact_estimates"), name=CHECK_IMPACT_SIZES, blocking=True,
                additional_deps=["attrition", "dose_response"])
def impact_sizes_protected(settings: AaiSettings) -> dg.AssetCheckResult:
    """The impact tables' sizes, with the visible denominators, pin no count of 1 … m−1
    people, and no note states a size the columns withhold."""
    with settings.connect(read_only=True) as con:
        return audit_sizes(con, settings)
