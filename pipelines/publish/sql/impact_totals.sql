-- Programme-total impact estimates (no group, sex or age-band breakdown), with how each
-- was tested and whether the programme's report claims it (pipelines/impact/claims.py).
select indicator, programme_id, group_id, sex, age_band, wave, method, unit, estimate, ci_low, ci_high, p_value,
       n, mde, n_outcomes, bh_significant, se, df, n_clusters, clustering, role, family_size, survives
from impact_estimates
where group_id = 'all' and sex = 'all' and age_band = 'all'
order by programme_id, wave, indicator, method
