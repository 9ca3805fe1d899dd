"""What the charts (and the report) read of the indicators, ingest and quarantine
tables; ``pipelines.publish.queries.read_period`` runs them once per period.

Every reader goes through ``indicators_public`` (never ``indicators``), so a
suppressed cell arrives here as NULL and cannot be drawn or printed by accident. Each
loader returns a DataFrame with fixed columns — empty when its table does not exist
yet (no follow-up wave, impact not computed) — so callers test ``df.empty`` and say
what is missing instead of failing.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.publish.i18n import is_aai_indicator, wave_order
from pipelines.review.analysed import define_analysed
from pipelines.warehouse import table_exists

# Totals only: every breakdown column of the contract holds the text 'all'.
INDICATOR_TOTALS_SQL = """
select indicator, programme_id, arm, wave, denominator as n, value, ci_low, ci_high,
       coalesce(suppressed, value is null) as suppressed, interval_method, n_clusters, df
from indicators_public
where country = 'all' and region = 'all' and group_id = 'all'
  and sex = 'all' and age_band = 'all' and disability = 'all'
"""

# One breakdown at a time, by sex or by age band (never crossed), as the impact stage
# breaks down: the dimensions of an IATI actual. Unknown sex or age is left out.
INDICATOR_BREAKDOWNS_SQL = """
select indicator, programme_id, arm, wave, case when sex <> 'all' then 'sex' else 'age_band' end as dimension,
       case when sex <> 'all' then sex else age_band end as category, denominator as n, value, ci_low, ci_high,
       coalesce(suppressed, value is null) as suppressed
from indicators_public
where country = 'all' and region = 'all' and group_id = 'all' and disability = 'all'
  and ((sex in ('female', 'male') and age_band = 'all') or (sex = 'all' and age_band not in ('all', 'unknown')))
"""
BREAKDOWN_COLUMNS = ["indicator", "programme_id", "arm", "wave", "dimension", "category", "n", "value", "ci_low",
                     "ci_high", "suppressed"]

DOMAIN_TOTALS_SQL = """
select programme_id, arm, wave, item, value, indicators_used, indicators_total,
       coalesce(partial, false) as partial, note, indicator_set, comparable_value, comparable_set
from domain_scores
where country = 'all' and region = 'all' and group_id = 'all' and sex = 'all'
"""

# Sessions are (group, date) pairs; a person counts once per month however many
# sessions they came to. Rows a reviewer excluded are left out, as the indicators leave
# them out ({reviewed}: docs/review.md).
ATTENDANCE_MONTHLY_SQL = """
select date_trunc('month', a.session_date)::date as month,
       {programme} as programme_id,
       count(distinct (a.group_id, a.session_date)) as sessions,
       min(a.session_date) as first_session, max(a.session_date) as last_session,
       count(distinct a.participant_id) filter (where a.attended) as people
from attendance_analysed a {join}
where a.session_date is not null
group by all
order by month, programme_id
"""

FILES_SQL = """
select source_file, kind, status,
       coalesce(rows_read, 0) as rows_read,
       coalesce(rows_loaded, 0) as rows_loaded,
       coalesce(rows_quarantined, 0) as rows_quarantined
from ingest_log
order by source_file
"""

# Counts only: quarantined values and records may carry personal data and never leave
# the warehouse through a chart or a report. Per file, so a programme's report can
# count the problems of its own files (``rule_totals`` adds them up).
QUARANTINE_RULES_SQL = """
select source_file, rule, table_name, coalesce(nullif(column_name, ''), '') as column_name,
       count(*) as problems,
       count(distinct source_row) as rows
from quarantine
group by all
order by source_file, rule, table_name, column_name
"""

# Which programmes' rows each file holds: a survey row names its programme, a register
# row its group, and the groups register says whose group it is.
FILE_PROGRAMMES_TABLES = {
    "survey": "select distinct source_file, programme_id from survey where programme_id is not null",
    "groups": "select distinct source_file, programme_id from groups where programme_id is not null",
    "attendance": "select distinct a.source_file, g.programme_id from attendance a join groups g using (group_id)",
}

# Records a reviewer excluded (docs/review.md), counted per programme and the rule that
# flagged them: counts only, as for quarantine (the reviewer's own words stay in the
# warehouse).
REVIEW_EXCLUSIONS_SQL = """
select coalesce(programme_id, 'unknown') as programme_id, rule, count(*) as records
from review_exclusions
group by all
order by all
"""
REVIEW_COLUMNS = ["programme_id", "rule", "records"]

UNREGISTERED = "(group not registered)"
TOP_RULES = 10  # quarantine rules listed by the report and drawn by the data-quality chart


def _frame(con: duckdb.DuckDBPyConnection, sql: str, columns: list[str]) -> pd.DataFrame:
    df = con.cursor().execute(sql).df()
    return df[columns] if not df.empty else pd.DataFrame(columns=columns)


INDICATOR_COLUMNS = ["indicator", "programme_id", "arm", "wave", "n", "value", "ci_low", "ci_high", "suppressed",
                     "interval_method", "n_clusters", "df"]


def indicator_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicator totals per programme, arm and wave (shares are stored on 0–100).

    Adds ``is_aai`` and ``wave_rank`` (baseline 0, followupN N). A suppressed cell
    keeps ``value``, ``ci_low`` and ``ci_high`` NULL.
    """
    columns = INDICATOR_COLUMNS + ["is_aai", "wave_rank"]
    if not table_exists(con, "indicators_public"):
        return pd.DataFrame(columns=columns)
    df = _frame(con, INDICATOR_TOTALS_SQL, INDICATOR_COLUMNS)
    if df.empty:
        return pd.DataFrame(columns=columns)
    df["suppressed"] = df["suppressed"].astype(bool) | df["value"].isna()
    df["is_aai"] = df["indicator"].map(is_aai_indicator)
    for col in ("value", "ci_low", "ci_high"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["wave_rank"] = df["wave"].map(wave_order)
    return df.sort_values(["programme_id", "indicator", "arm", "wave_rank"], ignore_index=True)


DOMAIN_COLUMNS = ["programme_id", "arm", "wave", "item", "value", "indicators_used", "indicators_total", "partial", "note",
                  "indicator_set", "comparable_value", "comparable_set"]


def domain_totals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Domain scores D1–D4 and the overall AAI per programme, arm and wave (0–100)."""
    if not table_exists(con, "domain_scores"):
        return pd.DataFrame(columns=DOMAIN_COLUMNS)
    df = _frame(con, DOMAIN_TOTALS_SQL, DOMAIN_COLUMNS)
    for column in ("value", "comparable_value"):
        df[column] = pd.to_numeric(df[column], errors="coerce").astype("float64")
    return df


def indicator_breakdowns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Indicator cells by sex and by age band per programme, arm and wave, from
    ``indicators_public``: a hidden cell arrives with ``suppressed`` and no value."""
    if not table_exists(con, "indicators_public"):
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    df = _frame(con, INDICATOR_BREAKDOWNS_SQL, BREAKDOWN_COLUMNS)
    df["suppressed"] = df["suppressed"].astype(bool) | df["value"].isna()
    return df


def latest_wave(df: pd.DataFrame) -> str | None:
    """The latest wave in a frame's ``wave`` column, ranked by ``wave_order``
    (``followup10`` after ``followup9``, which a text sort gets wrong)."""
    if df.empty:
        return None
    return str(max(df["wave"], key=wave_order))


def _programme_join(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if table_exists(con, "groups"):
        return {
            "programme": f"coalesce(g.programme_id, '{UNREGISTERED}')",
            "join": "left join groups g on g.group_id = a.group_id",
        }
    return {"programme": f"'{UNREGISTERED}'", "join": ""}


def attendance_monthly(con: duckdb.DuckDBPyConnection, *, min_cell: int) -> pd.DataFrame:
    """Sessions held and people attending per programme and month.

    A month's people count under ``min_cell`` becomes NULL (``people_suppressed``):
    in a women's group for survivors of violence, "3 women came in March in this
    village" already says too much.
    """
    columns = ["month", "programme_id", "sessions", "people", "people_suppressed", "first_session", "last_session"]
    if not table_exists(con, "attendance"):
        return pd.DataFrame(columns=columns)
    cur = con.cursor()  # a connection of its own: the view is temporary, defined where it is read
    define_analysed(cur)  # the rows the figures rest on: less what a reviewer excluded
    df = cur.execute(ATTENDANCE_MONTHLY_SQL.format(**_programme_join(con))).df()
    if df.empty:
        return pd.DataFrame(columns=columns)
    for column in ("month", "first_session", "last_session"):
        df[column] = pd.to_datetime(df[column])
    df["people_suppressed"] = df["people"].between(1, min_cell - 1)
    df["people"] = df["people"].astype("Float64").mask(df["people_suppressed"])
    return df[columns]


def partial_months(df: pd.DataFrame) -> list[pd.Timestamp]:
    """The first and last month of ``attendance_monthly`` when the registers start after
    the 1st or end before the month's last day: drawn like the others, such a month
    reads as a collapse in attendance."""
    if df.empty:
        return []
    first, last = df["first_session"].min(), df["last_session"].max()
    partial = []
    if first.day > 1:
        partial.append(first.to_period("M").to_timestamp())
    if last.day < last.days_in_month:
        partial.append(last.to_period("M").to_timestamp())
    return sorted(set(partial))


def files(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per file found under ``raw/`` with rows read, loaded and quarantined."""
    columns = ["source_file", "kind", "status", "rows_read", "rows_loaded", "rows_quarantined"]
    return _frame(con, FILES_SQL, columns) if table_exists(con, "ingest_log") else pd.DataFrame(columns=columns)


RULE_COLUMNS = ["rule", "table_name", "column_name", "problems", "rows"]


def quarantine_rules(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Problems and rows affected per file, rule, table and column — never values."""
    columns = ["source_file", *RULE_COLUMNS]
    if not table_exists(con, "quarantine"):
        return pd.DataFrame(columns=columns)
    return _frame(con, QUARANTINE_RULES_SQL, columns)


def rule_totals(by_file: pd.DataFrame) -> pd.DataFrame:
    """``quarantine_rules`` added up over files, the most frequent rule first."""
    if by_file.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    keys = ["rule", "table_name", "column_name"]
    totals = by_file.groupby(keys, as_index=False)[["problems", "rows"]].sum()
    return totals.sort_values(["problems", *keys], ascending=[False, True, True, True], ignore_index=True)


def file_programmes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(source_file, programme_id) for every programme a loaded file holds rows of."""
    parts = [sql for table, sql in FILE_PROGRAMMES_TABLES.items()
             if table_exists(con, table) and (table != "attendance" or table_exists(con, "groups"))]
    if not parts:
        return pd.DataFrame(columns=["source_file", "programme_id"])
    return _frame(con, " union ".join(parts) + " order by all", ["source_file", "programme_id"])


def review_exclusions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Records left out of the figures by a reviewer's decision, per programme and rule."""
    if not table_exists(con, "review_exclusions"):
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    return _frame(con, REVIEW_EXCLUSIONS_SQL, REVIEW_COLUMNS)
