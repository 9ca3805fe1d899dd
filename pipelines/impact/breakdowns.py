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

    def paired_blocked(self, pairs: pd.DataFrame, min_cell: int) -> dict[str, str]:
        """column → reason, for each breakdown whose paired estimates must all be withheld.

        ``pairs``: the number of pairs (``n0``) per part of every breakdown of this
        indicator, programme and wave, 'unknown' included. The parts add up to the
        total's pairs, so if any part is small or its cells are suppressed, publishing
        the others and the total would give it away: no part of that breakdown is
        estimated.
        """
        blocked = {}
        for position, column in enumerate(BREAKDOWNS):
            others = [c for c in BREAKDOWNS if c != column]
            parts = pairs[(pairs[column] != ALL) & (pairs[others] == ALL).all(axis=1)]
            small = ((parts["n0"] > 0) & (parts["n0"] < min_cell)).any()
            hidden = False
            for value in parts[column]:
                key = [ALL, ALL, ALL]
                key[position] = str(value)
                hidden |= self.hidden(PARTICIPANT, *key)
            if small or hidden:
                word = WORDS[column]
                blocked[column] = (f"paired change by {word} is withheld: one {word} has fewer than {min_cell} "
                                   f"people in both waves or a suppressed cell, and its change could be worked "
                                   f"out from the others and the total.")
        return blocked
