"""One plain-language sentence per estimate.

Wording is neutral about direction ("rose", "fell"): whether a rise is good depends on
the indicator (loneliness rising is not). An interval that covers zero is "no clear
change", whatever the point estimate. "Rose" and "fell" are kept for findings: an
estimate among a report's primary tests that survives its correction
(``pipelines.impact.claims``); any other interval that excludes zero says "changed by"
and why it is not a finding. Shares are in percentage points, means in the score's
own points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MINUS = "\u2212"
SEX_WORDS = {"female": "women", "male": "men", "other": "people of another sex"}


def unit_word(kind: str) -> str:
    return "percentage points" if kind == "share" else "points"


def digits(kind: str, *values: float) -> int:
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    if kind == "share":
        return 0 if all(v >= 1 or v == 0 for v in finite) else 1
    return 1 if all(v >= 0.1 or v == 0 for v in finite) else 2


def number(x: float, digits: int, signed: bool = False) -> str:
    text = f"{abs(x):.{digits}f}"
    if float(text) == 0:
        return text
    if x < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def amount(n: int, min_cell: int | None = None) -> str:
    """'7'; with min_cell, a count from 1 to min_cell − 1 reads 'fewer than 5' (a small
    count is never published)."""
    return f"fewer than {min_cell}" if min_cell is not None and 0 < n < min_cell else str(n)


def cell_size(n: int, visible: bool, min_cell: int) -> str:
    """A wave cell's size in words: the number when `indicators` publishes the cell (or
    it is 0), 'fewer than N' when it is small, 'at least N' when it is hidden to protect
    another cell — a note never prints a count the tables do not publish."""
    if n == 0 or (visible and n >= min_cell):
        return str(n)
    return f"fewer than {min_cell}" if n < min_cell else f"at least {min_cell}"


def count(n: int, singular: str, plural: str | None = None, *, min_cell: int | None = None) -> str:
    """'1 respondent', '3 respondents', '2 people'; 'fewer than 5 people' below min_cell."""
    plural = plural or singular + "s"
    words = amount(n, min_cell)
    return f"{words} {singular if words == '1' else plural}"


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower(name: str) -> str:
    """'Physical exercise' → 'physical exercise' mid-sentence; 'WHO-5 …' stays."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def who(arm_word: str, group_id: str, sex: str, age_band: str) -> str:
    """'participants', 'women participants', 'participants in group X', …"""
    phrase = arm_word
    if sex != "all":
        phrase = f"{SEX_WORDS.get(sex, sex)} {arm_word}"
    if group_id != "all":
        phrase += f" in group {group_id}"
    if age_band != "all":
        phrase += f" aged {age_band}"
    return phrase


def _ci(kind: str, est: float, low: float, high: float) -> str:
    d = digits(kind, est, low, high)
    return f"95% CI {number(low, d)} to {number(high, d)}"


def covers_zero(low: float, high: float) -> bool:
    return not (math.isfinite(low) and math.isfinite(high)) or (low <= 0 <= high)


@dataclass(frozen=True)
class Verdict:
    """What a report may say of a tested estimate (``pipelines.impact.claims``):
    ``family`` is the number of tests in the report's claim family when the estimate is
    one of them (None: exploratory), ``finding`` whether it survives the correction."""

    family: int | None = None
    finding: bool = False


EXPLORATORY = Verdict()


def _qualified(verdict: Verdict) -> str:
    """Why an interval that excludes zero is still not a finding."""
    if verdict.family is None:
        return "exploratory: not among the outcomes this report tests for findings"
    return (f"not a finding: it does not hold once the {verdict.family} tests of this report's primary "
            f"outcomes are corrected for")


def change_sentence(name: str, kind: str, est: float, low: float, high: float, wave: str,
                    people: str, n_pairs: int | None | bool = None, verdict: Verdict = EXPLORATORY) -> str:
    """Change between baseline and `wave` among `people` (all respondents or the paired).
    "Rose" or "fell" only for a finding that survives the report's correction."""
    name = lower(name)
    whom = among(people, wave, n_pairs)
    units = unit_word(kind)
    d = digits(kind, est, low, high)
    if covers_zero(low, high):
        return (f"Among {whom}, {name} showed no clear change from baseline to {wave} "
                f"({number(est, d, signed=True)} {units}, {_ci(kind, est, low, high)}).")
    if not verdict.finding:
        return (f"Among {whom}, {name} changed by {number(est, d, signed=True)} {units} from baseline to {wave} "
                f"({_ci(kind, est, low, high)}; {_qualified(verdict)}).")
    verb = "rose" if est > 0 else "fell"
    return (f"Among {whom}, {name} {verb} by {number(abs(est), d)} {units} from baseline to {wave} "
            f"({_ci(kind, est, low, high)}; one of {verdict.family} tests, after correction).")


def among(people: str, wave: str, n_pairs: int | None | bool) -> str:
    """'participants'; for a paired estimate 'the 94 participants interviewed at both…'
    (n_pairs True: the pairs, their number withheld)."""
    if n_pairs is True:
        return f"the {people} interviewed at both baseline and {wave}"
    return f"the {n_pairs} {people} interviewed at both baseline and {wave}" if n_pairs else people


def described_change_sentence(name: str, kind: str, est: float, wave: str, people: str, reason: str,
                              n_pairs: int | None | bool = None) -> str:
    """A change reported without a test: the figure and why it is not tested."""
    d = digits(kind, est)
    return (f"Among {among(people, wave, n_pairs)}, {lower(name)} changed by {number(est, d, signed=True)} "
            f"{unit_word(kind)} from baseline to {wave} (described, not tested: {reason}).")


def described_did_sentence(name: str, kind: str, est: float, wave: str, participants: str,
                           change_treated: float, change_control: float, reason: str) -> str:
    d = digits(kind, est, change_treated, change_control)
    return (f"From baseline to {wave}, {lower(name)} changed by {number(est, d, signed=True)} {unit_word(kind)} "
            f"more among {participants} than in the comparison group ({participants} "
            f"{number(change_treated, d, signed=True)}, comparison group {number(change_control, d, signed=True)}; "
            f"described, not tested: {reason}).")


def did_sentence(name: str, kind: str, est: float, low: float, high: float, wave: str,
                 participants: str, change_treated: float, change_control: float,
                 verdict: Verdict = EXPLORATORY) -> str:
    units = unit_word(kind)
    d = digits(kind, est, low, high)
    arms = (f"{participants} {number(change_treated, d, signed=True)}, "
            f"comparison group {number(change_control, d, signed=True)}")
    if covers_zero(low, high):
        return (f"No clear difference between {participants} and the comparison group in how {lower(name)} "
                f"changed from baseline to {wave} ({number(est, d, signed=True)} {units}, {arms}; "
                f"{_ci(kind, est, low, high)}).")
    if not verdict.finding:
        return (f"From baseline to {wave}, {lower(name)} changed by {number(est, d, signed=True)} {units} more "
                f"among {participants} than in the comparison group ({arms}; {_ci(kind, est, low, high)}; "
                f"{_qualified(verdict)}).")
    # Pick the verb from the participants' own change so the sentence stays true when
    # both arms moved the same way: "fell by 5 less" rather than "rose by 5 more".
    if est > 0:
        phrase = "rose by {x} {u} more" if change_treated >= 0 else "fell by {x} {u} less"
    else:
        phrase = "fell by {x} {u} more" if change_treated <= 0 else "rose by {x} {u} less"
    phrase = phrase.format(x=number(abs(est), d), u=units)
    return (f"{capital(name)} {phrase} among {participants} than in the comparison group from baseline "
            f"to {wave} ({_ci(kind, est, low, high)}; {arms}; one of {verdict.family} tests, after correction).")


def not_estimated_sentence(name: str, reason: str) -> str:
    return f"{capital(name)}: not estimated. {capital(reason)}"
