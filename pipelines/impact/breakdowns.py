"""Whether `indicators` lets a breakdown be estimated.

A programme's total, then each group, sex and age band on its own (``breakdowns.sql``).
An estimate is a function of its wave cells, so it is made only when they are visible
(docs/impact.md, "Small samples and suppressed cells").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.impact.inputs import visible_key
from pipelines.impact.rules import ALL, PARTICIPANT

BREAKDOWNS = ("group_id", "sex", "age_band")
WORDS = {"group_id": "group", "sex": "sex", "age_band": "age band"}


@dataclass(frozen=True)
class Visibility:
    """Which cells of one indicator, programme and follow-up wave `indicators` shows."""

    visible: frozenset
    indicator: str
    programme: str
    wave: str

    def shows(self, arm: str, wave: str, group_id: str = ALL, sex: str = ALL, age_band: str = ALL) -> bool:
        return visible_key(self.indicator, self.programme, arm, wave, group_id=group_id, sex=sex,
                           age_band=age_band) in self.visible

    def hidden(self, arm: str, group_id: str = ALL, sex: str = ALL, age_band: str = ALL) -> bool:
        """True unless both wave cells of this breakdown and arm are visible in `indicators`."""
        return not all(self.shows(arm, wave, group_id, sex, age_band) for wave in ("baseline", self.wave))


def paired_blocked(pairs: pd.DataFrame, visible: frozenset, min_cell: int) -> dict[tuple, str]:
    """(programme, wave, indicator, column) → reason, for each breakdown whose paired
    estimates must all be withheld.

    ``pairs``: the paired fits, with the number of pairs (``n0``) of every part of every
    breakdown, 'unknown' included. The parts add up to the total's pairs, so if any part
    is small or its cells are suppressed, publishing the others and the total would give
    it away: no part of that breakdown is estimated.
    """
    keys = pairs[["programme_id", "wave", "indicator", *BREAKDOWNS]].astype(object).to_numpy()
    sizes = pairs["n0"].to_numpy()
    blocked: dict[tuple, str] = {}
    for (programme, wave, indicator, *parts), n in zip(keys, sizes, strict=True):
        split = [i for i, value in enumerate(parts) if value != ALL]
        if len(split) != 1:
            continue
        column = BREAKDOWNS[split[0]]
        key = (programme, wave, indicator, column)
        if key in blocked:
            continue
        cells = [visible_key(indicator, programme, PARTICIPANT, w, group_id=parts[0], sex=parts[1],
                             age_band=parts[2]) for w in ("baseline", wave)]
        if 0 < n < min_cell or not all(c in visible for c in cells):
            word = WORDS[column]
            blocked[key] = (f"paired change by {word} is withheld: one {word} has fewer than {min_cell} people in "
                            f"both waves or a suppressed cell, and its change could be worked out from the others "
                            f"and the total.")
    return blocked
