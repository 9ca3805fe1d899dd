"""CR2 and its Satterthwaite degrees of freedom computed the slow, textbook way.

An independent check of ``pipelines.inference.cr2``: the cell-means model is fitted
by statsmodels OLS, the adjustment matrices are ``(I − H_gg)^(-1/2)`` from
``scipy.linalg.sqrtm``, and the df is ``tr(M)² / tr(M²)`` from the N × N working
covariance (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018, eq. 11).
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from scipy.linalg import sqrtm


def explicit_cr2(cluster, cell, y, weights, n_cells: int, rho: float = 0.0) -> tuple[float, float, float]:
    """(contrast, CR2 standard error, Satterthwaite df) for ``weights @ cell means``."""
    cluster, cell, y = np.asarray(cluster), np.asarray(cell), np.asarray(y, float)
    weights = np.asarray(weights, float)
    n = len(y)
    x = np.zeros((n, n_cells))
    x[np.arange(n), cell] = 1.0
    fit = sm.OLS(y, x).fit()
    bread = np.linalg.inv(x.T @ x)
    hat = x @ bread @ x.T
    residual_maker = np.eye(n) - hat
    columns, scores = [], []
    for g in np.unique(cluster):
        idx = np.flatnonzero(cluster == g)
        adjust = np.real(sqrtm(np.linalg.inv(np.eye(len(idx)) - hat[np.ix_(idx, idx)])))
        scores.append(weights @ bread @ x[idx].T @ adjust @ fit.resid[idx])
        columns.append(residual_maker[:, idx] @ adjust @ x[idx] @ bread @ weights)
    g_matrix = np.array(columns).T
    same_block = (cluster[:, None] == cluster[None, :]) & (cell[:, None] == cell[None, :])
    omega = (1 - rho) * np.eye(n) + rho * same_block
    m = g_matrix.T @ omega @ g_matrix
    return float(weights @ fit.params), float(np.sqrt(np.sum(np.square(scores)))), float(
        np.trace(m) ** 2 / np.trace(m @ m))


def block_icc(cluster, cell, y) -> float:
    """One-way ANOVA intra-class correlation with (cluster, cell) blocks nested in cells,
    written with pandas group-bys: E[MSB] = σ² + n₀σ_u², n₀ = Σ_c (n_c − Σ_b n_b²/n_c)/(K − C)."""
    import pandas as pd

    frame = pd.DataFrame({"cluster": cluster, "cell": cell, "y": np.asarray(y, float)})
    frame["cell_mean"] = frame.groupby("cell")["y"].transform("mean")
    frame["block_mean"] = frame.groupby(["cluster", "cell"])["y"].transform("mean")
    blocks = frame.groupby(["cluster", "cell"]).agg(n=("y", "size"), mean=("block_mean", "first"),
                                                    cell_mean=("cell_mean", "first"))
    ssb = float((blocks["n"] * (blocks["mean"] - blocks["cell_mean"]) ** 2).sum())
    ssw = float(((frame["y"] - frame["block_mean"]) ** 2).sum())
    k, c, n = len(blocks), frame["cell"].nunique(), len(frame)
    cells = blocks.groupby(level="cell")["n"]
    n0 = float((cells.sum() - cells.apply(lambda s: (s**2).sum()) / cells.sum()).sum()) / (k - c)
    msb, msw = ssb / (k - c), ssw / (n - k)
    between = max(0.0, (msb - msw) / n0)
    return between / (between + msw) if between > 0 else 0.0
