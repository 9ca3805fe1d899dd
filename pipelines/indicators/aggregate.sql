-- AAI aggregation, shared by the domain_scores asset and `aai index`.
-- Input index_input(unit, sex, indicator, value, national): one value per unit, sex
-- and indicator, on the 0–100 scale; unit is any type (a text, or a struct of the
-- breakdown columns). aai_weights(code, domain, weight, kind) comes from the catalogue.
--
-- indicator_set lists the codes a score rests on (the AAI: those of its domains).
-- Domain score = Σ wᵢ·xᵢ / Σ wᵢ over the indicators present, so a partial domain
-- rescales its weights and says "partial (k of n indicators)". The overall AAI is
-- the domain-weighted mean (35, 35, 10, 20) and exists only when all four domains
-- have a score; otherwise its row carries a NULL value and says which are missing.
CREATE OR REPLACE TEMP TABLE index_output AS
WITH
indicator_weights AS (
    SELECT code AS indicator, domain, weight FROM aai_weights WHERE kind <> 'domain'
),
domain_weights AS (
    SELECT code AS domain, weight FROM aai_weights WHERE kind = 'domain'
),
domain_sizes AS (
    SELECT domain, count(*) AS indicators_total FROM indicator_weights GROUP BY domain
),
domains AS (
    SELECT
        i.unit,
        i.sex,
        w.domain AS item,
        sum(w.weight * i.value) / sum(w.weight) AS value,
        count(*) AS indicators_used,
        any_value(s.indicators_total) AS indicators_total,
        list_sort(list(i.indicator)) AS codes,
        list_sort(list(i.indicator) FILTER (WHERE i.national)) AS national_used
    FROM index_input AS i
    JOIN indicator_weights AS w USING (indicator)
    JOIN domain_sizes AS s ON s.domain = w.domain
    WHERE i.value IS NOT NULL AND NOT isnan(i.value)
    GROUP BY i.unit, i.sex, w.domain
),
overall AS (
    SELECT
        u.unit,
        u.sex,
        'AAI' AS item,
        CASE WHEN count(d.item) = 4 THEN sum(dw.weight * d.value) / sum(dw.weight) END AS value,
        coalesce(sum(d.indicators_used), 0) AS indicators_used,
        (SELECT count(*) FROM indicator_weights) AS indicators_total,
        list_sort(list(dw.domain) FILTER (WHERE d.item IS NULL)) AS missing_domains,
        list_sort(flatten(list(d.codes) FILTER (WHERE d.item IS NOT NULL))) AS codes,
        flatten(list(d.national_used) FILTER (WHERE d.item IS NOT NULL)) AS national_used
    FROM (SELECT DISTINCT unit, sex FROM domains) AS u
    CROSS JOIN domain_weights AS dw
    LEFT JOIN domains AS d ON d.unit = u.unit AND d.sex = u.sex AND d.item = dw.domain
    GROUP BY u.unit, u.sex
)
SELECT
    unit, sex, item, value, indicators_used, indicators_total,
    indicators_used < indicators_total AS partial,
    array_to_string(codes, ', ') AS indicator_set,
    concat_ws('; ',
        CASE WHEN indicators_used < indicators_total
             THEN 'partial (' || indicators_used || ' of ' || indicators_total || ' indicators)' END,
        CASE WHEN len(national_used) > 0
             THEN 'national figures for ' || array_to_string(list_sort(national_used), ', ') END
    ) AS note
FROM domains
UNION ALL
SELECT
    unit, sex, item, value, indicators_used, indicators_total,
    indicators_used < indicators_total AS partial,
    CASE WHEN value IS NOT NULL THEN array_to_string(codes, ', ') END AS indicator_set,
    concat_ws('; ',
        CASE WHEN len(missing_domains) > 0
             THEN 'not computed: no score for ' || array_to_string(missing_domains, ', ')
             WHEN indicators_used < indicators_total
             THEN 'from partial domains (' || indicators_used || ' of ' || indicators_total || ' indicators)' END,
        CASE WHEN value IS NOT NULL AND len(national_used) > 0
             THEN 'national figures for ' || array_to_string(list_sort(national_used), ', ') END
    ) AS note
FROM overall;
