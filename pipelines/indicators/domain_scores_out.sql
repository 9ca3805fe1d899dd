-- domain_scores: index_full (scores over every indicator available, national figures
-- included) beside index_output (the comparable scores of domain_comparable.sql),
-- each with the indicator codes behind it, so a reader sees which set a score rests on.
CREATE OR REPLACE TABLE domain_scores AS
SELECT
    f.unit.programme_id AS programme_id, f.unit.country AS country, f.unit.region AS region,
    f.unit.group_id AS group_id, f.unit.arm AS arm, f.unit.wave AS wave,
    f.sex, f.item,
    round(f.value, 10) AS value,  -- stable across runs whatever the summation order
    CAST(f.indicators_used AS INTEGER) AS indicators_used,
    CAST(f.indicators_total AS INTEGER) AS indicators_total,
    f.partial,
    nullif(f.note, '') AS note,
    f.indicator_set,
    round(c.value, 10) AS comparable_value,
    c.indicator_set AS comparable_set
FROM index_full AS f
LEFT JOIN index_output AS c USING (unit, sex, item)
ORDER BY programme_id, country, region, group_id, arm, wave, sex, item;
