"""Reports for different periods, differenced.

A report for a period reads a slice of the warehouse (``publish/scope.py``). Survey
slices hold whole waves (a wave is in a period's report only once it was completed
by the period's end, and then with all its interviews), so a wave's cells are the same
in every report that shows them and two reports cannot be subtracted to the people
interviewed in between. Register figures do change with the period: participants
reached by the end of 2024 and by the end of March 2025 differ by the people who came
for the first time in between, and a difference of 1 … m−1 is a small count.

``audit`` reads every ``headline_figures.json`` under a reports folder and, for every
figure published for two overlapping periods, checks the difference of each count of
people it carries (``n``, and a share's numerator recovered from its rounded
percentage). ``guard`` runs the same comparison while a report is built, and hides a
figure that would difference to a small count against a report already published.
Overlapping, not only nested: calendar periods are nested or apart, but the data
period starts and ends with the data (``2024-03..2025-04``), so the year 2024 is not
inside it by its dates while every record of 2024 is — their difference is the people
of January to April 2025. Comparing every overlapping pair may hide a figure whose
difference is not one group of people; that errs on the safe side.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.disclosure import rules
from pipelines.disclosure.result import Failure
from pipelines.periods import parse_period  # the one parser of period labels

JSON_NAME = "headline_figures.json"


def _period(label: str):
    try:
        return parse_period(label)
    except ValueError:
        return None


def _people() -> set[str]:
    ind = rules.model_indicators()
    return set(ind.loc[ind["person"], "code"])


def load(reports: Path) -> pd.DataFrame:
    """Every figure of every report under ``reports``: key, period, n, numerator range."""
    frames = []
    for path in sorted(Path(reports).rglob(JSON_NAME)):
        document = json.loads(path.read_text(encoding="utf-8"))
        figures = pd.DataFrame(document.get("figures", []))
        if figures.empty:
            continue
        figures["file"] = str(path.relative_to(reports))
        figures["period"] = document.get("provenance", {}).get("period", "")
        frames.append(figures)
    if not frames:
        return pd.DataFrame()
    figures = pd.concat(frames, ignore_index=True)
    figures["key"] = list(zip(figures["programme_id"], figures["indicator"],
                              figures["method"].fillna("").replace("", np.nan).fillna(figures["arm"]),
                              figures["wave"], strict=True))
    return counts(figures)


def counts(figures: pd.DataFrame) -> pd.DataFrame:
    """Per figure, the counts of people it states: ``n`` exactly, and for a share of
    people its numerator as the interval its rounded percentage allows."""
    figures = figures.copy()
    people = _people()
    person = figures["indicator"].isin(people) & ~figures["suppressed"].fillna(False).astype(bool)
    n = pd.to_numeric(figures["n"], errors="coerce")
    value = pd.to_numeric(figures["value"], errors="coerce")
    share = figures["unit"].eq("percent") & figures["method"].fillna("").eq("")
    decimals = value.map(_decimals)
    half = 0.5 * 10.0 ** (-decimals)
    figures["n_known"] = np.where(person, n, np.nan)
    figures["num_low"] = np.where(person & share, (value - half) * n / 100, np.nan)
    figures["num_high"] = np.where(person & share, (value + half) * n / 100, np.nan)
    return figures


def _decimals(value: float) -> int:
    if value is None or not math.isfinite(value):
        return 0
    text = repr(float(value)).rstrip("0").rstrip(".")
    return len(text.split(".")[1]) if "." in text else 0


def small_differences(a: pd.DataFrame, b: pd.DataFrame, min_cell: int) -> pd.Series:
    """For aligned rows of two periods' figures: True where a count of people differs by
    exactly 1 … m−1 (an attacker reading both knows the difference to within ±0.5)."""
    def pinned_small(low, high):
        # possible differences [low, high]; pinned when fewer than one whole number fits
        with np.errstate(invalid="ignore"):
            lo, hi = np.ceil(low - 1e-9), np.floor(high + 1e-9)
            single = (hi - lo < 1) & np.isfinite(low) & np.isfinite(high)
            return single & (np.abs(lo) >= 1) & (np.abs(lo) <= min_cell - 1)
    n_diff = (a["n_known"].to_numpy(float) - b["n_known"].to_numpy(float))
    by_n = pinned_small(n_diff, n_diff)
    by_num = pinned_small(a["num_low"].to_numpy(float) - b["num_high"].to_numpy(float),
                          a["num_high"].to_numpy(float) - b["num_low"].to_numpy(float))
    return pd.Series(by_n | by_num, index=a.index) | _rest(a, b, min_cell)


def _rest(a: pd.DataFrame, b: pd.DataFrame, min_cell: int) -> pd.Series:
    """The same for the count without the outcome (n − numerator)."""
    low = (a["n_known"] - a["num_high"]) - (b["n_known"] - b["num_low"])
    high = (a["n_known"] - a["num_low"]) - (b["n_known"] - b["num_high"])
    with np.errstate(invalid="ignore"):
        lo, hi = np.ceil(low - 1e-9), np.floor(high + 1e-9)
        out = (hi - lo < 1) & np.isfinite(low) & np.isfinite(high) & (np.abs(lo) >= 1) & (np.abs(lo) <= min_cell - 1)
    return pd.Series(np.asarray(out), index=a.index)


def overlapping_pairs(figures: pd.DataFrame) -> pd.DataFrame:
    """Pairs of rows with one key, published for two different periods that overlap
    (the module docstring says why not only those of which one covers the other)."""
    spans = {label: _period(label) for label in figures["period"].unique()}
    figures = figures[figures["period"].map(lambda p: spans.get(p) is not None)]
    pairs = figures.merge(figures, on="key", suffixes=("_a", "_b"))
    keep = []
    for pa, pb in zip(pairs["period_a"], pairs["period_b"], strict=True):
        a, b = spans[pa], spans[pb]
        keep.append(pa < pb and a.overlaps(b) and (a.start, a.end) != (b.start, b.end))
    return pairs[np.array(keep, dtype=bool)]


def _side(pairs: pd.DataFrame, suffix: str) -> pd.DataFrame:
    cols = ["n_known", "num_low", "num_high"]
    return pairs[[f"{c}{suffix}" for c in cols]].set_axis(cols, axis=1)


def audit(reports: Path, min_cell: int, result) -> None:
    """Every pair of overlapping periods' figures: no count of people differs by 1 … m−1."""
    figures = load(reports) if Path(reports).is_dir() else pd.DataFrame()
    result.checked["reports (headline_figures.json)"] = 0 if figures.empty else figures["file"].nunique()
    if figures.empty:
        return
    pairs = overlapping_pairs(figures)
    result.checked["figures compared across overlapping periods"] = len(pairs)
    if pairs.empty:
        return
    bad = small_differences(_side(pairs, "_a"), _side(pairs, "_b"), min_cell)
    for row in pairs[bad.to_numpy()].itertuples(index=False):
        programme, indicator, method, wave = row.key
        result.failures.append(Failure(
            "reports", f"programme_id={programme} indicator={indicator} {method} wave={wave} "
                       f"periods {row.period_a} and {row.period_b}",
            "differs between overlapping periods by a small count"))


def guard(data, period_label: str, reports: Path, min_cell: int):
    """``data`` (a report's PeriodData) with every indicator figure hidden whose counts
    would difference to a small count against an overlapping period already published."""
    published = load(reports) if Path(reports).is_dir() else pd.DataFrame()
    if published.empty:
        return data
    published = published[published["period"] != period_label]
    here = data.indicators.copy()
    if here.empty:
        return data
    candidates = counts(pd.DataFrame({
        "programme_id": here["programme_id"], "indicator": here["indicator"], "method": "", "arm": here["arm"],
        "wave": here["wave"], "value": here["value"], "n": here["n"],
        "unit": here["indicator"].map(_units()), "suppressed": here["suppressed"], "period": period_label}))
    candidates["key"] = list(zip(candidates["programme_id"], candidates["indicator"], candidates["arm"],
                                 candidates["wave"], strict=True))
    candidates["position"] = np.arange(len(candidates))
    pairs = overlapping_pairs(pd.concat([candidates, published], ignore_index=True))
    mine_a = pairs["period_a"] == period_label
    mine_b = pairs["period_b"] == period_label
    bad = small_differences(_side(pairs, "_a"), _side(pairs, "_b"), min_cell) & (mine_a | mine_b)
    positions = set(pairs.loc[bad & mine_a, "position_a"].dropna().astype(int)) | \
        set(pairs.loc[bad & mine_b, "position_b"].dropna().astype(int))
    if not positions:
        return data
    hide = np.zeros(len(here), dtype=bool)
    hide[sorted(positions)] = True
    here.loc[hide, ["n", "value", "ci_low", "ci_high"]] = np.nan
    here.loc[hide, "suppressed"] = True
    return replace(data, indicators=here)


def _units() -> dict[str, str]:
    from pipelines import catalogue

    return catalogue.indicators().set_index("code")["unit"].to_dict()
