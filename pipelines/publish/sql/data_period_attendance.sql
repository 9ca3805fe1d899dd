-- The data period of the whole warehouse: first to last attended session of any group,
-- registered or not. (The indicators stage ends each programme's own period at the last
-- attended session of its registered groups: see indicators/programme.sql.)
select min(session_date), max(session_date) from attendance where attended
