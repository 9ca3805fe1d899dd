"""Row rules shared by several contracts, and the shape of every rule's SQL twin.

Each ``@pa.dataframe_check`` of a contract has a twin in SQL (``SqlRule``) beside it,
so that ingestion applies the same rule inside DuckDB at DuckDB's speed while pandera
stays the final word on the warehouse tables. ``tests/test_contract_sql.py`` runs
both on the same hand-made rows and expects the same verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class SqlRule:
    """A row rule in SQL over the typed contract columns.

    ``passes`` is true where the row satisfies the rule (NULLs pass, as in pandas);
    ``column`` is the column the reason talks about; ``reason`` is an SQL text
    expression in which ``{value}`` stands for that column's value as written.
    """

    name: str
    passes: str
    column: str
    reason: str


def today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def not_in_future(dates: pd.Series) -> pd.Series:
    """True where the date is empty or not after today."""
    return ~(dates > today()).fillna(False)


def not_in_future_sql(column: str) -> SqlRule:
    return SqlRule(
        "future_date",
        f"{column} IS NULL OR {column} <= current_date",
        column,
        f"'{column} ' || {{value}} || ' is in the future; check the year'",
    )
