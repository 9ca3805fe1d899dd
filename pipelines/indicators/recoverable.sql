-- recoverable_cells: visible cells that must be suppressed so that no suppressed cell
-- can be worked out from the cells around it. build.py suppresses them and
-- recomputes the view until it is empty; the no_lone_suppressed_sibling check
-- asserts that it is.
--
-- A relation is a total and the cells that add up to it:
--   sex         a cell's sexes under its sex = 'all'
--   age         its age bands under age_band = 'all'
--   disability  its disability groups under disability = 'all'
--   groups      the groups of a programme under the programme total
--   region      the groups in a region under the region total
--   regions     the regions of a country under the country total
--   programmes  the programmes of a country (all of whose groups lie in it) under
--               the country total
-- When exactly one cell of a relation (total or part) is suppressed it can be
-- recovered by addition or subtraction, so the visible cell with the smallest
-- denominator is suppressed too (a part before the total on a tie, then by name).
-- A relation whose total is not a row of the table is treated the same way; that
-- over-suppresses a little and never under-suppresses.
--
-- Relations are per arm and wave. In the participant arm every respondent has a group
-- (observations.sql), so a programme's group cells add up to its total. The comparison
-- arm has no group, country or region cells at all: its programme total is the total
-- of its sex, age and disability relations only, and no group sibling exists.
--
-- Needs the programme_country view (programme_country.sql, created by build.py).
CREATE OR REPLACE TEMP VIEW recoverable_cells AS
WITH
members AS (
    SELECT rowid AS cell, suppressed, denominator, sex = 'all' AS is_total, sex AS member,
           ['sex', indicator, programme_id, country, region, group_id, arm, wave, age_band, disability] AS relation
    FROM indicators
    UNION ALL
    SELECT rowid, suppressed, denominator, age_band = 'all', age_band,
           ['age', indicator, programme_id, country, region, group_id, arm, wave, sex, disability]
    FROM indicators
    UNION ALL
    SELECT rowid, suppressed, denominator, disability = 'all', disability,
           ['disability', indicator, programme_id, country, region, group_id, arm, wave, sex, age_band]
    FROM indicators
    UNION ALL
    SELECT rowid, suppressed, denominator, group_id = 'all', group_id,
           ['groups', indicator, programme_id, arm, wave, sex, age_band, disability]
    FROM indicators
    WHERE programme_id <> 'all' AND (group_id <> 'all' OR country = 'all')
    UNION ALL
    SELECT rowid, suppressed, denominator, group_id = 'all', group_id,
           ['region', indicator, country, region, arm, wave, sex, age_band, disability]
    FROM indicators
    WHERE region <> 'all' AND (group_id <> 'all' OR programme_id = 'all')
    UNION ALL
    SELECT rowid, suppressed, denominator, region = 'all', region,
           ['regions', indicator, country, arm, wave, sex, age_band, disability]
    FROM indicators
    WHERE programme_id = 'all' AND group_id = 'all' AND country <> 'all'
    UNION ALL
    SELECT i.rowid, i.suppressed, i.denominator, false, i.programme_id,
           ['programmes', i.indicator, pc.country, i.arm, i.wave, i.sex, i.age_band, i.disability]
    FROM indicators AS i
    JOIN programme_country AS pc USING (programme_id)
    WHERE i.group_id = 'all' AND i.country = 'all'
    UNION ALL
    SELECT rowid, suppressed, denominator, true, country,
           ['programmes', indicator, country, arm, wave, sex, age_band, disability]
    FROM indicators
    WHERE programme_id = 'all' AND region = 'all' AND country <> 'all'
),
ranked AS (
    SELECT
        cell,
        suppressed,
        count(*) FILTER (WHERE suppressed) OVER (PARTITION BY relation) AS suppressed_in_relation,
        count(*) FILTER (WHERE NOT is_total) OVER (PARTITION BY relation) AS parts,
        row_number() OVER (PARTITION BY relation, suppressed ORDER BY denominator, is_total, member) AS rank_visible
    FROM members
)
SELECT DISTINCT cell FROM ranked
WHERE suppressed_in_relation = 1 AND parts > 0 AND NOT suppressed AND rank_visible = 1;
