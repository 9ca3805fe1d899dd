"""Suppression of ``indicators``: the threshold rules, then secondary suppression planned
with the attacker in the loop.

1. Primary: ``primary.sql`` hides every cell a threshold rule catches.
2. Secondary: attack everything published (``attack.run``); for each protected count
   the attacker pins, hide one visible cell among those whose equations the attacker
   used (the linear program's binding rows: the relations that pin it), the one with
   the fewest people, a part before its total; hide the same cell of every indicator
   over the same population (so their patterns stay identical and an attacker who
   reads one indicator's denominator as another's learns nothing). Repeat on the
   components that changed until nothing is pinned. Hiding more never narrows a
   range, so settled components stay settled.

Like tau-ARGUS's and sdcTable's planned suppression this works over all linked tables
at once; unlike their optimal methods it is greedy (one cell per pinned count and
round), so it may hide a little more than the minimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from pipelines.disclosure import attack, model
from pipelines.disclosure.result import AuditResult
from pipelines.disclosure.system import build_systems

MAX_ROUNDS = 200
# The width the planner demands of every protected count (docs/disclosure.md, "Protection
# width"): 1 would only stop exact recovery; min_cell stops "between 1 and 5" too.
PROTECTION = "min_cell"


class UnrepairableError(RuntimeError):
    """A protected count is pinned by the model's structure alone, with no cell to hide."""


@dataclass
class Plan:
    hidden: set[int]
    primary: int
    secondary: int
    rounds: int
    findings: attack.Findings
    seconds: float
    width: float
    stats: dict = field(default_factory=dict)


def protection_width(min_cell: int, protection: str | float = PROTECTION) -> float:
    return float(min_cell) if protection == "min_cell" else float(protection)


def families(rows: pd.DataFrame) -> dict[int, list[int]]:
    """row → the rows of the same cell of every indicator over the same population
    (survey), itself alone otherwise."""
    key = ["family", "arm", "wave", *model.COORDS]
    out: dict[int, list[int]] = {}
    for _, group in rows.groupby(key, sort=False):
        members = group["row"].tolist()
        for row in members:
            out[row] = members
    return out


def _choose(candidates: set[int], rank: dict[int, tuple]) -> int | None:
    """The cell with the fewest people, a part before its total, then the first row."""
    return min(candidates, key=lambda row: (*rank[row], row)) if candidates else None


def plan(structure: model.Structure, hidden: set[int], min_cell: int, width: float,
         share_patterns: bool = True) -> Plan:
    """Hide cells until no protected count of ``structure`` is narrower than ``width``."""
    started = time.perf_counter()
    systems = build_systems(structure)
    info = structure.rows.set_index("row")
    rank = dict(zip(info.index, zip(info["denominator"], info["level"], strict=True), strict=True))
    family = families(structure.rows) if share_patterns else {}
    hidden = set(hidden)
    primary = len(hidden)
    latest: dict[str, pd.DataFrame] = {}
    settled: dict[tuple, tuple[float, float]] = {}
    dirty = sorted(systems)
    solved = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        findings = attack.run(structure, systems, hidden, min_cell, width, components=dirty, settled=settled)
        solved += findings.solved
        wide = findings.table[findings.table["high"] - findings.table["low"] >= width]
        settled.update(zip(attack.key(wide), zip(wide["low"], wide["high"], strict=True), strict=True))
        for name in dirty:
            latest[name] = findings.table[findings.table["component"] == name]
        pinned = findings.pinned
        if pinned.empty:
            break
        chosen = set()
        for target in pinned.itertuples(index=False):
            cell = _choose(set(target.binding) - hidden, rank)
            if cell is None:
                raise UnrepairableError(
                    f"{target.component}: a protected count ({target.what}) is pinned with no visible cell "
                    "to hide; the model of the tables is wrong")
            chosen.add(cell)
        added = set().union(*(family.get(c, [c]) for c in chosen)) - hidden
        hidden |= added
        dirty = sorted(set(info.loc[sorted(added), "component"]))
    else:
        raise UnrepairableError(f"secondary suppression did not settle in {MAX_ROUNDS} rounds")
    table = pd.concat(latest.values(), ignore_index=True) if latest else pd.DataFrame(columns=attack.COLUMNS)
    final = attack.Findings(table, time.perf_counter() - started, solved)
    return Plan(hidden, primary, len(hidden) - primary, rounds, final, time.perf_counter() - started, width)


def write(con: duckdb.DuckDBPyConnection, hidden: set[int]) -> None:
    """Set ``indicators.suppressed`` to exactly ``hidden`` (by rowid)."""
    frame = pd.DataFrame({"cell": np.array(sorted(hidden), dtype=np.int64)})
    con.register("disclosure_hidden_df", frame)
    try:
        con.execute("UPDATE indicators SET suppressed = rowid IN (SELECT cell FROM disclosure_hidden_df)").fetchall()
    finally:
        con.unregister("disclosure_hidden_df")


def suppress(con: duckdb.DuckDBPyConnection, min_cell: int, *, protection: str | float = PROTECTION,
             share_patterns: bool = True) -> Plan:
    """Primary and planned secondary suppression of ``indicators`` (needs
    indicator_observations and programme_observations in ``con``)."""
    model.register_rules(con)
    primary = model.primary_cells(con, min_cell)
    structure = model.build(con)
    result = plan(structure, primary, min_cell, protection_width(min_cell, protection), share_patterns)
    write(con, result.hidden)
    return result


def plan_metadata(result: Plan) -> dict:
    """Aggregates of a plan for Dagster metadata: counts and widths, never a hidden value."""
    table = result.findings.table
    summary = AuditResult(targets=len(table), solved=result.findings.solved,
                          widths=(table["high"] - table["low"]).astype(float), exact=table["exact"].astype(bool))
    meta = summary.metadata()
    return {
        "protection width asked (attacker's max − min)": result.width,
        "planning rounds": result.rounds,
        "protected counts": meta["protected counts checked"],
        "pinned after planning": int(table["pinned"].sum()),
        "protection widths (attacker's max − min)": meta["protection widths (attacker's max − min)"],
        "seconds (suppression planning)": round(result.seconds, 2),
    }
