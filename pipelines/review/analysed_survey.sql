-- The interviews the indicators and impact stages analyse: survey less the rows a
-- reviewer excluded (review_exclusions; docs/review.md). The excluded rows stay in survey.
CREATE OR REPLACE TEMP VIEW survey_analysed AS
SELECT s.* FROM survey AS s
WHERE NOT EXISTS (SELECT 1 FROM review_exclusions AS e
                  WHERE e.table_name = 'survey' AND e.source_file = s.source_file AND e.source_row = s.source_row)
