-- Per programme and year: groups started by the year's end and groups that had not
-- ended by then (cumulative counts of groups, from the group register).
with years as (
    select unnest(range(min(year(start_date)), greatest(max(year(start_date)), max(year(coalesce(end_date, start_date)))) + 1)) as year
    from groups where start_date is not null
)
select g.programme_id, y.year,
       count(*) filter (where year(g.start_date) <= y.year) as started,
       count(*) filter (where year(g.start_date) <= y.year and (g.end_date is null or year(g.end_date) > y.year)) as meeting
from years y cross join groups g
where g.start_date is not null and g.programme_id is not null
group by all
order by g.programme_id, y.year
