-- A reporting period's slice of the warehouse (`wh`), for the indicators and impact
-- stages to rebuild: groups started by the period's end (a group without a start date
-- stays), the sessions of the period, and the survey waves completed by its end, each
-- whole (a follow-up in the period is compared with the baseline before it). A wave is
-- a programme's wave across arms, it is complete when its last interview is dated by
-- the period's end, and one with no dated interview goes everywhere alike. So a wave's
-- cells are the same in every report that shows them, and two reports cannot be
-- differenced to the people interviewed between their ends (docs/disclosure.md).
-- ingest_log and quarantine describe the files, not the period, and are copied whole.
create table groups as select * from wh.groups where start_date is null or start_date <= $end;
create table attendance as select * from wh.attendance where session_date between $start and $end;
create table survey as
select s.* from wh.survey as s
where (s.programme_id, s.wave) in (
    select (programme_id, wave) from wh.survey
    group by programme_id, wave
    having coalesce(max(interview_date) <= $end, true));
create table ingest_log as select * from wh.ingest_log;
create table quarantine as select * from wh.quarantine
