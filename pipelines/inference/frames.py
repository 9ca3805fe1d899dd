"""From aggregate frames (as SQL returns them) to one table of tested contrasts.

An estimate is identified by the values of some key columns (programme, wave,
indicator, breakdown…). ``read_blocks`` runs an aggregate query and returns its keys
once per estimate and its rows as numbers only (estimate code, cluster code, cell,
``n, total, ss``): with millions of (estimate, group, cell) rows, repeating the key
strings on every row would cost more memory than everything else. ``fit_contrasts``
runs the CR2 engine once over all estimates and returns one row per estimate with the
contrast, its standard error, degrees of freedom, interval, p-value and minimum
detectable effect, the number of clusters (``n_clusters``, one-person clusters
included), of group clusters (``n_group_clusters``) and of named groups
(``n_groups``), and each cell's size and mean.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from pipelines.inference.contrast import contrast_range, mde, t_test
from pipelines.inference.cr2 import Blocks, Singletons, cr2

UNKNOWN_GROUP = "unknown"


NUMBER_ROWS = "CREATE OR REPLACE TEMP TABLE numbered_blocks AS SELECT dense_rank() OVER (ORDER BY {keys}) - 1 " \
              "AS estimate, * FROM ({query})"
KEYS_OF_ROWS = "SELECT DISTINCT estimate, {keys} FROM numbered_blocks ORDER BY estimate"
ROWS_AS_NUMBERS = (
    "SELECT estimate, CASE WHEN cluster IS NOT NULL THEN dense_rank() OVER (ORDER BY cluster) END AS cluster, "
    "coalesce(cluster = '" + UNKNOWN_GROUP + "', false) AS unknown_group, * EXCLUDE (estimate, cluster, {keys}) "
    "FROM numbered_blocks ORDER BY ALL")


def read_blocks(con: duckdb.DuckDBPyConnection, query: str, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(keys: one row per estimate code, in code order; rows: the query's rows with the
    keys replaced by ``estimate`` and the cluster by a number, NULL when it was NULL,
    plus ``unknown_group``). ``keys`` are column names of the stage's own SQL."""
    columns = ", ".join(keys)
    con.execute(NUMBER_ROWS.format(keys=columns, query=query)).fetchall()
    key_frame = con.execute(KEYS_OF_ROWS.format(keys=columns)).df()
    rows = con.execute(ROWS_AS_NUMBERS.format(keys=columns)).df()
    return key_frame, rows


def estimate_index(keys: list[str], *frames: pd.DataFrame) -> pd.MultiIndex:
    """The distinct key tuples of all frames, sorted."""
    parts = [f[keys] for f in frames if f is not None and len(f)]
    if not parts:
        return pd.MultiIndex.from_tuples([], names=keys)
    unique = pd.concat(parts).drop_duplicates().sort_values(keys)
    return pd.MultiIndex.from_frame(unique)


def estimate_codes(index: pd.MultiIndex, frame: pd.DataFrame) -> np.ndarray:
    """Position of each row's key tuple in ``index``."""
    if frame.empty:
        return np.zeros(0, np.int64)
    codes = index.get_indexer(pd.MultiIndex.from_frame(frame[list(index.names)]))
    if (codes < 0).any():
        raise ValueError("aggregate rows with keys outside the estimate index")
    return codes.astype(np.int64)


def blocks_of(frame: pd.DataFrame, codes: np.ndarray) -> Blocks:
    """Blocks from a frame with ``cluster, cell, n, total, ss`` columns."""
    if frame.empty:
        return Blocks.empty()
    return Blocks(codes, pd.factorize(frame["cluster"])[0].astype(np.int64), frame["cell"].to_numpy(np.int64),
                  frame["n"].to_numpy(float), frame["total"].to_numpy(float), frame["ss"].to_numpy(float))


def group_counts(frame: pd.DataFrame, codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per estimate, the distinct clusters of the blocks, and those that are named groups
    (not 'unknown', the people whose group was not recorded)."""
    if frame.empty:
        return np.zeros(size, np.int64), np.zeros(size, np.int64)
    unknown = frame["unknown_group"] if "unknown_group" in frame else frame["cluster"] == UNKNOWN_GROUP
    pairs = pd.DataFrame({"code": codes, "cluster": frame["cluster"].to_numpy(),
                          "unknown": unknown.to_numpy(bool)}).drop_duplicates(["code", "cluster"])
    known = pairs["cluster"].notna() & ~pairs["unknown"]
    return (np.bincount(pairs["code"], minlength=size).astype(np.int64),
            np.bincount(pairs.loc[known, "code"], minlength=size).astype(np.int64))


def fit_contrasts(index: pd.MultiIndex, blocks: pd.DataFrame, n_cells: int,
                  weights: np.ndarray | Callable[[np.ndarray], np.ndarray],
                  cell_min: float | np.ndarray, cell_max: float | np.ndarray,
                  singles: Singletons | None = None, block_codes: np.ndarray | None = None) -> pd.DataFrame:
    """One row per estimate of ``index`` (see the module docstring).

    ``weights`` is one row of contrast weights for every estimate, or a function of
    the cell sizes (estimates × cells) returning them (a dose-response trend).
    ``cell_min``/``cell_max`` bound each cell's mean, so the interval can be
    intersected with the values the contrast can take.
    """
    size = len(index)
    if size == 0:
        columns = ["estimate", "se", "df", "rho", "ci_low", "ci_high", "p_value", "mde", "n_clusters",
                   "n_group_clusters", "n_groups"]
        cells = [f"{name}{c}" for c in range(n_cells) for name in ("n", "mean")]
        return index.to_frame(index=False).reindex(columns=[*index.names, *columns, *cells])
    codes = estimate_codes(index, blocks) if block_codes is None else block_codes
    data = blocks_of(blocks, codes)
    if callable(weights):
        flat = np.bincount(codes * n_cells + data.cell, weights=data.n, minlength=size * n_cells)
        w = weights(flat.reshape(size, n_cells))
    else:
        w = np.tile(np.asarray(weights, dtype=float), (size, 1))
    fit = cr2(w, data, singles)
    lower, upper = contrast_range(w, cell_min, cell_max)
    ci_low, ci_high, p = t_test(fit.estimate, fit.se, fit.df, lower, upper)
    groups, named = group_counts(blocks, codes, size)
    out = index.to_frame(index=False)
    out = out.assign(estimate=fit.estimate, se=fit.se, df=fit.df, rho=fit.rho, ci_low=ci_low, ci_high=ci_high,
                     p_value=p, mde=mde(fit.se, fit.df), n_clusters=fit.n_clusters, n_group_clusters=groups,
                     n_groups=named)
    for c in range(n_cells):
        out[f"n{c}"] = fit.cell_n[:, c].astype(np.int64)
        out[f"mean{c}"] = np.where(fit.cell_n[:, c] > 0, fit.cell_mean[:, c], np.nan)
    return out
