-- The breakdowns estimated for each follow-up wave and indicator: the total, then each
-- group, sex and age band present among participants (classed at the first interview).
-- 'unknown' counts in the total but is not a breakdown of its own.
SELECT programme_id, wave, indicator, group_id, sex, age_band
FROM (
    SELECT
        programme_id, wave, indicator,
        CASE WHEN grouping(group_id) = 1 THEN 'all' ELSE group_id END AS group_id,
        CASE WHEN grouping(sex) = 1 THEN 'all' ELSE sex END AS sex,
        CASE WHEN grouping(age_band) = 1 THEN 'all' ELSE age_band END AS age_band,
        CASE WHEN grouping(group_id) = 0 THEN 1 WHEN grouping(sex) = 0 THEN 2
             WHEN grouping(age_band) = 0 THEN 3 ELSE 0 END AS breakdown
    FROM impact_obs
    WHERE arm = 'participant'
    GROUP BY GROUPING SETS (
        (programme_id, wave, indicator),
        (programme_id, wave, indicator, group_id),
        (programme_id, wave, indicator, sex),
        (programme_id, wave, indicator, age_band)
    )
)
WHERE 'unknown' NOT IN (group_id, sex, age_band)
ORDER BY programme_id, wave, indicator, breakdown, group_id, sex, age_band
