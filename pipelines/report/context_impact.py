"""The impact section's tables: estimates side by side, attrition, dose-response.

Built from the impact stage's structured columns, never its English notes and
sentences, so the section translates and no note can quote a small cell. A row the
impact stage could not estimate says so without its cell sizes; a count of people
withheld (NULL) is written "withheld", since a count may be withheld for being small
or for what it would give away beside the published cells.
"""

from __future__ import annotations

import pandas as pd

from pipelines.impact.claims import attrition_claims
from pipelines.publish.i18n import Translator, code_key, digits
from pipelines.settings import ClaimsConfig

METHODS = ("change", "paired_change", "did")


def _estimate(tr: Translator, row, min_cell: int) -> dict:
    if row is None:
        return {"text": "–", "ci": "", "flag": False}
    if pd.isna(row.estimate):
        return {"text": tr("not estimated (n<%(min)s)", min=min_cell), "ci": "", "flag": False}
    d = digits(row.indicator)  # an estimate is in its indicator's unit (points for a share)
    sign = "+" if row.estimate > 0 else ("−" if row.estimate < 0 else "")
    # an estimate without an interval is a description (fewer than 4 groups): never a finding
    return {"text": f"{sign}{tr.number(abs(row.estimate), d)}",
            "ci": tr("%(low)s to %(high)s", low=tr.number(row.ci_low, d), high=tr.number(row.ci_high, d))
            if pd.notna(row.ci_low) else tr("described, not tested"),
            "flag": bool(row.survives) if pd.notna(row.survives) else False}


def impact_tables(tr: Translator, impact: pd.DataFrame, min_cell: int) -> list[dict]:
    """One table per programme and follow-up: indicators × the three methods."""
    tables = []
    for (programme, wave), rows in impact.groupby(["programme_id", "wave"]):
        body = []
        for code in sorted(rows["indicator"].unique(), key=code_key):
            sub = rows[rows["indicator"] == code].set_index("method")
            cells = [_estimate(tr, next(sub.loc[[m]].itertuples()) if m in sub.index else None, min_cell)
                     for m in METHODS]
            body.append({"label": tr.indicator(code), "cells": cells})
        outcomes = rows["n_outcomes"].dropna()
        family = impact["family_size"].dropna()
        tables.append({"programme": programme, "wave": tr.wave(wave), "rows": body,
                       "header": [tr.method(m) for m in METHODS],
                       "n_outcomes": tr.number(outcomes.iloc[0]) if not outcomes.empty else "–",
                       "family": tr.number(family.iloc[0]) if not family.empty else tr.number(0)})
    return tables


def attrition_rows(tr: Translator, counts: pd.DataFrame, min_cell: int) -> list[dict]:
    rows = []
    for r in counts.itertuples():
        rows.append({"programme": r.programme_id, "arm": tr.arm(r.arm), "wave": tr.wave(r.wave),
                     "baseline": tr.number(r.n_baseline), **_lost_split(tr, r, min_cell)})
    return rows


def _lost_split(tr: Translator, r, min_cell: int) -> dict:
    """Retained, lost and the share lost as printed. A NULL count was withheld by the
    impact stage, because it was small or because with the published cells it would
    pin a small count elsewhere: the table cannot tell which, so it says "withheld",
    never "fewer than N". A small count that reached the table is still not printed."""
    if pd.isna(r.n_lost) or pd.isna(r.n_retained):
        return {"retained": tr("withheld"), "lost": tr("withheld"), "lost_pct": "–"}
    if 0 < r.n_lost < min_cell:
        return {"retained": tr("suppressed"), "lost": tr("fewer than %(min)s", min=min_cell), "lost_pct": "–"}
    return {"retained": tr.number(r.n_retained), "lost": tr.number(r.n_lost),
            "lost_pct": tr.percent(100 * r.n_lost / r.n_baseline if r.n_baseline else None)}


def attrition_differences(tr: Translator, diffs: pd.DataFrame) -> list[str]:
    """What the report says of those lost at a follow-up, from its attrition family
    (``claims.attrition_claims``: every tested baseline comparison of those lost with
    those retained, corrected together): a sentence per programme, arm and wave naming
    the indicators whose difference survives the correction; when none does, one
    sentence saying so and over how many tests. Empty when nothing was tested. An
    interval that excludes zero by itself is never stated."""
    tested = diffs[diffs["p_value"].notna()] if "p_value" in diffs else diffs.iloc[0:0]
    if tested.empty:
        return []
    if "survives" not in tested:
        tested = attrition_claims(tested, ClaimsConfig())
    k = tr.number(len(tested))
    lines = []
    survivors = tested[tested["survives"].fillna(False).astype(bool)]
    for (programme, arm, wave), rows in survivors.groupby(["programme_id", "arm", "wave"]):
        names = ", ".join(tr.indicator(c) for c in sorted(rows["indicator"], key=code_key))
        lines.append(tr("%(programme)s, %(arm)s: those not interviewed at %(wave)s differed at baseline on %(list)s, "
                        "after correction for every comparison of those lost in this report (%(k)s); paired "
                        "estimates describe a selected group.", programme=programme, arm=tr.arm(arm),
                        wave=tr.wave(wave), k=k, list=names))
    return lines or [tr("No difference at baseline between those not interviewed again and those interviewed "
                        "again could be told apart from chance, after correction for every such comparison of this "
                        "report (%(k)s).", k=k)]


def dose_rows(tr: Translator, dose: pd.DataFrame) -> list[dict]:
    """Per indicator with a trend test: change in each third of attendance and the trend."""
    rows = []
    for (programme, wave, code), part in dose.groupby(["programme_id", "wave", "indicator"]):
        part = part.sort_values("tertile")
        d = digits(code)
        first = part.iloc[0]
        rows.append({
            "programme": programme, "wave": tr.wave(wave), "label": tr.indicator(code),
            "thirds": [f"{tr.number(r.change, d)} ({tr.number(r.sessions_min)}–{tr.number(r.sessions_max)})"
                       for r in part.itertuples()],
            # a size the impact stage hid is not a zero
            "n": tr("withheld") if part["n"].isna().any() else tr.number(int(part["n"].sum())),
            "trend": f"{tr.number(first.trend_slope, d)} ["
                     + tr("%(low)s to %(high)s", low=tr.number(first.trend_ci_low, d),
                          high=tr.number(first.trend_ci_high, d)) + "]",
            "p": tr.number(first.trend_p, 3),
        })
    return rows
