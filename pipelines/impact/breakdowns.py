"""The breakdowns an estimate is made for, and whether `indicators` lets it be made.

A programme's total, then each group, sex and age band on its own. Whether a
breakdown may be estimated follows the suppression of the `indicators` table: an
estimate is a function of its wave cells, so it is made only when they are visible
(docs/impact.md, "Small samples and suppressed cells").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.impact.inputs import visible_key
from pipelines.impact.rules import ALL, PARTICIPANT, UNKNOWN

BREAKDOWNS = ("group_id", "sex", "age_band")


def split_waves(rows: pd.DataFrame, rank: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline rows and the rows of the follow-up wave of this rank."""
    return rows[rows["wave_rank"] == 0], rows[rows["wave_rank"] == rank]


def breakdowns(participants: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The total, then each group, sex and age band present among participants.

    `unknown` (no birth year, say) counts in the total but is not a breakdown of its own.
    """
    out = [(ALL, ALL, ALL)]
    for position, column in enumerate(BREAKDOWNS):
        for value in sorted(participants[column].dropna().unique()):
            if value == UNKNOWN:
                continue
            key = [ALL, ALL, ALL]
            key[position] = str(value)
            out.append(tuple(key))
    return out


def subset(rows: pd.DataFrame, group_id: str, sex: str, age_band: str, *, prefix: str = "",
            by_group: bool = True) -> pd.DataFrame:
    """Rows of one breakdown; prefix 'wave_' classes people at each interview."""
    mask = np.ones(len(rows), dtype=bool)
    for column, value in (("group_id", group_id if by_group else ALL), ("sex", sex), ("age_band", age_band)):
        if value != ALL:
            mask &= (rows[prefix + column] == value).fillna(False).to_numpy()
    return rows[mask]


@dataclass(frozen=True)
class Visibility:
    """Which breakdowns of one indicator, programme and follow-up wave may be estimated."""

    visible: frozenset
    indicator: str
    programme: str
    wave: str

    def hidden(self, arm: str, group_id: str = ALL, sex: str = ALL, age_band: str = ALL) -> bool:
        """True unless both wave cells of this breakdown and arm are visible in `indicators`."""
        return not all(
            visible_key(self.indicator, self.programme, arm, wave, group_id=group_id, sex=sex,
                        age_band=age_band) in self.visible
            for wave in ("baseline", self.wave))

    def paired_blocked(self, participants: pd.DataFrame, rank: int, min_cell: int) -> dict[str, str]:
        """column → reason, for each breakdown whose paired estimates must all be withheld.

        The pairs of a breakdown's parts (unknown included) add up to the total's pairs,
        so if any part is small or its cells are suppressed, publishing the others and
        the total would give it away: no part of that breakdown is estimated.
        """
        baseline, followup = split_waves(participants, rank)
        paired = baseline[baseline["participant_id"].isin(set(followup["participant_id"]))]
        blocked = {}
        for position, column in enumerate(BREAKDOWNS):
            sizes = paired[column].fillna(UNKNOWN).value_counts()
            small = ((sizes > 0) & (sizes < min_cell)).any()
            keys = [[ALL, ALL, ALL] for _ in sizes.index]
            for key, value in zip(keys, sizes.index, strict=True):
                key[position] = str(value)
            if small or any(self.hidden(PARTICIPANT, *key) for key in keys):
                word = {"group_id": "group", "sex": "sex", "age_band": "age band"}[column]
                blocked[column] = (f"paired change by {word} is withheld: one {word} has fewer than {min_cell} "
                                   f"people in both waves or a suppressed cell, and its change could be worked "
                                   f"out from the others and the total.")
        return blocked
