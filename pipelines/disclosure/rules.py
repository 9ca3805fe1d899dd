"""What the disclosure rules need to know about each indicator, read from the catalogue.

- **person**: the denominator counts people (respondents, participants, memberships).
  Sessions and groups are not people: no threshold rule applies to them, and no
  published relation ties their counts to a count of people (docs/disclosure.md).
- **block**: indicators whose respondents are the *same people* by construction. Survey
  indicators built from the same items share their respondents (a respondent counts
  where all the items are answered), so 4.3 (55+) and ``P.who5_mean`` (all ages) are
  one block and their denominators are exactly nested. The person-level register
  outputs (participants and memberships) are one block too.
- **family**: indicators over the same population in the same arm, wave and cell.
  Survey indicators of one age population but different items differ only by item
  non-response, so an attacker who assumes everyone answered everything reads one's
  denominator as the other's; they share their suppression pattern.
- **scales**: the range of a mean's score, worked out by evaluating the catalogue's
  ``rule_sql`` over every answer the contract (``schemas/survey.py``) allows, and the
  range of each mean *given* the outcome on the block's shares (a respondent who is
  "lonely", UCLA-3 ≥ 6, scores 6–9). Register means are defined in ``programme.sql``;
  their ranges are stated here beside that definition.
"""

from __future__ import annotations

import math
from itertools import product

import duckdb
import pandas as pd

from pipelines import catalogue, vocabulary

PEOPLE = frozenset({"respondents", "participants", "memberships"})
# counts = participants: a person in two groups counts once above the group level
DISTINCT = "participants"
REGISTER_BLOCK = "register:attendance"
# Largest answer space enumerated to find a mean's range (WHO-5: 6^5 = 7,776).
MAX_ENUMERATION = 1_000_000

# Per person, from programme.sql: attendance rate 100 × attended ÷ held between the
# first and last attended session, in (0, 100]; sessions attended, at least 1; hours,
# at least 0. No upper bound is known to an attacker for the last two.
REGISTER_SCALES = {
    "P.attendance_rate": (0.0, 100.0),
    "P.sessions_per_participant": (1.0, math.inf),
    "P.hours": (0.0, math.inf),
}


@catalogue.per_catalogue
def model_indicators() -> pd.DataFrame:
    """``code, kind, counts, population, source, items, person, distinct, block, family``
    for every indicator computed from the warehouse (not domains, not national)."""
    df = catalogue.indicators()
    df = df[df["kind"].isin(["share", "mean", "count", "sum"])].copy()
    df["person"] = df["counts"].isin(PEOPLE)
    df["distinct"] = df["counts"].eq(DISTINCT)
    survey = df["source"].isin(["survey", "declared"])
    df["block"] = None
    df.loc[survey, "block"] = "survey:" + df.loc[survey, "items"]
    # a declared measure's items are its mapping's columns: the same names in two
    # mappings are different answers
    declared = df["source"].eq("declared")
    if declared.any():
        df.loc[declared, "block"] = "declared:" + df.loc[declared, "mapping"] + ":" + df.loc[declared, "items"]
    df.loc[~survey & df["person"], "block"] = REGISTER_BLOCK
    df["family"] = df["code"]
    df.loc[survey, "family"] = "population:" + df.loc[survey, "population"]
    columns = ["code", "kind", "counts", "population", "source", "items", "person", "distinct", "block", "family"]
    return df[columns].reset_index(drop=True)


def _answers(item: str) -> list | None:
    """Every answer the survey contract allows for ``item`` (None when unbounded)."""
    from schemas.survey import SurveySchema  # the contract; imported late, it is large

    column = SurveySchema.to_schema().columns[item]
    if column.metadata and column.metadata.get("parse") == "yes_no":
        return [True, False]
    for check in column.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            return list(stats["allowed_values"])
        if {"min_value", "max_value"} <= set(stats):
            return list(range(int(stats["min_value"]), int(stats["max_value"]) + 1))
    if column.metadata and column.metadata.get("scale"):
        return list(vocabulary.codes(column.metadata["scale"]))
    return None


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@catalogue.per_catalogue
def mean_bounds() -> pd.DataFrame:
    """``block, code, condition, low, high``: a person's range on each mean indicator,
    given their outcome on the block's shares (``condition``, e.g. ``P.lonely=1``;
    empty for no condition). Survey means are enumerated over the contract's answers;
    register means come from ``REGISTER_SCALES``."""
    df = model_indicators()
    rows = [{"block": REGISTER_BLOCK, "code": code, "condition": "", "low": low, "high": high}
            for code, (low, high) in REGISTER_SCALES.items() if code in set(df["code"])]
    cat = catalogue.indicators().set_index("code")
    for block, members in df[df["source"].eq("survey")].groupby("block"):
        means = members[members["kind"].eq("mean")]["code"].tolist()
        if not means:
            continue
        shares = members[members["kind"].eq("share")]["code"].tolist()
        items = block.removeprefix("survey:").split("|")
        answers = [_answers(i) for i in items]
        if any(a is None for a in answers) or math.prod(len(a) for a in answers) > MAX_ENUMERATION:
            rows += [{"block": block, "code": m, "condition": "", "low": -math.inf, "high": math.inf} for m in means]
            continue
        rows += _enumerate(block, items, answers, shares, means, cat)
    # a declared measure's answers are not the contract's: its declared scale bounds it
    rows += [{"block": r.block, "code": r.code, "condition": "", "low": cat.loc[r.code, "scale_min"],
              "high": cat.loc[r.code, "scale_max"]}
             for r in df[df["source"].eq("declared") & df["kind"].eq("mean")].itertuples()]
    return pd.DataFrame(rows, columns=["block", "code", "condition", "low", "high"])


def _enumerate(block, items, answers, shares, means, cat) -> list[dict]:
    """Range of each mean's rule over every allowed answer, grouped by the shares' outcomes."""
    space = " CROSS JOIN ".join(
        f"(SELECT unnest([{', '.join(_literal(v) for v in values)}]) AS {item})"
        for item, values in zip(items, answers, strict=True))
    share_cols = [f'CAST(({cat.loc[s, "rule_sql"]}) AS INTEGER) AS "{s}"' for s in shares]
    mean_cols = [f'CAST(({cat.loc[m, "rule_sql"]}) AS DOUBLE) AS "{m}"' for m in means]
    stats = ", ".join(f'min("{m}"), max("{m}")' for m in means)
    quoted = ", ".join(f'"{s}"' for s in shares)
    grouping = f"GROUP BY CUBE ({quoted})" if shares else ""
    shown = (quoted + ", ") if shares else ""
    query = (f"SELECT {shown}{stats} FROM (SELECT {', '.join(share_cols + mean_cols)} FROM {space}) {grouping}")
    con = duckdb.connect()
    try:
        result = con.execute(query).fetchall()
    finally:
        con.close()
    rows = []
    for record in result:
        outcomes, values = record[: len(shares)], record[len(shares):]
        condition = ",".join(f"{s}={o}" for s, o in zip(shares, outcomes, strict=True) if o is not None)
        for k, m in enumerate(means):
            rows.append({"block": block, "code": m, "condition": condition,
                         "low": float(values[2 * k]), "high": float(values[2 * k + 1])})
    return rows


def mean_scales() -> pd.DataFrame:
    """``code, low, high``: the unconditional range of each mean (for the at-a-bound rule)."""
    bounds = mean_bounds()
    return bounds[bounds["condition"].eq("")][["code", "low", "high"]].reset_index(drop=True)


def outcome_conditions(shares: list[str]) -> list[tuple[str, ...]]:
    """Every outcome assignment on ``shares`` as ``code=0|1`` strings (all 2^k of them)."""
    return [tuple(f"{s}={o}" for s, o in zip(shares, combo, strict=True))
            for combo in product((0, 1), repeat=len(shares))]
