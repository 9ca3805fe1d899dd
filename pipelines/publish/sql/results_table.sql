-- The results table (publish/results.py): typed here, so an empty table (no framework
-- in the data root) has the same columns as a full one.
create or replace table results (
    programme_id varchar, indicator varchar, name varchar, reference varchar, result varchar, unit varchar,
    ascending boolean, baseline double, baseline_source varchar, baseline_id varchar,
    actual double, ci_low double, ci_high double, n bigint, actual_wave varchar, actual_id varchar,
    target double, target_date date, progress varchar, reason varchar
)
