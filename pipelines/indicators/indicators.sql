-- indicators: every indicator aggregated over the breakdown cells, before suppression.
-- Inputs: indicator_observations (survey), programme_observations (registers),
-- indicator_catalogue (code, kind, counts) and t_critical (df, t) for mean intervals.
--
-- Cells come from one GROUPING SETS: for each unit — programme, group, country,
-- region — the total and the split by sex; for programmes also by age band and by
-- disability. arm and wave are in every set (they are never summed over). A column
-- outside a set reads 'all'. No part of a total is ever dropped: observations.sql
-- gives every participant a value ('unknown' at worst) in every breakdown column.
-- NULL is left only where a whole breakdown does not exist, and those cells are
-- dropped: the group, country and region of the comparison arm (it has no groups)
-- and the sex, age and disability of programme outputs (the registers carry none).
CREATE OR REPLACE TABLE indicators AS
WITH
observations AS (
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
           participant_id AS unit_id, indicator, value
    FROM indicator_observations
    UNION ALL
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
           unit_id, indicator, value
    FROM programme_observations
),
cells AS (
    SELECT
        indicator, programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
        grouping(programme_id) AS all_programmes,
        grouping(country) AS all_countries,
        grouping(region) AS all_regions,
        grouping(group_id) AS all_groups,
        grouping(sex) AS all_sexes,
        grouping(age_band) AS all_ages,
        grouping(disability) AS all_disability,
        count(*) AS n,
        count(DISTINCT unit_id) AS n_units,
        sum(value) AS total,
        avg(value) AS mean,
        stddev_samp(value) AS sd
    FROM observations
    GROUP BY GROUPING SETS (
        (indicator, arm, wave, programme_id),
        (indicator, arm, wave, programme_id, sex),
        (indicator, arm, wave, programme_id, age_band),
        (indicator, arm, wave, programme_id, disability),
        (indicator, arm, wave, programme_id, country, region, group_id),
        (indicator, arm, wave, programme_id, country, region, group_id, sex),
        (indicator, arm, wave, country),
        (indicator, arm, wave, country, sex),
        (indicator, arm, wave, country, region),
        (indicator, arm, wave, country, region, sex)
    )
),
known AS (
    SELECT c.*, k.kind, k.counts
    FROM cells AS c
    JOIN indicator_catalogue AS k ON k.code = c.indicator
    WHERE (all_programmes = 1 OR programme_id IS NOT NULL)
      AND (all_countries = 1 OR country IS NOT NULL)
      AND (all_regions = 1 OR region IS NOT NULL)
      AND (all_groups = 1 OR group_id IS NOT NULL)
      AND (all_sexes = 1 OR sex IS NOT NULL)
      AND (all_ages = 1 OR age_band IS NOT NULL)
      AND (all_disability = 1 OR disability IS NOT NULL)
      -- a group is one group: counts of groups are reported from the programme up
      AND NOT (k.counts = 'groups' AND all_groups = 0)
),
measured AS (
    SELECT
        *,
        CASE kind WHEN 'count' THEN n_units ELSE total END AS numerator_,
        CASE WHEN kind IN ('count', 'sum') THEN n_units ELSE n END AS denominator_,
        CASE kind
            WHEN 'share' THEN 100.0 * total / n
            WHEN 'mean' THEN mean
            WHEN 'count' THEN n_units
            WHEN 'sum' THEN total
        END AS value_,
        1.959963984540054 AS z
    FROM known
)
SELECT
    m.indicator,
    CASE WHEN all_programmes = 1 THEN 'all' ELSE programme_id END AS programme_id,
    CASE WHEN all_countries = 1 THEN 'all' ELSE country END AS country,
    CASE WHEN all_regions = 1 THEN 'all' ELSE region END AS region,
    CASE WHEN all_groups = 1 THEN 'all' ELSE group_id END AS group_id,
    arm,
    wave,
    CASE WHEN all_sexes = 1 THEN 'all' ELSE sex END AS sex,
    CASE WHEN all_ages = 1 THEN 'all' ELSE age_band END AS age_band,
    CASE WHEN all_disability = 1 THEN 'all' ELSE disability END AS disability,
    -- Rounded to 1e-10: DuckDB sums in parallel, and the last bits of a float sum depend
    -- on the order; a stored (citable) figure must not change between identical runs.
    round(CAST(numerator_ AS DOUBLE), 10) AS numerator,
    CAST(denominator_ AS BIGINT) AS denominator,
    round(CAST(value_ AS DOUBLE), 10) AS value,
    round(CAST(CASE kind
        -- Wilson score interval, in percent
        WHEN 'share' THEN 100.0 * greatest(0.0,
            (total / n + z * z / (2 * n)
             - z * sqrt(total / n * (1 - total / n) / n + z * z / (4 * n * n))) / (1 + z * z / n))
        -- t interval: mean ± t(0.975, n − 1) · sd / √n
        WHEN 'mean' THEN mean - t.t * sd / sqrt(n)
    END AS DOUBLE), 10) AS ci_low,
    round(CAST(CASE kind
        WHEN 'share' THEN 100.0 * least(1.0,
            (total / n + z * z / (2 * n)
             + z * sqrt(total / n * (1 - total / n) / n + z * z / (4 * n * n))) / (1 + z * z / n))
        WHEN 'mean' THEN mean + t.t * sd / sqrt(n)
    END AS DOUBLE), 10) AS ci_high,
    false AS suppressed
FROM measured AS m
LEFT JOIN t_critical AS t ON t.df = m.n - 1
ORDER BY indicator, programme_id, country, region, group_id, arm, wave, sex, age_band, disability;
