-- Dose-response aggregates: per programme, follow-up wave, indicator and attendance
-- third (dose_thirds; NULL when the person's attendance is unknown), the changes of the
-- participants seen in both waves, by group (the cluster), with the third's session range.
SELECT
    p.programme_id, p.wave, p.indicator, t.tertile, p.cluster, 0 AS cell,
    count(*) AS n,
    sum(p.diff) AS total,
    greatest(sum(p.diff * p.diff) - sum(p.diff) * sum(p.diff) / count(*), 0) AS ss,
    min(t.sessions) AS sessions_min,
    max(t.sessions) AS sessions_max
FROM impact_pairs AS p
LEFT JOIN dose_thirds AS t USING (programme_id, wave, participant_id)
GROUP BY ALL
ORDER BY ALL
