-- primary_cells(m): the cells of `indicators` that a threshold rule hides, judged on
-- their true counts, with m the minimum cell size. The build suppresses them; the
-- small_cells_hidden check counts visible ones (there must be none). Needs the temp
-- tables disclosure_indicators (rules.model_indicators) and mean_scales (rules.mean_scales).
--
-- Only cells whose denominator counts people are ruled (sessions and groups are not
-- people):
--   share  fewer than 2m people, or a numerator of 1 … m−1, or 1 … m−1 without the
--          outcome. With m … 2m−1 people only 0 % or 100 % could pass the count rule,
--          and "0 % of the 6 women in group X are employed" tells about each of them.
--   mean   fewer than m people, or fewer than 2m all at one end of the scale.
--   count  1 … m−1 people (participants reached).
--   sum    fewer than m people behind the sum (hours).
-- Survey indicators over one age population share their small denominators: where any
-- of them has fewer than m respondents in a cell, all of them are hidden there, since
-- item non-response is all that tells their denominators apart.
CREATE OR REPLACE TEMP MACRO primary_cells(m) AS TABLE
WITH
cells AS (
    SELECT i.rowid AS cell, i.*, d.kind, d.person, d.family, d.source, s.low, s.high
    FROM indicators AS i
    JOIN disclosure_indicators AS d ON d.code = i.indicator
    LEFT JOIN mean_scales AS s ON s.code = i.indicator
),
own_rule AS (
    SELECT cell FROM cells
    WHERE person AND CASE kind
        WHEN 'share' THEN denominator < 2 * m
                       OR numerator BETWEEN 1 AND m - 1
                       OR denominator - numerator BETWEEN 1 AND m - 1
        WHEN 'mean' THEN denominator < m
                      OR (denominator < 2 * m AND (value <= low + 1e-9 OR value >= high - 1e-9))
        WHEN 'count' THEN value BETWEEN 1 AND m - 1
        WHEN 'sum' THEN denominator < m
        ELSE false
    END
),
shared_population AS (
    SELECT a.cell
    FROM cells AS a
    JOIN cells AS b
      ON b.family = a.family AND b.arm = a.arm AND b.wave = a.wave
     AND b.programme_id = a.programme_id AND b.country = a.country AND b.region = a.region
     AND b.group_id = a.group_id AND b.sex = a.sex AND b.age_band = a.age_band
     AND b.disability = a.disability
    WHERE a.source = 'survey' AND b.source = 'survey' AND a.person AND b.denominator < m
)
SELECT cell FROM own_rule
UNION
SELECT cell FROM shared_population;
