-- The register rows the indicators and impact stages analyse: attendance less the rows
-- (grid cells) a reviewer excluded (review_exclusions; docs/review.md). The excluded rows
-- stay in attendance.
CREATE OR REPLACE TEMP VIEW attendance_analysed AS
SELECT a.* FROM attendance AS a
WHERE NOT EXISTS (SELECT 1 FROM review_exclusions AS e
                  WHERE e.table_name = 'attendance' AND e.source_file = a.source_file
                    AND e.source_row = a.source_row AND e.source_column = a.source_column)
