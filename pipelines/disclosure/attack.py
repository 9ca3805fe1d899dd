"""Run the attack on every component of ``indicators`` and say what it pins.

Shared by the planner (which hides more cells until nothing is pinned, demanding a
width) and the audit (which only reports, at width 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.disclosure import rules
from pipelines.disclosure.model import Structure
from pipelines.disclosure.ranges import attack_all
from pipelines.disclosure.system import System
from pipelines.disclosure.targets import Targets, component_targets, stating_cells

AUDIT_WIDTH = 1.0  # pinned: the attacker knows the count to within ±0.5
COLUMNS = ["component", "row", "what", "truth", "other", "low", "high", "exact", "pinned", "binding"]


@dataclass
class Findings:
    """One row per protected target: component, row (the cell), what, truth, other (the
    inner cell of a nested count), low, high, exact, pinned (narrower than the width
    asked for and not exempt) and, for pinned ones, the visible cells whose equations
    the attacker used (``binding``)."""

    table: pd.DataFrame
    seconds: float = 0.0
    solved: int = 0
    calls: int = 0

    @property
    def pinned(self) -> pd.DataFrame:
        return self.table[self.table["pinned"]]


def key(table: pd.DataFrame) -> list[tuple]:
    """What identifies a target across rounds of the planner."""
    return list(zip(table["row"], table["what"], table["other"], strict=True))


def run(structure: Structure, systems: dict[str, System], hidden: set[int], min_cell: int, width: float,
        components: list[str] | None = None, settled: dict[tuple, tuple[float, float]] | None = None) -> Findings:
    """The attacker's range of every protected count in ``components`` (default: all).

    ``settled`` (target key → low, high) are targets already at least ``width`` wide
    with fewer cells hidden: hiding more only widens a range, so they are not attacked
    again and keep their earlier range."""
    started = time.perf_counter()
    scales = rules.mean_scales()
    settled = settled or {}
    names = sorted(systems) if components is None else sorted(components)
    found, known = [], []
    for name in names:
        targets = component_targets(systems[name], structure, hidden, min_cell, scales)
        done = np.array([k in settled for k in key(targets.table)], dtype=bool)
        if done.any():
            ranges = np.array([settled[k] for k, d in zip(key(targets.table), done, strict=True) if d]).reshape(-1, 2)
            known.append(targets.table[done].assign(component=name, low=ranges[:, 0], high=ranges[:, 1], exact=False,
                                                     pinned=False, binding=None))
        if (~done).any():
            found.append((name, Targets(targets.table[~done].reset_index(drop=True), targets.forms[np.flatnonzero(~done)])))
    results = attack_all([(systems[name].problem(hidden), targets.forms) for name, targets in found], width)
    calls = solved = 0
    if results:
        calls, solved = results[0].calls, results[0].solved
    frames, recheck = [], []
    for (name, targets), ranges in zip(found, results, strict=True):
        table = targets.table.assign(component=name, low=ranges.low, high=ranges.high, exact=ranges.exact)
        pinned = np.array(table["high"] - table["low"] < width, dtype=bool)
        binding = [ranges.binding.get(t, set()) if pinned[t] else None for t in range(len(table))]
        for t in np.flatnonzero(pinned):
            stating = stating_cells(systems[name], table.iloc[t], hidden)
            if stating:
                recheck.append((len(frames), t, name, targets.forms[[t]], stating))
        frames.append(table.assign(pinned=pinned, binding=binding))
    # A zero that the visible 0 % (100 %) cells of its indicator state by themselves
    # (with no other published figure) is not a new disclosure: it is exempt.
    if recheck:
        again = attack_all([(systems[name].problem(set(systems[name].cells.index) - stating), form)
                            for _, _, name, form, stating in recheck], width)
        calls, solved = calls + again[0].calls, solved + again[0].solved
        for (frame, t, *_), ranges in zip(recheck, again, strict=True):
            if ranges.width[0] < width:
                frames[frame].iat[t, frames[frame].columns.get_loc("pinned")] = False
    frames += known
    table = pd.concat(frames, ignore_index=True)[COLUMNS] if frames else pd.DataFrame(columns=COLUMNS)
    return Findings(table, time.perf_counter() - started, solved, calls)
