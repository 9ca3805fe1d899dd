-- review_loaded_cells: every loaded survey and attendance row (each cell of a grid
-- register) with its programme, which a file-and-row decision may name;
-- review_loaded_rows: the same per file row.
CREATE OR REPLACE TEMP TABLE review_loaded_cells AS
SELECT 'survey' AS table_name, source_file, source_row, source_line, 0 AS source_column, programme_id,
       participant_id
FROM survey
UNION ALL
SELECT 'attendance', a.source_file, a.source_row, a.source_line, a.source_column, g.programme_id,
       a.participant_id
FROM attendance AS a
LEFT JOIN groups AS g USING (group_id);

CREATE OR REPLACE TEMP TABLE review_loaded_rows AS
SELECT source_file, source_row, any_value(table_name) AS table_name, min(source_line) AS source_line,
       count(*) AS records, any_value(programme_id) AS programme_id, any_value(participant_id) AS participant_id
FROM review_loaded_cells
GROUP BY source_file, source_row
