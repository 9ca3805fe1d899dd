"""Tested or only described: the one rule every impact estimate follows.

An estimate is tested (interval, p-value, MDE) only when the design can support it:

- A single group's own change is never tested: whatever changed in it cannot be told
  apart from what happened to that group alone — its facilitator, its venue, its winter.
- With fewer than ``MIN_CLUSTERS`` named groups on the participant side no method gives
  honest intervals (docs/impact.md, "Coverage study"): the estimate is described.
- CR2 is undefined when one group holds every answer of a cell, and there is nothing to
  test when the answers did not vary.

Every refusal comes with a plain-words note and a short reason for the sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.inference import MIN_CLUSTERS


@dataclass(frozen=True)
class Untested:
    note: str  # the row's note
    reason: str  # the clause the sentence ends on


SINGLE_GROUP = Untested(
    "Described, not tested: a single group's change cannot be told apart from what happened to that "
    "group alone (its facilitator, its venue, its season).",
    "one group's change cannot be told apart from what happened to that group",
)
FEW_GROUPS = Untested(
    f"Described, not tested: fewer than {MIN_CLUSTERS} groups. With so few groups no interval can separate "
    f"the programme from what happened to each of its groups.",
    f"fewer than {MIN_CLUSTERS} groups",
)
ONE_GROUP_CELL = Untested(
    "Described, not tested: every answer of one wave comes from a single group.",
    "every answer of one wave comes from a single group",
)
NO_SPREAD = Untested(
    "Described, not tested: the answers did not vary, so no interval can be computed.",
    "the answers did not vary",
)


def untested(*, single_group: bool, n_groups: int, se: float) -> Untested | None:
    """Why this estimate is only described, or None when it is tested."""
    if single_group:
        return SINGLE_GROUP
    if n_groups < MIN_CLUSTERS:
        return FEW_GROUPS
    if not math.isfinite(se):
        return ONE_GROUP_CELL
    if se <= 0:
        return NO_SPREAD
    return None
