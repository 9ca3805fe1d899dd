-- Who was lost between waves, per programme, arm and follow-up: counts only.
select programme_id, arm, wave, n_baseline, n_retained, n_lost
from attrition
where indicator = 'all'
order by programme_id, arm, wave
