-- The data period as the indicators stage ends it: first to last attended session.
select min(session_date), max(session_date) from attendance where attended
