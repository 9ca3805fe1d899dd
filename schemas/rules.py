"""Row rules shared by several contracts."""

from __future__ import annotations

import pandas as pd


def today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def not_in_future(dates: pd.Series) -> pd.Series:
    """True where the date is empty or not after today."""
    return ~(dates > today()).fillna(False)
