"""The review stage's asset: outlier flags, the reviewer's decisions, and the rows left
out of the figures. Its checks warn and never block: a flag is a question for a person,
not a fault in the data (docs/review.md)."""

import dagster as dg

from pipelines.defs.resources import AaiSettings
from pipelines.review import build_review
from pipelines.warehouse import WAREHOUSE_POOL, markdown_table

# check name → the screen's rule it watches
RULE_CHECKS = {
    "attendance_counts_plausible": "attendance_count",
    "session_durations_plausible": "session_duration",
    "who5_scores_plausible": "who5_score",
    "no_straight_lining": "straight_lining",
    "interviews_apart": "close_interviews",
}
PREVIEW_FLAGS = 10

# Metadata stays in Dagster's event log for good: flag ids, files and rows only, never
# the reasons (they quote participant ids and values).
UNDECIDED_SQL = """
SELECT flag_id, source_file, source_row, source_column
FROM review WHERE rule = $rule AND decision IS NULL
ORDER BY source_file, source_row, source_column
"""
COUNTS_SQL = """
SELECT rule, count(*) AS flags, count(decision) AS decided,
       count(*) FILTER (WHERE decision = 'exclude') AS excluded
FROM review GROUP BY rule ORDER BY rule
"""


@dg.asset(
    deps=["survey", "attendance", "groups"],
    kinds={"duckdb"},
    group_name="review",
    pool=WAREHOUSE_POOL,
    check_specs=[
        dg.AssetCheckSpec(name, asset="review", blocking=False,
                          description=f"Every `{rule}` flag has a reviewer's decision (warns, never blocks).")
        for name, rule in RULE_CHECKS.items()
    ],
)
def review(settings: AaiSettings):
    """Values that pass the contract but look implausible, each with the file, the row
    and a reason to act on: attendance counts, session lengths and WHO-5 scores far from
    their group's median (modified z-score above 3.5), straight-lined WHO-5 answers, and
    one person's interviews fewer than 30 days apart. A reviewer decides keep or exclude
    in `review/decisions.csv` beside `raw/`; excluded rows stay here and in the core
    tables, listed in `review_exclusions`, and are left out of indicators and impact.
    """
    paths = settings.paths
    shown_as = str(paths.review_decisions.relative_to(paths.root))
    with settings.connect() as con:
        counts = build_review(con, paths.review_decisions, shown_as=shown_as)
        by_rule = con.execute(COUNTS_SQL).df()
        undecided = {rule: con.execute(UNDECIDED_SQL, {"rule": rule}).df() for rule in RULE_CHECKS.values()}
    yield dg.MaterializeResult(metadata={
        "dagster/row_count": counts["flags"],
        "decisions read": counts["decisions"],
        "rows excluded by review": counts["excluded"],
        "flags by rule": dg.MetadataValue.md(markdown_table(by_rule)),
    })
    for name, rule in RULE_CHECKS.items():
        waiting = undecided[rule]
        yield dg.AssetCheckResult(
            check_name=name,
            passed=waiting.empty,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"awaiting a decision": len(waiting),
                      "first flags": dg.MetadataValue.md(markdown_table(waiting.head(PREVIEW_FLAGS)))},
        )
