"""Everything a period's reports and charts show, read from the warehouse once.

``read_period(con)`` runs each query a single time per period and returns a
``PeriodData``; ``PeriodData.only(programmes)`` narrows it in pandas for one report,
so the programme reports and the all-programme report of a period are cut from the
same frames. Beyond the charts' loaders (``pipelines.publish.readers``) the report
reads impact, attrition, dose-response, input files and the group timeline from the
``.sql`` files in ``sql/``; every loader returns an empty frame with its columns when
its table does not exist yet (impact not run).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.publish import readers
from pipelines.warehouse import table_exists

SQL_DIR = Path(__file__).parent / "sql"

# loader name → (table it needs, columns)
_LOADERS = {
    "impact_totals": ("impact_estimates", ["indicator", "programme_id", "group_id", "sex", "age_band", "wave",
                                           "method", "unit", "estimate", "ci_low", "ci_high", "p_value", "n", "mde",
                                           "n_outcomes", "bh_significant", "se", "df", "n_clusters", "clustering",
                                           "role", "family_size", "survives"]),
    "attrition_counts": ("attrition", ["programme_id", "arm", "wave", "n_baseline", "n_retained", "n_lost"]),
    "attrition_differences": ("attrition", ["programme_id", "arm", "wave", "indicator", "difference", "ci_low",
                                            "ci_high", "p_value"]),
    "dose_response": ("dose_response", ["programme_id", "wave", "indicator", "unit", "tertile", "sessions_min",
                                        "sessions_max", "n", "change", "ci_low", "ci_high", "trend_slope",
                                        "trend_ci_low", "trend_ci_high", "trend_p"]),
    "inputs": ("ingest_log", ["source_file", "sha256"]),
    "groups_timeline": ("groups", ["programme_id", "year", "started", "meeting"]),
}


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """``sql/<name>.sql`` split into its statements (none of them holds a ``;`` in a string)."""
    return [s.strip() for s in sql(name).split(";") if s.strip()]


def load(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """Run ``sql/<name>.sql``: a frame with the loader's columns, empty without its table."""
    table, columns = _LOADERS[name]
    if not table_exists(con, table):
        return pd.DataFrame(columns=columns)
    df = con.cursor().execute(sql(name)).df()
    return df[columns] if not df.empty else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class PeriodData:
    """The frames of one (period's) warehouse that the reports and charts show."""

    indicators: pd.DataFrame  # indicators_public totals, with is_aai and wave_rank
    domains: pd.DataFrame
    impact: pd.DataFrame
    impact_ready: bool  # the impact stage has written its tables (an empty one is a finding)
    attrition_counts: pd.DataFrame
    attrition_differences: pd.DataFrame
    dose: pd.DataFrame
    groups_timeline: pd.DataFrame
    attendance: pd.DataFrame  # per month, small months already suppressed
    files: pd.DataFrame  # ingest_log: one row per path under raw/
    rules_by_file: pd.DataFrame  # quarantine counts per file and rule
    inputs: pd.DataFrame
    file_programmes: pd.DataFrame  # the programmes each file holds rows of
    # records a reviewer excluded from the figures, per programme and rule (docs/review.md)
    review_exclusions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=readers.REVIEW_COLUMNS))
    # a programme's progress against its results framework, from the report's own
    # figures (publish.results.report_results); empty unless the report stage sets it
    results: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rules(self) -> pd.DataFrame:
        """Quarantine problems per rule over the files in scope, the most frequent first."""
        return readers.rule_totals(self.rules_by_file)

    def only(self, programmes: list[str], *, every_file: bool = False) -> PeriodData:
        """The same data with only ``programmes``' rows in every per-programme frame, and
        only the files holding their rows in the data-quality frames — unless
        ``every_file`` (the all-programmes report, which also answers for the files
        that fed no programme: unreadable, unrecognised, wholly quarantined). The
        provenance (``inputs``) keeps every loaded file: suppression is planned over all
        programmes together, so which of a programme's cells are published depends on
        the others' files too, and its citation must name them to be reproducible."""
        narrowed = {
            f.name: value[value["programme_id"].isin(programmes)].reset_index(drop=True)
            for f in fields(self)
            if isinstance(value := getattr(self, f.name), pd.DataFrame) and "programme_id" in value.columns
        }
        if not every_file:
            own = set(self.file_programmes.loc[self.file_programmes["programme_id"].isin(programmes), "source_file"])
            for name in ("files", "rules_by_file"):
                frame = getattr(self, name)
                narrowed[name] = frame[frame["source_file"].isin(own)].reset_index(drop=True)
        return replace(self, **narrowed)


def read_period(con: duckdb.DuckDBPyConnection, *, min_cell: int) -> PeriodData:
    """Run every query of the reports and charts once against ``con``."""
    return PeriodData(
        indicators=readers.indicator_totals(con),
        domains=readers.domain_totals(con),
        impact=load(con, "impact_totals"),
        impact_ready=table_exists(con, "impact_estimates"),
        attrition_counts=load(con, "attrition_counts"),
        attrition_differences=load(con, "attrition_differences"),
        dose=load(con, "dose_response"),
        groups_timeline=load(con, "groups_timeline"),
        attendance=readers.attendance_monthly(con, min_cell=min_cell),
        files=readers.files(con),
        rules_by_file=readers.quarantine_rules(con),
        inputs=load(con, "inputs"),
        file_programmes=readers.file_programmes(con),
        review_exclusions=readers.review_exclusions(con),
    )
