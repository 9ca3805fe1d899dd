"""Apply the pandera contracts to a batch and turn failures into quarantine reasons.

Pandera reports *what* failed (column, check, value, index); this module says it the
way a field officer can act on: which value, what was expected, what to change.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.normalise import PROBLEM_COLUMNS
from schemas import CONTRACTS
from schemas.survey import FIRST_BIRTH_YEAR

AGE_TYPED_AS_YEAR = 150  # a "birth year" this small is someone's age


def _range_text(check: str) -> str:
    numbers = re.findall(r"-?\d+(?:\.\d+)?", check)
    return "–".join(numbers[:2]) if numbers else check


def _column_failure(column: str, check: str, value: str) -> tuple[str, str]:
    """(rule, reason) for a failed column check."""
    if check == "not_nullable":
        return "required", f"{column} is empty; it is required"
    if check.startswith("in_range"):
        return "out_of_range", f"{column} is {value}; expected {_range_text(check)}"
    if check.startswith("str_matches") and column == "country":
        return "bad_country", f"country '{value}' is not a two-letter ISO code such as BY, UA or PL"
    if check.startswith("isin"):
        return "unknown_code", f"{column}: '{value}' is not one of the contract's codes"
    return check, f"{column}: '{value}' fails the rule {check}"


def _row_failure(rule: str, typed: pd.Series, raw: pd.Series) -> tuple[str, str, str]:
    """(column, value, reason) for a failed whole-row rule."""
    if rule == "no_consent":
        return "consent", raw["consent"], "the respondent did not consent (consent = no); the row is never analysed"
    if rule == "birth_year_range":
        year, interview_year = int(typed["birth_year"]), typed["interview_date"].year
        if year < AGE_TYPED_AS_YEAR:
            reason = f"birth year {year} looks like an age; expected a year from {FIRST_BIRTH_YEAR} to {interview_year}"
        else:
            reason = (
                f"birth year {year} gives age {interview_year - year} at interview; "
                f"expected {FIRST_BIRTH_YEAR}–{interview_year}"
            )
        return "birth_year", raw["birth_year"], reason
    if rule == "future_date":
        column = next(c for c in ("session_date", "interview_date", "start_date") if c in typed.index)
        return column, raw[column], f"{column} {raw[column]} is in the future; check the year"
    if rule == "end_before_start":
        return "end_date", raw["end_date"], f"end_date {raw['end_date']} is before start_date {raw['start_date']}"
    return "", "", f"the row fails the rule {rule}"


def row_problems(kind: str, typed: pd.DataFrame, raw: pd.DataFrame, parse_problems: pd.DataFrame) -> pd.DataFrame:
    """Contract failures of one batch, beside the parse problems already found.

    A cell that could not be parsed is empty in ``typed``; its "required" failure
    would say the same thing twice, so it is dropped.
    """
    try:
        CONTRACTS[kind].validate(typed, lazy=True)
        return parse_problems
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    found = []
    row_level = cases["check"].isin(["no_consent", "birth_year_range", "future_date", "end_before_start"])
    for case in cases[~row_level].itertuples():
        if case.index is None or pd.isna(case.index):
            raise RuntimeError(f"{kind} batch does not match its contract's types: {case.check} on {case.column}")
        rule, reason = _column_failure(case.column, str(case.check), raw.at[case.index, case.column])
        found.append((case.index, case.column, rule, raw.at[case.index, case.column], reason))
    # A failing dataframe check yields one case per column of each bad row: one problem per row.
    for rule, index in cases[row_level][["check", "index"]].drop_duplicates().itertuples(index=False):
        column, value, reason = _row_failure(rule, typed.loc[index], raw.loc[index])
        found.append((index, column, rule, value, reason))
    contract = pd.DataFrame(found, columns=PROBLEM_COLUMNS)
    parsed_cells = set(zip(parse_problems["row"], parse_problems["column_name"]))
    repeat = [(r, c) in parsed_cells and rule == "required" for r, c, rule in zip(contract["row"], contract["column_name"], contract["rule"])]
    contract = contract[~pd.Series(repeat, index=contract.index, dtype=bool)]
    return pd.concat([parse_problems, contract], ignore_index=True)
