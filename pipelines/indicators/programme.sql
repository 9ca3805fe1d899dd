-- programme_observations: what the programme delivered, from attendance and groups,
-- in the same long shape as indicator_observations so one aggregation serves both.
-- unit_id is what the indicator counts (a participant, a session or a group).
-- sex, age_band and disability are NULL: the registers do not carry them, and the
-- breakdowns by them are dropped for these indicators (the whole breakdown, never a
-- part of it). Attendance of a group missing from `groups` belongs to no programme
-- and is left out of every cell alike.
CREATE OR REPLACE TEMP TABLE programme_observations AS
WITH
register AS (
    SELECT a.*, g.programme_id
    FROM attendance_analysed AS a
    JOIN groups AS g USING (group_id)
),
period AS (
    -- A programme's data period ends at the latest session anyone of it attended: a
    -- programme whose registers stop earlier is not judged against another's dates.
    SELECT programme_id, max(session_date) AS period_end
    FROM register
    WHERE attended
    GROUP BY programme_id
),
leaders AS (
    -- rows per (session, led_by): the session's leader is the most frequent value
    SELECT group_id, session_date, led_by, count(*) AS n_rows
    FROM register
    WHERE led_by IS NOT NULL
    GROUP BY group_id, session_date, led_by
),
session_leader AS (
    -- On a tie the order staff, volunteer, participant decides: fixed, so the figure
    -- is the same on every run, and a tie never counts as led by a participant.
    SELECT group_id, session_date,
           arg_max(led_by, [n_rows, CASE led_by WHEN 'staff' THEN 3 WHEN 'volunteer' THEN 2
                                                WHEN 'participant' THEN 1 ELSE 0 END]) AS led_by
    FROM leaders
    GROUP BY group_id, session_date
),
sessions AS (
    -- a session is held when at least one person was marked present
    SELECT
        r.programme_id,
        r.group_id,
        r.session_date,
        row_number() OVER (PARTITION BY r.group_id ORDER BY r.session_date) AS session_no,
        max(r.duration_minutes) AS duration_minutes,
        any_value(l.led_by) AS led_by
    FROM register AS r
    LEFT JOIN session_leader AS l USING (group_id, session_date)
    GROUP BY r.programme_id, r.group_id, r.session_date
    HAVING bool_or(r.attended)
),
group_span AS (
    SELECT group_id, max(session_date) AS last_session, max(session_no) AS last_session_no
    FROM sessions
    GROUP BY group_id
),
present AS (
    SELECT
        a.programme_id,
        a.group_id,
        a.participant_id,
        a.session_date,
        s.session_no,
        coalesce(a.duration_minutes, s.duration_minutes) AS duration_minutes,
        lag(a.session_date) OVER person AS previous_date,
        lag(s.session_no) OVER person AS previous_no
    FROM register AS a
    JOIN sessions AS s USING (group_id, session_date)
    WHERE a.attended
    WINDOW person AS (PARTITION BY a.group_id, a.participant_id ORDER BY a.session_date)
),
memberships AS (
    -- one row per participant per group they attended at least once
    SELECT
        p.programme_id,
        p.group_id,
        p.participant_id,
        min(p.session_date) AS first_session,
        max(p.session_date) AS last_session,
        min(p.session_no) AS first_no,
        max(p.session_no) AS last_no,
        count(*) AS attended_sessions,
        sum(p.duration_minutes) / 60.0 AS hours,
        -- came back after 28+ days away while the group met at least once without them
        coalesce(bool_or(p.session_date - p.previous_date >= 28 AND p.session_no - p.previous_no > 1), false)
            AS returned
    FROM present AS p
    GROUP BY p.programme_id, p.group_id, p.participant_id
),
member_obs AS (
    SELECT
        m.group_id,
        m.participant_id AS unit_id,
        m.attended_sessions,
        m.hours,
        100.0 * m.attended_sessions / (m.last_no - m.first_no + 1) AS attendance_rate,
        CASE WHEN m.first_session + INTERVAL 3 MONTH <= period.period_end
             THEN m.last_session >= m.first_session + INTERVAL 3 MONTH END AS retained_3m,
        CASE WHEN m.first_session + INTERVAL 6 MONTH <= period.period_end
             THEN m.last_session >= m.first_session + INTERVAL 6 MONTH END AS retained_6m,
        CASE WHEN m.returned
                  OR (g.last_session - m.last_session >= 28 AND g.last_session_no > m.last_no)
             THEN m.returned END AS returned_after_gap
    FROM memberships AS m
    JOIN group_span AS g USING (group_id)
    LEFT JOIN period USING (programme_id)
),
session_obs AS (
    SELECT group_id, group_id || '|' || CAST(session_date AS VARCHAR) AS unit_id, led_by
    FROM sessions
),
group_obs AS (
    SELECT
        gr.group_id,
        gr.group_id AS unit_id,
        coalesce(gr.end_date IS NULL AND gs.last_session >= period.period_end - 56, false) AS meeting,
        coalesce(gr.facilitation = 'self_run', false) AS self_run
    FROM groups AS gr
    LEFT JOIN group_span AS gs USING (group_id)
    LEFT JOIN period USING (programme_id)
),
long AS (
    SELECT group_id, unit_id, 'P.reached' AS indicator, 1.0 AS value FROM member_obs
    -- over the participants with a duration recorded: they are who the sum is of, so a
    -- sum resting on fewer than min_cell people is suppressed like any small cell
    UNION ALL SELECT group_id, unit_id, 'P.hours', hours FROM member_obs WHERE hours IS NOT NULL
    UNION ALL SELECT group_id, unit_id, 'P.attendance_rate', attendance_rate FROM member_obs
    UNION ALL SELECT group_id, unit_id, 'P.sessions_per_participant', attended_sessions FROM member_obs
    UNION ALL SELECT group_id, unit_id, 'P.retention_3m', CAST(retained_3m AS DOUBLE) FROM member_obs WHERE retained_3m IS NOT NULL
    UNION ALL SELECT group_id, unit_id, 'P.retention_6m', CAST(retained_6m AS DOUBLE) FROM member_obs WHERE retained_6m IS NOT NULL
    UNION ALL SELECT group_id, unit_id, 'P.return_after_gap', CAST(returned_after_gap AS DOUBLE) FROM member_obs WHERE returned_after_gap IS NOT NULL
    UNION ALL SELECT group_id, unit_id, 'P.sessions', 1.0 FROM session_obs
    UNION ALL SELECT group_id, unit_id, 'P.led_by_participants', CAST(led_by = 'participant' AS DOUBLE) FROM session_obs WHERE led_by IS NOT NULL
    UNION ALL SELECT group_id, unit_id, 'P.groups_started', 1.0 FROM group_obs
    UNION ALL SELECT group_id, unit_id, 'P.groups_meeting', CAST(meeting AS DOUBLE) FROM group_obs
    UNION ALL SELECT group_id, unit_id, 'P.groups_self_run', CAST(self_run AS DOUBLE) FROM group_obs
)
SELECT
    g.programme_id, coalesce(g.country, 'unknown') AS country, coalesce(g.region, 'unknown') AS region, l.group_id,
    'participant' AS arm, 'all' AS wave,
    CAST(NULL AS VARCHAR) AS sex, CAST(NULL AS VARCHAR) AS age_band, CAST(NULL AS VARCHAR) AS disability,
    l.unit_id, l.indicator, CAST(l.value AS DOUBLE) AS value
FROM long AS l
JOIN groups AS g USING (group_id);
