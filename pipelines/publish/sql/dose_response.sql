-- Change by attendance third, only for indicators where every third is large enough
-- for the trend test (the impact stage leaves trend_slope NULL otherwise), so no
-- third under the minimum cell size reaches the report.
select programme_id, wave, indicator, unit, tertile, sessions_min, sessions_max, n, change, ci_low, ci_high,
       trend_slope, trend_ci_low, trend_ci_high, trend_p
from dose_response
where (programme_id, wave, indicator) in (
    select (programme_id, wave, indicator) from dose_response
    group by programme_id, wave, indicator
    having count(trend_slope) = count(*))
order by programme_id, wave, indicator, tertile
