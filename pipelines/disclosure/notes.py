"""No note or sentence of the impact tables states a size their columns withhold.

The attacker reads the words as well as the columns: a note that says "15 of 120
baseline respondents were not interviewed" beside NULL lost and retained counts gives
back what was hidden. The impact stage words its notes from the columns as they stand
after ``impact.protect`` (``pipelines.impact.withheld``); this check reads them back.

A count of people in a note is a number followed by whom it counts ("15 of 120
baseline respondents", "96 people", "the 96 women participants"), and a share lost is
"(12%)": the only ways the impact stage words a size (``sentences``, ``attrition``,
``change``). For each size withheld whose true value the panel gives — an arm's people
lost and interviewed again, its percentage lost, a paired estimate's pairs — the notes
and sentences that word it (the arm's attrition note, the paired estimates' notes; the
paired row's note and sentence) must not state it, unless a column beside them
publishes the same number. Numbers not worded as counts (intervals, groups, degrees of
freedom) are not read, so a coincidence there does not fail the audit; a count worded
some other way would not be caught (docs/disclosure.md says what that leaves).
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from pipelines.disclosure.result import Failure

COUNT = re.compile(r"(?<![\d.,])(?<!than )(?<!least )(\d+) (?:of \d+ )?"
                   r"(?:baseline respondents?|respondents?|people|persons?|participants?|women|men)\b")
PERCENT = re.compile(r"\((\d+)%\)")
PAIRS = """
    SELECT e.programme_id, e.wave, e.indicator, e.group_id, e.sex, e.age_band, e.note, e.sentence,
           p.both_first AS pairs
    FROM impact_estimates AS e
    JOIN disclosure_panel AS p
      ON p.programme_id = e.programme_id AND p.wave = e.wave AND p.indicator = e.indicator
     AND p.arm = 'participant'
     AND (p.breakdown, p.value) = CASE WHEN e.group_id <> 'all' THEN ('group_id', e.group_id)
                                       WHEN e.sex <> 'all' THEN ('sex', e.sex)
                                       WHEN e.age_band <> 'all' THEN ('age_band', e.age_band)
                                       ELSE ('all', 'all') END
    WHERE e.method = 'paired_change' AND e.n IS NULL"""
LOST = """
    SELECT a.programme_id, a.arm, a.wave, a.n_baseline, a.n_retained, a.n_lost, a.note,
           p.retained, p.b - p.retained AS lost, 100.0 * (p.b - p.retained) / nullif(p.b, 0) AS pct
    FROM attrition AS a
    JOIN disclosure_panel AS p USING (programme_id, arm, wave, indicator)
    WHERE a.indicator = 'all' AND p.breakdown = 'all' AND (a.n_lost IS NULL OR a.n_retained IS NULL)"""
PAIRED_NOTES = """
    SELECT note, n FROM impact_estimates
    WHERE programme_id = ? AND wave = ? AND method = 'paired_change'
      AND group_id = 'all' AND sex = 'all' AND age_band = 'all'"""


def stated(text: str | None) -> tuple[set[int], set[int]]:
    """The counts of people and the percentages a note states."""
    text = text or ""
    return {int(n) for n in COUNT.findall(text)}, {int(p) for p in PERCENT.findall(text)}


def audit(con: duckdb.DuckDBPyConnection, result) -> None:
    """Record a failure for every note or sentence that states a size its columns withhold
    (``disclosure_panel`` built: ``impact.audit``)."""
    checked = 0
    for r in con.execute(LOST).df().itertuples(index=False):
        published = {int(v) for v in (r.n_baseline, r.n_retained, r.n_lost) if pd.notna(v)}
        counts = {int(v) for v, column in ((r.lost, r.n_lost), (r.retained, r.n_retained)) if pd.isna(column)}
        texts = [(r.note, published)]
        if r.arm == "participant":  # the paired estimates repeat the participants' attrition
            # each beside its own row's n, which may be the hidden retained count published anyway
            texts += [(t, published | {int(n) for n in [n] if pd.notna(n)})
                      for t, n in con.execute(PAIRED_NOTES, [r.programme_id, r.wave]).fetchall()]
        where = {"programme_id": r.programme_id, "arm": r.arm, "wave": r.wave}
        checked += 1
        _check(result, where, texts, counts, {round(r.pct)} if pd.notna(r.pct) else set())
    for r in con.execute(PAIRS).df().itertuples(index=False):
        where = {"indicator": r.indicator, "programme_id": r.programme_id, "wave": r.wave,
                 **{c: v for c, v in (("group_id", r.group_id), ("sex", r.sex), ("age_band", r.age_band))
                    if v != "all"}}
        checked += 1
        _check(result, where, [(r.note, set()), (r.sentence, set())], {int(r.pairs)}, set())
    result.checked["impact notes and sentences beside a withheld size"] = checked


def _check(result, where: dict, texts: list[tuple[str | None, set[int]]], counts: set[int],
           percents: set[int]) -> None:
    """``texts`` are each a note and the sizes the columns beside it publish."""
    counts = counts - {0}  # a size of 0 is published wherever it stands (impact.rules.shown)
    for text, published in texts:
        said, shares = stated(text)
        if said & (counts - published) or shares & percents:
            cell = " ".join(f"{k}={v}" for k, v in where.items())
            result.failures.append(Failure("impact notes", cell, "a note states a size the columns withhold"))
            return
