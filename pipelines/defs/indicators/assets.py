"""Dagster assets of the indicator stage: observations, indicators, domain scores."""

from __future__ import annotations

import hashlib
import os

import dagster as dg
import duckdb

from pipelines import catalogue
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit_indicators
from pipelines.disclosure.model import primary_cells, register_rules
from pipelines.disclosure.plan import plan_metadata
from pipelines.indicators.build import (
    build_domain_scores,
    build_indicator_table,
    build_observations,
)
from pipelines.defs.resources import AaiSettings
from pipelines.warehouse import WAREHOUSE_POOL, markdown_table

PREVIEW_ROWS = 10

CHECK_OBSERVATIONS_VALID = "observations_valid"
CHECK_SMALL_CELLS_HIDDEN = "small_cells_hidden"
CHECK_NO_LONE_SUPPRESSED_SIBLING = "no_lone_suppressed_sibling"
CHECK_INTERVALS_CONTAIN_VALUE = "intervals_contain_value"
CHECK_AAI_ONLY_WHEN_COMPLETE = "aai_only_when_complete"
# The table no_lone_suppressed_sibling attacked, so that a later check can tell whether
# it still is (``disclosure_audit`` attacks the cells again when it is not).
FINGERPRINT = "indicators fingerprint"
FINGERPRINT_KEY = os.urandom(32)


# Asset metadata is kept for good in Dagster's event log, where no suppression
# applies: it may show aggregates of the public view only, never a participant's row
# or a suppressed value. The observations are built before the public view exists, so
# their metadata names the indicators and counts nothing: a total of observations
# (per indicator, or the table's rows) adds up every cell, hidden ones included, and
# is one more equation for the attacker.
INDICATORS_OBSERVED = "SELECT DISTINCT indicator FROM indicator_observations ORDER BY indicator"


def _preview(con: duckdb.DuckDBPyConnection, query: str) -> dg.MetadataValue:
    frame = con.execute(f"{query} LIMIT {PREVIEW_ROWS}").fetchdf()
    return dg.MetadataValue.md(markdown_table(frame))


@dg.asset(
    deps=["survey", "groups", "review"],
    kinds={"duckdb"},
    group_name="indicators",
    pool=WAREHOUSE_POOL,
)
def indicator_observations(settings: AaiSettings) -> dg.MaterializeResult:
    """Each respondent's result on each survey-based indicator (1 = yes, 0 = no, or the score).

    A respondent appears for an indicator only when they are in its population (the
    AAI age band, e.g. 55–59 for employment rate 1.1, 75+ for independent living 3.3;
    everyone for the programme outcomes) and answered every item it needs — so a
    refusal removes the person from that indicator's denominator, not from the
    others. Definitions: `pipelines/reference/indicators.csv` and docs/indicators.md.
    """
    with settings.connect() as con:
        build_observations(con)
        observed = [code for (code,) in con.execute(INDICATORS_OBSERVED).fetchall()]
    return dg.MaterializeResult(metadata={"indicators observed": ", ".join(observed) or "none"})


@dg.asset(
    deps=[indicator_observations, "attendance", "groups", "review"],
    kinds={"duckdb"},
    group_name="indicators",
    pool=WAREHOUSE_POOL,
)
def indicators(settings: AaiSettings) -> dg.MaterializeResult:
    """AAI indicators and programme outputs per programme, group, country and region.

    One row per indicator per cell: by arm and wave, in total and by sex; for
    programmes also by age band and by disability. Shares are percentages and means
    carry 95% intervals that stay inside their scale and count participants' groups
    (CR2 with groups as clusters; none with fewer than 4 groups, and `interval_note`
    says why); counts (participants reached, sessions held) have none. A cell of people
    is suppressed when a threshold rule catches it (m = `AAI_MIN_CELL`, default 5: a
    share of fewer than 2m people or with 1 … m−1 on either side, a mean of fewer than
    m, a count of 1 … m−1), and more cells are hidden until an attacker solving the
    linear program of every published figure can pin no protected count
    (docs/disclosure.md). Read the `indicators_public` view for anything that leaves
    the warehouse: it blanks suppressed cells.
    """
    min_cell = settings.min_cell
    with settings.connect() as con:
        counts = build_indicator_table(con, min_cell)
        preview = _preview(
            con,
            "SELECT * FROM indicators_public WHERE programme_id <> 'all' AND group_id = 'all' "
            "AND sex = 'all' AND age_band = 'all' AND disability = 'all' ORDER BY programme_id, arm, wave, indicator",
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": counts["rows"],
            "min_cell": min_cell,
            "suppressed (small cell)": counts["suppressed_primary"],
            "suppressed (secondary)": counts["suppressed_secondary"],
            **plan_metadata(counts["disclosure"]),
            "preview (programme totals, public view)": preview,
        }
    )


@dg.asset(
    deps=[indicators],
    kinds={"duckdb"},
    group_name="indicators",
    pool=WAREHOUSE_POOL,
)
def domain_scores(settings: AaiSettings) -> dg.MaterializeResult:
    """Active Ageing Index domain scores D1–D4 and the overall AAI per unit, arm, wave and sex.

    Weighted means with the AAI weights over the indicators that are present and
    not suppressed. A domain with indicators missing is scored over those present
    (weights rescaled) and flagged "partial (k of n indicators)"; the AAI is
    computed only when all four domains have a score, otherwise its row says which
    domain is missing. Employment (D1) and life expectancy (4.1, 4.2) need national
    figures or employment items, so most programmes see a partial or missing D1/D4.
    National figures a user supplies (`$AAI_DATA_DIR/national_indicators.csv`, else
    the packaged `reference/national_indicators.csv`) are named in the note.
    """
    national = catalogue.national_indicators_for(settings.paths)
    with settings.connect() as con:
        rows = build_domain_scores(con, national)
        preview = _preview(
            con,
            "SELECT * FROM domain_scores WHERE group_id = 'all' AND country = 'all' "
            "ORDER BY programme_id, arm, wave, sex, item",
        )
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "preview (programmes)": preview})


def _count_with_kinds(con: duckdb.DuckDBPyConnection, query: str) -> int:
    """Run a ``SELECT count(*)`` check that may join ``kinds_df`` (catalogue code → kind)."""
    con.register("kinds_df", catalogue.indicators()[["code", "kind", "scale_min", "scale_max"]])
    try:
        return con.execute(query).fetchall()[0][0]
    finally:
        con.unregister("kinds_df")


# Each check is a function of an open warehouse, so the same rules check the warehouse
# (below) and every reporting period's slice of it (``period_tables``).
def check_observations_valid(con: duckdb.DuckDBPyConnection, min_cell: int) -> dg.AssetCheckResult:
    """Every observation is of a catalogued indicator, and every share is 0 or 1."""
    bad = _count_with_kinds(
        con,
        "SELECT count(*) FROM indicator_observations AS o LEFT JOIN kinds_df AS k ON k.code = o.indicator "
        "WHERE k.code IS NULL OR (k.kind = 'share' AND o.value NOT IN (0, 1)) OR o.value IS NULL",
    )
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad rows": bad})


def check_small_cells_hidden(con: duckdb.DuckDBPyConnection, min_cell: int) -> dg.AssetCheckResult:
    """No cell a threshold rule catches is visible, and the public view blanks every suppressed cell."""
    register_rules(con)
    caught = primary_cells(con, min_cell)
    hidden = {r[0] for r in con.execute("SELECT rowid FROM indicators WHERE suppressed").fetchall()}
    visible_small = len(caught - hidden)
    leaking = con.execute(
        "SELECT count(*) FROM indicators_public WHERE suppressed AND "
        "(value IS NOT NULL OR numerator IS NOT NULL OR denominator IS NOT NULL "
        "OR ci_low IS NOT NULL OR ci_high IS NOT NULL)"
    ).fetchall()[0][0]
    return dg.AssetCheckResult(
        passed=visible_small == 0 and leaking == 0,
        metadata={"visible small cells": visible_small, "suppressed cells with values in public view": leaking},
    )


def check_no_lone_suppressed_sibling(con: duckdb.DuckDBPyConnection, min_cell: int) -> dg.AssetCheckResult:
    """No hidden cell can be worked out: the attacker's linear program over every cell of
    `indicators_public` pins no protected count to within ±0.5 (the disclosure audit of
    this table; the name is kept from when the check only looked at one relation at a time)."""
    result = AuditResult()
    audit_indicators(con, min_cell, result)
    return dg.AssetCheckResult(passed=result.passed, metadata={
        **result.metadata(), FINGERPRINT: fingerprint(con), "min_cell": min_cell})


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of every row of ``indicators`` with its rowid (order-free: XOR of row
    hashes), keyed with a secret of this process. The table holds the true counts of
    hidden cells, and the digest goes to Dagster's event log: unkeyed, a reader could
    test guesses of them against it. Keyed, it can only be compared in the process that
    made it — the run's own, as jobs run in one process — and any other compares unequal,
    which only means attacking again."""
    rows = con.execute("SELECT bit_xor(hash(rowid, *COLUMNS(*))) FROM indicators").fetchall()[0][0]
    return hashlib.sha256(FINGERPRINT_KEY + str(rows).encode()).hexdigest()


def check_intervals_contain_value(con: duckdb.DuckDBPyConnection, min_cell: int) -> dg.AssetCheckResult:
    """Shares lie in 0–100, every interval contains its value and stays inside the scale."""
    bad = _count_with_kinds(
        con,
        "SELECT count(*) FROM indicators AS i JOIN kinds_df AS k ON k.code = i.indicator "
        "WHERE i.ci_low > i.value + 1e-9 OR i.ci_high < i.value - 1e-9 "
        "OR (i.ci_low IS NULL) <> (i.ci_high IS NULL) "
        "OR i.ci_low < k.scale_min - 1e-9 OR i.ci_high > k.scale_max + 1e-9 "
        "OR (k.kind = 'share' AND NOT i.value BETWEEN 0 AND 100)",
    )
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad rows": bad})


def check_aai_only_when_complete(con: duckdb.DuckDBPyConnection, min_cell: int) -> dg.AssetCheckResult:
    """An AAI value exists only where all four domains have a score."""
    bad = con.execute(
        "SELECT count(*) FROM domain_scores AS a WHERE a.item = 'AAI' AND a.value IS NOT NULL AND 4 > ("
        " SELECT count(*) FROM domain_scores AS d WHERE d.item <> 'AAI' AND d.value IS NOT NULL"
        " AND d.programme_id = a.programme_id AND d.country = a.country AND d.region = a.region"
        " AND d.group_id = a.group_id AND d.arm = a.arm AND d.wave = a.wave AND d.sex = a.sex)"
    ).fetchall()[0][0]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"bad rows": bad})


# check name → (asset it guards, blocking, rule)
TABLE_CHECKS = {
    CHECK_OBSERVATIONS_VALID: ("indicator_observations", True, check_observations_valid),
    CHECK_SMALL_CELLS_HIDDEN: ("indicators", True, check_small_cells_hidden),
    CHECK_NO_LONE_SUPPRESSED_SIBLING: ("indicators", True, check_no_lone_suppressed_sibling),
    CHECK_INTERVALS_CONTAIN_VALUE: ("indicators", False, check_intervals_contain_value),
    CHECK_AAI_ONLY_WHEN_COMPLETE: ("domain_scores", True, check_aai_only_when_complete),
}


def _warehouse_check(name: str, asset: str, blocking: bool, rule) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(asset), name=name, blocking=blocking, description=rule.__doc__)
    def check(settings: AaiSettings) -> dg.AssetCheckResult:
        with settings.connect(read_only=True) as con:
            return rule(con, settings.min_cell)

    return check


ASSETS = [indicator_observations, indicators, domain_scores]
ASSET_CHECKS = [_warehouse_check(name, *spec) for name, spec in TABLE_CHECKS.items()]
