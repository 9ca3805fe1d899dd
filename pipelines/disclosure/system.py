"""The attacker's linear system of one component, for a given set of hidden cells.

Variables: one count per piece (≥ 0); one score sum per piece and mean it counts in
(between the lowest and highest score its people can have, ``rules.mean_bounds``); one
count per *distinct* cell (participants above the group level, where a person in two
groups counts once: at least each group's count, at most their sum). Every cell gives
up to three linear forms over them — its denominator, its numerator (shares: the
pieces with the outcome) and its total (means and sums: the score sums) — and a
visible cell fixes them to its published values. The links between cliques always
hold. Targets are linear forms too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from pipelines.disclosure.model import COORDS, Structure
from pipelines.disclosure.ranges import Problem

DEN, NUM, TOTAL = 0, 1, 2
# A published mean or sum is rounded to 1e-10 (indicators.sql); allow float error on top.
TOTAL_TOLERANCE = 1e-7


@dataclass
class System:
    """One component: its cells' linear forms (``forms``, three rows per cell, in the
    order of ``cells``), the links between cliques and the structural inequalities."""

    name: str
    cells: pd.DataFrame  # rows of Structure.rows in this component, indexed by row, with ``slot``
    forms: sparse.csr_matrix  # (3 × cells) × variables
    links: sparse.csr_matrix
    structural: sparse.csr_matrix
    structural_rhs: np.ndarray
    lower: np.ndarray
    truth: np.ndarray
    cache: dict = field(default_factory=dict)  # what depends on the system alone

    def keyed(self) -> pd.Series:
        """Denominator by (indicator, coordinates), for looking up a cell's parent."""
        if "keyed" not in self.cache:
            self.cache["keyed"] = self.cells.set_index(["indicator", *COORDS])["denominator"]
        return self.cache["keyed"]

    def form(self, row: int, which: int) -> sparse.csr_matrix:
        return self.forms[3 * int(self.cells.at[row, "slot"]) + which]

    def problem(self, hidden: set[int]) -> Problem:
        """The attacker's system when the cells ``hidden`` are not published."""
        visible = self.cells[~self.cells.index.isin(hidden)]
        slot = visible["slot"].to_numpy()
        share = (visible["kind"] == "share").to_numpy()
        scored = visible["kind"].isin(["mean", "sum"]).to_numpy()
        eq_index = np.r_[3 * slot + DEN, 3 * slot[share] + NUM]
        eq_rhs = np.r_[visible["denominator"].to_numpy(float), visible["numerator"].to_numpy(float)[share]]
        eq_cells = np.r_[visible.index.to_numpy(), visible.index.to_numpy()[share]]
        totals = visible["numerator"].to_numpy(float)[scored]
        slack = TOTAL_TOLERANCE * np.maximum(1.0, np.abs(totals))
        total_forms = self.forms[3 * slot[scored] + TOTAL]
        n_links = self.links.shape[0]
        return Problem(
            A_eq=sparse.vstack([self.forms[eq_index], self.links], format="csr"),
            b_eq=np.r_[eq_rhs, np.zeros(n_links)],
            eq_cells=np.r_[eq_cells, np.full(n_links, -1)].astype(np.int64),
            A_ub=sparse.vstack([self.structural, total_forms, -total_forms], format="csr"),
            b_ub=np.r_[self.structural_rhs, totals + slack, -(totals - slack)],
            ub_cells=np.r_[np.full(len(self.structural_rhs), -1), np.tile(visible.index.to_numpy()[scored], 2)
                           ].astype(np.int64),
            lower=self.lower,
            truth=self.truth,
        )


def _split(component: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
           shapes: dict[str, tuple[int, int]]) -> dict[str, sparse.csr_matrix]:
    """One CSR matrix per component from global (component, local row, local column, value)."""
    out = {}
    order = np.argsort(component, kind="stable")
    component, rows, cols, values = component[order], rows[order], cols[order], values[order]
    names, starts = np.unique(component, return_index=True)
    ends = np.r_[starts[1:], len(component)] if len(starts) else np.zeros(0, dtype=np.int64)
    bounds = dict(zip(names, zip(starts, ends, strict=True), strict=True))
    for name, shape in shapes.items():
        a, b = bounds.get(name, (0, 0))
        out[name] = sparse.csr_matrix((values[a:b], (rows[a:b], cols[a:b])), shape=shape)
    return out


def build_systems(structure: Structure) -> dict[str, System]:
    """One ``System`` per component of ``structure``, built for all components at once:
    each variable and cell gets its place within its component, then the entries of
    every matrix are split by component."""
    cells = structure.rows.sort_values(["component", "row"]).set_index("row", drop=False)
    cells["slot"] = cells.groupby("component").cumcount().to_numpy()
    pieces = structure.pieces.sort_values(["component", "piece"])
    pieces = pieces.assign(col=pieces.groupby("component").cumcount().to_numpy())
    n_pieces = pieces.groupby("component").size()
    sums = structure.sums.merge(pieces[["piece", "component", "col"]].rename(columns={"col": "piece_col"}),
                                on="piece").sort_values(["component", "piece", "indicator"])
    sums["col"] = n_pieces.reindex(sums["component"]).to_numpy() + sums.groupby("component").cumcount().to_numpy()
    n_sums = sums.groupby("component").size()
    distinct = cells[cells["distinct"]].copy()
    distinct["col"] = (n_pieces.reindex(distinct["component"], fill_value=0).to_numpy()
                       + n_sums.reindex(distinct["component"], fill_value=0).to_numpy()
                       + distinct.groupby("component").cumcount().to_numpy())
    names = sorted(set(cells["component"]))
    size = {n: int(n_pieces.get(n, 0) + n_sums.get(n, 0) + (distinct["component"] == n).sum()) for n in names}

    # the three linear forms of every cell: denominator, numerator, total
    m = structure.members.merge(pieces[["piece", "col", "group_id"]], on="piece")
    m = m.assign(component=cells["component"].reindex(m["row"]).to_numpy(), slot=cells["slot"].reindex(m["row"]).to_numpy(),
                 indicator=cells["indicator"].reindex(m["row"]).to_numpy(),
                 distinct=cells["distinct"].reindex(m["row"]).to_numpy())
    additive = m[~m["distinct"]]
    hits = additive[additive["success"]]
    scored = m.merge(sums[["piece", "indicator", "col"]].rename(columns={"col": "scol"}), on=["piece", "indicator"])
    parts = [(additive["component"], 3 * additive["slot"] + DEN, additive["col"], 1.0),
             (hits["component"], 3 * hits["slot"] + NUM, hits["col"], 1.0),
             (distinct["component"], 3 * distinct["slot"] + DEN, distinct["col"], 1.0),
             (scored["component"], 3 * scored["slot"] + TOTAL, scored["scol"], 1.0)]
    forms = _split(*_concat(parts), {n: (3 * int((cells["component"] == n).sum()), size[n]) for n in names})

    # links between cliques (counts and score sums)
    links = structure.links.merge(pieces[["piece", "component", "col"]], on="piece")
    counted = links[links["indicator"].isna()]
    totalled = links[links["indicator"].notna()].drop(columns="col").merge(
        sums[["piece", "indicator", "col"]], on=["piece", "indicator"])
    both = pd.concat([counted, totalled], ignore_index=True)
    both["local"] = both.groupby("component")["link"].rank(method="dense").astype(int) - 1
    n_links = both.groupby("component")["local"].max() + 1
    link_forms = _split(both["component"].to_numpy(), both["local"].to_numpy(), both["col"].to_numpy(),
                        both["sign"].to_numpy(float), {n: (int(n_links.get(n, 0)), size[n]) for n in names})

    # structural rows: score sums within their range; distinct counts between the
    # largest group's count and the sum of the groups'
    parts = []
    for bound, sign in (("high", 1.0), ("low", -1.0)):
        finite = sums[np.isfinite(sums[bound])]
        key = finite["component"] + f"/{bound}/" + finite["piece"].astype(str) + "/" + finite["indicator"]
        parts.append((finite["component"], key, finite["col"], np.full(len(finite), sign)))
        parts.append((finite["component"], key, finite["piece_col"], -sign * finite[bound].to_numpy()))
    spread = m[m["distinct"]].assign(y=distinct["col"].reindex(m.loc[m["distinct"], "row"]).to_numpy())
    if len(spread):
        whole = spread["component"] + "/sum/" + spread["row"].astype(str)
        parts.append((spread["component"], whole, spread["col"], -1.0))
        ys = spread.drop_duplicates("row")
        parts.append((ys["component"], ys["component"] + "/sum/" + ys["row"].astype(str), ys["y"], 1.0))
        each = spread["component"] + "/group/" + spread["row"].astype(str) + "/" + spread["group_id"]
        parts.append((spread["component"], each, spread["col"], 1.0))
        ys = spread.drop_duplicates(["row", "group_id"])
        parts.append((ys["component"], ys["component"] + "/group/" + ys["row"].astype(str) + "/" + ys["group_id"],
                      ys["y"], -1.0))
    comp, key, col, val = _concat(parts)
    frame = pd.DataFrame({"component": comp, "key": key})
    local = (frame.groupby("component")["key"].rank(method="dense").astype(int) - 1).to_numpy()
    n_structural = frame.assign(local=local).groupby("component")["local"].max() + 1
    structural = _split(comp, local, col, val, {n: (int(n_structural.get(n, 0)), size[n]) for n in names})

    truth = {n: np.zeros(size[n]) for n in names}
    lower = {n: np.zeros(size[n]) for n in names}
    for frame, value in ((pieces, "n"), (sums, "total"), (distinct, "denominator")):
        for name, group in frame.groupby("component"):
            truth[name][group["col"].to_numpy()] = group[value].to_numpy(float)
    for name, group in sums.groupby("component"):
        lower[name][group["col"].to_numpy()] = -np.inf
    by_component = dict(tuple(cells.groupby("component", sort=True)))
    return {n: System(n, by_component[n], forms[n], link_forms[n], structural[n],
                      np.zeros(structural[n].shape[0]), lower[n], truth[n]) for n in names}


def _concat(parts):
    """(component, row, column, value) arrays from parts whose value may be a scalar."""
    comp = np.concatenate([np.asarray(c, dtype=object) for c, _, _, _ in parts]) if parts else np.zeros(0, object)
    rows = np.concatenate([np.asarray(r) for _, r, _, _ in parts]) if parts else np.zeros(0)
    cols = np.concatenate([np.asarray(c, dtype=np.int64) for _, _, c, _ in parts]) if parts else np.zeros(0, np.int64)
    vals = np.concatenate([np.broadcast_to(np.asarray(v, dtype=float), (len(c),)) for c, _, _, v in parts]) \
        if parts else np.zeros(0)
    return comp, rows, cols, vals
