-- review_measures: one row per value the outlier screen scores, with the set it is
-- compared with (`unit` within programme and `period`) and the records it rests on.
--   attendance_count  sessions a person attended in one group in one calendar month
--                     (everyone on the month's register, absences too);
--   session_duration  a session's length (its longest recorded duration, as P.hours
--                     reads it) among the group's sessions of that month;
--   who5_score        the WHO-5 raw score (0-25) among the respondents of the same
--                     group and wave (a comparison arm: the programme's arm and wave;
--                     participants without a group: the programme's, at that wave);
-- (The UCLA-3 sum is not scored: on its 3-9 scale the MAD is often 0.5, so every
-- answer at either end of the scale would be flagged.)
-- `records` are the rows a reviewer's exclusion of the flag takes out of the figures:
-- the person's attended rows of that month, the rows carrying the session's length,
-- the interview itself.
CREATE OR REPLACE TEMP TABLE review_measures AS
WITH
person_month AS (
    SELECT 'attendance_count' AS rule, 'attendance' AS table_name, g.programme_id,
           a.group_id AS unit, strftime(a.session_date, '%Y-%m') AS period, a.participant_id,
           NULL::DATE AS session_date,
           CAST(count(*) FILTER (WHERE a.attended) AS DOUBLE) AS x,
           list({'source_file': a.source_file, 'source_row': a.source_row,
                 'source_line': a.source_line, 'source_column': a.source_column}
                ORDER BY a.source_file, a.source_row, a.source_column) FILTER (WHERE a.attended) AS records
    FROM attendance AS a
    JOIN groups AS g USING (group_id)
    WHERE a.session_date IS NOT NULL
    GROUP BY g.programme_id, a.group_id, period, a.participant_id
),
session_length AS (
    SELECT group_id, session_date, max(duration_minutes) AS minutes
    FROM attendance
    WHERE attended AND duration_minutes IS NOT NULL
    GROUP BY group_id, session_date
),
session AS (
    SELECT 'session_duration' AS rule, 'attendance' AS table_name, g.programme_id,
           s.group_id AS unit, strftime(s.session_date, '%Y-%m') AS period, NULL AS participant_id,
           s.session_date, CAST(s.minutes AS DOUBLE) AS x,
           list({'source_file': a.source_file, 'source_row': a.source_row,
                 'source_line': a.source_line, 'source_column': a.source_column}
                ORDER BY a.source_file, a.source_row, a.source_column) AS records
    FROM session_length AS s
    JOIN groups AS g USING (group_id)
    JOIN attendance AS a
      ON a.group_id = s.group_id AND a.session_date = s.session_date
     AND a.attended AND a.duration_minutes = s.minutes
    GROUP BY g.programme_id, s.group_id, s.session_date, s.minutes
),
scores AS (
    SELECT programme_id, CASE WHEN arm = 'comparison' THEN 'comparison' ELSE coalesce(group_id, 'no group') END AS unit,
           wave AS period, participant_id,
           who5_1 + who5_2 + who5_3 + who5_4 + who5_5 AS who5,
           [{'source_file': source_file, 'source_row': source_row,
             'source_line': source_line, 'source_column': 0}] AS records
    FROM survey
)
SELECT * FROM person_month
UNION ALL BY NAME
SELECT * FROM session
UNION ALL BY NAME
SELECT 'who5_score' AS rule, 'survey' AS table_name, programme_id, unit, period, participant_id,
       NULL::DATE AS session_date, CAST(who5 AS DOUBLE) AS x, records
FROM scores WHERE who5 IS NOT NULL
