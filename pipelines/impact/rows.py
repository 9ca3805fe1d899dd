"""One breakdown of one indicator, programme and follow-up wave, and the four ways its
rows end: not estimated (a small cell), withheld (a suppressed cell), described (no
honest test: ``verdict.py``), or tested.

Notes and sentences never print a count the tables do not publish: cell sizes are
printed only when `indicators` shows the cell (``sentences.cell_size``), and the MDE of
a row not estimated is computed as if each small or hidden cell had ``min_cell`` people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.impact import power, sentences
from pipelines.impact.breakdowns import Visibility
from pipelines.impact.rules import ALL, scale, unit
from pipelines.impact.verdict import Untested

SUPPRESSED_REASON = "the cell is suppressed in the indicators table to protect a small neighbouring cell."


@dataclass(frozen=True)
class Cell:
    """What every row of one breakdown shares."""

    programme: str
    wave: str
    indicator: str
    kind: str
    name: str
    sd: float  # spread assumed by the MDE of a row not estimated (power.py), raw units
    group_id: str
    sex: str
    age_band: str
    visibility: Visibility
    paired_blocked: str | None = None  # why paired change is withheld for this breakdown, if it is

    @property
    def scale(self) -> float:
        return scale(self.kind)

    @property
    def who(self) -> str:
        return sentences.who("participants", self.group_id, self.sex, self.age_band)

    @property
    def single_group(self) -> bool:
        return self.group_id != ALL

    def hidden(self, arm: str, *, whole_arm: bool = False) -> bool:
        """True unless both wave cells of this breakdown (of the whole arm: a group's DiD
        uses the comparison arm's total) are visible in `indicators`."""
        group = ALL if whole_arm else self.group_id
        return self.visibility.hidden(arm, group, self.sex, self.age_band)

    def shows(self, arm: str, wave: str, *, whole_arm: bool = False) -> bool:
        """Whether `indicators` publishes this breakdown's cell of one arm and wave."""
        group = ALL if whole_arm else self.group_id
        return self.visibility.shows(arm, wave, group, self.sex, self.age_band)

    def base(self, method: str) -> dict:
        return {
            "indicator": self.indicator, "programme_id": self.programme, "group_id": self.group_id,
            "sex": self.sex, "age_band": self.age_band, "method": method, "wave": self.wave,
            "unit": unit(self.kind), "se": math.nan, "df": math.nan, "n_clusters": None, "clustering": None,
        }


def power_note(cell: Cell, mde: float, small: bool, min_cell: int) -> str:
    units = sentences.unit_word(cell.kind)
    if not math.isfinite(mde):
        return "Too few respondents to compute a minimum detectable effect."
    if cell.kind == "share" and mde >= 100:
        return "With these numbers no change, however large, could be detected reliably."
    d = sentences.digits(cell.kind, mde)
    if small:
        # computed as if each small cell had min_cell people: the true MDE is larger
        return (f"Even with {min_cell} in each small cell, only a change of more than {sentences.number(mde, d)} "
                f"{units} could be detected (80% power, 5% level).")
    return (f"With these numbers only a change of at least {sentences.number(mde, d)} {units} "
            f"could be detected (80% power, 5% level).")


def not_estimated(cell: Cell, row: dict, reason: str, mde: float, min_cell: int) -> dict:
    """A row with a cell under min_cell: no estimate, no size; the note bounds the MDE."""
    note = f"{reason} {power_note(cell, mde, True, min_cell)}"
    row.update(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, mde=math.nan, n=None,
               note=f"Not estimated: {note}", sentence=sentences.not_estimated_sentence(cell.name, note))
    return row


def suppressed(cell: Cell, row: dict, reason: str = SUPPRESSED_REASON) -> dict:
    """A row withheld to keep a suppressed indicator cell hidden: no size, no MDE."""
    row.update(estimate=math.nan, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, mde=math.nan,
               n=None, note=f"Not estimated: {reason}",
               sentence=sentences.not_estimated_sentence(cell.name, reason))
    return row


def small_cell_mde(cell: Cell, design: str, sizes: list[int], min_cell: int) -> float:
    """The MDE of a row not estimated, with every small or hidden cell counted as min_cell."""
    sizes = [max(n, min_cell) for n in sizes]
    if design == "change":
        value = power.mde_change(cell.sd, *sizes)
    elif design == "paired":
        value = power.mde_paired(cell.sd, *sizes)
    else:
        value = power.mde_did(cell.sd, sizes)
    return value * cell.scale


def described(row: dict, why: Untested, estimate: float, n_clusters: int | None) -> dict:
    """An estimate without a test; the sentence is the caller's."""
    row.update(estimate=estimate, ci_low=math.nan, ci_high=math.nan, p_value=math.nan, mde=math.nan,
               n_clusters=n_clusters, note=why.note)
    return row


def tested(row: dict, fit, factor: float, n_clusters: int) -> dict:
    """The interval, test, standard error, df and MDE of a fitted contrast, in the row's unit."""
    row.update(estimate=fit.estimate * factor, ci_low=fit.ci_low * factor, ci_high=fit.ci_high * factor,
               p_value=fit.p_value, se=fit.se * factor, df=fit.df, mde=fit.mde * factor, n_clusters=n_clusters,
               clustering="group")
    return row


WORDING = "_wording"  # a tested row's sentence, to be told what the report's claims make of it


def worded(row: dict, wording) -> dict:
    """A tested row: its sentence waits for the report's claims (``claims.word``), so it
    keeps the function that writes it, given a ``sentences.Verdict``."""
    row[WORDING] = wording
    row["sentence"] = wording()  # exploratory wording until the claims are decided
    return row


def cr2_clause(n_clusters: int, df: float) -> str:
    return (f"standard errors clustered by group (CR2, {n_clusters} groups, {df:.1f} degrees of freedom)")
