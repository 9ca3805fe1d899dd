-- Indicators on which those lost differed at baseline from those retained (interval excludes 0).
select programme_id, arm, wave, indicator, difference, ci_low, ci_high
from attrition
where indicator <> 'all' and difference is not null and (ci_low > 0 or ci_high < 0)
order by programme_id, arm, wave, indicator
