"""Domain scores publish nothing new: each is the weighted mean of visible cells.

``domain_scores`` is built from the cells of ``indicators`` that are not suppressed
(plus national figures, which are public anyway), so a score is a function of
published values and adds no equation to the attacker's system. This module checks
that instead of assuming it: every score is recomputed from ``indicators_public`` and
the national figures alone, and a score that cannot be reproduced — it would then rest
on a hidden cell — is a failure.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines import catalogue

UNIT = ["programme_id", "country", "region", "group_id", "arm", "wave", "sex"]
TOLERANCE = 1e-6

VISIBLE_SQL = """
SELECT programme_id, country, region, group_id, arm, wave, sex, indicator, value
FROM indicators_public
WHERE age_band = 'all' AND disability = 'all' AND NOT suppressed
"""


def _countries(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """programme → its country when all its groups lie in one (as programme_country.sql)."""
    rows = con.cursor().execute(
        "SELECT programme_id, any_value(coalesce(country, 'unknown')) FROM groups GROUP BY programme_id "
        "HAVING count(DISTINCT coalesce(country, 'unknown')) = 1").fetchall()
    return pd.Series(dict(rows), dtype=object)


def unreproducible(con: duckdb.DuckDBPyConnection, national: pd.DataFrame) -> pd.DataFrame:
    """The domain scores (D1–D4) that the published cells and national figures do not give."""
    scores = con.cursor().execute(
        f"SELECT {', '.join(UNIT)}, item, value, indicators_used FROM domain_scores "
        "WHERE item <> 'AAI' AND value IS NOT NULL").df()
    if scores.empty:
        return scores.assign(expected=[])
    weights = catalogue.aai_weights().query("kind != 'domain'").rename(columns={"code": "indicator"})
    visible = con.cursor().execute(VISIBLE_SQL).df().merge(weights[["indicator", "domain", "weight"]], on="indicator")
    countries = _countries(con)
    units = scores[UNIT].drop_duplicates()
    units["unit_country"] = np.where(units["country"] != "all", units["country"],
                                     units["programme_id"].map(countries))
    nat = national[["country", "sex", "indicator", "value"]].merge(weights[["indicator", "domain", "weight"]],
                                                                     on="indicator")
    nat = units.merge(nat, left_on=["unit_country", "sex"], right_on=["country", "sex"],
                      suffixes=("", "_national")).drop(columns=["unit_country", "country_national"])
    parts = pd.concat([visible, nat[visible.columns]], ignore_index=True)
    parts["weighted"] = parts["weight"] * parts["value"]
    expected = parts.groupby([*UNIT, "domain"], as_index=False).agg(
        weighted=("weighted", "sum"), weight=("weight", "sum"), used=("indicator", "count"))
    expected["expected"] = expected["weighted"] / expected["weight"]
    checked = scores.merge(expected.rename(columns={"domain": "item"}), on=[*UNIT, "item"], how="left")
    bad = (checked["expected"].isna() | ((checked["value"] - checked["expected"]).abs() > TOLERANCE)
           | (checked["used"] != checked["indicators_used"]))
    return checked.loc[bad, [*UNIT, "item"]]
