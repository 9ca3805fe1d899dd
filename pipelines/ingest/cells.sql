-- Per-cell conversions of ingestion, as DuckDB macros (loaded by convert.py).
-- Each returns NULL where the text cannot be converted; convert.py turns that NULL
-- into a quarantine record for the cell. Keep them in step with the rules of
-- docs/data-contract.md ("Deviations that are accepted").

-- A cell as compared: surrounding spaces (also no-break and thin spaces) trimmed;
-- empty, and KoboToolbox's legacy n/a, are NULL.
CREATE OR REPLACE TEMP MACRO aai_spaces() AS
    ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(8199) || chr(8201) || chr(8239) || chr(65279);
CREATE OR REPLACE TEMP MACRO aai_clean(v) AS
    CASE WHEN lower(trim(v, aai_spaces())) IN ('', 'n/a', 'na', '#n/a') THEN NULL ELSE trim(v, aai_spaces()) END;

-- An answer as people type it: case, inner runs of spaces and one trailing full stop
-- ignored (vocabulary.fold does the same in Python; tests hold them together).
CREATE OR REPLACE TEMP MACRO aai_fold(v) AS
    lower(trim(regexp_replace(trim(regexp_replace(v, '\s+', ' ', 'g')), '\.$', '')));

-- ISO (with or without a time part), dd.mm.yyyy, dd/mm/yyyy and Excel serial days.
CREATE OR REPLACE TEMP MACRO aai_date(v) AS
    CASE
        WHEN regexp_full_match(v, '\d{4}-\d{2}-\d{2}([T ].*)?') THEN try_strptime(v[1:10], '%Y-%m-%d')::DATE
        WHEN regexp_full_match(v, '\d{1,2}\.\d{1,2}\.\d{4}') THEN try_strptime(v, '%d.%m.%Y')::DATE
        WHEN regexp_full_match(v, '\d{1,2}/\d{1,2}/\d{4}') THEN try_strptime(v, '%d/%m/%Y')::DATE
        WHEN regexp_full_match(v, '\d{5}([.,]0+)?') THEN DATE '1899-12-30' + CAST(v[1:5] AS INTEGER)
    END;

-- A number with a decimal comma or spaces between digit groups; NULL if not a number.
CREATE OR REPLACE TEMP MACRO aai_number(v) AS
    CASE WHEN regexp_full_match(replace(replace(v, ' ', ''), ',', '.'), '[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?')
         THEN TRY_CAST(replace(replace(v, ' ', ''), ',', '.') AS DOUBLE) END;

-- baseline, followup1 … as written with spaces, dashes or underscores ("Follow-up 1").
CREATE OR REPLACE TEMP MACRO aai_wave(v) AS
    CASE WHEN regexp_full_match(regexp_replace(aai_fold(v), '[\s_-]+', '', 'g'), 'baseline|followup[1-9][0-9]*')
         THEN regexp_replace(aai_fold(v), '[\s_-]+', '', 'g') END;

-- A value quoted in a reason or kept in quarantine, with its real length: a cell may be
-- megabytes (normalise.VALUE_DISPLAY_CHARS, VALUE_KEPT_CHARS).
CREATE OR REPLACE TEMP MACRO aai_short(v, n) AS
    CASE WHEN length(v) <= n THEN v ELSE left(v, n) || '… (' || format('{:,}', length(v)) || ' characters)' END;
