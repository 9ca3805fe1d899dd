"""Citable figures: ``headline_figures.csv`` and ``.json`` beside each report.

One row per figure with a stable id ``<programme>/<period>/<indicator>/<arm or
method>/<wave>`` (``BRC-WWC/2024/3.1/participant/followup1``,
``BRC-WWC/2024/3.1/did/followup1``), its value, interval, n, definition and
provenance. The files must be byte-identical for the same inputs and code, so that a
grant application citing a figure can be checked years later: rows are sorted, values
rounded as the report shows them, and nothing depends on the clock, the run or the
machine (no timestamps, run ids or absolute paths). Names and definitions are the
catalogue's English ones whatever the report language, so the citable file does not
change with the language.

Suppressed figures keep their row, with no value and the reason, so an id never
vanishes silently. Totals over programmes add up only the programmes' *visible*
figures: a total computed from the raw tables minus the visible programmes would give
a hidden programme back.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import tomllib
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue, files
from pipelines.files import slug
from pipelines.periods import NO_DATA, Period
from pipelines.publish.i18n import digits
from pipelines.publish.queries import PeriodData
from pipelines.publish.scope import ALL_PROGRAMMES, Scope, data_period, programme_spans, scope_data, scope_key
from pipelines.settings import ClaimsConfig

CSV_NAME, JSON_NAME = "headline_figures.csv", "headline_figures.json"
REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["id", "programme_id", "period", "indicator", "name", "arm", "wave", "method", "value", "ci_low",
           "ci_high", "p_value", "unit", "n", "suppressed", "reason", "definition", "data_period",
           "inputs_sha256", "code_version",
           # how the interval was made and what the report claims (docs/report.md)
           "interval_method", "clustering", "n_clusters", "df", "role", "family_size", "survives"]
COMPARABLE = "comparable"  # a domain score over the indicators every arm and wave share
METHODS = {"change": "follow-up minus baseline, all respondents of each wave",
           "paired_change": "follow-up minus baseline, people seen in both waves",
           "did": "difference in differences against the comparison arm"}
# Cells that start like this are read as formulas by spreadsheets (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@cache
def summable() -> tuple[str, ...]:
    """The catalogue's counts and sums (people, sessions, hours, groups): the only
    figures that add up over programmes."""
    df = catalogue.indicators()
    return tuple(df.loc[df["kind"].isin(["count", "sum"]), "code"])


def suppressed_reason(min_cell: int) -> str:
    return (f"suppressed: too few people in this cell for its figure to be published (fewer than {min_cell}; "
            f"for a share fewer than {2 * min_cell}, or fewer than {min_cell} on either side), or hidden so that "
            "no such cell can be worked out from the published figures (docs/disclosure.md)")


@dataclass(frozen=True)
class Provenance:
    files: list[dict]
    inputs_sha256: str
    code_version: str
    data_period: str
    period: str
    min_cell: int
    used_from: date | None = None  # the first and last session or interview the report used
    used_to: date | None = None

    def as_dict(self) -> dict:
        return {"files": self.files, "inputs_sha256": self.inputs_sha256, "code_version": self.code_version,
                "data_period": self.data_period, "period": self.period, "min_cell": self.min_cell,
                "data_used": None if self.used_from is None else f"{self.used_from}..{self.used_to}"}


@cache
def code_version() -> str:
    """The package version, with ``git describe`` when run from a clone (and git exists)."""
    try:
        base = version("aai-impact")
    except PackageNotFoundError:
        base = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    if not (REPO_ROOT / ".git").exists():
        return base
    try:
        described = subprocess.run(["git", "describe", "--tags", "--always", "--dirty"], cwd=REPO_ROOT,
                                   capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base} (git {described})" if described else base


def provenance(inputs: pd.DataFrame, *, data_period: str, period: str, min_cell: int) -> Provenance:
    """Input files by path (relative to ``raw/``) and sha256, and one hash over them all."""
    files = [{"file": str(r.source_file), "sha256": str(r.sha256)} for r in inputs.itertuples()]
    digest = hashlib.sha256("".join(f"{f['sha256']}  {f['file']}\n" for f in files).encode("utf-8")).hexdigest()
    return Provenance(files, digest, code_version(), data_period, period, min_cell)


def used(prov: Provenance, spans: list[tuple[date, date]]) -> Provenance:
    """``prov`` with the first and last day of the sessions and interviews of one report's
    programmes: what the period label cannot say (a year's report may rest on nine months)."""
    if not spans:
        return prov
    return replace(prov, used_from=min(s[0] for s in spans), used_to=max(s[1] for s in spans))


def _round(value: object, digits: int) -> float | int | None:
    if value is None or pd.isna(value):
        return None
    rounded = round(float(value), digits)
    return int(rounded) if digits == 0 else rounded + 0.0  # + 0.0 turns -0.0 into 0.0


def _catalogue() -> pd.DataFrame:
    return catalogue.indicators().set_index("code")


def figure_rows(data: PeriodData, *, total: bool, prov: Provenance) -> list[dict]:
    """Every figure a report of ``data`` (narrowed to its programmes) shows, in id order;
    with ``total``, the sums over its programmes too."""
    cat = _catalogue()
    reason = suppressed_reason(prov.min_cell)
    base = {"period": prov.period, "data_period": prov.data_period, "inputs_sha256": prov.inputs_sha256,
            "code_version": prov.code_version}
    rows: list[dict] = []

    def add(programme, code, arm, wave, method, value, low, high, n, unit, *, suppressed=False, why="",
            definition="", p=None, inference=None):
        d = digits(code)
        # a comparable domain score exists per arm: its id names both
        segment = f"{arm}-{method}" if method == COMPARABLE else (method or arm)
        rows.append({**base, "id": f"{slug(programme)}/{prov.period}/{code}/{segment}/{wave}",
                     "programme_id": programme, "indicator": code, "name": cat["name"].get(code, code),
                     "arm": arm, "wave": wave, "method": method, "value": _round(value, d),
                     "ci_low": _round(low, d), "ci_high": _round(high, d),
                     "p_value": _round(p, 4), "unit": unit, "n": _round(n, 0), "suppressed": suppressed,
                     "reason": why, "definition": definition or cat["success_rule"].get(code, ""),
                     **_inference(inference)})

    for r in data.indicators.itertuples():
        hidden = bool(r.suppressed)
        add(r.programme_id, r.indicator, r.arm, r.wave, "", None if hidden else r.value,
            None if hidden else r.ci_low, None if hidden else r.ci_high, None if hidden else r.n,
            cat["unit"].get(r.indicator, ""), suppressed=hidden, why=reason if hidden else "",
            inference=None if hidden else {"interval_method": r.interval_method, "n_clusters": r.n_clusters,
                                           "df": r.df, "clustering": _level_clustering(r.interval_method)})
    for r in data.domains.itertuples():
        rule = cat["success_rule"].get(r.item, "Active Ageing Index: 35·D1 + 35·D2 + 10·D3 + 20·D4, / 100")
        add(r.programme_id, r.item, r.arm, r.wave, "", r.value, None, None, None, "score 0-100",
            why="" if pd.notna(r.value) else f"not computed: {r.note or 'no indicator available'}",
            definition=f"{rule}; indicators {r.indicator_set}" if pd.notna(r.indicator_set) else rule)
        add(r.programme_id, r.item, r.arm, r.wave, COMPARABLE, r.comparable_value, None, None, None, "score 0-100",
            why="" if pd.notna(r.comparable_value) else "not computed: no indicator shared by every arm and wave",
            definition=f"{rule}; over the survey indicators every arm and wave share, for comparison: "
                       f"{r.comparable_set}" if pd.notna(r.comparable_set) else rule)
    for r in data.impact.itertuples():
        estimated = pd.notna(r.estimate)
        add(r.programme_id, r.indicator, "participant", r.wave, r.method, r.estimate, r.ci_low, r.ci_high,
            r.n if estimated else None, r.unit, p=r.p_value, suppressed=not estimated,
            why="" if estimated else "not estimated: a cell is too small or suppressed (see the impact table's note)",
            definition=f"{METHODS.get(r.method, r.method)}; {cat['success_rule'].get(r.indicator, '')}",
            inference={"clustering": r.clustering, "n_clusters": r.n_clusters, "df": r.df, "role": r.role,
                       "family_size": r.family_size, "survives": r.survives})
    if total:
        # Sums of the visible programme figures, saying how many were left out.
        for code in summable():
            part = data.indicators[data.indicators["indicator"] == code]
            if part.empty:
                continue
            hidden = int(part["suppressed"].sum())
            visible = part.loc[~part["suppressed"], "value"]
            add(ALL_PROGRAMMES, code, "participant", "all", "", visible.sum() if not visible.empty else None,
                None, None, None, cat["unit"].get(code, ""), suppressed=visible.empty,
                why=f"sum over {len(visible)} programmes shown; {hidden} programme(s) with a suppressed figure "
                    "left out" if hidden else "",
                definition=f"sum over programmes: {cat['success_rule'].get(code, '')}")
    rows.sort(key=lambda row: row["id"])
    return rows


def programme_figures(con: duckdb.DuckDBPyConnection, programme: str, *, reports_dir: Path, min_cell: int,
                      claims_config: ClaimsConfig, period: Period | None = None,
                      full: Period | None = None) -> tuple[list[dict], Provenance]:
    """The citable figures of ``programme``'s report of ``period`` (by default the data
    period; ``full`` the whole warehouse's), read from the period's warehouse ``con`` as
    the report reads them: the same ``scope_data`` call (the guard against published
    overlapping periods, the programme's own claim family) and the same provenance. Results
    and exports use these rows, so they never state a figure the report does not."""
    full = full or data_period(con) or NO_DATA
    period = period or full
    data = scope_data(con, Scope(scope_key(programme), [programme], False), period, Path(reports_dir),
                      min_cell=min_cell, claims_config=claims_config)
    return scope_figures(con, data, [programme], total=False, period=period, full=full, min_cell=min_cell)


def scope_figures(con: duckdb.DuckDBPyConnection, data: PeriodData, programmes: list[str], *, total: bool,
                  period: Period, full: Period, min_cell: int) -> tuple[list[dict], Provenance]:
    """The figures of a report of ``programmes`` from its ``scope_data``, with the
    provenance the report writes beside them."""
    prov = report_provenance(data, programme_spans(con), programmes, period=period, full=full, min_cell=min_cell)
    return figure_rows(data, total=total, prov=prov), prov


def report_provenance(data: PeriodData, spans: dict[str, tuple[date, date]], programmes: list[str], *,
                      period: Period, full: Period, min_cell: int) -> Provenance:
    """The provenance of a report of ``programmes`` for ``period`` (``full``: the whole
    warehouse's data period): its input files and the dates of the data it used
    (``spans``: ``scope.programme_spans`` of the period's warehouse)."""
    return used(provenance(data.inputs, data_period=full.label, period=period.label, min_cell=min_cell),
                [spans[p] for p in programmes if p in spans])


def _level_clustering(method: object) -> str | None:
    """Who an indicator's interval treats as independent: groups, or people."""
    if method is None or pd.isna(method):
        return None
    return "group" if str(method).startswith("cluster") else "person"


def _inference(values: dict | None) -> dict:
    """The inference columns of a figure, None where they do not apply; numbers rounded
    (df to 2 places) so the files stay byte-identical."""
    out = {c: None for c in ("interval_method", "clustering", "n_clusters", "df", "role", "family_size", "survives")}
    for column, value in (values or {}).items():
        if value is None or pd.isna(value):
            continue
        if column in ("n_clusters", "family_size"):
            value = int(value)
        elif column == "df":
            value = round(float(value), 2)
        elif column == "survives":
            value = bool(value)
        out[column] = value
    return out


def spreadsheet_safe(value: object) -> object:
    """Numbers stay numbers; text that a spreadsheet would run as a formula gets a
    leading apostrophe (OWASP CSV-injection guidance). ``-3.2`` is written as the
    number it is, never as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[c]) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def json_bytes(rows: list[dict], prov: Provenance) -> bytes:
    document = {"provenance": prov.as_dict(), "figures": [{c: row[c] for c in COLUMNS} for row in rows]}
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def write_figures(rows: list[dict], prov: Provenance, out_dir: Path) -> str:
    """Write both files; return the sha256 of the JSON, the report's content hash."""
    data = json_bytes(rows, prov)
    files.write_bytes(out_dir / JSON_NAME, data)
    files.write_bytes(out_dir / CSV_NAME, csv_bytes(rows))
    return hashlib.sha256(data).hexdigest()
