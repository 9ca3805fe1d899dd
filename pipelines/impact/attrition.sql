-- attrition_status: per programme, arm and follow-up wave of that arm, each baseline
-- respondent and whether the survey has them at that wave (lost = not interviewed,
-- whether or not they answered every item).
CREATE OR REPLACE TEMP TABLE attrition_status AS
WITH
interviews AS (
    SELECT DISTINCT s.programme_id, s.arm, s.participant_id, w.wave, w.wave_rank
    FROM survey_analysed AS s
    JOIN impact_waves AS w USING (wave)
    WHERE s.arm IN ('participant', 'comparison')
),
baseline AS (
    SELECT DISTINCT programme_id, arm, participant_id FROM interviews WHERE wave_rank = 0
),
followups AS (
    SELECT DISTINCT i.programme_id, i.arm, i.wave, i.wave_rank
    FROM interviews AS i
    WHERE i.wave_rank > 0 AND (i.programme_id, i.arm) IN (SELECT (programme_id, arm) FROM baseline)
),
seen AS (
    SELECT DISTINCT programme_id, participant_id, wave FROM interviews
)
SELECT f.programme_id, f.arm, f.wave, f.wave_rank, b.participant_id, s.participant_id IS NULL AS lost
FROM followups AS f
JOIN baseline AS b USING (programme_id, arm)
LEFT JOIN seen AS s ON s.programme_id = f.programme_id AND s.participant_id = b.participant_id AND s.wave = f.wave;

-- attrition_blocks: baseline values of those lost (cell 1) and retained (cell 0) per
-- programme, arm, follow-up wave and indicator, by group for participants (the
-- cluster); comparison respondents are independent (cluster NULL): their row carries
-- the sum of squares, which is all CR2 needs from one-person clusters.
CREATE OR REPLACE TEMP TABLE attrition_blocks AS
SELECT
    a.programme_id, a.arm, a.wave, o.indicator,
    CASE WHEN a.arm = 'participant' THEN o.group_id END AS cluster,
    CAST(a.lost AS INTEGER) AS cell,
    count(*) AS n,
    sum(o.value) AS total,
    greatest(sum(o.value * o.value) - sum(o.value) * sum(o.value) / count(*), 0) AS ss,
    sum(o.value * o.value) AS sumsq
FROM attrition_status AS a
JOIN indicator_observations AS o
  ON o.programme_id = a.programme_id AND o.arm = a.arm AND o.participant_id = a.participant_id
 AND o.wave = 'baseline' AND o.value IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
