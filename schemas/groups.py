"""groups.csv: one row per mutual-aid or self-help group."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import fields
from schemas.rules import not_in_future


class GroupsSchema(pa.DataFrameModel):
    group_id: Series[str] = fields.text(required=True)
    programme_id: Series[str] = fields.text(required=True)
    group_name: Series[str] = fields.text()
    country: Series[str] = pa.Field(
        str_matches=r"^[A-Z]{2}$", nullable=True, metadata={"parse": "country"}
    )
    region: Series[str] = fields.text()
    settlement_type: Series[str] = fields.code("settlement_type")
    target_population: Series[str] = fields.code("target_population")
    start_date: Series[pd.Timestamp] = fields.date(required=True)
    end_date: Series[pd.Timestamp] = fields.date()
    facilitation: Series[str] = fields.code("facilitation")

    @pa.dataframe_check(name="end_before_start")
    def end_not_before_start(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["end_date"] < df["start_date"]).fillna(False)

    @pa.dataframe_check(name="future_date")
    def start_not_in_future(cls, df: pd.DataFrame) -> Series[bool]:
        return not_in_future(df["start_date"])
