-- domain_scores: D1–D4 and the AAI per unit (programme, group, country, region) by
-- arm, wave and sex, from the visible (not suppressed) AAI indicator cells of
-- `indicators` — a suppressed cell contributes nothing — plus the user's national
-- figures (national_values: country, sex, indicator, value) for the indicators no
-- survey gives (3.4, 4.1, 4.2), matched on the unit's country. A programme's
-- country is its groups' country when they all lie in one (the programme_country
-- view, programme_country.sql, created by build.py).
CREATE OR REPLACE TEMP TABLE domain_input AS
WITH
cells AS (
    SELECT
        {'programme_id': i.programme_id, 'country': i.country, 'region': i.region,
         'group_id': i.group_id, 'arm': i.arm, 'wave': i.wave} AS unit,
        coalesce(nullif(i.country, 'all'), pc.country) AS unit_country,
        i.sex, i.indicator, i.value
    FROM indicators AS i
    JOIN aai_weights AS w ON w.code = i.indicator AND w.kind <> 'domain'
    LEFT JOIN programme_country AS pc ON pc.programme_id = i.programme_id
    WHERE i.age_band = 'all' AND i.disability = 'all' AND NOT i.suppressed
)
SELECT unit, sex, indicator, value, false AS national FROM cells
UNION ALL
SELECT u.unit, u.sex, n.indicator, n.value, true AS national
FROM (SELECT DISTINCT unit, unit_country, sex FROM cells) AS u
JOIN national_values AS n ON n.country = u.unit_country AND n.sex = u.sex;

CREATE OR REPLACE TEMP VIEW index_input AS SELECT * FROM domain_input;
