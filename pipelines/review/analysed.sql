-- The rows the indicators and impact stages analyse: the validated tables less the
-- records a reviewer excluded (analysed_exclusions: review_exclusions, written by the
-- review stage, docs/review.md). Temporary views, made on the connection that reads them, so a
-- warehouse built before the review stage existed (or a test's own tables) is
-- analysed whole. The excluded rows stay in survey and attendance.
CREATE OR REPLACE TEMP VIEW survey_analysed AS
SELECT s.* FROM survey AS s
WHERE NOT EXISTS (SELECT 1 FROM analysed_exclusions AS e
                  WHERE e.table_name = 'survey' AND e.source_file = s.source_file AND e.source_row = s.source_row);
CREATE OR REPLACE TEMP VIEW attendance_analysed AS
SELECT a.* FROM attendance AS a
WHERE NOT EXISTS (SELECT 1 FROM analysed_exclusions AS e
                  WHERE e.table_name = 'attendance' AND e.source_file = a.source_file
                    AND e.source_row = a.source_row AND e.source_column = a.source_column)
