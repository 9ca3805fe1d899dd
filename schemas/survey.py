"""survey.csv: one row per respondent per wave, items as in the data contract."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipelines import vocabulary
from schemas import fields
from schemas.rules import SqlRule, not_in_future, not_in_future_sql

FIRST_BIRTH_YEAR = 1900
AGE_TYPED_AS_YEAR = 150  # a "birth year" this small is someone's age


class SurveySchema(pa.DataFrameModel):
    participant_id: Series[str] = fields.text(required=True)
    programme_id: Series[str] = fields.text(required=True)
    group_id: Series[str] = fields.text(design=True)
    arm: Series[str] = fields.code("arm", required=True)
    wave: Series[str] = pa.Field(
        str_matches=rf"^({vocabulary.WAVE_PATTERN})$", metadata={"parse": "wave", "design": True}
    )
    interview_date: Series[pd.Timestamp] = fields.date(required=True)
    sex: Series[str] = fields.code("sex", design=True)
    birth_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, metadata={"parse": "integer", "design": True})
    disability: Series[pd.BooleanDtype] = fields.yes_no(design=True)
    consent: Series[pd.BooleanDtype] = fields.yes_no(required=True)

    employment_status: Series[str] = fields.code("employment_status")
    volunteer_freq: Series[str] = fields.code("frequency")
    care_children_freq: Series[str] = fields.code("frequency")
    care_older_disabled_freq: Series[str] = fields.code("frequency")
    political_activity_12m: Series[pd.BooleanDtype] = fields.yes_no()
    exercise_freq: Series[str] = fields.code("frequency")
    unmet_medical_need_12m: Series[pd.BooleanDtype] = fields.yes_no()
    unmet_dental_need_12m: Series[pd.BooleanDtype] = fields.yes_no()
    household_type: Series[str] = fields.code("household_type")
    make_ends_meet: Series[str] = fields.code("make_ends_meet")
    deprivation_count: Series[pd.Int64Dtype] = fields.integer(0, 9)
    safe_after_dark: Series[str] = fields.code("safety")
    training_4w: Series[pd.BooleanDtype] = fields.yes_no()
    who5_1: Series[pd.Int64Dtype] = fields.integer(0, 5)
    who5_2: Series[pd.Int64Dtype] = fields.integer(0, 5)
    who5_3: Series[pd.Int64Dtype] = fields.integer(0, 5)
    who5_4: Series[pd.Int64Dtype] = fields.integer(0, 5)
    who5_5: Series[pd.Int64Dtype] = fields.integer(0, 5)
    internet_freq: Series[str] = fields.code("frequency")
    meet_socially_freq: Series[str] = fields.code("frequency")
    education_isced: Series[pd.Int64Dtype] = fields.integer(0, 8)
    ucla_1: Series[pd.Int64Dtype] = fields.integer(1, 3)
    ucla_2: Series[pd.Int64Dtype] = fields.integer(1, 3)
    ucla_3: Series[pd.Int64Dtype] = fields.integer(1, 3)
    self_rated_health: Series[str] = fields.code("self_rated_health")

    @pa.dataframe_check(name="no_consent")
    def consented(cls, df: pd.DataFrame) -> Series[bool]:
        # A respondent who said no is never analysed; an empty answer is caught as required.
        return df["consent"].fillna(True).astype(bool)

    @pa.dataframe_check(name="birth_year_range")
    def birth_year_plausible(cls, df: pd.DataFrame) -> Series[bool]:
        year = df["birth_year"]
        interview_year = df["interview_date"].dt.year
        ok = (year >= FIRST_BIRTH_YEAR) & (year <= interview_year)
        return ok.fillna(True).astype(bool)

    @pa.dataframe_check(name="future_date")
    def interview_not_in_future(cls, df: pd.DataFrame) -> Series[bool]:
        return not_in_future(df["interview_date"])


SQL_RULES = (
    SqlRule("no_consent", "consent IS DISTINCT FROM false", "consent",
            "'the respondent did not consent (consent = no); the row is never analysed'"),
    SqlRule(
        "birth_year_range",
        f"birth_year IS NULL OR interview_date IS NULL OR birth_year BETWEEN {FIRST_BIRTH_YEAR} AND year(interview_date)",
        "birth_year",
        f"""CASE WHEN birth_year < {AGE_TYPED_AS_YEAR}
                 THEN 'birth year ' || birth_year || ' looks like an age; expected a year from {FIRST_BIRTH_YEAR} to '
                      || year(interview_date)
                 ELSE 'birth year ' || birth_year || ' gives age ' || (year(interview_date) - birth_year)
                      || ' at interview; expected {FIRST_BIRTH_YEAR}–' || year(interview_date) END""",
    ),
    not_in_future_sql("interview_date"),
)
