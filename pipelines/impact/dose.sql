-- dose: sessions each participant seen at baseline and a later wave attended, in any
-- group of their programme (from the groups register), up to that wave's interview.
-- sessions is NULL (unknown dose) unless the person appears on a register of the
-- programme or their group (at baseline) keeps one: someone missing from a register
-- their group keeps attended 0 sessions.
WITH
interviews AS (
    SELECT programme_id, participant_id, wave, max(interview_date) AS interview_date,
           any_value(group_id ORDER BY interview_date) AS group_id
    FROM survey_analysed
    WHERE arm = 'participant'
    GROUP BY programme_id, participant_id, wave
),
people AS (
    SELECT f.programme_id, f.wave, f.participant_id, f.interview_date, b.group_id
    FROM interviews AS f
    JOIN interviews AS b
      ON b.programme_id = f.programme_id AND b.participant_id = f.participant_id AND b.wave = 'baseline'
    WHERE f.wave <> 'baseline'
),
register AS (
    SELECT g.programme_id, a.group_id, a.participant_id, a.session_date, a.attended
    FROM attendance_analysed AS a
    JOIN groups AS g USING (group_id)
),
registered_groups AS (SELECT DISTINCT programme_id, group_id FROM register),
on_register AS (SELECT DISTINCT programme_id, participant_id FROM register),
attended AS (
    SELECT p.programme_id, p.wave, p.participant_id, count(*) AS sessions
    FROM people AS p
    JOIN register AS r ON r.programme_id = p.programme_id AND r.participant_id = p.participant_id
    WHERE r.attended AND (p.interview_date IS NULL OR r.session_date <= p.interview_date)
    GROUP BY p.programme_id, p.wave, p.participant_id
)
SELECT
    p.programme_id, p.wave, p.participant_id,
    CASE WHEN o.participant_id IS NOT NULL OR rg.group_id IS NOT NULL
         THEN CAST(coalesce(a.sessions, 0) AS DOUBLE) END AS sessions
FROM people AS p
LEFT JOIN attended AS a USING (programme_id, wave, participant_id)
LEFT JOIN on_register AS o USING (programme_id, participant_id)
LEFT JOIN registered_groups AS rg ON rg.programme_id = p.programme_id AND rg.group_id = p.group_id
ORDER BY p.programme_id, p.wave, p.participant_id
