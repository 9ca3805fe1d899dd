-- A reporting period's slice of the warehouse (`wh`), for the indicators and impact
-- stages to rebuild: groups started by the period's end (a group without a start date
-- stays), the sessions of the period, the interviews up to its end (a follow-up in the
-- period is compared with the baseline before it). ingest_log and quarantine describe
-- the files, not the period, and are copied whole.
create table groups as select * from wh.groups where start_date is null or start_date <= $end;
create table attendance as select * from wh.attendance where session_date between $start and $end;
create table survey as select * from wh.survey where interview_date is null or interview_date <= $end;
create table ingest_log as select * from wh.ingest_log;
create table quarantine as select * from wh.quarantine
