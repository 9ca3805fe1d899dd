"""95 % intervals for the share and mean cells of ``indicators``, honest about groups.

Participants of one group share a facilitator, a venue and a season, so their answers
are correlated and a programme's cell holds far less information than its head count
(design effect 1 + (m − 1)ρ). A cell is therefore one of two kinds:

- **Clustered**: a programme, country, region or all-programme cell of the participant
  arm (except indicators whose units are groups). Its variance is the CR2
  cluster-robust variance with groups as clusters and Satterthwaite degrees of
  freedom (``pipelines.inference.cr2``); the interval stays inside the scale
  (``pipelines.inference.levels``). With fewer than ``MIN_CLUSTERS`` groups no interval
  is given: ``interval_note`` says why.
- **Independent**: a cell of the comparison arm (individuals with no group), a single
  group's own cell (it describes that group's people), or an indicator whose units are
  groups: the variance of independent observations, s²/n with n − 1 df (what CR2 gives
  when every cluster is one person), and the plain Wilson interval for shares. A
  share of fewer than ``MIN_CLUSTERS`` groups gets none, as a clustered cell of so few
  groups gets none: 1 of 1 would otherwise print as "100 % (20.7–100)", as if one group
  could say what such groups do in general.

Counts and sums have no interval. Everything is computed from per-(cell, cluster)
aggregates (``intervals.sql``, read as numbers by ``frames.read_blocks``) and written
back to the cells with one UPDATE.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines import catalogue
from pipelines.inference import MIN_CLUSTERS, Blocks, cr2, level_interval, scale_family
from pipelines.inference.frames import read_blocks
from pipelines.inference.levels import METHODS, SHARE

INTERVALS_SQL = Path(__file__).parent / "intervals.sql"
CELL_KEYS = ["indicator", "programme_id", "country", "region", "group_id", "arm", "wave", "sex", "age_band",
             "disability"]
COLUMNS = ["ci_low", "ci_high", "interval_method", "n_clusters", "df", "interval_note"]

FEW_GROUPS_NOTE = (f"No interval: fewer than {MIN_CLUSTERS} groups. With so few groups no interval can "
                   f"separate the programme from what happened to each of its groups.")
ONE_RESPONDENT_NOTE = "No interval: a single respondent."
FEW_COUNTED_NOTE = (f"No interval: fewer than {MIN_CLUSTERS} groups are counted. With so few groups no "
                    f"interval can say what such groups do in general; the figure describes these.")
NO_SPREAD_NOTE = "No interval: every value is the same, so the data say nothing about their spread."

UPDATE_SQL = (
    "UPDATE indicators AS i SET ci_low = round(c.ci_low, 10), ci_high = round(c.ci_high, 10), "
    "interval_method = c.interval_method, n_clusters = c.n_clusters, df = round(c.df, 2), "
    "interval_note = c.interval_note FROM cell_intervals AS c WHERE "
    + " AND ".join(f"i.{k} = c.{k}" for k in CELL_KEYS)
)


def cell_intervals(keys: pd.DataFrame, blocks: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: its keys and the interval columns (see the module docstring).

    ``keys``: the cells, in the order of the ``estimate`` codes of ``blocks``;
    ``blocks``: per cell and cluster (NULL for independent units) n, total, ss and
    whether the cluster is a named group (``frames.read_blocks``).
    """
    cell = blocks["estimate"].to_numpy()
    cells = keys[CELL_KEYS].reset_index(drop=True)
    size = len(cells)
    n = np.bincount(cell, blocks["n"], size)
    mean = np.bincount(cell, blocks["total"], size) / n
    ss_within = np.bincount(cell, blocks["ss"], size)
    grouped = blocks["cluster"].notna().to_numpy()
    clustered = (np.bincount(cell, grouped, size) > 0) & (cells["group_id"] == "all").to_numpy()
    groups = np.bincount(cell, blocks["known_group"].to_numpy(bool) & grouped, size)
    clusters = np.bincount(cell, grouped, size)

    # independent people: CR2 with one-person clusters is s²/n with n − 1 df
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(n > 1, ss_within / (n * (n - 1)), np.nan)
    df = np.where(n > 1, n - 1, np.nan)
    in_cluster = clustered[cell]
    if in_cluster.any():
        codes, order = pd.factorize(cell[in_cluster])
        fit = cr2(np.ones((len(order), 1)), Blocks(
            codes, blocks["cluster"].to_numpy()[in_cluster].astype(np.int64), np.zeros(len(codes), np.int64),
            blocks["n"].to_numpy(float)[in_cluster], blocks["total"].to_numpy(float)[in_cluster],
            blocks["ss"].to_numpy(float)[in_cluster]))
        variance[order] = fit.se**2
        df[order] = fit.df

    scales = catalogue.indicators().set_index("code")
    out = cells.assign(ci_low=np.nan, ci_high=np.nan, interval_method=None, n_clusters=pd.NA, df=np.nan,
                       interval_note=None)
    for (indicator, is_clustered), rows in cells.groupby([cells["indicator"], clustered], sort=False).groups.items():
        row = scales.loc[indicator]
        family = scale_family(row["kind"], row["scale_min"], row["scale_max"])
        factor = 100.0 if family == SHARE else 1.0
        idx = np.asarray(rows)
        low, high = level_interval(family, mean[idx], n[idx], variance[idx], df[idx], bool(is_clustered),
                                   row["scale_min"] / factor, row["scale_max"] / factor)
        out.loc[idx, "ci_low"] = low * factor
        out.loc[idx, "ci_high"] = high * factor
        out.loc[idx, "interval_method"] = METHODS[(family, bool(is_clustered))]
        if is_clustered:
            out.loc[idx, "n_clusters"] = clusters[idx].astype(int)
        if is_clustered or family != SHARE:
            out.loc[idx, "df"] = df[idx]
    few = clustered & (groups < MIN_CLUSTERS)
    few_counted = cells["indicator"].map(scales["counts"]).eq("groups").to_numpy() & (n < MIN_CLUSTERS)
    single = ~clustered & ~few_counted & (n < 2) & out["interval_method"].ne("wilson").to_numpy()
    missing = out["ci_low"].isna().to_numpy() & ~few & ~few_counted & ~single
    for mask, note in ((few, FEW_GROUPS_NOTE), (few_counted, FEW_COUNTED_NOTE), (single, ONE_RESPONDENT_NOTE),
                       (missing, NO_SPREAD_NOTE)):
        out.loc[mask, ["ci_low", "ci_high", "interval_method", "df"]] = [np.nan, np.nan, None, np.nan]
        out.loc[mask, "interval_note"] = note
    return out


def add_intervals(con: duckdb.DuckDBPyConnection) -> int:
    """Fill the interval columns of ``indicators``; return how many cells have an interval."""
    keys, blocks = read_blocks(con, INTERVALS_SQL.read_text(encoding="utf-8"), CELL_KEYS)
    if blocks.empty:
        return 0
    intervals = cell_intervals(keys, blocks)
    con.register("cell_intervals_df", intervals.astype({"n_clusters": "Int64"}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE cell_intervals AS SELECT * FROM cell_intervals_df").fetchall()
    finally:
        con.unregister("cell_intervals_df")
    con.execute(UPDATE_SQL).fetchall()
    return int(intervals["ci_low"].notna().sum())

