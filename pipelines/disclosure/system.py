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


def _csr(entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]], shape) -> sparse.csr_matrix:
    if not entries:
        return sparse.csr_matrix(shape)
    r, c, v = (np.concatenate([np.asarray(x, dtype=float if i == 2 else np.int64) for x in parts])
               for i, parts in enumerate(zip(*entries, strict=True)))
    return sparse.csr_matrix((v, (r, c)), shape=shape)


def build_systems(structure: Structure) -> dict[str, System]:
    """One ``System`` per component of ``structure``."""
    pieces = structure.pieces
    members = structure.members.merge(pieces[["piece", "component", "group_id"]], on="piece")
    sums = structure.sums.merge(pieces[["piece", "component"]], on="piece")
    links = structure.links.merge(pieces[["piece", "component"]], on="piece")
    def split(frame):
        return {k: g for k, g in frame.groupby("component", sort=False)}

    by = [split(f) for f in (pieces, members, sums, links)]
    empty = [f.iloc[0:0] for f in (pieces, members, sums, links)]
    return {name: _system(name, cells, *(b.get(name, e) for b, e in zip(by, empty, strict=True)))
            for name, cells in structure.rows.groupby("component", sort=True)}


def _system(name: str, cells: pd.DataFrame, pieces: pd.DataFrame, members: pd.DataFrame,
            sums: pd.DataFrame, links: pd.DataFrame) -> System:
    cells = cells.set_index("row", drop=False).copy()
    cells["slot"] = np.arange(len(cells))
    distinct = cells[cells["distinct"]]
    n_pieces, n_sums = len(pieces), len(sums)
    n_vars = n_pieces + n_sums + len(distinct)
    piece_col = pd.Series(np.arange(n_pieces), index=pieces["piece"].to_numpy())
    sums = sums.reset_index(drop=True).assign(col=n_pieces + np.arange(n_sums))
    y_col = pd.Series(n_pieces + n_sums + np.arange(len(distinct)), index=distinct.index)

    m = members.assign(col=piece_col.reindex(members["piece"]).to_numpy(),
                       slot=cells["slot"].reindex(members["row"]).to_numpy(),
                       indicator=cells["indicator"].reindex(members["row"]).to_numpy(),
                       distinct=cells["distinct"].reindex(members["row"]).to_numpy())
    additive = m[~m["distinct"]]
    hits = additive[additive["success"]]
    scored = m.merge(sums[["piece", "indicator", "col"]].rename(columns={"col": "scol"}), on=["piece", "indicator"])
    entries = [(3 * additive["slot"] + DEN, additive["col"], np.ones(len(additive))),
               (3 * hits["slot"] + NUM, hits["col"], np.ones(len(hits))),
               (3 * distinct["slot"] + DEN, y_col.to_numpy(), np.ones(len(distinct))),
               (3 * scored["slot"] + TOTAL, scored["scol"], np.ones(len(scored)))]
    forms = _csr(entries, (3 * len(cells), n_vars))

    counted = links[links["indicator"].isna()]
    totalled = links[links["indicator"].notna()].merge(sums[["piece", "indicator", "col"]], on=["piece", "indicator"])
    link_ids = {k: i for i, k in enumerate(sorted(set(links["link"])))}
    link_forms = _csr([(counted["link"].map(link_ids), piece_col.reindex(counted["piece"]).to_numpy(), counted["sign"]),
                       (totalled["link"].map(link_ids), totalled["col"], totalled["sign"])],
                      (len(link_ids), n_vars))

    # score sums within their range; distinct counts between the largest group's and the sum
    entries, k = [], 0
    for bound, sign in (("high", 1.0), ("low", -1.0)):
        finite = sums[np.isfinite(sums[bound])]
        idx = np.arange(len(finite)) + k
        entries.append((idx, finite["col"], np.full(len(finite), sign)))
        entries.append((idx, piece_col.reindex(finite["piece"]).to_numpy(), -sign * finite[bound].to_numpy()))
        k += len(finite)
    for row, parts in m[m["distinct"]].groupby("row"):
        y = y_col[row]
        entries.append((np.full(len(parts) + 1, k), np.r_[parts["col"].to_numpy(), y],
                        np.r_[-np.ones(len(parts)), 1.0]))
        k += 1
        for _, group in parts.groupby("group_id"):
            entries.append((np.full(len(group) + 1, k), np.r_[group["col"].to_numpy(), y],
                            np.r_[np.ones(len(group)), -1.0]))
            k += 1
    structural = _csr(entries, (k, n_vars))

    truth = np.r_[pieces["n"].to_numpy(float), sums["total"].to_numpy(float), distinct["denominator"].to_numpy(float)]
    lower = np.r_[np.zeros(n_pieces), np.full(n_sums, -np.inf), np.zeros(len(distinct))]
    return System(name, cells, forms, link_forms, structural, np.zeros(k), lower, truth)
