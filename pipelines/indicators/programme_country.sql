-- programme_country: a programme's country when all its groups lie in one: domain
-- scores match national figures on it. A group
-- without a country counts as 'unknown', as in observations.sql, so a programme
-- with such a group is not placed in the country of its other groups.
CREATE OR REPLACE TEMP VIEW programme_country AS
SELECT programme_id, any_value(coalesce(country, 'unknown')) AS country
FROM groups
GROUP BY programme_id
HAVING count(DISTINCT coalesce(country, 'unknown')) = 1;
