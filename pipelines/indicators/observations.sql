-- indicator_observations: one row per respondent per survey indicator whose population
-- (age band) includes them and whose items they answered. The per-indicator columns
-- are generated from the catalogue (reference/indicators.csv): for each indicator,
--   CASE WHEN <in population> AND <items not null> THEN CAST((<rule_sql>) AS DOUBLE) END
-- so a share's rule yields 1/0 and a mean's rule yields the score. UNPIVOT drops the
-- NULLs, i.e. people outside the population or who did not answer.
CREATE OR REPLACE TABLE indicator_observations AS
WITH respondents AS (
    SELECT
        s.*,
        g.country,
        g.region,
        -- the breakdown age bands, defined here and nowhere else
        CASE
            WHEN s.age IS NULL THEN 'unknown'
            WHEN s.age < 55 THEN '<55'
            WHEN s.age < 65 THEN '55-64'
            WHEN s.age < 75 THEN '65-74'
            ELSE '75+'
        END AS age_band,
        CASE s.disability WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END AS disability_code
    FROM survey AS s
    LEFT JOIN groups AS g ON g.group_id = s.group_id
    WHERE s.consent IS NOT false
),
wide AS (
    SELECT
        participant_id, programme_id, country, region, group_id, arm, wave, sex, age_band,
        disability_code AS disability,
        /*indicator_columns*/
    FROM respondents
)
SELECT participant_id, programme_id, country, region, group_id, arm, wave, sex, age_band,
       disability, indicator, value
FROM (UNPIVOT wide ON /*indicator_names*/ INTO NAME indicator VALUE value)
ORDER BY indicator, programme_id, arm, wave, participant_id;
