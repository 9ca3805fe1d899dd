-- disclosure_panel: the true counts behind the impact tables' published sizes, per
-- programme, arm, indicator, follow-up wave and breakdown (group, sex or age band, one
-- at a time; 'all' for the total), as the impact stage classes people:
--   b, f        respondents with the indicator at baseline / at the wave, classed at
--               each interview (the `indicators` cells: change and DiD use them);
--   both_wave   with the indicator in both waves and in the breakdown at both;
--   both_first  with the indicator in both waves, in the breakdown at baseline (paired);
--   retained    baseline respondents of the indicator interviewed again at the wave;
-- and per programme, arm and wave (indicator 'all'): interviewed at baseline, and of
-- them interviewed at the wave (attrition's people counts). Needs indicator_observations
-- and survey_analysed (the interviews the impact stage reads: pipelines/review/analysed.py).
CREATE OR REPLACE TEMP TABLE disclosure_panel AS
WITH
obs AS (
    SELECT programme_id, arm, wave, indicator, participant_id,
           coalesce(group_id, 'unknown') AS group_id, sex, age_band
    FROM indicator_observations
    WHERE arm IN ('participant', 'comparison')
),
interviews AS (SELECT DISTINCT programme_id, arm, wave, participant_id FROM survey_analysed),
followups AS (SELECT DISTINCT programme_id, arm, wave FROM interviews WHERE wave <> 'baseline'),
classed AS (
    -- one row per person, indicator, wave and breakdown they fall in (the total included)
    SELECT o.*, k.breakdown, k.value
    FROM obs AS o
    CROSS JOIN LATERAL (VALUES ('all', 'all'), ('group_id', o.group_id), ('sex', o.sex), ('age_band', o.age_band))
        AS k(breakdown, value)
),
base AS (SELECT * FROM classed WHERE wave = 'baseline'),
later AS (SELECT c.* FROM classed AS c JOIN followups USING (programme_id, arm, wave)),
pairs AS (
    SELECT l.programme_id, l.arm, l.wave, l.indicator, l.breakdown, b.participant_id,
           b.value AS at_baseline, l.value AS at_wave
    FROM base AS b
    JOIN later AS l USING (programme_id, arm, indicator, participant_id, breakdown)
),
cells AS (
    SELECT f.programme_id, f.arm, f.wave, b.indicator, b.breakdown, b.value,
           count(DISTINCT b.participant_id) AS b
    FROM followups AS f JOIN base AS b USING (programme_id, arm)
    GROUP BY ALL
),
wave_cells AS (
    SELECT programme_id, arm, wave, indicator, breakdown, value, count(DISTINCT participant_id) AS f
    FROM later GROUP BY ALL
),
both_wave AS (
    SELECT programme_id, arm, wave, indicator, breakdown, at_wave AS value, count(*) AS both_wave
    FROM pairs WHERE at_baseline = at_wave GROUP BY ALL
),
both_first AS (
    SELECT programme_id, arm, wave, indicator, breakdown, at_baseline AS value, count(*) AS both_first
    FROM pairs GROUP BY ALL
),
retained AS (
    SELECT f.programme_id, f.arm, f.wave, b.indicator, b.breakdown, b.value, count(*) AS retained
    FROM followups AS f
    JOIN base AS b USING (programme_id, arm)
    JOIN interviews AS i ON i.programme_id = f.programme_id AND i.arm = f.arm AND i.wave = f.wave
                        AND i.participant_id = b.participant_id
    GROUP BY ALL
),
keys AS (
    SELECT programme_id, arm, wave, indicator, breakdown, value FROM cells
    UNION SELECT programme_id, arm, wave, indicator, breakdown, value FROM wave_cells
),
people AS (
    SELECT f.programme_id, f.arm, f.wave, 'all' AS indicator, 'all' AS breakdown, 'all' AS value,
           count(DISTINCT b.participant_id) AS b,
           count(DISTINCT i.participant_id) AS retained
    FROM followups AS f
    JOIN interviews AS b ON b.programme_id = f.programme_id AND b.arm = f.arm AND b.wave = 'baseline'
    LEFT JOIN interviews AS i ON i.programme_id = f.programme_id AND i.arm = f.arm AND i.wave = f.wave
                             AND i.participant_id = b.participant_id
    GROUP BY ALL
)
SELECT k.programme_id, k.arm, k.wave, k.indicator, k.breakdown, k.value,
       coalesce(c.b, 0) AS b, coalesce(w.f, 0) AS f, coalesce(bw.both_wave, 0) AS both_wave,
       coalesce(bf.both_first, 0) AS both_first, coalesce(r.retained, 0) AS retained
FROM keys AS k
LEFT JOIN cells AS c USING (programme_id, arm, wave, indicator, breakdown, value)
LEFT JOIN wave_cells AS w USING (programme_id, arm, wave, indicator, breakdown, value)
LEFT JOIN both_wave AS bw USING (programme_id, arm, wave, indicator, breakdown, value)
LEFT JOIN both_first AS bf USING (programme_id, arm, wave, indicator, breakdown, value)
LEFT JOIN retained AS r USING (programme_id, arm, wave, indicator, breakdown, value)
UNION ALL
SELECT programme_id, arm, wave, indicator, breakdown, value, b, 0, 0, 0, retained FROM people;
