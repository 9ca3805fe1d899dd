"""Build the review stage's tables: the outlier screen, then the reviewer's decisions.

``build_review`` runs the screen (``measures.sql``, ``screen.sql``) on the validated
tables, checks the decisions file against what it found, and writes ``review`` (each
flag with its decision), ``review_records`` (the rows each flag rests on) and
``review_exclusions`` (the rows left out of the figures). Every number is computed by
DuckDB; Python only reads the decisions file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.review.analysed import sql
from pipelines.review.decisions import Decision, read_decisions, unknown_target

# Iglewicz & Hoaglin (1993): |M| > 3.5 for the modified z-score
THRESHOLD = 3.5
# a set of fewer values is not scored: its median and spread say too little
MIN_VALUES = 5
# two interviews of one person closer than this cannot measure a change between waves
MIN_DAYS_BETWEEN_INTERVIEWS = 30

FLAG_ID = """
CREATE OR REPLACE TEMP TABLE review_flags_with_id AS
SELECT 'R-' || left(sha256(concat_ws('|', rule, source_file, source_row, source_column, period)), 10) AS flag_id, *
FROM review_flags
"""
DECISION_COLUMNS = ["line", "flag_id", "source_file", "source_row", "decision", "reason", "reviewer", "decided_on"]


def screen(con: duckdb.DuckDBPyConnection) -> None:
    """``review_flags_with_id``: every flag of the screen, with its stable id."""
    con.execute(sql("measures")).fetchall()
    con.execute(sql("screen"), {"threshold": THRESHOLD, "min_values": MIN_VALUES,
                                "min_days": MIN_DAYS_BETWEEN_INTERVIEWS}).fetchall()
    con.execute(FLAG_ID).fetchall()


def build_review(con: duckdb.DuckDBPyConnection, decisions_file: Path, *, shown_as: str,
                 today: date | None = None) -> dict[str, int]:
    """Screen, apply the decisions in ``decisions_file`` (``shown_as`` is how errors name
    it) and write the review tables; return counts for metadata. Raises
    ``DecisionsError`` for a file that cannot be used or names a flag or row this run
    does not have."""
    decisions = read_decisions(decisions_file, shown_as=shown_as, today=today or date.today())
    screen(con)
    frame = pd.DataFrame([d.__dict__ for d in decisions], columns=DECISION_COLUMNS).astype(
        {"line": "int64", "source_row": "Int64"})
    con.register("review_decision_frame", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE review_decision_input AS "
                    "SELECT line, flag_id, source_file, CAST(source_row AS BIGINT) AS source_row, decision, reason, "
                    "reviewer, CAST(decided_on AS DATE) AS decided_on FROM review_decision_frame").fetchall()
    finally:
        con.unregister("review_decision_frame")
    con.execute(sql("loaded")).fetchall()
    _check_targets(con, decisions, shown_as)
    con.execute(sql("tables")).fetchall()
    flags, decided, excluded = con.execute(
        "SELECT count(*) FILTER (WHERE flag_id IS NOT NULL), count(*) FILTER (WHERE decision IS NOT NULL), "
        "(SELECT count(*) FROM review_exclusions) FROM review").fetchall()[0]
    return {"flags": flags, "decided": decided, "excluded": excluded, "decisions": len(decisions)}


UNKNOWN_TARGET_SQL = """
SELECT min(d.line) FROM review_decision_input AS d
WHERE CASE WHEN d.flag_id IS NOT NULL THEN NOT EXISTS (SELECT 1 FROM review_flags_with_id AS f
                                                       WHERE f.flag_id = d.flag_id)
           ELSE NOT EXISTS (SELECT 1 FROM review_loaded_rows AS t
                            WHERE t.source_file = d.source_file AND t.source_row = d.source_row) END
"""


def _check_targets(con: duckdb.DuckDBPyConnection, decisions: list[Decision], shown_as: str) -> None:
    """Every decision names a flag of this run or a loaded row, else one error for the
    first line that does not (checked in DuckDB: the registers may hold millions of rows)."""
    (line,) = con.execute(UNKNOWN_TARGET_SQL).fetchone()
    if line is not None:
        raise unknown_target(next(d for d in decisions if d.line == line), shown_as)
