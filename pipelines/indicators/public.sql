-- indicators_public: what may leave the warehouse. Every export, chart and report
-- reads this view, never the table. The denominator of a suppressed cell is hidden
-- too: it is a small count itself, and for counts (participants reached) it equals
-- the value. So are a suppressed cell's interval columns: its degrees of freedom
-- would give its size away.
CREATE OR REPLACE VIEW indicators_public AS
SELECT
    indicator, programme_id, country, region, group_id, arm, wave, sex, age_band, disability,
    CASE WHEN suppressed THEN NULL ELSE numerator END AS numerator,
    CASE WHEN suppressed THEN NULL ELSE denominator END AS denominator,
    CASE WHEN suppressed THEN NULL ELSE value END AS value,
    CASE WHEN suppressed THEN NULL ELSE ci_low END AS ci_low,
    CASE WHEN suppressed THEN NULL ELSE ci_high END AS ci_high,
    suppressed,
    CASE WHEN suppressed THEN NULL ELSE interval_method END AS interval_method,
    CASE WHEN suppressed THEN NULL ELSE n_clusters END AS n_clusters,
    CASE WHEN suppressed THEN NULL ELSE df END AS df,
    CASE WHEN suppressed THEN NULL ELSE interval_note END AS interval_note
FROM indicators;
