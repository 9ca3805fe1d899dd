"""groups.csv: one row per mutual-aid or self-help group."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import fields
from schemas.rules import SqlRule, not_in_future, not_in_future_sql


class GroupsSchema(pa.DataFrameModel):
    group_id: Series[str] = fields.text(required=True)
    programme_id: Series[str] = fields.text(required=True)
    group_name: Series[str] = fields.text()
    country: Series[str] = pa.Field(
        str_matches=r"^[A-Z]{2}$", nullable=True, metadata={"parse": "country", "design": True}
    )
    region: Series[str] = fields.text()
    settlement_type: Series[str] = fields.code("settlement_type")
    target_population: Series[str] = fields.code("target_population")
    start_date: Series[pd.Timestamp] = fields.date(required=True)
    end_date: Series[pd.Timestamp] = fields.date(design=True)
    facilitation: Series[str] = fields.code("facilitation")

    @pa.dataframe_check(name="end_before_start")
    def end_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["end_date"] < df["start_date"]).fillna(False)

    @pa.dataframe_check(name="future_date")
    def start_not_in_future(cls, df: pd.DataFrame) -> Series[bool]:
        return not_in_future(df["start_date"])


SQL_RULES = (
    SqlRule("end_before_start", "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", "end_date",
            "'end_date ' || {value} || ' is before start_date ' || strftime(start_date, '%Y-%m-%d')"),
    not_in_future_sql("start_date"),
)
