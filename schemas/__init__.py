"""Pandera contracts for the three kinds of file programmes send.

Each contract is the canonical form of ``docs/data-contract.md``: column names,
types, answer codes, ranges and row rules. Ingestion reads field metadata to parse raw
text; validation applies the contracts and turns failures into quarantine reasons.
"""

from schemas import attendance, groups, survey
from schemas.attendance import AttendanceSchema
from schemas.groups import GroupsSchema
from schemas.survey import SurveySchema

CONTRACTS = {
    "groups": GroupsSchema,
    "attendance": AttendanceSchema,
    "survey": SurveySchema,
}

# The columns that identify a row. Uniqueness is checked across all files in the
# warehouse (pipelines/validate), because duplicates usually sit in different files.
KEYS = {
    "groups": ("group_id",),
    "attendance": ("group_id", "session_date", "participant_id"),
    "survey": ("participant_id", "wave"),
}

# Each contract's row rules as SQL twins of its dataframe checks (schemas/rules.py).
SQL_RULES = {"groups": groups.SQL_RULES, "attendance": attendance.SQL_RULES, "survey": survey.SQL_RULES}

__all__ = ["AttendanceSchema", "CONTRACTS", "GroupsSchema", "KEYS", "SQL_RULES", "SurveySchema"]
