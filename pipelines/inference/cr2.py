"""CR2 variance and Satterthwaite degrees of freedom for contrasts of cell means.

Every estimate the pipeline tests is a linear contrast ``Σ_c w_c ȳ_c`` of the cell
means of a saturated cell-means OLS model (one dummy per cell: a wave, an arm × wave,
an attendance third). People are nested in clusters (their group; a comparison
respondent is a cluster of one). For such a model the cluster-robust CR2 variance of
Bell & McCaffrey (2002) and its Satterthwaite degrees of freedom reduce to sums over
per-(cluster, cell) aggregates — the count, the sum and the within-block sum of
squares — so the observation frame is never needed and thousands of estimates are
computed at once, vectorised over one array of blocks.

With ``n_gc`` people of cluster g in cell c, ``n_c = Σ_g n_gc``, ``R_gc = S_gc − n_gc ȳ_c``
and ``α_gc = n_gc / n_c`` (the block's leverage), the CR2 adjustment
``(I − H_gg)^(-1/2)`` acts on a block as ``1/√(1 − α_gc)``, so

    a_gc = w_c / (n_c √(1 − α_gc)),   u_g = Σ_c a_gc R_gc,   V = Σ_g u_g².

It is undefined when one cluster is a whole cell (α_gc = 1): with one group nothing
separates the group from the programme, and the callers describe instead of testing.

Degrees of freedom: ``df = tr(M)² / tr(M²)`` with ``M = Gᵀ Ω G`` (Bell & McCaffrey
2002; Pustejovsky & Tipton 2018, JBES 36(4)), where column g of G is
``(I − H)_{·g} A_g X_g (XᵀX)⁻¹ w``. Ω is a working model: independent people
(ρ = 0, plain Bell–McCaffrey) or, as Imbens & Kolesár (2016, REStat 98(4)) propose,
people exchangeable within a block with intra-block correlation ρ estimated by
one-way ANOVA and truncated at 0. For this design G_g has the value
``a_gc − b_gc`` on cluster g's people of cell c and ``−b_gc`` on everybody else in
cell c (``b_gc = n_gc a_gc / n_c``), which gives

    M = diag(d) + Z K Zᵀ,   Z = [b, W] (G × 2C),  W_gc = n_gc² a_gc,
    d_g = (1 − ρ) Σ_c n_gc a_gc² + ρ Σ_c (n_gc a_gc)²,
    K = [[diag(ρ S_c − (1 − ρ) n_c), −ρ I], [−ρ I, 0]],  S_c = Σ_g n_gc²,

so tr(M) and tr(M²) need only per-cluster sums and one 2C × 2C matrix
``F = ZᵀZ`` per estimate. ``tests/test_inference.py`` checks this against the
explicit N × N computation from statsmodels' OLS and ``scipy.linalg.sqrtm``.

Clusters of one person (comparison respondents) would make one row each; they enter
instead as *singleton patterns*: per estimate and set of cells a person is in, the
number of such people, their sums and cross-products. Their residual cross-products
give V exactly, and every such person has the same row of Z and the same d.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def _combined_codes(*arrays) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes 0..K−1 for the distinct tuples of several key arrays, and each array's value
    per code. Factorising each array and combining the integer codes is much faster
    than factorising tuples."""
    key = np.zeros(len(arrays[0]), np.int64)
    parts = []
    for array in arrays:
        codes, values = pd.factorize(np.asarray(array), use_na_sentinel=False)
        key = key * max(len(values), 1) + codes
        parts.append((codes, np.asarray(values)))
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.ravel(), [values[codes[first]] for codes, values in parts]


@dataclass(frozen=True)
class Blocks:
    """One row per (estimate, cluster, cell) with at least one person.

    ``cluster`` codes need only be unique within an estimate. ``ss`` is the sum of
    squared deviations from the block's own mean (0 for a block of one).
    """

    estimate: np.ndarray
    cluster: np.ndarray
    cell: np.ndarray
    n: np.ndarray
    total: np.ndarray
    ss: np.ndarray

    @classmethod
    def empty(cls) -> "Blocks":
        z = np.zeros(0)
        return cls(z.astype(np.int64), z.astype(np.int64), z.astype(np.int64), z, z, z)

    @classmethod
    def from_observations(cls, estimate, cluster, cell, y) -> "Blocks":
        """Aggregate one row per observation (for tests and simulations; the pipeline's
        aggregates come from SQL)."""
        y = np.asarray(y, float)
        codes, level = _combined_codes(estimate, cluster, cell)
        size = len(level[0])
        n = np.bincount(codes, minlength=size).astype(float)
        total = np.bincount(codes, weights=y, minlength=size)
        ss = np.bincount(codes, weights=(y - (total / n)[codes]) ** 2, minlength=size)
        return cls(level[0].astype(np.int64), pd.factorize(level[1])[0].astype(np.int64), level[2].astype(np.int64),
                   n, total, ss)


@dataclass(frozen=True)
class Singletons:
    """Clusters of one person, grouped by the cells they are in.

    ``members`` (rows × C, bool) is the pattern, ``count`` the people with it,
    ``total`` (rows × C) their sums per cell and ``cross`` (rows × C × C) the sums of
    ``y_c · y_c'`` over them (squares on the diagonal).
    """

    estimate: np.ndarray
    members: np.ndarray
    count: np.ndarray
    total: np.ndarray
    cross: np.ndarray

    @classmethod
    def from_observations(cls, estimate, person, cell, y, n_cells: int) -> "Singletons":
        """Group one row per observation of one-person clusters into patterns."""
        estimate, cell = np.asarray(estimate, np.int64), np.asarray(cell, np.int64)
        key, (owner, _) = _combined_codes(estimate, person)
        values = np.zeros((len(owner), n_cells))
        present = np.zeros((len(owner), n_cells), bool)
        values[key, cell] = y
        present[key, cell] = True
        pattern = present @ (1 << np.arange(n_cells))
        codes, (group_owner, _) = _combined_codes(owner, pattern)
        rows = len(group_owner)
        members = np.zeros((rows, n_cells), bool)
        members[codes] = present
        return cls(
            np.asarray(group_owner, np.int64),
            members,
            np.bincount(codes, minlength=rows).astype(float),
            _segment_sum(codes, values, rows),
            _segment_sum(codes, values[:, :, None] * values[:, None, :], rows),
        )

    @classmethod
    def empty(cls, n_cells: int) -> "Singletons":
        return cls(np.zeros(0, np.int64), np.zeros((0, n_cells), bool), np.zeros(0),
                   np.zeros((0, n_cells)), np.zeros((0, n_cells, n_cells)))


@dataclass(frozen=True)
class Fit:
    """Per estimate: the contrast, its CR2 standard error and Satterthwaite df.

    ``se`` and ``df`` are NaN where CR2 is undefined (a cell with no one in it, or a
    cluster that is a whole cell). ``rho`` is the working-model correlation used.
    """

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    rho: np.ndarray
    n_clusters: np.ndarray
    cell_n: np.ndarray
    cell_mean: np.ndarray


def _segment_sum(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Σ values per index, for 1-D values or row-wise for 2-D values."""
    if values.ndim == 1:
        return np.bincount(index, weights=values, minlength=size).astype(float)
    flat = values.reshape(len(values), int(np.prod(values.shape[1:])))
    # a bincount per column: much faster than np.add.at on millions of rows
    out = np.zeros((size, flat.shape[1]))
    for k in range(flat.shape[1]):
        out[:, k] = np.bincount(index, weights=flat[:, k], minlength=size)
    return out.reshape((size,) + values.shape[1:])


def _block_arrays(blocks: Blocks, n_cells: int):
    """(estimate, cluster) rows: estimate code and n, total, ss per cell (rows × C)."""
    if len(blocks.estimate) == 0:
        return np.zeros(0, np.int64), *(np.zeros((0, n_cells)) for _ in range(3))
    eg, (est_of, _) = _combined_codes(blocks.estimate, blocks.cluster)
    rows = len(est_of)
    est_of = np.asarray(est_of, dtype=np.int64)
    flat = eg * n_cells + blocks.cell
    shape = (rows, n_cells)
    n = np.bincount(flat, weights=blocks.n, minlength=rows * n_cells).reshape(shape)
    total = np.bincount(flat, weights=blocks.total, minlength=rows * n_cells).reshape(shape)
    ss = np.bincount(flat, weights=blocks.ss, minlength=rows * n_cells).reshape(shape)
    return est_of, n, total, ss


def block_icc(n_est: int, est_of, n, resid, ss, singles: Singletons, single_resid_sq, cell_n) -> np.ndarray:
    """One-way ANOVA intra-block correlation, blocks = (cluster, cell), around cell means.

    Unbalanced ANOVA estimator with blocks nested in cells: E[MSB] = σ² + n₀ σ_u²
    with n₀ = Σ_c (n_c − Σ_b n_b² / n_c) / (K − C). Truncated to [0, 1]; 0 when
    either mean square has no degrees of freedom.
    """
    occupied = n > 0
    ssb = _segment_sum(est_of, np.where(occupied, resid**2 / np.where(occupied, n, 1), 0).sum(1), n_est)
    ssb += _segment_sum(singles.estimate, single_resid_sq, n_est)
    ssw = _segment_sum(est_of, ss.sum(1), n_est)
    blocks = _segment_sum(est_of, occupied.sum(1).astype(float), n_est)
    blocks += _segment_sum(singles.estimate, singles.count * singles.members.sum(1), n_est)
    sq = _segment_sum(est_of, n**2, n_est) + _segment_sum(singles.estimate, singles.count[:, None] * singles.members,
                                                           n_est)
    total_n = cell_n.sum(1)
    cells = (cell_n > 0).sum(1)
    dfb = blocks - cells
    dfw = total_n - blocks
    with np.errstate(divide="ignore", invalid="ignore"):
        n0 = np.where(cell_n > 0, cell_n - sq / np.where(cell_n > 0, cell_n, 1), 0).sum(1) / dfb
        msb = ssb / dfb
        msw = ssw / dfw
        between = np.maximum(0.0, (msb - msw) / n0)
        rho = np.where(between > 0, between / (between + msw), 0.0)
    ok = (dfb > 0) & (dfw > 0) & np.isfinite(rho)
    return np.clip(np.where(ok, rho, 0.0), 0.0, 1.0)


def _pair_sum(index, left, right, multiplicity, size) -> np.ndarray:
    """F[e] = Σ_rows m · l lᵀ restricted to the given columns (E × k × k)."""
    k = left.shape[1]
    out = np.zeros((size, k, k))
    for i in range(k):
        for j in range(i, k):
            s = _segment_sum(index, multiplicity * left[:, i] * right[:, j], size)
            out[:, i, j] = s
            out[:, j, i] = s
    return out


def cr2(weights: np.ndarray, blocks: Blocks, singles: Singletons | None = None,
        rho: np.ndarray | float | None = None) -> Fit:
    """CR2 standard errors and Satterthwaite df of ``weights @ cell means`` per estimate.

    ``weights`` is E × C (zero for unused cells). ``rho`` None estimates the
    working-model correlation per estimate (``block_icc``); a number or an array
    fixes it (0 gives plain Bell–McCaffrey).
    """
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    n_est, n_cells = weights.shape
    singles = singles if singles is not None else Singletons.empty(n_cells)
    est_of, n, total, ss = _block_arrays(blocks, n_cells)
    s_est, members, count = singles.estimate, singles.members, singles.count
    m_cells = members * count[:, None]

    cell_n = _segment_sum(est_of, n, n_est) + _segment_sum(s_est, m_cells, n_est)
    cell_sum = _segment_sum(est_of, total, n_est) + _segment_sum(s_est, singles.total, n_est)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(cell_n > 0, cell_sum / np.where(cell_n > 0, cell_n, 1), 0.0)
    estimate = (weights * mean).sum(1)

    # Leverage of each block; a = 0 where the weight is 0 (the cell does not enter).
    used = weights != 0
    cn_b = cell_n[est_of]
    alpha = np.where(n > 0, n / np.where(cn_b > 0, cn_b, 1), 0.0)
    whole = (alpha >= 1 - 1e-12) & used[est_of]
    undefined = (used & (cell_n == 0)).any(1) | (_segment_sum(est_of, whole.any(1).astype(float), n_est) > 0)
    cn_s = cell_n[s_est]
    single_whole = (members & used[s_est] & (cn_s <= 1)).any(1)
    undefined |= _segment_sum(s_est, single_whole.astype(float), n_est) > 0

    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(used[est_of] & (n > 0) & ~whole,
                     weights[est_of] / (np.where(cn_b > 0, cn_b, 1) * np.sqrt(np.where(whole, 1, 1 - alpha))), 0.0)
        a_s = np.where(members & used[s_est] & (cn_s > 1),
                       weights[s_est] / (np.where(cn_s > 0, cn_s, 1) * np.sqrt(1 - 1 / np.where(cn_s > 1, cn_s, 2))),
                       0.0)

    resid = total - n * mean[est_of]
    variance = _segment_sum(est_of, (a * resid).sum(1) ** 2, n_est)
    ms = mean[s_est]
    # Σ over a pattern's people of R_c R_c' = Σ y_c y_c' − ȳ_c' Σ y_c − ȳ_c Σ y_c' + m ȳ_c ȳ_c'
    rcross = (singles.cross - ms[:, None, :] * singles.total[:, :, None] - ms[:, :, None] * singles.total[:, None, :]
              + count[:, None, None] * ms[:, :, None] * ms[:, None, :])
    rcross = rcross * (members[:, :, None] & members[:, None, :])
    variance += _segment_sum(s_est, np.einsum("ri,rij,rj->r", a_s, rcross, a_s), n_est)

    if rho is None:
        rho_e = block_icc(n_est, est_of, n, resid, ss, singles, np.einsum("rii->r", rcross), cell_n)
    else:
        rho_e = np.broadcast_to(np.asarray(rho, dtype=float), (n_est,)).copy()
    df = _satterthwaite(n_est, n_cells, rho_e, cell_n, est_of, n, a, s_est, members, count, a_s)

    n_clusters = (_segment_sum(est_of, np.ones(len(est_of)), n_est) + _segment_sum(s_est, count, n_est))
    se = np.where(undefined, np.nan, np.sqrt(variance))
    df = np.where(undefined, np.nan, df)
    return Fit(estimate, se, df, rho_e, n_clusters.astype(np.int64), cell_n, mean)


def _satterthwaite(n_est, n_cells, rho, cell_n, est_of, n, a, s_est, members, count, a_s) -> np.ndarray:
    """tr(M)² / tr(M²) for M = diag(d) + Z K Zᵀ (see the module docstring)."""
    r_b, r_s = rho[est_of], rho[s_est]
    safe_n = np.where(cell_n > 0, cell_n, 1)
    # blocks: z = [b, W]
    na = n * a
    d_b = (1 - r_b) * (n * a**2).sum(1) + r_b * (na**2).sum(1)
    z_b = np.hstack([na / safe_n[est_of], n * na])
    # singletons (n = 1): d = Σ a², b = a / n_c, W = a; each pattern counts `count` times
    d_s = (a_s**2).sum(1)
    z_s = np.hstack([a_s / safe_n[s_est], a_s])
    sq = _segment_sum(est_of, n**2, n_est) + _segment_sum(s_est, members * count[:, None], n_est)
    kappa = rho[:, None] * sq - (1 - rho[:, None]) * cell_n
    eye = np.broadcast_to(np.eye(n_cells), (n_est, n_cells, n_cells))
    k = np.zeros((n_est, 2 * n_cells, 2 * n_cells))
    k[:, :n_cells, :n_cells] = eye * kappa[:, :, None]
    k[:, :n_cells, n_cells:] = -rho[:, None, None] * eye
    k[:, n_cells:, :n_cells] = -rho[:, None, None] * eye

    q_b = (kappa[est_of] * z_b[:, :n_cells] ** 2).sum(1) - 2 * r_b * (z_b[:, :n_cells] * z_b[:, n_cells:]).sum(1)
    q_s = (kappa[s_est] * z_s[:, :n_cells] ** 2).sum(1) - 2 * r_s * (z_s[:, :n_cells] * z_s[:, n_cells:]).sum(1)
    ones_b = np.ones(len(est_of))
    tr_m = _segment_sum(est_of, d_b + q_b, n_est) + _segment_sum(s_est, count * (d_s + q_s), n_est)
    tr_m2 = (_segment_sum(est_of, d_b**2 + 2 * d_b * q_b, n_est)
             + _segment_sum(s_est, count * (d_s**2 + 2 * d_s * q_s), n_est))
    f = _pair_sum(est_of, z_b, z_b, ones_b, n_est) + _pair_sum(s_est, z_s, z_s, count, n_est)
    kf = k @ f
    tr_m2 += np.einsum("eij,eji->e", kf, kf)
    with np.errstate(divide="ignore", invalid="ignore"):
        return tr_m**2 / tr_m2
