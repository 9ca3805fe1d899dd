"""Progress against a results framework, read from the citable figures alone.

For each target of a programme's framework (``publish/framework.py``): the baseline (the
framework's number, or the programme's published baseline-wave figure), the latest
published actual with its interval, the target, and a progress label that claims no
more than the report may:

- **not yet measurable**: no published actual — hidden to protect people, not yet
  measured (no follow-up wave), or a baseline ``from data`` that is hidden.
- **target met**: the actual's 95% interval lies wholly at or beyond the target. A
  register figure (people reached, sessions, groups) counts everyone, so it has no
  interval and its value is compared as it is.
- **on track**: not met, and the change from baseline towards the target is a finding
  of the programme's report: its primary test of that indicator survives the report's
  correction (docs/impact.md, "Claims"). For a register figure: its value has reached
  the straight line from the baseline at the framework's start to the target at its date.
- **not on track**: the change is a finding *away* from the target; a register figure
  is below that line; or the target date has passed with the interval wholly short.
- **no clear progress**: everything else — an interval across the target, a change
  that is not a finding, or a survey figure without an interval (fewer than 4 groups).

Numbers are the rows of ``headline_figures`` as written (rounded as the report shows
them), so a result never disagrees with the figure it cites and never recomputes a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.periods import Period
from pipelines.publish import queries
from pipelines.publish.figures import Provenance, programme_figures, scope_figures
from pipelines.publish.framework import FROM_DATA, Framework, Target
from pipelines.publish.i18n import N_, wave_order
from pipelines.publish.queries import PeriodData
from pipelines.publish.scope import is_whole, programmes
from pipelines.review.analysed import define_analysed
from pipelines.warehouse import table_exists
from pipelines.settings import ClaimsConfig

PROGRESS = {
    "target_met": N_("target met"),
    "on_track": N_("on track"),
    "not_on_track": N_("not on track"),
    "no_clear_progress": N_("no clear progress"),
    "not_measurable": N_("not yet measurable"),
}
COLUMNS = ["programme_id", "indicator", "name", "reference", "result", "unit", "ascending", "baseline",
           "baseline_source", "baseline_id", "actual", "ci_low", "ci_high", "n", "actual_wave", "actual_id",
           "target", "target_date", "progress", "reason"]


@dataclass(frozen=True)
class _Figure:
    id: str
    wave: str
    value: float | None
    low: float | None
    high: float | None
    n: int | None


@dataclass(frozen=True)
class Dates:
    """When the figures of one report were measured. ``data_end``: the last day of data
    the report used (where a register count stands); ``wave_ends``: the last interview
    of each survey wave (when a survey figure was measured); ``counted_from``: the first
    day a period's registers count from, None for the whole data period."""

    data_end: date | None
    wave_ends: dict[str, date] = field(default_factory=dict)
    counted_from: date | None = None


def results(framework: Framework, rows: list[dict], dates: Dates) -> pd.DataFrame:
    """One row per target of ``framework``, from the programme report's citable
    figures ``rows``, measured at ``dates``."""
    out = pd.DataFrame([_result(framework, target, rows, dates) for target in framework.indicators],
                       columns=COLUMNS)
    return out.astype({"n": "Int64"})


def _result(framework: Framework, target: Target, rows: list[dict], dates: Dates) -> dict:
    code = target.code
    entry = catalogue.indicators().set_index("code").loc[code]
    register = entry["source"] in catalogue.REGISTER_SOURCES
    figures = sorted((_figure(r) for r in rows if r["indicator"] == code and r["arm"] == "participant"
                      and not r["method"] and r["programme_id"] == framework.programme),
                     key=lambda f: wave_order(f.wave))
    baseline = next((f for f in figures if f.wave == "baseline"), None)
    latest = [f for f in figures if f.wave != "baseline"]
    actual = latest[-1] if latest else None
    out = {
        "programme_id": framework.programme, "indicator": code, "name": target.name, "reference": target.reference,
        "result": target.result or target.name, "unit": entry["unit"],
        "ascending": target.ascending, "target": target.target, "target_date": target.target_date,
        "baseline_source": "data" if target.baseline == FROM_DATA else "framework",
        "baseline": target.baseline if target.baseline != FROM_DATA else (baseline.value if baseline else None),
        "baseline_id": baseline.id if baseline and target.baseline == FROM_DATA else None,
        "actual": actual.value if actual else None, "ci_low": actual.low if actual else None,
        "ci_high": actual.high if actual else None, "n": actual.n if actual else None,
        "actual_wave": actual.wave if actual else None, "actual_id": actual.id if actual else None,
    }
    out["progress"], out["reason"] = _progress(target, out, rows, register=register, start=framework.start,
                                               dates=dates)
    return out


def _figure(row: dict) -> _Figure:
    return _Figure(row["id"], row["wave"], None if row["suppressed"] else row["value"], row["ci_low"],
                   row["ci_high"], row["n"])


def _progress(target: Target, out: dict, rows: list[dict], *, register: bool, start: date,
              dates: Dates) -> tuple[str, str]:
    """The label and, in English, why (the report prints the translated label only)."""
    actual, baseline = out["actual"], out["baseline"]
    if actual is None:
        why = "the latest figure is hidden to protect people" if out["actual_id"] else "no figure yet"
        return "not_measurable", why
    if baseline is None:
        return "not_measurable", "the baseline figure is hidden to protect people"
    if register and dates.counted_from is not None and dates.counted_from > start:
        # the period's registers hold its own sessions only: not a count since the framework's start
        return "not_measurable", (f"this period's count starts on {dates.counted_from}, after the framework's start "
                                  f"on {start}: the target is compared in the report of the whole data period")
    sign = 1 if target.ascending else -1
    if register:
        # a count of everyone in the registers: no sampling interval
        low = high = actual
    elif out["ci_low"] is None or out["ci_high"] is None:
        return "no_clear_progress", "no interval: described, not tested (fewer than 4 groups)"
    else:
        low, high = out["ci_low"], out["ci_high"]
    # near: the end of the interval that must pass the target for it to be met; far: the other
    near, far = (low, high) if target.ascending else (high, low)
    if sign * (near - target.target) >= 0:
        return "target_met", "the interval lies wholly at or beyond the target" if not register \
            else "the count has reached the target"
    if register:
        if dates.data_end is not None and dates.data_end >= target.target_date:
            return "not_on_track", "the target date has passed and the count is short of the target"
        expected = baseline + (target.target - baseline) * _elapsed(start, target.target_date, dates.data_end)
        if sign * (actual - expected) >= 0:
            return "on_track", (f"at or beyond the straight line from baseline to target ({expected:.1f} by "
                                f"{dates.data_end})")
        return "not_on_track", (f"short of the straight line from baseline to target ({expected:.1f} by "
                                f"{dates.data_end})")
    measured = dates.wave_ends.get(out["actual_wave"])  # a survey figure is as of its wave's last interview
    if measured is not None and measured >= target.target_date and sign * (far - target.target) < 0:
        return "not_on_track", "measured after the target date, the interval lies wholly short of the target"
    test = _primary_test(rows, target.code, out["actual_wave"])
    if test is None or not test["survives"]:
        return "no_clear_progress", "the change from baseline is not a finding of the report"
    relative = " (relative to the comparison group)" if test["method"] == "did" else ""
    if sign * test["value"] <= 0:
        return "not_on_track", f"the change from baseline away from the target is a finding of the report{relative}"
    if sign * (actual - baseline) <= 0:
        # a difference in differences can be towards the target while both arms moved away from it
        return "no_clear_progress", ("the report's finding is relative to the comparison group, but the "
                                     "participants' own figure has not moved towards the target")
    return "on_track", f"the change from baseline towards the target is a finding of the report{relative}"


def _primary_test(rows: list[dict], code: str, wave: str) -> dict | None:
    """The report's primary test of ``code`` at ``wave`` (the programme total, by the
    design's method), when it was estimated."""
    return next((r for r in rows if r["indicator"] == code and r["wave"] == wave and r["role"] == "primary"
                 and r["value"] is not None), None)


def _elapsed(start: date, end: date, now: date | None) -> float:
    if now is None:
        return 0.0
    return min(max((now - start).days / (end - start).days, 0.0), 1.0)


def build_results(con: duckdb.DuckDBPyConnection, frameworks: tuple[tuple[Framework, str], ...], *,
                  reports_dir: Path, min_cell: int, claims_config: ClaimsConfig, period: Period | None = None,
                  full: Period | None = None, unknown: str = "error") -> pd.DataFrame:
    """The ``results`` table: every target of every framework, against its programme's
    citable figures of ``period`` (by default the data period) in the period's warehouse
    ``con``. A framework naming a programme the warehouse does not hold is an error
    naming its file; with ``unknown="skip"`` it is left out (a period without that
    programme's data, or a framework written before its data came in)."""
    known = programmes(con)
    frames = []
    for framework, shown in frameworks:
        if framework.programme not in known:
            if unknown == "skip":
                continue
            raise ValueError(f"{shown}: no programme {framework.programme!r} in the warehouse; "
                             f"known: {', '.join(known) or 'none'}")
        rows, prov = programme_figures(con, framework.programme, reports_dir=reports_dir, min_cell=min_cell,
                                       claims_config=claims_config, period=period, full=full)
        frames.append(results(framework, rows, report_dates(con, framework.programme, prov, period, full)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def report_results(con: duckdb.DuckDBPyConnection, data: PeriodData, programme: str,
                   frameworks: tuple[tuple[Framework, str], ...], *, period: Period, full: Period,
                   min_cell: int) -> pd.DataFrame:
    """The results of ``programme``'s report from the report's own figures (``data``:
    its ``scope_data``, read under the same guard and claim family as its text), so a
    label never rests on a figure the report hides or on an older table."""
    found = [framework for framework, _ in frameworks if framework.programme == programme]
    if not found:
        return pd.DataFrame(columns=COLUMNS)
    rows, prov = scope_figures(con, data, [programme], total=False, period=period, full=full, min_cell=min_cell)
    return results(found[0], rows, report_dates(con, programme, prov, period, full))


def report_dates(con: duckdb.DuckDBPyConnection, programme: str, prov: Provenance, period: Period | None,
                 full: Period | None) -> Dates:
    """When a report's figures were measured, read from its period's warehouse: a wave
    ends with the last interview its figures rest on (a reviewer's exclusions left out)."""
    ends = {}
    if table_exists(con, "survey"):
        cur = con.cursor()
        define_analysed(cur)
        ends = dict(cur.execute(
            "select wave, max(interview_date) from survey_analysed where programme_id = ? "
            "and interview_date is not null group by wave", [programme]).fetchall())
    whole = period is None or full is None or is_whole(period, full)
    return Dates(prov.used_to, ends, None if whole else period.start)


def write_results(con: duckdb.DuckDBPyConnection, table: pd.DataFrame) -> None:
    """Replace the ``results`` table of ``con`` (the warehouse, or a period's slice)."""
    con.execute(queries.sql("results_table"))
    if not table.empty:
        con.register("results_frame", table)
        con.execute("insert into results by name select * from results_frame")
        con.unregister("results_frame")
