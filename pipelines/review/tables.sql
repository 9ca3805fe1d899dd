-- The review stage's tables, from review_flags (screen.sql) and review_decision_input
-- (the decisions file, one row per line, checked).
-- review: one row per flag, with the decision about it: by its id, else by a
-- file-and-row decision about one of its records (an exclusion wins over a keep).
-- A record excluded by file and row that no rule flagged gets a row of its own
-- (rule 'reviewer'), so every exclusion is listed here.
CREATE OR REPLACE TABLE review_records AS
SELECT flag_id, table_name, unnest(record_list, recursive := true)
FROM review_flags_with_id;

CREATE OR REPLACE TEMP TABLE review_row_decisions AS
SELECT r.flag_id, d.*
FROM review_decision_input AS d
JOIN review_records AS r USING (source_file, source_row)
WHERE d.flag_id IS NULL;

CREATE OR REPLACE TABLE review AS
WITH decided AS (
    SELECT f.flag_id, coalesce(byid.decision, byrow.decision) AS decision,
           coalesce(byid.reason, byrow.reason) AS decision_reason,
           coalesce(byid.reviewer, byrow.reviewer) AS reviewer,
           coalesce(byid.decided_on, byrow.decided_on) AS decided_on,
           coalesce(byid.line, byrow.line) AS decision_line
    FROM review_flags_with_id AS f
    LEFT JOIN review_decision_input AS byid ON byid.flag_id = f.flag_id
    LEFT JOIN (SELECT * FROM review_row_decisions
               QUALIFY row_number() OVER (PARTITION BY flag_id ORDER BY decision = 'exclude' DESC, line) = 1)
        AS byrow ON byrow.flag_id = f.flag_id
)
SELECT f.flag_id, f.rule, f.table_name, f.source_file, f.source_row, f.source_line, f.source_column, f.records,
       f.programme_id, f.unit, f.period, f.participant_id, f.session_date, f.value, f.median, f.spread,
       f.spread_method, f.score, f.reason, d.decision, d.decision_reason, d.reviewer, d.decided_on, d.decision_line,
       false AS excluded
FROM review_flags_with_id AS f
JOIN decided AS d USING (flag_id)
UNION ALL BY NAME
SELECT NULL AS flag_id, 'reviewer' AS rule, t.table_name, d.source_file, d.source_row, t.source_line,
       0 AS source_column, t.records, t.programme_id, NULL AS unit, NULL AS period, t.participant_id,
       NULL::DATE AS session_date, NULL::DOUBLE AS value, NULL::DOUBLE AS median, NULL::DOUBLE AS spread,
       NULL AS spread_method, NULL::DOUBLE AS score,
       'excluded by a reviewer; no screening rule flagged this row' AS reason,
       d.decision, d.reason AS decision_reason, d.reviewer, d.decided_on, d.line AS decision_line,
       true AS excluded
FROM review_decision_input AS d
JOIN review_loaded_rows AS t USING (source_file, source_row)
WHERE d.flag_id IS NULL AND d.decision = 'exclude'
  AND NOT EXISTS (SELECT 1 FROM review_records AS r
                  WHERE r.source_file = d.source_file AND r.source_row = d.source_row)
ORDER BY rule, source_file, source_row, source_column, flag_id;

-- review_exclusions: one row per record left out of the figures, with why. An excluded
-- flag takes out every record it rests on; a file-and-row exclusion, that row (each
-- cell of it, for a grid register).
CREATE OR REPLACE TABLE review_exclusions AS
WITH excluded AS (
    SELECT r.table_name, r.source_file, r.source_row, r.source_line, r.source_column,
           v.flag_id, v.rule, v.programme_id, v.decision_reason, v.reviewer, v.decided_on, v.decision_line
    FROM review AS v
    JOIN review_records AS r USING (flag_id)
    WHERE v.decision = 'exclude'
    UNION ALL
    SELECT t.table_name, t.source_file, t.source_row, t.source_line, t.source_column,
           NULL AS flag_id, coalesce(
               (SELECT min(v.rule) FROM review AS v JOIN review_records AS r USING (flag_id)
                WHERE r.source_file = d.source_file AND r.source_row = d.source_row), 'reviewer') AS rule,
           t.programme_id, d.reason, d.reviewer, d.decided_on, d.line
    FROM review_decision_input AS d
    JOIN review_loaded_cells AS t USING (source_file, source_row)
    WHERE d.flag_id IS NULL AND d.decision = 'exclude'
)
SELECT * FROM excluded
QUALIFY row_number() OVER (PARTITION BY table_name, source_file, source_row, source_column
                           ORDER BY decision_line) = 1
ORDER BY table_name, source_file, source_row, source_column;

-- a flag whose record another decision excluded says so: its row is out of the figures too
UPDATE review SET excluded = true
WHERE flag_id IN (SELECT r.flag_id FROM review_records AS r
                  JOIN review_exclusions AS e USING (table_name, source_file, source_row, source_column))
