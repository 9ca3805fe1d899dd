select * from results order by programme_id, indicator
