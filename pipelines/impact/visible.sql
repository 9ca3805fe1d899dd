-- visible indicator cells: the cells of `indicators` an impact estimate may rest on.
-- An estimate for a breakdown is a function of its two wave cells, so it is made only
-- when both are visible; otherwise it would undo the (secondary) suppression there.
-- One row per cell of a programme: its total, each group, sex and age band.
SELECT indicator, programme_id, group_id, arm, wave, sex, age_band
FROM indicators
WHERE NOT suppressed
  AND programme_id <> 'all'
  AND disability = 'all'
  AND (group_id <> 'all' OR (country = 'all' AND region = 'all'))
