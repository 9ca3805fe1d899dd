-- review_loaded_cells: the loaded survey and attendance rows (each cell of a grid
-- register) that a file-and-row decision of review_decision_input names, with their
-- programme; review_loaded_rows: the same per file row. A named row missing here is
-- one this run did not load.
CREATE OR REPLACE TEMP TABLE review_loaded_cells AS
WITH named AS (SELECT DISTINCT source_file, source_row FROM review_decision_input WHERE flag_id IS NULL)
SELECT 'survey' AS table_name, s.source_file, s.source_row, s.source_line, 0 AS source_column, s.programme_id,
       s.participant_id
FROM survey AS s
SEMI JOIN named USING (source_file, source_row)
UNION ALL
SELECT 'attendance', a.source_file, a.source_row, a.source_line, a.source_column, g.programme_id,
       a.participant_id
FROM attendance AS a
SEMI JOIN named USING (source_file, source_row)
LEFT JOIN groups AS g USING (group_id);

CREATE OR REPLACE TEMP TABLE review_loaded_rows AS
SELECT source_file, source_row, any_value(table_name) AS table_name, min(source_line) AS source_line,
       count(*) AS records, any_value(programme_id) AS programme_id, any_value(participant_id) AS participant_id
FROM review_loaded_cells
GROUP BY source_file, source_row
