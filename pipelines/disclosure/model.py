"""The attacker's model of ``indicators``: the pieces every published cell adds up.

People fall into *signatures* within a block: which of the block's indicators they
count in (their age decides it: 1.1 is 55–59, 1.2 is 60–64; 4.3 is 55+, ``P.who5_mean``
everyone) and their outcome on each of the block's shares. The finest published
breakdowns — group × sex, programme × age band, programme × disability in the
participant arm — are the model's *cliques*: a *piece* is one cell of a clique and
one signature, its variable the number of such people (and, for a mean, the sum of
their scores). Every published cell is a sum of pieces of one clique containing it:
its denominator counts them, a share's numerator those with the outcome, a mean's
numerator the sum of their scores. That makes everything published one system of
linear equations (Hundepool et al. 2012, ch. 4; sdcTable's ``attack()``).

The cliques meet only in the programme: a person's age band and disability are never
published crossed with their group or sex. So instead of the full crossing (group ×
sex × age × disability), each clique has its own pieces, tied by one equation per
programme and signature: every clique counts the same people. That is exact, not an
approximation: given consistent margins that meet in one coordinate, a non-negative
full crossing always exists (fill each programme's cells in proportion), and the same
holds for score sums (split each count into a part scored at the top of the range
and a part at the bottom). ``build`` checks that the cliques do meet in one place.

Which pieces may exist is public: a cell's row is in ``indicators_public`` (hidden or
not) exactly when someone is in it, and a coarser cell exists whenever a finer one
does, so a piece is possible when its clique cell exists for every indicator it
counts in. Signatures come from the people seen anywhere in the warehouse (which
indicators an age band's people count in); every outcome on every share is allowed.

Blocks (``rules.model_indicators``) × arm × wave are independent systems: different
items have different respondents, waves and arms different interviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure import rules

SQL_DIR = Path(__file__).parent
COORDS = ["programme_id", "country", "region", "group_id", "sex", "age_band", "disability"]
CELL_KEY = ["indicator", "programme_id", "country", "region", "group_id", "arm", "wave", "sex", "age_band",
            "disability"]
ALL = "all"


class ModelError(RuntimeError):
    """The published tables do not relate as the model assumes (a bug, never data)."""


@cache
def sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def register_rules(con: duckdb.DuckDBPyConnection) -> None:
    """``disclosure_indicators``, ``mean_scales`` and the ``primary_cells(m)`` macro."""
    for name, frame in (("disclosure_indicators", rules.model_indicators()), ("mean_scales", rules.mean_scales())):
        view = f"{name}_df"
        con.register(view, frame)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}").fetchall()
        finally:
            con.unregister(view)
    con.execute(sql("primary")).fetchall()


def primary_cells(con: duckdb.DuckDBPyConnection, min_cell: int) -> set[int]:
    """rowids of ``indicators`` that a threshold rule hides (``primary.sql``)."""
    return {r[0] for r in con.execute("SELECT cell FROM primary_cells($m)", {"m": min_cell}).fetchall()}


@dataclass
class Structure:
    """Everything about the attacker's system that does not depend on what is hidden.

    rows: one per person-indicator cell of ``indicators``: ``row`` (its rowid), the cell
    key, kind, block, family, component, clique (the finest breakdown whose pieces it
    adds up), ``level`` (how many breakdowns it sums over), the true denominator,
    numerator and value, and ``distinct`` (participants above the group level, where a
    person in two groups counts once: not a sum of pieces).
    pieces: ``piece``, component, clique, coordinates, popset, successes, condition,
    true ``n``. members: ``row, piece, success``. sums: ``piece, indicator, low, high,
    total``. links: ``link, piece, sign, indicator`` — each link says two cliques count
    the same people of one programme and signature (``indicator`` set for score sums).
    nested: ``block, outer, inner`` — inner's people are a part of outer's.
    """

    rows: pd.DataFrame
    pieces: pd.DataFrame
    members: pd.DataFrame
    sums: pd.DataFrame
    links: pd.DataFrame
    nested: pd.DataFrame


def _rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    rows = con.execute(f"SELECT rowid AS row, {', '.join(CELL_KEY)}, numerator, denominator, value, suppressed "
                       "FROM indicators").fetchdf()
    ind = rules.model_indicators().rename(columns={"code": "indicator"})
    rows = rows.merge(ind[ind["block"].notna()][["indicator", "kind", "block", "family", "distinct"]],
                      on="indicator")
    rows["component"] = rows["block"] + "/" + rows["arm"] + "/" + rows["wave"]
    kept = rows[COORDS].ne(ALL).to_numpy()
    rows["pattern"] = [tuple(c for c, k in zip(COORDS, flags, strict=True) if k) for flags in kept]
    rows["distinct"] = rows["distinct"] & rows["group_id"].eq(ALL)
    rows["level"] = (~kept).sum(axis=1)
    cliques = {key: _cliques(set(group["pattern"])) for key, group in rows.groupby(["block", "arm"])}
    rows["clique"] = [next(c for c in cliques[(b, a)] if set(p) <= set(c))
                      for b, a, p in zip(rows["block"], rows["arm"], rows["pattern"], strict=True)]
    rows["members"] = [tuple(cliques[(b, a)][c]) for b, a, c in zip(rows["block"], rows["arm"], rows["clique"],
                                                                      strict=True)]
    return rows.sort_values("row").reset_index(drop=True)


def _cliques(patterns: set[tuple]) -> dict[tuple, list[tuple]]:
    """The finest breakdowns, as cliques that meet in one set of coordinates (a star),
    which is what makes the pieces exact (see the module docstring): clique → the
    finest breakdowns it joins. Two finest breakdowns that meet beyond what all share
    (none do in the tables this pipeline builds) become one clique, their crossing."""
    finest = sorted(p for p in patterns if not any(set(p) < set(q) for q in patterns))
    groups = [[p] for p in finest]
    while True:
        coords = [set().union(*map(set, g)) for g in groups]
        common = set.intersection(*coords) if coords else set()
        pair = next(((i, j) for i in range(len(groups)) for j in range(i + 1, len(groups))
                     if coords[i] & coords[j] != common), None)
        if pair is None:
            break
        i, j = pair
        groups[i] += groups.pop(j)
    return {tuple(c for c in COORDS if any(c in p for p in g)): g for g in groups}


def _signatures(people: pd.DataFrame) -> pd.DataFrame:
    """block, age_band, popset, successes: every outcome on the shares of each popset
    seen in the warehouse (age band × indicators counted in)."""
    kinds = rules.model_indicators().set_index("code")["kind"]
    seen = people[["block", "age_band", "popset"]].drop_duplicates()
    out = []
    for block, band, popset in seen.itertuples(index=False):
        shares = [c for c in popset if kinds[c] == "share"]
        for condition in rules.outcome_conditions(shares):
            successes = tuple(s for s, o in zip(shares, condition, strict=True) if o.endswith("=1"))
            out.append((block, band, popset, successes))
    return pd.DataFrame(out, columns=["block", "age_band", "popset", "successes"])


def _pieces(rows: pd.DataFrame, signatures: pd.DataFrame) -> pd.DataFrame:
    """Every piece whose clique cell exists for all the indicators its signature counts in."""
    frames = []
    sigs = signatures[["block", "age_band", "popset"]].drop_duplicates()
    sigs = sigs.assign(size=sigs["popset"].map(len), indicator=sigs["popset"]).explode("indicator")
    for (clique, members), group in rows.groupby(["clique", "members"], sort=True):
        cols = list(clique)
        part = None
        for pattern in members:  # the clique's cells: where every breakdown it joins has a row
            own = list(pattern)
            present = group.loc[group["pattern"] == pattern, ["component", "block", "arm", "wave", "indicator", *own]]
            by = ["component", "block", "arm", "wave", "popset", "size", *own]
            if "age_band" in own:
                found = sigs.merge(present, on=["block", "indicator", "age_band"])
            else:
                found = sigs.drop(columns="age_band").drop_duplicates().merge(present, on=["block", "indicator"])
            found = found.groupby(by, as_index=False)["indicator"].nunique()
            found = found.loc[found["indicator"] == found["size"], by]
            shared = [c for c in found.columns if part is not None and c in part.columns]
            part = found if part is None else part.merge(found, on=shared)
        part = part.copy()
        part["clique"] = [clique] * len(part)
        for c in COORDS:
            if c not in cols:
                part[c] = ALL
        frames.append(part)
    columns = ["component", "block", "arm", "wave", "clique", *COORDS, "popset", "successes"]
    if not frames:
        return pd.DataFrame(columns=columns)
    pieces = pd.concat(frames, ignore_index=True)
    outcomes = signatures[["block", "popset", "successes"]].drop_duplicates()
    return pieces.merge(outcomes, on=["block", "popset"])[columns].reset_index(drop=True)


def _members(rows: pd.DataFrame, pieces: pd.DataFrame) -> pd.DataFrame:
    """row, piece, success: the pieces each cell adds up (from its own clique)."""
    exploded = pieces[["piece", "component", "clique", *COORDS, "popset", "successes"]].explode("popset")
    exploded = exploded.rename(columns={"popset": "indicator"})
    exploded["success"] = [i in s for i, s in zip(exploded["indicator"], exploded["successes"], strict=True)]
    patterns = rows[["component", "clique", "pattern"]].drop_duplicates()
    joined = exploded.drop(columns="successes").merge(patterns, on=["component", "clique"])
    for c in COORDS:
        keep = np.array([c in p for p in joined["pattern"]], dtype=bool)
        joined[c] = np.where(keep, joined[c], ALL)
    key = ["component", "clique", "indicator", *COORDS]
    found = joined.merge(rows[[*key, "row"]], on=key)
    return found[["row", "piece", "success"]].astype({"row": "int64"}).reset_index(drop=True)


def _conditions(pieces: pd.DataFrame) -> list[str]:
    """The outcome condition of each piece on its block's shares, as rules.mean_bounds names it."""
    ind = rules.model_indicators()
    shares = {b: g.loc[g["kind"] == "share", "code"].tolist() for b, g in ind.groupby("block")}
    return [",".join(f"{s}={int(s in succ)}" for s in shares.get(block, []) if s in pop)
            for block, pop, succ in zip(pieces["block"], pieces["popset"], pieces["successes"], strict=True)]


def _sums(pieces: pd.DataFrame) -> pd.DataFrame:
    """One score-sum variable per piece and mean (or sum) indicator it counts in, with the
    range a person's score can take given the piece's outcomes."""
    kinds = rules.model_indicators().set_index("code")["kind"]
    scored = pieces[["piece", "block", "popset", "condition"]].explode("popset").rename(columns={"popset": "indicator"})
    scored = scored[scored["indicator"].map(kinds).isin(["mean", "sum"])].reset_index(drop=True)
    bounds = rules.mean_bounds().rename(columns={"code": "indicator"})
    exact = scored.merge(bounds, on=["block", "indicator", "condition"], how="left")
    fallback = scored.merge(bounds[bounds["condition"] == ""].drop(columns="condition"),
                            on=["block", "indicator"], how="left")
    exact["low"] = exact["low"].fillna(fallback["low"]).fillna(-np.inf)
    exact["high"] = exact["high"].fillna(fallback["high"]).fillna(np.inf)
    return exact[["piece", "indicator", "low", "high"]]


def _links(pieces: pd.DataFrame, sums: pd.DataFrame) -> pd.DataFrame:
    """Every clique of a component counts the same people (and scores) per programme and
    signature: the first clique against each other one, one link per shared cell."""
    columns = ["link", "piece", "sign", "indicator"]
    cliques = pieces.groupby("component")["clique"].agg(lambda c: tuple(sorted(set(c))))
    pairs = [(comp, cs[0], other, tuple(sorted(set.intersection(*(set(c) for c in cs)))))
             for comp, cs in cliques.items() if len(cs) > 1 for other in cs[1:]]
    if not pairs:
        return pd.DataFrame(columns=columns)
    pairs = pd.DataFrame(pairs, columns=["component", "ref", "other", "shared"])
    frames = []
    scored = sums.merge(pieces[["piece", "component", "clique", "popset", "successes", *COORDS]], on="piece")
    counted = pieces.assign(indicator=None)
    for shared, group in pairs.groupby("shared"):
        for frame in (counted, scored):
            ref = frame.merge(group[["component", "ref", "other"]], left_on=["component", "clique"],
                              right_on=["component", "ref"]).assign(sign=1.0)
            other = frame.merge(group[["component", "ref", "other"]], left_on=["component", "clique"],
                                right_on=["component", "other"]).assign(sign=-1.0)
            frames.append(pd.concat([ref, other], ignore_index=True)[
                ["component", "other", "popset", "successes", *shared, "indicator", "piece", "sign"]])
    links = pd.concat(frames, ignore_index=True)
    keys = [c for c in ["component", "other", "popset", "successes", *COORDS, "indicator"] if c in links.columns]
    links["link"] = links.groupby(keys, dropna=False, sort=True).ngroup()
    return links[columns]


def _nested(signatures: pd.DataFrame) -> pd.DataFrame:
    """block, outer, inner: every signature counting ``inner`` also counts ``outer``, and
    some counts ``outer`` alone — so outer's denominator minus inner's counts people."""
    out = []
    for block, sigs in signatures.groupby("block"):
        popsets = [set(p) for p in sigs["popset"].drop_duplicates()]
        codes = sorted(set().union(*popsets))
        for outer in codes:
            for inner in codes:
                if outer == inner:
                    continue
                with_inner = [p for p in popsets if inner in p]
                if with_inner and all(outer in p for p in with_inner) and any(outer in p and inner not in p
                                                                                for p in popsets):
                    out.append((block, outer, inner))
    return pd.DataFrame(out, columns=["block", "outer", "inner"])


def build(con: duckdb.DuckDBPyConnection) -> Structure:
    """The model of ``indicators`` behind ``con`` (needs indicator_observations and
    programme_observations; ``register_rules`` first)."""
    con.execute(sql("people")).fetchall()
    rows = _rows(con)
    people = con.execute("SELECT * FROM disclosure_people").fetchdf()
    people["popset"] = people["popset"].map(tuple)
    people["successes"] = people["successes"].map(tuple)
    people["component"] = people["block"] + "/" + people["arm"] + "/" + people["wave"]
    signatures = _signatures(people)
    pieces = _pieces(rows, signatures)
    pieces["piece"] = np.arange(len(pieces))
    pieces["condition"] = _conditions(pieces)
    # true counts and score sums: each person once in every clique of their component
    scores = con.execute("SELECT * FROM disclosure_scores").fetchdf()
    scores = scores.merge(people[["block", "arm", "wave", *COORDS, "unit_id", "popset", "successes", "component"]],
                          on=["block", "arm", "wave", *COORDS, "unit_id"])
    counts, totals = [], []
    for clique in sorted(set(pieces["clique"])):
        key = ["component", "popset", "successes", *clique]
        mine = pieces[pieces["clique"] == clique]
        n = people.groupby(key, as_index=False).size().merge(mine[[*key, "piece"]], on=key, how="left")
        n = n[n["component"].isin(set(mine["component"]))]
        if n["piece"].isna().any():
            raise ModelError(f"{int(n['piece'].isna().sum())} groups of people fall outside every possible piece "
                             "of their breakdown: the published cells do not add up as the model assumes")
        counts.append(n[["piece", "size"]])
        t = scores.groupby([*key, "indicator"], as_index=False)["value"].sum().merge(mine[[*key, "piece"]], on=key)
        totals.append(t[["piece", "indicator", "value"]])
    n = pd.concat(counts, ignore_index=True) if counts else pd.DataFrame(columns=["piece", "size"])
    pieces = pieces.merge(n, on="piece", how="left").rename(columns={"size": "n"})
    pieces["n"] = pieces["n"].fillna(0).astype("int64")
    sums = _sums(pieces)
    total = pd.concat(totals, ignore_index=True) if totals else pd.DataFrame(columns=["piece", "indicator", "value"])
    sums = sums.merge(total, on=["piece", "indicator"], how="left").rename(columns={"value": "total"})
    sums["total"] = sums["total"].fillna(0.0)
    return Structure(rows=rows, pieces=pieces, members=_members(rows, pieces), sums=sums,
                     links=_links(pieces, sums), nested=_nested(signatures))
