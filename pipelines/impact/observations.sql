-- impact_obs: every observation an impact estimate can use, once per follow-up wave it
-- is compared in: a baseline observation appears once for each follow-up wave of its
-- programme (cell 0), a follow-up observation once (cell 1). Waves are ranked by
-- impact_waves (baseline 0, followupN N); a programme has follow-up waves only if its
-- participants were interviewed at baseline.
--
-- Breakdown columns twice over: wave_* class a person at each interview, as
-- `indicators` does (change and DiD are differences of those cells); the plain ones are
-- fixed at the person's first interview for the indicator (paired change follows the
-- same people: someone who turns 65 between waves stays in one age band). A
-- participant's cluster is their group at that first interview ('unknown' when none
-- was recorded); a comparison respondent has no group and is a cluster of their own.
CREATE OR REPLACE TEMP TABLE impact_obs AS
WITH
ranked AS (
    SELECT
        o.participant_id, o.programme_id, o.arm, o.indicator, o.value, w.wave_rank,
        o.group_id AS wave_group_id, o.sex AS wave_sex, o.age_band AS wave_age_band,
        first_value(o.group_id) OVER person AS group_id,
        first_value(o.sex) OVER person AS sex,
        first_value(o.age_band) OVER person AS age_band
    FROM indicator_observations AS o
    JOIN impact_waves AS w USING (wave)
    WHERE o.value IS NOT NULL AND o.arm IN ('participant', 'comparison')
    WINDOW person AS (PARTITION BY o.programme_id, o.indicator, o.participant_id
                      ORDER BY w.wave_rank, o.group_id, o.sex, o.age_band)
),
baselines AS (
    SELECT DISTINCT programme_id FROM ranked WHERE arm = 'participant' AND wave_rank = 0
),
followups AS (
    SELECT DISTINCT r.programme_id, r.wave_rank AS followup
    FROM ranked AS r
    JOIN baselines USING (programme_id)
    WHERE r.arm = 'participant' AND r.wave_rank > 0
)
SELECT
    r.programme_id, w.wave, r.indicator, r.arm, r.participant_id,
    CASE WHEN r.wave_rank = 0 THEN 0 ELSE 1 END AS cell,
    r.value, r.wave_group_id, r.wave_sex, r.wave_age_band, r.group_id, r.sex, r.age_band,
    CASE WHEN r.arm = 'participant' THEN r.group_id ELSE r.participant_id END AS cluster
FROM ranked AS r
JOIN followups AS f ON f.programme_id = r.programme_id AND r.wave_rank IN (0, f.followup)
JOIN impact_waves AS w ON w.wave_rank = f.followup;

-- impact_pairs: per follow-up wave and indicator, each participant seen at baseline and
-- at the follow-up, with the change (follow-up minus baseline).
CREATE OR REPLACE TEMP TABLE impact_pairs AS
SELECT
    programme_id, wave, indicator, participant_id,
    any_value(group_id) AS group_id, any_value(sex) AS sex, any_value(age_band) AS age_band,
    any_value(cluster) AS cluster,
    avg(value) FILTER (WHERE cell = 1) - avg(value) FILTER (WHERE cell = 0) AS diff
FROM impact_obs
WHERE arm = 'participant'
GROUP BY programme_id, wave, indicator, participant_id
HAVING count(*) FILTER (WHERE cell = 0) > 0 AND count(*) FILTER (WHERE cell = 1) > 0;
