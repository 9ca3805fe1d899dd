-- Paired-change aggregates: per follow-up wave, indicator, breakdown (classed at the
-- first interview; 'unknown' kept, since the parts of a breakdown add up to its total)
-- and group, the count, sum and within-block sum of squares of the changes.
SELECT
    programme_id, wave, indicator,
    CASE WHEN grouping(group_id) = 1 THEN 'all' ELSE group_id END AS group_id,
    CASE WHEN grouping(sex) = 1 THEN 'all' ELSE sex END AS sex,
    CASE WHEN grouping(age_band) = 1 THEN 'all' ELSE age_band END AS age_band,
    cluster, 0 AS cell,
    count(*) AS n,
    sum(diff) AS total,
    greatest(sum(diff * diff) - sum(diff) * sum(diff) / count(*), 0) AS ss
FROM impact_pairs
GROUP BY GROUPING SETS (
    (programme_id, wave, indicator, cluster),
    (programme_id, wave, indicator, group_id, cluster),
    (programme_id, wave, indicator, sex, cluster),
    (programme_id, wave, indicator, age_band, cluster)
)
