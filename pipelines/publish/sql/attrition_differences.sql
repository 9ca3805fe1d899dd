-- Every tested baseline comparison of those lost with those retained: the report's
-- attrition family (claims.attrition_claims), of which it states only the survivors.
select programme_id, arm, wave, indicator, difference, ci_low, ci_high, p_value
from attrition
where indicator <> 'all' and p_value is not null
order by programme_id, arm, wave, indicator
