-- indicators: every indicator aggregated over the breakdown cells, before suppression.
-- Inputs: indicator_observations (survey), programme_observations (registers) and
-- indicator_catalogue (code, kind, counts).
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
        avg(value) AS mean
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
        END AS value_
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
    -- Intervals are filled in by pipelines/indicators/intervals.py (groups as clusters).
    CAST(NULL AS DOUBLE) AS ci_low,
    CAST(NULL AS DOUBLE) AS ci_high,
    false AS suppressed,
    CAST(NULL AS VARCHAR) AS interval_method,
    CAST(NULL AS BIGINT) AS n_clusters,
    CAST(NULL AS DOUBLE) AS df,
    CAST(NULL AS VARCHAR) AS interval_note
FROM measured AS m
ORDER BY indicator, programme_id, country, region, group_id, arm, wave, sex, age_band, disability;
