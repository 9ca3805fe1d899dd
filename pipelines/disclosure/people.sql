-- disclosure_people: one row per person (a membership, for the registers) per block,
-- arm and wave, as the attacker's model places them: the coordinates of the finest
-- published breakdown and the *signature* — which of the block's indicators they count
-- in (their age and the items they answered decide it) and on which shares they
-- succeed. disclosure_scores: their score on each mean (and hours, a sum).
-- Inputs: indicator_observations, programme_observations and disclosure_indicators
-- (rules.model_indicators). A breakdown that does not exist for them (a comparison
-- respondent's group, a register's sex) reads 'all', as in `indicators`.
CREATE OR REPLACE TEMP TABLE disclosure_observations AS
SELECT d.block, d.kind, o.arm, o.wave, o.programme_id,
       coalesce(o.country, 'all') AS country, coalesce(o.region, 'all') AS region,
       coalesce(o.group_id, 'all') AS group_id, coalesce(o.sex, 'all') AS sex,
       coalesce(o.age_band, 'all') AS age_band, coalesce(o.disability, 'all') AS disability,
       o.unit_id, o.indicator, o.value
FROM (
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
           participant_id AS unit_id, indicator, value
    FROM indicator_observations
    UNION ALL
    SELECT programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
           unit_id, indicator, value
    FROM programme_observations
) AS o
JOIN disclosure_indicators AS d ON d.code = o.indicator
WHERE d.block IS NOT NULL;

CREATE OR REPLACE TEMP TABLE disclosure_people AS
SELECT block, arm, wave, programme_id, country, region, group_id, sex, age_band, disability, unit_id,
       list(indicator ORDER BY indicator) AS popset,
       coalesce(list(indicator ORDER BY indicator) FILTER (WHERE kind = 'share' AND value = 1), []) AS successes
FROM disclosure_observations
GROUP BY block, arm, wave, programme_id, country, region, group_id, sex, age_band, disability, unit_id;

CREATE OR REPLACE TEMP TABLE disclosure_scores AS
SELECT block, arm, wave, programme_id, country, region, group_id, sex, age_band, disability, unit_id,
       indicator, value
FROM disclosure_observations
WHERE kind IN ('mean', 'sum');
