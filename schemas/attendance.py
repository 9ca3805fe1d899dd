"""attendance.csv: one row per person per session of a group."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas import fields
from schemas.rules import not_in_future, not_in_future_sql


class AttendanceSchema(pa.DataFrameModel):
    group_id: Series[str] = fields.text(required=True)
    session_date: Series[pd.Timestamp] = fields.date(required=True)
    participant_id: Series[str] = fields.text(required=True)
    attended: Series[pd.BooleanDtype] = fields.yes_no(required=True)
    duration_minutes: Series[pd.Int64Dtype] = fields.integer(1, 600)
    activity: Series[str] = fields.code("activity")
    led_by: Series[str] = fields.code("led_by")

    @pa.dataframe_check(name="future_date")
    def session_not_in_future(cls, df: pd.DataFrame) -> Series[bool]:
        return not_in_future(df["session_date"])


SQL_RULES = (not_in_future_sql("session_date"),)
