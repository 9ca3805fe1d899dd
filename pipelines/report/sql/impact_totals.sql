-- Programme-total impact estimates (no group, sex or age-band breakdown).
select indicator, programme_id, wave, method, unit, estimate, ci_low, ci_high, p_value, n, mde,
       n_outcomes, bh_significant
from impact_estimates
where group_id = 'all' and sex = 'all' and age_band = 'all'
order by programme_id, wave, indicator, method
