-- indicator_observations: one row per respondent per survey indicator whose population
-- (age band) includes them and whose items they answered. The per-indicator columns
-- are generated from the catalogue (reference/indicators.csv): for each indicator,
--   CASE WHEN <in population> AND <items not null> THEN CAST((<rule_sql>) AS DOUBLE) END
-- so a share's rule yields 1/0 and a mean's rule yields the score. UNPIVOT drops the
-- NULLs, i.e. people outside the population or who did not answer.
-- A questionnaire's declared measures (catalogue source 'declared') are added after
-- the unpivot, one SELECT each: their rule runs over their items alone, read from
-- survey_items and joined to the respondent's row by its provenance.
--
-- No part of a total may go missing, or it could be recovered by subtraction: every
-- breakdown column of a participant is therefore a value, 'unknown' when not known
-- (no sex, no birth year, disability not asked, a group with no region or country, a
-- group_id not in the groups register, no group_id at all). A comparison respondent
-- has no group by design: group, country and region stay NULL, and they appear in
-- the programme cells of the comparison arm only (which has no group cells to
-- subtract them from).
CREATE OR REPLACE TABLE indicator_observations AS
WITH respondents AS (
    SELECT
        s.* EXCLUDE (group_id, sex),
        CASE WHEN s.arm <> 'comparison' THEN coalesce(s.group_id, 'unknown') END AS group_id,
        CASE WHEN s.arm <> 'comparison' THEN coalesce(g.country, 'unknown') END AS country,
        CASE WHEN s.arm <> 'comparison' THEN coalesce(g.region, 'unknown') END AS region,
        coalesce(s.sex, 'unknown') AS sex,
        -- the breakdown age bands, defined here and nowhere else
        CASE
            WHEN s.age IS NULL THEN 'unknown'
            WHEN s.age < 55 THEN '<55'
            WHEN s.age < 65 THEN '55-64'
            WHEN s.age < 75 THEN '65-74'
            ELSE '75+'
        END AS age_band,
        CASE s.disability WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END AS disability_code
    FROM survey_analysed AS s
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
/*declared_observations*/
ORDER BY indicator, programme_id, arm, wave, participant_id;
