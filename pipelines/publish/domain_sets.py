"""What may be said of domain scores shown side by side: the sentences a chart's caption
and a report's table print beside them, from the same rows, so both say the same.

A domain score rests on the indicators a survey measured (``indicator_set``); two
programmes' scores of one domain are a comparison only when those sets are the same,
and a score holding national figures describes the country as much as the programme.
"""

from __future__ import annotations

import pandas as pd

from pipelines import catalogue
from pipelines.publish.benchmarks import ITEMS
from pipelines.publish.i18n import Translator


def differing(part: pd.DataFrame, tr: Translator) -> str:
    """Where programmes' scores of one domain rest on different indicators, say so and
    list them: such bars are not a comparison of programmes."""
    lines = []
    scored = part.dropna(subset=["value"])
    for item in ITEMS:
        rows = scored[scored["item"] == item]
        sets = dict(zip(rows["programme_id"], rows["indicator_set"], strict=True))
        if len(set(sets.values())) > 1:
            lines.append(tr("%(domain)s: %(codes)s", domain=tr.domain(item), codes="; ".join(
                f"{programme} {codes}" for programme, codes in sorted(sets.items()))))
    if not lines:
        return ""
    return tr("Programmes' scores are not comparable where they rest on different indicators: %(list)s.",
              list=" — ".join(lines))


def national(part: pd.DataFrame, tr: Translator) -> str:
    """Names the scores that include national statistics (3.4, 4.1, 4.2 from the data
    root's national figures): they describe the country, not the programme's people."""
    codes = set(catalogue.indicators().query("source == 'national'")["code"])
    mixed = sorted({r.item for r in part.itertuples()
                    if pd.notna(r.indicator_set) and codes & set(str(r.indicator_set).split(", "))}, key=ITEMS.index)
    if not mixed:
        return ""
    return tr("%(items)s include national figures (%(codes)s), the same for every programme of a country, "
              "not answers of the programme's participants.",
              items=", ".join(tr.domain(i) for i in mixed), codes=", ".join(sorted(codes)))
