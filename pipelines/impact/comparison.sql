-- Comparison-arm aggregates for DiD. Each comparison respondent is a cluster of their
-- own, so instead of one row per person the rows are grouped by the waves a person was
-- seen in (baseline only, follow-up only, both): how many people, their sums and their
-- sums of squares and cross-products — all that CR2 needs from one-person clusters
-- (pipelines/inference/cr2.py, "singleton patterns"). Per follow-up wave, indicator
-- and breakdown (the total, each sex and age band, classed at each interview).
WITH people AS (
    SELECT
        programme_id, wave, indicator, participant_id,
        CASE WHEN grouping(wave_sex) = 1 THEN 'all' ELSE wave_sex END AS sex,
        CASE WHEN grouping(wave_age_band) = 1 THEN 'all' ELSE wave_age_band END AS age_band,
        avg(value) FILTER (WHERE cell = 0) AS y0,
        avg(value) FILTER (WHERE cell = 1) AS y1
    FROM impact_obs
    WHERE arm = 'comparison'
    GROUP BY GROUPING SETS (
        (programme_id, wave, indicator, participant_id),
        (programme_id, wave, indicator, participant_id, wave_sex),
        (programme_id, wave, indicator, participant_id, wave_age_band)
    )
)
SELECT
    programme_id, wave, indicator, 'all' AS group_id, sex, age_band,
    y0 IS NOT NULL AS at_baseline,
    y1 IS NOT NULL AS at_followup,
    count(*) AS people,
    coalesce(sum(y0), 0) AS total0,
    coalesce(sum(y1), 0) AS total1,
    coalesce(sum(y0 * y0), 0) AS cross00,
    coalesce(sum(y1 * y1), 0) AS cross11,
    coalesce(sum(y0 * y1), 0) AS cross01
FROM people
GROUP BY ALL
ORDER BY ALL
