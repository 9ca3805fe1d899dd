"""Cross-file rules and the final warehouse tables.

Cell and row rules were applied per file while staging (``pipelines/ingest``). What
needs every file at once is done here in SQL: KoboToolbox submissions superseded by a
later edit, duplicate keys (usually in two different files), attendance for a group no
groups file registers, a session before its group started.
Then every staged row lands in exactly one place: its table, or quarantine with each
reason it failed (a problem with effect 'cell' does not keep its row out). A staged
row is identified by (source_file, source_row, source_column): source_column tells the
cells of one line of a grid register apart.
"""

from __future__ import annotations

import duckdb

from pipelines.ingest.stage import bound_memory
from pipelines.ingest.normalise import contract_columns
from schemas import CONTRACTS, KEYS

# Staged rows with no problem so far; recomputed as rules add problems.
CLEAN = """
(SELECT * FROM staging_{kind} s
 WHERE NOT EXISTS (SELECT 1 FROM staging_problems p
                   WHERE p.source_file = s.source_file AND p.source_row = s.source_row
                     AND p.source_column = s.source_column AND p.effect = 'row'))
"""


def place(row: str, column: str) -> str:
    """SQL text for where a staged row is: 'row 7', or 'cell F7' for a register cell
    (column letters up to ZZ, far more dates than a register holds)."""
    letter = (
        f"CASE WHEN {column} <= 26 THEN chr(64 + {column}) "
        f"ELSE chr(64 + ({column} - 1) // 26) || chr(65 + ({column} - 1) % 26) END"
    )
    return f"CASE WHEN {column} > 0 THEN 'cell ' || {letter} || {row} ELSE 'row ' || {row} END"


# KoboToolbox keeps every edit of a submission as its own row with the same
# meta/rootUuid; the latest _submission_time is the answer that counts.
SUPERSEDED_SUBMISSION = """
INSERT INTO staging_problems
SELECT source_file, source_row, source_line, source_column, 'survey', '', 'superseded_submission', submission_id,
       'a later edit of this KoboToolbox submission (meta/rootUuid ' || submission_id || ') is kept: '
       || kept_file || ' row ' || kept_row || ', submitted '
       || coalesce(strftime(kept_at, '%Y-%m-%d %H:%M:%S'), 'at an unknown time')
       || '; nothing to do unless that version is the wrong one', 'row'
FROM (
    SELECT source_file, source_row, source_line, source_column, submission_id,
           first_value(source_file) OVER w AS kept_file, first_value(source_row) OVER w AS kept_row,
           first_value(submitted_at) OVER w AS kept_at, row_number() OVER w AS nth
    FROM staging_survey WHERE submission_id IS NOT NULL
    WINDOW w AS (PARTITION BY submission_id
                 ORDER BY submitted_at DESC NULLS LAST, source_file DESC, source_row DESC)
)
WHERE nth > 1
"""

KEY_TEXT = {
    "groups": "'group ' || group_id",
    "attendance": "'group ' || group_id || ', session ' || strftime(session_date, '%Y-%m-%d') || ', participant ' || participant_id",
    "survey": "'participant ' || participant_id || ', wave ' || wave",
}

DUPLICATES = f"""
INSERT INTO staging_problems
SELECT source_file, source_row, source_line, source_column, '{{kind}}', '{{key_columns}}', 'duplicate_key', key_text,
       key_text || ' already appears in ' || first_file || ' ' || ({place('first_row', 'first_column')})
       || '; keep one of the two rows (or correct the id)', 'row'
FROM (
    SELECT source_file, source_row, source_line, source_column, {{key_text}} AS key_text,
           first_value(source_file) OVER w AS first_file,
           first_value(source_row) OVER w AS first_row,
           first_value(source_column) OVER w AS first_column,
           row_number() OVER w AS nth
    FROM {{clean}} c
    -- Only keys that occur twice among all staged rows are ordered: a hash count of
    -- millions of keys is much cheaper than a window over all of them.
    SEMI JOIN (SELECT {{partition}} FROM staging_{{kind}} GROUP BY ALL HAVING count(*) > 1) d USING ({{partition}})
    WINDOW w AS (PARTITION BY {{partition}} ORDER BY source_file, source_row, source_column)
)
WHERE nth > 1
"""

UNKNOWN_GROUP = """
INSERT INTO staging_problems
SELECT a.source_file, a.source_row, a.source_line, a.source_column, 'attendance', 'group_id', 'unknown_group', a.group_id,
       'group ' || a.group_id || ' is not in any groups file; register the group or correct the id', 'row'
FROM {clean} a
WHERE a.group_id NOT IN (SELECT group_id FROM groups)
"""

# A programme gets its reports (partitions) from the groups register: interviews of a
# programme no groups file names are quarantined, unless no groups file was sent at all
# (a data root of surveys alone).
UNKNOWN_PROGRAMME = """
INSERT INTO staging_problems
SELECT s.source_file, s.source_row, s.source_line, s.source_column, 'survey', 'programme_id', 'unknown_programme',
       s.programme_id,
       'programme ' || s.programme_id || ' has no group in any groups file, so its interviews cannot be reported; '
       || 'register its groups or correct the id', 'row'
FROM {clean} s
WHERE EXISTS (SELECT 1 FROM groups) AND s.programme_id NOT IN (SELECT programme_id FROM groups)
"""

BEFORE_GROUP_START = """
INSERT INTO staging_problems
SELECT a.source_file, a.source_row, a.source_line, a.source_column, 'attendance', 'session_date', 'before_group_start',
       strftime(a.session_date, '%Y-%m-%d'),
       'session_date ' || strftime(a.session_date, '%Y-%m-%d') || ' is before group ' || g.group_id
       || ' started (' || strftime(g.start_date, '%Y-%m-%d') || '); check the date or the group''s start_date', 'row'
FROM {clean} a JOIN groups g USING (group_id)
WHERE a.session_date < g.start_date
"""

FINAL_TABLE = """
CREATE OR REPLACE TABLE {kind} AS
SELECT * EXCLUDE ({exclude}) {extra} FROM {clean} ORDER BY source_file, source_row, source_column
"""
# Staging columns that stay behind: the quarantine record, and provenance or Kobo
# keys that mean nothing for a file kind that is never a grid.
EXCLUDE = {
    "groups": "record, source_column",
    "attendance": "record",
    "survey": "record, source_column, submission_id, submitted_at",
}

QUARANTINE = """
CREATE OR REPLACE TABLE quarantine AS
SELECT p.source_file, p.source_row, p.source_column, p.table_name, p.column_name, p.rule, p.value,
       p.reason, s.record, p.source_line, p.effect
FROM staging_problems p
LEFT JOIN ({records}) s USING (source_file, source_row, source_column)
ORDER BY p.source_file, p.source_row, p.source_column, p.column_name, p.rule
"""

INGEST_LOG = """
CREATE OR REPLACE TABLE ingest_log AS
WITH loaded AS (
    SELECT source_file, count(*) AS n FROM (
        SELECT source_file FROM groups UNION ALL SELECT source_file FROM survey
        UNION ALL SELECT source_file FROM attendance)
    GROUP BY source_file
), quarantined AS (
    SELECT source_file,
           count(DISTINCT (source_row, source_column)) FILTER (WHERE effect = 'row') AS n,
           count(*) FILTER (WHERE effect = 'cell') AS cells
    FROM quarantine GROUP BY source_file
), top_rules AS (
    SELECT source_file, string_agg(rule || ' ' || n, ', ' ORDER BY n DESC, rule) AS rules
    FROM (SELECT source_file, rule, count(*) AS n FROM quarantine GROUP BY ALL)
    GROUP BY source_file
)
SELECT f.source_file, f.sha256, f.kind, f.encoding, f.delimiter, f.rows_read,
       coalesce(l.n, 0) AS rows_loaded,
       coalesce(q.n, 0) AS rows_quarantined,
       CASE WHEN f.status <> 'read' THEN f.status
            WHEN coalesce(q.n, 0) + coalesce(q.cells, 0) > 0 THEN 'loaded_with_quarantine'
            ELSE 'loaded' END AS status,
       concat_ws('; ',
           nullif(f.message, ''),
           CASE WHEN q.n > 0 THEN q.n || ' rows quarantined' END,
           CASE WHEN q.cells > 0 THEN q.cells || ' cells of loaded rows quarantined (loaded as empty)' END,
           CASE WHEN q.n + q.cells > 0 THEN 'problems: ' || t.rules END) AS message,
       coalesce(q.cells, 0) AS cells_quarantined,
       f.columns_ignored,
       f.mapping
FROM raw_files f
LEFT JOIN loaded l USING (source_file)
LEFT JOIN quarantined q USING (source_file)
LEFT JOIN top_rules t USING (source_file)
ORDER BY f.source_file
"""


def _records() -> str:
    """Each staged row's record: as written when ingestion found a problem in it, else
    (a row caught by a cross-file rule) its contract columns as loaded."""
    return " UNION ALL ".join(
        f"SELECT source_file, source_row, source_column, coalesce(record, to_json(struct_pack("
        + ", ".join(f'"{name}" := "{name}"' for name in contract_columns(kind)) + f"))) AS record FROM staging_{kind}"
        for kind in CONTRACTS
    )


def _clean(kind: str) -> str:
    return CLEAN.format(kind=kind)


def _final(kind: str, extra: str = "") -> str:
    return FINAL_TABLE.format(kind=kind, exclude=EXCLUDE[kind], extra=extra, clean=_clean(kind))


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


# The answers declared indicators read (docs/warehouse.md), for the survey rows that
# loaded: a quarantined row's answers count for nothing, as its contract items do not.
SURVEY_ITEMS = """
CREATE OR REPLACE TABLE survey_items AS
SELECT i.source_file, i.source_row, i.mapping, i.item, i.value
FROM staging_items AS i
SEMI JOIN survey AS s ON s.source_file = i.source_file AND s.source_row = i.source_row
ORDER BY ALL
"""


def build_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the cross-file rules in dependency order and write the final tables."""
    bound_memory(con)
    con.execute(SUPERSEDED_SUBMISSION)
    _duplicates(con, "groups")
    con.execute(_final("groups"))
    _duplicates(con, "attendance")
    con.execute(UNKNOWN_GROUP.format(clean=_clean("attendance")))
    con.execute(BEFORE_GROUP_START.format(clean=_clean("attendance")))
    con.execute(_final("attendance"))
    _duplicates(con, "survey")
    con.execute(UNKNOWN_PROGRAMME.format(clean=_clean("survey")))
    con.execute(_final("survey", extra=", year(interview_date) - birth_year AS age"))
    con.execute(SURVEY_ITEMS)
    con.execute(QUARANTINE.format(records=_records()))
    con.execute(INGEST_LOG)
