"""The published AAI figures a chart or report sets beside a programme's: one edition only.

Each AAI edition is computed from its own data sources, with revised indicators and a
different set of countries, so a 2014 domain score and a 2018 index were never computed
together and must not be read off one chart (``docs/indicators.md``, "Benchmarks").
``select`` therefore returns the figures of exactly one edition and one data year: the
edition asked for, else the one whose figures for the comparison area are the most
recent. The domain chart draws what it returns and the report lists the sources of
exactly those rows, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines import catalogue

# The area a programme is compared with: the EU28 average is the one figure both
# UNECE/European Commission editions publish.
COMPARISON_AREA = "EU28"
ITEMS = ("D1", "D2", "D3", "D4", "AAI")
COLUMNS = ["item", "value", "country", "edition", "data_year", "source_url", "source_type", "source_note"]


@dataclass(frozen=True)
class Benchmarks:
    """The figures shown: all of one ``edition`` and ``data_year`` (``None`` when none)."""

    edition: str | None
    data_year: int | None
    rows: pd.DataFrame  # COLUMNS, one row per item shown, in ITEMS order

    @property
    def empty(self) -> bool:
        return self.rows.empty


def select(edition: str | None = None, *, area: str = COMPARISON_AREA) -> Benchmarks:
    """``area``'s published figures for the AAI and its domains (whole population) from
    ``edition``, or from the edition with the latest data for ``area``; within an
    edition, the latest data year (the 2018 edition also re-computes 2008)."""
    published = catalogue.aai_published()
    rows = published[(published["country"] == area) & (published["sex"] == "all") & published["item"].isin(ITEMS)]
    if edition is not None:
        if edition not in set(published["edition"]):
            raise ValueError(f"no published AAI edition {edition!r}; the file has {sorted(set(published['edition']))}")
        rows = rows[rows["edition"] == edition]
    elif not rows.empty:
        latest = rows.groupby("edition")["data_year"].max()
        rows = rows[rows["edition"] == (latest.idxmax() if latest.notna().any() else max(latest.index))]
    if rows.empty:
        return Benchmarks(edition, None, pd.DataFrame(columns=COLUMNS))
    year = rows["data_year"].max()
    rows = rows[rows["data_year"] == year] if pd.notna(year) else rows
    rows = rows.sort_values("item", key=lambda s: s.map(ITEMS.index))
    return Benchmarks(str(rows["edition"].iloc[0]), None if pd.isna(year) else int(year),
                      rows[COLUMNS].reset_index(drop=True))
