-- interval_blocks: what each share and mean cell of `indicators` needs for its interval
-- (pipelines/indicators/intervals.py): per cell and cluster, the count, the sum and the
-- within-block sum of squares. The cells are those of indicators.sql, from the same
-- GROUPING SETS with the cluster added to each set; the columns outside a set read 'all'.
--
-- A participant's cluster is their group in their programme (a participant with no
-- group recorded is in that programme's 'unknown' group, which is not counted among
-- the groups). A comparison respondent has no group and is independent of the
-- others, and so is a group when the indicator counts groups (groups still meeting):
-- those rows have no cluster, and each cell keeps one block for them.
-- The sum of squares is Σy² − (Σy)²/n: for whole-number values (every survey answer)
-- both sums are exact whatever order DuckDB adds them in, so reruns agree to the bit.
WITH
observations AS (
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability, indicator, value
    FROM indicator_observations
    UNION ALL
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability, indicator, value
    FROM programme_observations
),
clustered AS (
    SELECT
        o.*,
        CASE WHEN o.arm = 'participant' AND k.counts <> 'groups'
             THEN o.programme_id || '/' || o.group_id END AS cluster,
        o.group_id <> 'unknown' AS known_group
    FROM observations AS o
    JOIN indicator_catalogue AS k ON k.code = o.indicator
    WHERE k.kind IN ('share', 'mean')
),
blocks AS (
    SELECT
        indicator, programme_id, country, region, group_id, arm, wave, sex, age_band, disability, cluster,
        grouping(programme_id) AS all_programmes,
        grouping(country) AS all_countries,
        grouping(region) AS all_regions,
        grouping(group_id) AS all_groups,
        grouping(sex) AS all_sexes,
        grouping(age_band) AS all_ages,
        grouping(disability) AS all_disability,
        bool_and(known_group) AS known_group,
        count(*) AS n,
        sum(value) AS total,
        greatest(sum(value * value) - sum(value) * sum(value) / count(*), 0) AS ss
    FROM clustered
    GROUP BY GROUPING SETS (
        (indicator, arm, wave, programme_id, cluster),
        (indicator, arm, wave, programme_id, sex, cluster),
        (indicator, arm, wave, programme_id, age_band, cluster),
        (indicator, arm, wave, programme_id, disability, cluster),
        (indicator, arm, wave, programme_id, country, region, group_id, cluster),
        (indicator, arm, wave, programme_id, country, region, group_id, sex, cluster),
        (indicator, arm, wave, country, cluster),
        (indicator, arm, wave, country, sex, cluster),
        (indicator, arm, wave, country, region, cluster),
        (indicator, arm, wave, country, region, sex, cluster)
    )
)
SELECT
    indicator,
    CASE WHEN all_programmes = 1 THEN 'all' ELSE programme_id END AS programme_id,
    CASE WHEN all_countries = 1 THEN 'all' ELSE country END AS country,
    CASE WHEN all_regions = 1 THEN 'all' ELSE region END AS region,
    CASE WHEN all_groups = 1 THEN 'all' ELSE group_id END AS group_id,
    arm, wave,
    CASE WHEN all_sexes = 1 THEN 'all' ELSE sex END AS sex,
    CASE WHEN all_ages = 1 THEN 'all' ELSE age_band END AS age_band,
    CASE WHEN all_disability = 1 THEN 'all' ELSE disability END AS disability,
    cluster, coalesce(known_group, false) AS known_group, n, total, ss
FROM blocks
WHERE (all_programmes = 1 OR programme_id IS NOT NULL)
  AND (all_countries = 1 OR country IS NOT NULL)
  AND (all_regions = 1 OR region IS NOT NULL)
  AND (all_groups = 1 OR group_id IS NOT NULL)
  AND (all_sexes = 1 OR sex IS NOT NULL)
  AND (all_ages = 1 OR age_band IS NOT NULL)
  AND (all_disability = 1 OR disability IS NOT NULL)
