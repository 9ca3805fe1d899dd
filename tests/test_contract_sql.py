"""Each contract rule is declared once in pandera; its SQL twin must give the same verdicts."""

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest

from pipelines import vocabulary
from pipelines.ingest import convert
from schemas import CONTRACTS, SQL_RULES

TODAY = pd.Timestamp.today().normalize()
FUTURE = TODAY + pd.Timedelta(days=400)


def _frame(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Rows of one contract, every column typed as the contract wants, unset ones empty."""
    columns = convert.contract_columns(kind)
    data = {}
    for name, meta in columns.items():
        values = [row.get(name) for row in rows]
        parse = meta.get("parse")
        if parse == "date":
            data[name] = pd.Series(pd.to_datetime(values), dtype="datetime64[us]")
        elif parse == "yes_no":
            data[name] = pd.Series(values, dtype="boolean")
        elif parse == "integer":
            data[name] = pd.Series(values, dtype="Int64")
        else:
            data[name] = pd.Series(values, dtype="str")
    return pd.DataFrame(data)


CASES = {
    "survey": [
        dict(consent=True, birth_year=1950, interview_date="2024-03-15"),
        dict(consent=False, birth_year=1950, interview_date="2024-03-15"),
        dict(consent=None, birth_year=1850, interview_date="2024-03-15"),
        dict(consent=True, birth_year=67, interview_date="2024-03-15"),
        dict(consent=True, birth_year=2024, interview_date="2024-03-15"),
        dict(consent=True, birth_year=2025, interview_date="2024-03-15"),
        dict(consent=True, birth_year=None, interview_date=FUTURE),
        dict(consent=True, birth_year=1900, interview_date=TODAY),
    ],
    "groups": [
        dict(start_date="2023-02-01", end_date="2023-01-01"),
        dict(start_date="2023-02-01", end_date="2023-02-01"),
        dict(start_date="2023-02-01", end_date=None),
        dict(start_date=FUTURE, end_date=None),
        dict(start_date=None, end_date="2023-01-01"),
    ],
    "attendance": [dict(session_date=TODAY), dict(session_date=FUTURE), dict(session_date=None)],
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_sql_twins_agree_with_the_pandas_rules(kind):
    frame = _frame(kind, CASES[kind])
    names = [rule.name for rule in SQL_RULES[kind]]
    assert sorted(names) == sorted(check.name for check in CONTRACTS[kind].to_schema().checks)
    try:
        CONTRACTS[kind].validate(frame, lazy=True)
        cases = pd.DataFrame(columns=["check", "index"])
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    in_pandas = {(check, int(index)) for check, index in zip(cases["check"], cases["index"])
                 if check in names and index is not None and not pd.isna(index)}
    con = duckdb.connect()
    con.register("t", frame.assign(_row=range(len(frame))))
    in_sql = set()
    for rule in SQL_RULES[kind]:
        for (row,) in con.execute(f"SELECT _row FROM t WHERE NOT ({rule.passes})").fetchall():
            in_sql.add((rule.name, row))
    assert in_sql == in_pandas


def test_sql_fold_agrees_with_vocabulary_fold():
    con = duckdb.connect()
    convert.prepare(con)
    samples = ["  Да. ", "ХОТЯ  бы раз в неделю", "Co najmniej\traz w tygodniu.", "ŻÓŁW", "Ёлка", "x.", "a . "]
    got = [con.execute("SELECT aai_fold(?)", [s]).fetchall()[0][0] for s in samples]
    assert got == list(vocabulary.fold(pd.Series(samples, dtype="str")))


def test_every_spelling_of_the_vocabulary_maps_to_its_code_in_sql():
    con = duckdb.connect()
    convert.prepare(con)
    for scale, spelling, code, _ in vocabulary.spellings():
        found = con.execute("SELECT code FROM aai_vocabulary WHERE scale = ? AND folded = aai_fold(?)",
                            [scale, spelling]).fetchall()
        assert found == [(vocabulary.lookup(scale)[vocabulary.fold(pd.Series([spelling])).iloc[0]],)], (scale, spelling)
