"""Cross-file rules and the final warehouse tables.

Row rules were applied per batch while staging. What needs every file at once is
done here in SQL: duplicate keys (usually in two different files), attendance for a
group no groups file registers, a session before its group started. Then every staged
row lands in exactly one place: its table, or quarantine with each reason it failed.
"""

from __future__ import annotations

import duckdb

from schemas import KEYS

# Staged rows with no problem so far; recomputed as rules add problems.
CLEAN = """
(SELECT * FROM staging_{kind} s
 WHERE NOT EXISTS (SELECT 1 FROM staging_problems p
                   WHERE p.source_file = s.source_file AND p.source_row = s.source_row))
"""

KEY_TEXT = {
    "groups": "'group ' || group_id",
    "attendance": "'group ' || group_id || ', session ' || strftime(session_date, '%Y-%m-%d') || ', participant ' || participant_id",
    "survey": "'participant ' || participant_id || ', wave ' || wave",
}

DUPLICATES = """
INSERT INTO staging_problems
SELECT source_file, source_row, '{kind}', '{key_columns}', 'duplicate_key', key_text,
       key_text || ' already appears in ' || first_file || ' row ' || first_row
       || '; keep one of the two rows (or correct the id)'
FROM (
    SELECT source_file, source_row, {key_text} AS key_text,
           first_value(source_file) OVER w AS first_file,
           first_value(source_row) OVER w AS first_row,
           row_number() OVER w AS nth
    FROM {clean}
    WINDOW w AS (PARTITION BY {partition} ORDER BY source_file, source_row)
)
WHERE nth > 1
"""

UNKNOWN_GROUP = """
INSERT INTO staging_problems
SELECT a.source_file, a.source_row, 'attendance', 'group_id', 'unknown_group', a.group_id,
       'group ' || a.group_id || ' is not in any groups file; register the group or correct the id'
FROM {clean} a
WHERE a.group_id NOT IN (SELECT group_id FROM groups)
"""

BEFORE_GROUP_START = """
INSERT INTO staging_problems
SELECT a.source_file, a.source_row, 'attendance', 'session_date', 'before_group_start',
       strftime(a.session_date, '%Y-%m-%d'),
       'session_date ' || strftime(a.session_date, '%Y-%m-%d') || ' is before group ' || g.group_id
       || ' started (' || strftime(g.start_date, '%Y-%m-%d') || '); check the date or the group''s start_date'
FROM {clean} a JOIN groups g USING (group_id)
WHERE a.session_date < g.start_date
"""

FINAL_TABLE = """
CREATE OR REPLACE TABLE {kind} AS
SELECT * EXCLUDE (record) {extra} FROM {clean} ORDER BY source_file, source_row
"""

QUARANTINE = """
CREATE OR REPLACE TABLE quarantine AS
SELECT p.source_file, p.source_row, p.table_name, p.column_name, p.rule, p.value, p.reason, s.record
FROM staging_problems p
LEFT JOIN (
    SELECT source_file, source_row, record FROM staging_groups
    UNION ALL SELECT source_file, source_row, record FROM staging_survey
    UNION ALL SELECT source_file, source_row, record FROM staging_attendance
) s USING (source_file, source_row)
ORDER BY p.source_file, p.source_row, p.column_name, p.rule
"""

INGEST_LOG = """
CREATE OR REPLACE TABLE ingest_log AS
WITH loaded AS (
    SELECT source_file, count(*) AS n FROM (
        SELECT source_file FROM groups UNION ALL SELECT source_file FROM survey
        UNION ALL SELECT source_file FROM attendance)
    GROUP BY source_file
), quarantined AS (
    SELECT source_file, count(DISTINCT source_row) AS n FROM quarantine GROUP BY source_file
), top_rules AS (
    SELECT source_file, string_agg(rule || ' ' || n, ', ' ORDER BY n DESC, rule) AS rules
    FROM (SELECT source_file, rule, count(*) AS n FROM quarantine GROUP BY ALL)
    GROUP BY source_file
)
SELECT f.source_file, f.sha256, f.kind, f.encoding, f.delimiter, f.rows_read,
       coalesce(l.n, 0) AS rows_loaded,
       coalesce(q.n, 0) AS rows_quarantined,
       CASE WHEN f.status <> 'read' THEN f.status
            WHEN coalesce(q.n, 0) > 0 THEN 'loaded_with_quarantine'
            ELSE 'loaded' END AS status,
       concat_ws('; ',
           nullif(f.message, ''),
           CASE WHEN q.n > 0 THEN q.n || ' rows quarantined (' || t.rules || ')' END) AS message
FROM raw_files f
LEFT JOIN loaded l USING (source_file)
LEFT JOIN quarantined q USING (source_file)
LEFT JOIN top_rules t USING (source_file)
ORDER BY f.source_file
"""


def _clean(kind: str) -> str:
    return CLEAN.format(kind=kind)


def _duplicates(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    keys = KEYS[kind]
    con.execute(
        DUPLICATES.format(
            kind=kind,
            key_columns=", ".join(keys),
            key_text=KEY_TEXT[kind],
            clean=_clean(kind),
            partition=", ".join(f'"{k}"' for k in keys),
        )
    )


def build_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the cross-file rules in dependency order and write the final tables."""
    _duplicates(con, "groups")
    con.execute(FINAL_TABLE.format(kind="groups", extra="", clean=_clean("groups")))
    _duplicates(con, "attendance")
    con.execute(UNKNOWN_GROUP.format(clean=_clean("attendance")))
    con.execute(BEFORE_GROUP_START.format(clean=_clean("attendance")))
    con.execute(FINAL_TABLE.format(kind="attendance", extra="", clean=_clean("attendance")))
    _duplicates(con, "survey")
    age = ", year(interview_date) - birth_year AS age"
    con.execute(FINAL_TABLE.format(kind="survey", extra=age, clean=_clean("survey")))
    con.execute(QUARANTINE)
    con.execute(INGEST_LOG)
