-- The input of the *comparable* domain scores: per place (programme, group, country,
-- region) and sex, only the survey indicators visible in every arm and wave of that
-- place, so that participants and the comparison group, baseline and follow-up, are
-- scored on the same indicators. National figures (3.4, 4.1, 4.2) are left out: they
-- are the same number in every arm and wave, so mixed into a comparison they only
-- dilute a programme's change (in D4 they carry 56 of its 100 weight points).
-- Re-points index_input (read by aggregate.sql) at this subset of domain_input.
CREATE OR REPLACE TEMP VIEW index_input AS
WITH
cells AS (
    SELECT unit, {'programme_id': unit.programme_id, 'country': unit.country, 'region': unit.region,
                  'group_id': unit.group_id} AS place,
           sex, indicator, value
    FROM domain_input
    WHERE NOT national
),
arm_waves AS (
    SELECT place, sex, count(DISTINCT unit) AS n FROM cells GROUP BY ALL
),
common AS (
    SELECT c.place, c.sex, c.indicator
    FROM cells AS c
    JOIN arm_waves AS a USING (place, sex)
    GROUP BY c.place, c.sex, c.indicator, a.n
    HAVING count(DISTINCT c.unit) = a.n
)
SELECT c.unit, c.sex, c.indicator, c.value, false AS national
FROM cells AS c
JOIN common USING (place, sex, indicator);
