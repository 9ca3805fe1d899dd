"""A file's raw cells → the contract's typed columns and a problem for every cell that
cannot be converted, in SQL, per cell.

The plan (``plan.py``) says where each contract column comes from; the contract
(``schemas/``) says how its text is read (field metadata ``parse``) and what it must
satisfy (pandera checks: ``isin``, ``in_range``, ``str_matches``, nullable), and its
row rules have SQL twins (``schemas.SQL_RULES``). Nothing is declared twice: the SQL
predicates below are derived from the pandera schema.

Severity: a problem in a *required design field* (a column the contract does not let
be empty, or a key column) costs the row: ``effect = 'row'``, the row goes to
quarantine. A problem in an optional item costs only the cell: the cell is loaded as
NULL, the problem is kept with ``effect = 'cell'`` and the respondent's other answers
load. Row rules always cost the row. Every cell of a grid register is a row.

Answer labels are mapped by a join against the vocabulary table, folded by the same
SQL as the cells (``cells.sql``).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import duckdb
import pandas as pd

from pipelines import vocabulary
from pipelines.ingest.cell_rules import INTEGER_LIMIT, Column, column_rules
from pipelines.ingest.normalise import contract_columns
from pipelines.ingest.plan import FilePlan, Source
from pipelines.ingest.sqltext import literal, quote
from schemas import CONTRACTS, KEYS

SQL_TYPES = {"yes_no": "BOOLEAN", "date": "DATE", "integer": "INTEGER"}


@cache
def _macros() -> list[str]:
    text = files("pipelines.ingest").joinpath("cells.sql").read_text(encoding="utf-8")
    return [statement for statement in text.split(";\n") if statement.strip() and not _only_comments(statement)]


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """The conversion macros and the vocabulary and register-mark tables, once per connection."""
    for statement in _macros():
        con.execute(statement)
    spellings = pd.DataFrame(vocabulary.spellings(), columns=["scale", "spelling", "code", "ordinal"])
    marks = pd.DataFrame(list(vocabulary.register_mark_spellings()), columns=["spelling", "attended", "ordinal"])
    con.register("_spellings", spellings)
    con.register("_mark_spellings", marks)
    try:
        # Of two spellings that fold alike, the later row of the file wins, as in vocabulary.lookup.
        con.execute("""CREATE OR REPLACE TEMP TABLE aai_vocabulary AS
                       SELECT scale, aai_fold(spelling) AS folded, arg_max(code, ordinal) AS code
                       FROM _spellings GROUP BY ALL""")
        con.execute("""CREATE OR REPLACE TEMP TABLE aai_marks AS
                       SELECT aai_fold(spelling) AS folded, arg_max(attended, ordinal) AS attended
                       FROM _mark_spellings GROUP BY ALL""")
    finally:
        con.unregister("_spellings")
        con.unregister("_mark_spellings")


def columns_of(kind: str, plan: FilePlan) -> list[Column]:
    schema = CONTRACTS[kind].to_schema()
    out = []
    for name, meta in contract_columns(kind).items():
        column = schema.columns[name]
        parse = meta.get("parse", "text")
        if plan.layout == "grid" and name == "attended":
            parse = "mark"
        required = not column.nullable or name in KEYS[kind]
        design = plan.layout == "grid" or required or meta.get("design", False)
        source = plan.sources[name]
        out.append(Column(name, parse, meta.get("scale"), required, design, tuple(column.checks),
                          bool(source.values), source.reverse))
    return out


def value_map(plan: FilePlan) -> list[tuple[str, str, str]]:
    """(column, answer as written, code): a mapping file's own answers, for the
    ``_value_map`` table that each mapped column's dictionary joins first."""
    return [(name, answer, code) for name, source in plan.sources.items() for answer, code in source.values]


def present(plan: FilePlan, name: str) -> bool:
    """Whether the file gives this column: from a source, or (a grid) from its dates and marks."""
    source = plan.sources[name]
    return source.position is not None or source.constant is not None or source.derive is not None or (
        plan.layout == "grid" and name in ("session_date", "attended"))


def rows_view(plan: FilePlan, cells: str) -> str:
    """One row per data row (per cell of a grid register): the contract columns as
    written, NULL where the file has no such column."""
    if plan.layout == "grid":
        return _grid_select(plan, cells)
    parts = ["record", "line", "0 AS source_column"]
    for name, source in plan.sources.items():
        parts.append(f"{_source_sql(source)} AS {quote(name)}")
    for name, position in plan.submission.items():
        parts.append(f"aai_clean(c{position}) AS {quote(name)}")
    return f"SELECT {', '.join(parts)} FROM {cells}"


def _source_sql(source: Source) -> str:
    if source.position is not None:
        return f"c{source.position}"
    if source.constant is not None:
        return literal(source.constant)
    if source.derive is not None:
        return DERIVED[source.derive]([f"aai_clean(c{p})" for p in source.parts], source)
    return "NULL::VARCHAR"


def _sum(parts: list[str], _: Source) -> str:
    """The sum as text; where a part is not a number, the parts as written joined by
    ' + ' (so the cell fails as not a number and quarantine shows what was typed)."""
    numbers = [f"aai_number({p})" for p in parts]
    written = " || ' + ' || ".join(f"coalesce({p}, '(empty)')" for p in parts)
    return (f"CASE WHEN coalesce({', '.join(parts)}) IS NULL THEN NULL "
            f"WHEN {' AND '.join(f'{n} IS NOT NULL' for n in numbers)} THEN {_number_text(' + '.join(numbers))} "
            f"ELSE {written} END")


def _age(parts: list[str], _: Source) -> str:
    """Birth year = interview year − age (a year early for those whose birthday is still
    to come that year: the contract's age is also interview year − birth year)."""
    age, date = parts
    return (f"CASE WHEN {age} IS NULL THEN NULL "
            f"WHEN aai_number({age}) IS NOT NULL AND aai_date({date}) IS NOT NULL "
            f"THEN {_number_text(f'year(aai_date({date})) - aai_number({age})')} "
            f"ELSE 'age ' || {age} || ' at interview ' || coalesce({date}, '(empty)') END")


def _number_text(number: str) -> str:
    """A computed number as a person writes it (7, not 7.0): quarantine may show it."""
    return f"regexp_replace(CAST({number} AS VARCHAR), '\\.0$', '')"


def _join(parts: list[str], source: Source) -> str:
    """The parts joined; empty when any part is (half an id is not an id)."""
    return f" || {literal(source.separator)} || ".join(parts)


def _choice(parts: list[str], source: Source) -> str:
    """yes when the select-multiple answer (option names separated by spaces, as
    KoboToolbox and ODK write it) holds the option, no when it holds only others; empty
    when the question was not answered."""
    answer = parts[0]
    options = f"string_split(lower(regexp_replace({answer}, '\\s+', ' ', 'g')), ' ')"
    return (f"CASE WHEN {answer} IS NULL THEN NULL "
            f"WHEN list_contains({options}, {literal(source.option.lower())}) THEN 'yes' ELSE 'no' END")


DERIVED = {"sum": _sum, "age": _age, "join": _join, "choice": _choice}


def _grid_select(plan: FilePlan, cells: str) -> str:
    """A register of persons × dates melted to one row per cell, person by person."""
    positions = list(plan.dates)
    marks = ", ".join(f"c{p}" for p in positions)
    headers = ", ".join(literal(plan.dates[p]) for p in positions)
    columns = ", ".join(str(p + 1) for p in positions)
    parts = ["record", "line", f"unnest([{columns}]) AS source_column"]
    for name, source in plan.sources.items():
        if name == "session_date":
            parts.append(f"unnest([{headers}]) AS session_date")
        elif name == "attended":
            parts.append(f"unnest([{marks}]) AS attended")
        else:
            parts.append(f"{_source_sql(source)} AS {quote(name)}")
    return f"SELECT {', '.join(parts)} FROM {cells}"


def dictionary_sql(column: Column, rows: str) -> str:
    """The column's distinct texts: ``key`` (to join rows on), ``clean`` (trimmed, NULL
    when empty; what quarantine shows), ``typed``, and ``rule``, the number of the first
    rule of ``column_rules`` the text fails (NULL when none). A mapped column's own
    answers (``_value_map``) are tried first: ``given`` is the code they give, else
    the text itself, and only ``given`` is typed."""
    clean = "coalesce(aai_clean(raw), '')" if column.parse == "mark" else "aai_clean(raw)"
    given, own = "clean", ""
    if column.mapped:
        given = "coalesce(m.code, clean)"
        own = f"LEFT JOIN _value_map m ON m.column_name = {literal(column.name)} AND m.folded = aai_fold(clean)"
    joins, typed, number = "", "d.given", "NULL::DOUBLE"
    if column.parse in ("code", "yes_no"):
        scale = column.scale or vocabulary.YES_NO
        joins = f"LEFT JOIN aai_vocabulary v ON v.scale = {literal(scale)} AND v.folded = aai_fold(d.given)"
        typed = "v.code" if column.parse == "code" else "(v.code = 'yes')"
    elif column.parse == "mark":
        joins = "LEFT JOIN aai_marks v ON v.folded = aai_fold(d.given)"
        typed = "CASE WHEN d.given = '' THEN false ELSE (v.attended = 'yes') END"
    elif column.parse == "date":
        typed = "aai_date(d.given)"
    elif column.parse == "integer":
        number = "aai_number(given)"
        value = "d.num"
        if column.reverse and column.bounds is not None:
            low, high = column.bounds
            value = f"CASE WHEN d.num BETWEEN {low} AND {high} THEN {low} + {high} - d.num ELSE d.num END"
        typed = f"CASE WHEN abs(d.num) <= {INTEGER_LIMIT} AND d.num % 1 = 0 THEN CAST({value} AS INTEGER) END"
    elif column.parse == "wave":
        typed = "aai_wave(d.given)"
    elif column.parse == "country":
        typed = "upper(d.given)"
    tried = " ".join(f"WHEN {rule.fails} THEN {number}" for number, rule in enumerate(column_rules(column)))
    return f"""
        SELECT key, clean, typed, CASE {tried} END AS rule FROM (
            SELECT d.raw AS key, d.clean, {typed} AS typed, d.num
            FROM (SELECT raw, clean, given, {number} AS num
                  FROM (SELECT raw, clean, {given} AS given
                        FROM (SELECT raw, {clean} AS clean
                              -- An empty cell is NULL, a quoted empty one '': one key for both,
                              -- or a row would match two entries.
                              FROM (SELECT DISTINCT coalesce({quote(column.name)}, '') AS raw FROM {rows})) {own})) d
            {joins})"""
