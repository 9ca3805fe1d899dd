"""What must stay uncertain: the protected counts of a component, from the true data.

For every hidden cell whose denominator counts people:
- its denominator, when it is 1 … m−1 people;
- a share's numerator and the count without the outcome, when 1 … m−1, and when 0 in
  a cell of fewer than 2m people (knowing it is 0 tells the share: "0 % of the 6");
- a mean of fewer than 2m people at an end of its scale: the distance of its total
  from that end (0 means everyone is at the end; the attacker must not be sure).
And for every pair of indicators whose people are nested by definition (4.3 counts the
55+ among ``P.who5_mean``'s respondents), in every cell where both exist: the count
in the outer population and not the inner, when 1 … m−1 — whether or not either cell
is hidden, since two visible cells can be subtracted.

A zero (or everyone-at-the-end) that visible cells already state is not a new
disclosure ("0 % of the 40 in the programme" covers its parts): a pinned zero target
is exempt when the visible cells stating 0 % (100 %, the same end) of its indicator
pin it *by themselves*, with no other published figure (``stating_cells``; the attack
module re-runs the target against those cells alone). A zero worked out by
subtracting other figures from a visible 0 % is not exempt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pipelines.disclosure.model import COORDS, Structure
from pipelines.disclosure.system import DEN, NUM, TOTAL, System

MEAN_AT_BOUND = 1e-9


@dataclass
class Targets:
    """One row per target (``row``, ``what``, ``truth``, ``other`` for nested) and their forms."""

    table: pd.DataFrame
    forms: sparse.csr_matrix


def component_targets(system: System, structure: Structure, hidden: set[int], min_cell: int,
                      scales: pd.DataFrame) -> Targets:
    """The protected counts of ``system`` when ``hidden`` are not published: those of
    its hidden cells, and every nested count."""
    cached = system.cache.get(("targets", min_cell))
    if cached is None:
        cached = system.cache[("targets", min_cell)] = _all_targets(system, structure, min_cell, scales)
    keep = np.flatnonzero(cached.table["row"].isin(hidden).to_numpy() | (cached.table["other"] >= 0).to_numpy())
    return Targets(cached.table.iloc[keep].reset_index(drop=True), cached.forms[keep])


def _all_targets(system: System, structure: Structure, min_cell: int, scales: pd.DataFrame) -> Targets:
    """Every target the cells of ``system`` would have if all were hidden.

    Each target is a combination of its cells' linear forms (``System.forms``: three
    rows per cell, denominator, numerator, total), built as one sparse product."""
    cells = system.cells
    m = min_cell
    slot = cells["slot"].to_numpy()
    den = cells["denominator"].to_numpy(float)
    num = cells["numerator"].to_numpy(float)
    value = cells["value"].to_numpy(float)
    kind = cells["kind"].to_numpy()
    is_hidden = np.ones(len(cells), dtype=bool)
    rows = cells.index.to_numpy()
    small = lambda v: (v >= 1) & (v <= m - 1)  # noqa: E731
    specs = []  # (mask, what, [(part, weight per cell)], truth)

    specs.append((is_hidden & small(den), "denominator", [(DEN, 1.0)], den))
    share = is_hidden & (kind == "share")
    for what, parts, truth in (("numerator", [(NUM, 1.0)], num),
                               ("without outcome", [(DEN, 1.0), (NUM, -1.0)], den - num)):
        specs.append((share & (small(truth) | ((truth == 0) & (den < 2 * m))), what, parts, truth))
    top = cells["indicator"].map(scales.set_index("code")["high"]).to_numpy(float)
    bottom = cells["indicator"].map(scales.set_index("code")["low"]).to_numpy(float)
    mean = is_hidden & (kind == "mean") & (den < 2 * m)
    with np.errstate(invalid="ignore"):
        at_top = mean & np.isfinite(top) & (value >= top - MEAN_AT_BOUND)
        at_bottom = mean & np.isfinite(bottom) & (value <= bottom + MEAN_AT_BOUND)
    specs.append((at_top, "everyone at the top", [(DEN, top), (TOTAL, -1.0)], np.zeros(len(cells))))
    specs.append((at_bottom, "everyone at the bottom", [(TOTAL, 1.0), (DEN, -bottom)], np.zeros(len(cells))))

    r, c, v, records = [], [], [], []
    for mask, what, parts, truth in specs:
        chosen = np.flatnonzero(mask)
        for k in chosen:
            t = len(records)
            records.append({"row": int(rows[k]), "what": what, "truth": float(truth[k]), "other": -1})
            for part, weight in parts:
                r.append(t)
                c.append(3 * slot[k] + part)
                v.append(float(weight[k]) if isinstance(weight, np.ndarray) else weight)
    # nested populations: outer's people who are not inner's, in every cell where both exist
    pairs = structure.nested[structure.nested["block"] == cells["block"].iloc[0]] if len(cells) else []
    if len(pairs):
        keyed = cells[~cells["distinct"]].reset_index(drop=True)
        for outer, inner in pairs[["outer", "inner"]].itertuples(index=False):
            both = keyed[keyed["indicator"] == outer].merge(keyed[keyed["indicator"] == inner], on=COORDS,
                                                               suffixes=("", "_inner"))
            diff = both["denominator"].to_numpy(float) - both["denominator_inner"].to_numpy(float)
            for b in np.flatnonzero(small(diff)):
                t = len(records)
                records.append({"row": int(both["row"].iat[b]), "what": f"in {outer}, not {inner}",
                                "truth": float(diff[b]), "other": int(both["row_inner"].iat[b])})
                r += [t, t]
                c += [3 * int(both["slot"].iat[b]) + DEN, 3 * int(both["slot_inner"].iat[b]) + DEN]
                v += [1.0, -1.0]
    table = pd.DataFrame(records, columns=["row", "what", "truth", "other"])
    select = sparse.csr_matrix((v, (r, c)), shape=(len(records), system.forms.shape[0]))
    return Targets(table, (select @ system.forms).tocsr())


def stating_cells(system: System, target: pd.Series, hidden: set[int]) -> set[int]:
    """The visible cells of the target's indicator that state what a zero target would
    reveal: a 0 % (numerator), a 100 % (without outcome), or everyone at the same end
    of the scale. Empty for other targets."""
    if target["truth"] != 0 or target["what"] == "denominator" or target["other"] >= 0:
        return set()
    cell = system.cells.loc[target["row"]]
    same = system.cells[(system.cells["indicator"] == cell["indicator"]) & ~system.cells.index.isin(hidden)]
    if target["what"] == "numerator":
        stating = same["numerator"] == 0
    elif target["what"] == "without outcome":
        stating = same["numerator"] == same["denominator"]
    else:
        stating = same["value"] == cell["value"]
    return set(same.index[stating.to_numpy()])

