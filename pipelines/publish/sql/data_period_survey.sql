-- Without registers: first to last interview.
select min(interview_date), max(interview_date) from survey
