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
create table quarantine as select * from wh.quarantine;
-- the reviewer's exclusions of the rows in the slice, so a period's figures leave out
-- what the warehouse's leave out (docs/review.md)
create table review_exclusions as
select e.* from wh.review_exclusions as e
where exists (select 1 from survey as s where e.table_name = 'survey'
              and s.source_file = e.source_file and s.source_row = e.source_row)
   or exists (select 1 from attendance as a where e.table_name = 'attendance'
              and a.source_file = e.source_file and a.source_row = e.source_row
              and a.source_column = e.source_column)
