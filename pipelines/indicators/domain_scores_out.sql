-- unpack the unit struct of index_output into the domain_scores columns
CREATE OR REPLACE TABLE domain_scores AS
SELECT
    unit.programme_id AS programme_id, unit.country AS country, unit.region AS region,
    unit.group_id AS group_id, unit.arm AS arm, unit.wave AS wave,
    sex, item,
    round(value, 10) AS value,  -- stable across runs whatever the summation order
    CAST(indicators_used AS INTEGER) AS indicators_used,
    CAST(indicators_total AS INTEGER) AS indicators_total,
    partial,
    nullif(note, '') AS note
FROM index_output
ORDER BY programme_id, country, region, group_id, arm, wave, sex, item;
