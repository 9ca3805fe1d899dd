"""How far an attacker can narrow a linear function of the hidden counts.

``Problem`` is a linear system the attacker knows to hold: ``A_eq x = b_eq`` (every
visible cell), ``A_ub x ≤ b_ub`` (score ranges, rounding, distinct counts), ``x ≥ lower``.
For each protected target ``t·x`` the attacker's range is [min, max] over that
polytope, found with ``scipy.optimize.linprog`` (HiGHS). A target is *pinned* when
the range is narrower than the required width (1 for the audit: a count known to
within ±0.5). The LP relaxation is what statistical offices audit with (tau-ARGUS,
sdcTable); an attacker restricted to whole numbers can occasionally do better, which
is one reason the planner demands more width than the audit.

A system splits into independent *units* (variables no equation links, such as two
programmes in different countries, or two signatures no cell mixes); a target is
attacked in the unit it lives in, which is small (tens of variables). Solving
thousands of tiny programmes one call at a time would cost far more in call overhead
than in solving, so each round stacks many of them side by side — a copy of a unit
per objective — into block-diagonal programs: a sum of objectives over disjoint
blocks is optimised by optimising each block, so one call answers many. A stack is
kept to about 20,000 variables, where HiGHS is as fast per variable as on small ones. The true
data is a feasible point to start from; two rounds push a random signed mix of each
unit's open targets up and down, and a target that two known points already set apart
by the width is settled without a programme of its own. Every solution found joins its unit's pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

DUAL_TOLERANCE = 1e-7
# Every variable is capped so that no block of a stacked programme is unbounded (which
# would leave the others unsolved); a range reaching the cap is reported as unbounded.
CAP = 1e7
TARGETS_PER_ROUND = 12  # per unit and round, each solved both ways
# HiGHS's time per variable grows with the programme: planning the indicators of 10,000
# survey rows (docs/performance.md, "The whole run") took 212 s with every copy of a
# round in one programme (up to 850,000 variables), 135 s in programmes of about 20,000
# variables and 122 s of 2,000 (fewer copies per call, more calls). A copy larger than
# this is a programme of its own.
STACK_VARIABLES = 20_000
RANDOM_ROUNDS = 2


class InfeasibleError(RuntimeError):
    """The published figures contradict the model: a relation is wrong (a bug)."""


@dataclass
class Problem:
    """``eq_cells``/``ub_cells``: the published cell (a row id, −1 for none) behind each row."""

    A_eq: sparse.csr_matrix
    b_eq: np.ndarray
    eq_cells: np.ndarray
    A_ub: sparse.csr_matrix
    b_ub: np.ndarray
    ub_cells: np.ndarray
    lower: np.ndarray
    truth: np.ndarray

    @property
    def size(self) -> int:
        return len(self.truth)

    def parts(self, keys: np.ndarray) -> dict[int, "Problem"]:
        """The independent part of each key (``keys``: one per variable, −1 for none): its
        variables and the rows linking them. Each row's key is read once, so splitting
        a system into thousands of parts costs one pass, not one pass per part."""
        out = {}
        row_keys = [_row_keys(matrix, keys) for matrix in (self.A_eq, self.A_ub)]
        for key in np.unique(keys[keys >= 0]):
            columns = np.flatnonzero(keys == key)
            eq, ub = (np.flatnonzero(k == key) for k in row_keys)
            out[int(key)] = Problem(self.A_eq[eq][:, columns], self.b_eq[eq], self.eq_cells[eq],
                                    self.A_ub[ub][:, columns], self.b_ub[ub], self.ub_cells[ub],
                                    self.lower[columns], self.truth[columns])
        return out

    def labels(self) -> np.ndarray:
        """A label per variable: variables with one label are linked by some row."""
        matrix = sparse.vstack([self.A_eq, self.A_ub], format="csr")
        if matrix.shape[0] == 0:
            return np.arange(self.size)
        incidence = (matrix != 0).astype(np.int8)
        _, labels = connected_components(incidence.T @ incidence, directed=False)
        return labels


def _row_keys(matrix: sparse.csr_matrix, keys: np.ndarray) -> np.ndarray:
    """The key of each row's variables (a row links variables of one key only), −1 for
    an empty row."""
    matrix = sparse.csr_matrix(matrix)
    out = np.full(matrix.shape[0], -1, dtype=np.int64)
    filled = np.diff(matrix.indptr) > 0
    out[filled] = keys[matrix.indices[matrix.indptr[:-1][filled]]]
    return out


@dataclass
class Ranges:
    """Per target: ``low``/``high`` (exact where ``exact``; otherwise the spread seen
    over feasible points, so ``high − low`` is a lower bound on the width) and, for the
    pinned ones, the cells whose equations the attacker used (``binding``)."""

    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray
    binding: dict[int, set[int]] = field(default_factory=dict)
    solved: int = 0  # linear programs answered (copies), however many calls they took
    calls: int = 0

    @property
    def width(self) -> np.ndarray:
        return self.high - self.low


@dataclass
class _Unit:
    job: int
    problem: Problem
    targets: sparse.csr_matrix
    index: np.ndarray  # the targets' positions in their job
    low: np.ndarray
    high: np.ndarray
    exact: np.ndarray
    binding: dict[int, set[int]] = field(default_factory=dict)

    def learn(self, point: np.ndarray) -> None:
        seen = self.targets @ point
        np.minimum(self.low, seen, out=self.low, where=~self.exact)
        np.maximum(self.high, seen, out=self.high, where=~self.exact)

    def open(self, width: float) -> np.ndarray:
        return np.flatnonzero(~self.exact & (self.high - self.low < width))


def _units(job: int, problem: Problem, targets: sparse.csr_matrix) -> list[_Unit]:
    labels = problem.labels()
    n_labels = int(labels.max()) + 1 if len(labels) else 0
    # targets spanning several parts join them into one unit
    onehot = sparse.csr_matrix((np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), n_labels))
    touches = ((abs(targets) @ onehot) > 0).astype(np.int8).tocsr()
    _, merged = connected_components(touches.T @ touches, directed=False)
    first = np.asarray(touches.argmax(axis=1)).ravel()
    empty = np.asarray(touches.getnnz(axis=1)).ravel() == 0
    key_of_target = np.where(empty, -1, merged[first])
    key_of_column = merged[labels]
    # a target of no variable at all is a known constant: no unit
    wanted = np.unique(key_of_target[key_of_target >= 0])
    parts = problem.parts(np.where(np.isin(key_of_column, wanted), key_of_column, -1))
    units = []
    for key in wanted:
        index = np.flatnonzero(key_of_target == key)
        columns = np.flatnonzero(key_of_column == key)
        part = parts[int(key)]
        sub = targets[index][:, columns]
        truth = sub @ part.truth
        units.append(_Unit(job, part, sub, index, truth.copy(), truth.copy(), np.zeros(len(index), dtype=bool)))
    return units


def _binding(unit: _Unit, eq_duals: np.ndarray, ub_duals: np.ndarray) -> set[int]:
    cells = set(unit.problem.eq_cells[np.abs(eq_duals) > DUAL_TOLERANCE].tolist())
    cells |= set(unit.problem.ub_cells[np.abs(ub_duals) > DUAL_TOLERANCE].tolist())
    cells.discard(-1)
    return cells


def _solve_stacked(copies: list[tuple[_Unit, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Minimise each (unit, objective) copy; per copy, the optimal point and the duals of
    its equalities and inequalities. Copies are stacked into block-diagonal programmes
    of at most ``STACK_VARIABLES`` variables each (a larger copy alone)."""
    out, batch, size = [], [], 0
    for copy in copies:
        if batch and size + copy[0].problem.size > STACK_VARIABLES:
            out += _solve_block_diagonal(batch)
            batch, size = [], 0
        batch.append(copy)
        size += copy[0].problem.size
    return out + (_solve_block_diagonal(batch) if batch else [])


def _solve_block_diagonal(copies: list[tuple[_Unit, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Minimise each (unit, objective) copy in one block-diagonal programme."""
    problems = [u.problem for u, _ in copies]
    A_eq = sparse.block_diag([p.A_eq for p in problems], format="csr")
    A_ub = sparse.block_diag([p.A_ub for p in problems], format="csr")
    lower = np.concatenate([p.lower for p in problems])
    bounds = np.column_stack([np.maximum(lower, -CAP), np.full(len(lower), CAP)])
    result = linprog(np.concatenate([c for _, c in copies]),
                     A_ub=A_ub if A_ub.shape[0] else None,
                     b_ub=np.concatenate([p.b_ub for p in problems]) if A_ub.shape[0] else None,
                     A_eq=A_eq if A_eq.shape[0] else None,
                     b_eq=np.concatenate([p.b_eq for p in problems]) if A_eq.shape[0] else None,
                     bounds=bounds, method="highs")
    if result.status != 0:
        raise InfeasibleError(f"the attacker's programme failed ({result.message}): a relation of the "
                              "published tables is not as the model assumes")
    out, x0, e0, u0 = [], 0, 0, 0
    eq_duals = result.eqlin.marginals if A_eq.shape[0] else np.zeros(0)
    ub_duals = result.ineqlin.marginals if A_ub.shape[0] else np.zeros(0)
    for p in problems:
        out.append((result.x[x0:x0 + p.size], eq_duals[e0:e0 + p.A_eq.shape[0]], ub_duals[u0:u0 + p.A_ub.shape[0]]))
        x0, e0, u0 = x0 + p.size, e0 + p.A_eq.shape[0], u0 + p.A_ub.shape[0]
    return out


def attack_all(jobs: list[tuple[Problem, sparse.csr_matrix]], width: float, *, seed: int = 0) -> list[Ranges]:
    """The attacker's range of every target of every (problem, targets) job."""
    out = [Ranges(np.zeros(t.shape[0]), np.zeros(t.shape[0]), np.ones(t.shape[0], dtype=bool)) for _, t in jobs]
    units = [u for j, (p, t) in enumerate(jobs) if t.shape[0] for u in _units(j, p, t)]
    rng = np.random.default_rng(seed)
    calls = solved = 0
    for _ in range(RANDOM_ROUNDS):  # push many targets at once: random signs and weights
        active = [u for u in units if len(u.open(width))]
        if not active:
            break
        copies = []
        for u in active:
            weights = rng.uniform(0.5, 1.5, len(u.low)) * rng.choice([-1.0, 1.0], len(u.low))
            objective = np.asarray(u.targets.T @ weights).ravel()
            copies += [(u, objective), (u, -objective)]
        for (unit, _), (x, _, _) in zip(copies, _solve_stacked(copies), strict=True):
            unit.learn(x)
        calls, solved = calls + 1, solved + len(copies)
    while active := [u for u in units if len(u.open(width))]:
        copies, asked = [], []
        for u in active:
            for t in u.open(width)[:TARGETS_PER_ROUND]:
                form = u.targets[t].toarray().ravel()
                copies += [(u, form), (u, -form)]
                asked.append((u, t, form))
        results = _solve_stacked(copies)
        calls, solved = calls + 1, solved + len(copies)
        for k, (u, t, form) in enumerate(asked):
            (x_low, eq_low, ub_low), (x_high, eq_high, ub_high) = results[2 * k], results[2 * k + 1]
            low, high = float(form @ x_low), float(form @ x_high)
            u.low[t] = -np.inf if low <= -CAP / 2 else low
            u.high[t] = np.inf if high >= CAP / 2 else high
            u.exact[t] = True
            if u.high[t] - u.low[t] < width:
                u.binding[int(t)] = _binding(u, eq_low, ub_low) | _binding(u, eq_high, ub_high)
            u.learn(x_low)
            u.learn(x_high)
    for u in units:
        r = out[u.job]
        r.low[u.index] = np.where(u.low <= -CAP / 2, -np.inf, u.low)
        r.high[u.index] = np.where(u.high >= CAP / 2, np.inf, u.high)
        r.exact[u.index] = u.exact
        r.binding.update({int(u.index[t]): cells for t, cells in u.binding.items()})
    for r in out:
        r.calls, r.solved = calls, solved
    return out


def attack(problem: Problem, targets: sparse.csr_matrix, width: float) -> Ranges:
    """The attacker's range of every target (rows of ``targets``) over ``problem``."""
    return attack_all([(problem, targets)], width)[0]
