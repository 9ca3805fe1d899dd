-- review_flags: every value the screen finds implausible, with a reason a person can
-- act on. Needs review_measures (measures.sql), survey, and the parameters $threshold,
-- $min_values and $min_days (pipelines/review/build.py).
--
-- Modified z-score (Iglewicz & Hoaglin 1993): M = 0.6745 (x - median) / MAD within the
-- value's unit, programme, period and rule; |M| > 3.5 is flagged. When more than half
-- the values are equal the MAD is 0 and M is undefined: then, as IBM's formula does,
-- M = (x - median) / (1.253314 MeanAD), MeanAD being the mean absolute deviation from
-- the median (1.253314 MeanAD estimates the standard deviation of a normal sample);
-- when that is 0 too every value is the median and nothing is flagged. A set of fewer
-- than $min_values values is not scored: its median says too little. Attendance counts
-- are flagged only above the median: coming rarely, or stopping, is what people do.
CREATE OR REPLACE TEMP TABLE review_flags AS
WITH
stats AS (
    SELECT rule, programme_id, unit, period, count(*) AS n, median(x) AS median, mad(x) AS mad
    FROM review_measures
    GROUP BY rule, programme_id, unit, period
),
scored AS (
    SELECT m.*, s.n, s.median, s.mad,
           avg(abs(m.x - s.median)) OVER (PARTITION BY m.rule, m.programme_id, m.unit, m.period) AS meanad
    FROM review_measures AS m
    JOIN stats AS s USING (rule, programme_id, unit, period)
),
zscored AS (
    SELECT *,
           CASE WHEN n < $min_values THEN NULL
                WHEN mad > 0 THEN 0.6745 * (x - median) / mad
                WHEN meanad > 0 THEN (x - median) / (1.253314 * meanad)
           END AS score,
           CASE WHEN mad > 0 THEN 'MAD' ELSE 'MeanAD' END AS spread_method
    FROM scored
),
outliers AS (
    SELECT *, records[1] AS head_record
    FROM zscored
    WHERE CASE rule WHEN 'attendance_count' THEN score > $threshold ELSE abs(score) > $threshold END
),
spread_note AS (
    SELECT *, CASE spread_method WHEN 'MAD' THEN format('MAD {}', round(mad, 2))
                   ELSE format('most values equal the median, so the spread is the mean absolute deviation, {}',
                               round(meanad, 2)) END AS spread_text
    FROM outliers
),
-- straight-lining: the five WHO-5 items answered alike at one end of the scale
straight AS (
    SELECT 'straight_lining' AS rule, 'survey' AS table_name, programme_id,
           CASE WHEN arm = 'comparison' THEN 'comparison' ELSE coalesce(group_id, 'no group') END AS unit, wave AS period, participant_id,
           NULL::DATE AS session_date, CAST(who5_1 AS DOUBLE) AS value,
           source_file, source_row, source_line, 0 AS source_column, 1 AS records,
           format('all five WHO-5 items were answered {} ({}) at {}: the same extreme answer to every question; '
                  'check the questions were asked one by one and typed for this interview',
                  who5_1, CASE who5_1 WHEN 5 THEN 'all of the time' ELSE 'at no time' END, wave) AS reason,
           NULL::DOUBLE AS median, NULL::DOUBLE AS spread, NULL AS spread_method, NULL::DOUBLE AS score
    FROM survey
    WHERE who5_1 IN (0, 5) AND who5_2 = who5_1 AND who5_3 = who5_1 AND who5_4 = who5_1 AND who5_5 = who5_1
),
-- two interviews of one person, in different waves, too close together to measure change
close AS (
    SELECT 'close_interviews' AS rule, 'survey' AS table_name, b.programme_id,
           CASE WHEN b.arm = 'comparison' THEN 'comparison' ELSE coalesce(b.group_id, 'no group') END AS unit, b.wave AS period, b.participant_id,
           NULL::DATE AS session_date, CAST(b.interview_date - a.interview_date AS DOUBLE) AS value,
           b.source_file, b.source_row, b.source_line, 0 AS source_column, 1 AS records,
           format('{} was interviewed at {} on {} and at {} on {}, {} days apart (fewer than {}); check the date '
                  'and the wave of this interview', b.participant_id, a.wave, a.interview_date, b.wave,
                  b.interview_date, b.interview_date - a.interview_date, $min_days) AS reason,
           NULL::DOUBLE AS median, NULL::DOUBLE AS spread, NULL AS spread_method, NULL::DOUBLE AS score
    FROM survey AS a
    JOIN survey AS b
      ON b.programme_id = a.programme_id AND b.participant_id = a.participant_id AND b.wave <> a.wave
     AND (b.interview_date > a.interview_date
          OR (b.interview_date = a.interview_date AND (b.source_file, b.source_row) > (a.source_file, a.source_row)))
    WHERE b.interview_date - a.interview_date < $min_days
    -- the nearest earlier interview only, so a row has one such flag
    QUALIFY row_number() OVER (PARTITION BY b.source_file, b.source_row
                               ORDER BY a.interview_date DESC, a.source_file DESC, a.source_row DESC) = 1
)
SELECT rule, table_name, programme_id, unit, period, participant_id, session_date, x AS value,
       head_record.source_file, head_record.source_row, head_record.source_line, head_record.source_column, len(records) AS records,
       CASE rule
         WHEN 'attendance_count' THEN format(
           '{} attended {} sessions of group {} in {}, where the median of the {} people on that month''s register '
           'is {} (modified z-score {}, above {}; {}); check the dates and marks of this person''s rows for that '
           'month', participant_id, x::INTEGER, unit, period, n, median, round(score, 1), $threshold, spread_text)
         WHEN 'session_duration' THEN format(
           'the session of {} in group {} lasted {} minutes, where the median of the group''s {} sessions in {} is '
           '{} (modified z-score {}, beyond ±{}; {}); check duration_minutes on this session''s rows (450 typed '
           'for 45?)', session_date, unit, x::INTEGER, n, period, median, round(score, 1), $threshold, spread_text)
         ELSE format(
           'WHO-5 raw score {} at {}, where the median of the {} respondents of {} at that wave is {} (modified '
           'z-score {}, beyond ±{}; {}); check the answers were typed for this person and this wave',
           x::INTEGER, period, n, CASE unit WHEN 'comparison' THEN 'the comparison arm'
                                     WHEN 'no group' THEN 'the participants without a group' ELSE 'group ' || unit END,
           median,
           round(score, 1), $threshold, spread_text)
       END AS reason,
       median, CASE spread_method WHEN 'MAD' THEN mad ELSE meanad END AS spread, spread_method, score,
       records AS record_list
FROM spread_note
UNION ALL BY NAME
SELECT *, [{'source_file': source_file, 'source_row': source_row, 'source_line': source_line,
            'source_column': source_column}] AS record_list
FROM (SELECT * FROM straight UNION ALL BY NAME SELECT * FROM close)
