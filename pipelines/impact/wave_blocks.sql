-- Participant aggregates for change and DiD: per follow-up wave, indicator, breakdown
-- (classed at each interview, as in `indicators`: the total, each group, sex and age
-- band), group (the cluster) and wave (cell 0 baseline, 1 follow-up): the count, the
-- sum and the within-block sum of squares. 'unknown' breakdowns are kept: the caller
-- estimates none of them but their sizes matter.
-- The sum of squares is Σy² − (Σy)²/n rather than var_pop: survey values are whole
-- numbers, so both sums are exact in any order and a rerun gives the same figures
-- (DuckDB sums in parallel; a citable figure must not change between identical runs).
SELECT
    programme_id, wave, indicator,
    CASE WHEN grouping(wave_group_id) = 1 THEN 'all' ELSE wave_group_id END AS group_id,
    CASE WHEN grouping(wave_sex) = 1 THEN 'all' ELSE wave_sex END AS sex,
    CASE WHEN grouping(wave_age_band) = 1 THEN 'all' ELSE wave_age_band END AS age_band,
    cluster, cell,
    count(*) AS n,
    sum(value) AS total,
    greatest(sum(value * value) - sum(value) * sum(value) / count(*), 0) AS ss
FROM impact_obs
WHERE arm = 'participant'
GROUP BY GROUPING SETS (
    (programme_id, wave, indicator, cluster, cell),
    (programme_id, wave, indicator, wave_group_id, cluster, cell),
    (programme_id, wave, indicator, wave_sex, cluster, cell),
    (programme_id, wave, indicator, wave_age_band, cluster, cell)
)
