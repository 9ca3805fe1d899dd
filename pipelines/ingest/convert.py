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

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import duckdb
import pandas as pd

from pipelines import vocabulary
from pipelines.ingest.normalise import VALUE_DISPLAY_CHARS, VALUE_KEPT_CHARS, contract_columns
from pipelines.ingest.plan import FilePlan
from schemas import CONTRACTS, KEYS, SQL_RULES

SQL_TYPES = {"yes_no": "BOOLEAN", "date": "DATE", "integer": "INTEGER"}
INTEGER_LIMIT = 2**31 - 1  # the staging column is INTEGER; beyond it nothing fits the contract anyway
# No contract value is longer (ids, codes, dates, names of groups): a longer cell is a
# pasted document or a broken quote, and costs its row or cell (``too_long``).
MAX_FIELD_CHARS = 10_000


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


def quote(name: str) -> str:
    """An identifier for SQL, whatever the user called it."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A string literal for SQL (constants come from plans, never from cells)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Column:
    name: str
    parse: str
    scale: str | None
    required: bool  # may not be empty (not nullable, or a key column)
    design: bool  # a design column (schemas/fields.py): a problem here costs the row
    checks: tuple  # pandera checks of the column


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
        out.append(Column(name, parse, meta.get("scale"), required, design, tuple(column.checks)))
    return out


def raw_select(plan: FilePlan, cells: str) -> str:
    """The contract columns as written (trimmed, NULL when empty), one row per data row."""
    if plan.layout == "grid":
        return _grid_select(plan, cells)
    parts = ["record", "line", "0 AS source_column"]
    for name, source in plan.sources.items():
        parts.append(f"{_source_sql(source)} AS {quote(name)}")
    for name, position in plan.submission.items():
        parts.append(f"aai_clean(c{position}) AS {quote(name)}")
    return f"SELECT {', '.join(parts)} FROM {cells}"


def _source_sql(source) -> str:
    if source.position is not None:
        return f"aai_clean(c{source.position})"
    if source.constant is not None:
        return f"aai_clean({literal(source.constant)})"
    return "NULL::VARCHAR"


def _grid_select(plan: FilePlan, cells: str) -> str:
    """A register of persons × dates melted to one row per cell, person by person."""
    positions = list(plan.dates)
    marks = ", ".join(f"coalesce(aai_clean(c{p}), '')" for p in positions)
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


def typed_select(kind: str, plan: FilePlan, raw: str) -> str:
    """Raw columns as ``raw_<name>``, converted ones as ``<name>`` (NULL where the
    text cannot be converted), ``num_<name>`` for integers before range checks."""
    parts = ["r.record", "r.line", "r.source_column"]
    joins = []
    for column in columns_of(kind, plan):
        value = f"r.{quote(column.name)}"
        parts.append(f"{value} AS {quote('raw_' + column.name)}")
        if column.parse in ("code", "yes_no"):
            alias = quote("v_" + column.name)
            scale = column.scale or vocabulary.YES_NO
            joins.append(f"LEFT JOIN aai_vocabulary {alias} ON {alias}.scale = {literal(scale)} "
                         f"AND {alias}.folded = aai_fold({value})")
            typed = f"{alias}.code" if column.parse == "code" else f"({alias}.code = 'yes')"
        elif column.parse == "mark":
            alias = quote("m_" + column.name)
            joins.append(f"LEFT JOIN aai_marks {alias} ON {alias}.folded = aai_fold({value})")
            typed = f"CASE WHEN {value} = '' THEN false ELSE ({alias}.attended = 'yes') END"
        elif column.parse == "date":
            typed = f"aai_date({value})"
        elif column.parse == "integer":
            parts.append(f"aai_number({value}) AS {quote('num_' + column.name)}")
            typed = (f"CASE WHEN abs(aai_number({value})) <= {INTEGER_LIMIT} AND aai_number({value}) % 1 = 0 "
                     f"THEN CAST(aai_number({value}) AS INTEGER) END")
        elif column.parse == "wave":
            typed = f"aai_wave({value})"
        elif column.parse == "country":
            typed = f"upper({value})"
        else:
            typed = value
        parts.append(f"{typed} AS {quote(column.name)}")
    for name in plan.submission:
        parts.append(f"r.{quote(name)}")
    return f"SELECT {', '.join(parts)} FROM ({raw}) r {' '.join(joins)}"


@dataclass(frozen=True)
class CellRule:
    """A way a cell fails: SQL true where it fails, the rule id and its reason."""

    column: Column
    fails: str
    rule: str
    reason: str  # SQL text expression


def cell_rules(kind: str, plan: FilePlan) -> list[CellRule]:
    """Every per-cell rule of the contract for this file; a cell over ``MAX_FIELD_CHARS``
    fails only ``too_long``."""
    rules = []
    for column in columns_of(kind, plan):
        raw = quote("raw_" + column.name)
        too_long = f"length({raw}) > {MAX_FIELD_CHARS}"
        found = _column_rules(column, plan)
        if found and _present(plan, column.name):
            rules.append(CellRule(column, too_long, "too_long",
                                  f"{literal(column.name)} || ': the cell holds ' || format('{{:,}}', length({raw})) "
                                  f"|| ' characters, more than any answer ({MAX_FIELD_CHARS:,}); check for a pasted text "
                                  "or a quotation mark that is not closed'"))
            found = [CellRule(r.column, f"({r.fails}) AND NOT coalesce({too_long}, false)", r.rule, r.reason)
                     for r in found]
        rules += found
    return rules


def _column_rules(column: Column, plan: FilePlan) -> list[CellRule]:
    """The rules of one column: missing, parse failures, required, contract checks."""
    rules = []
    raw, typed = quote("raw_" + column.name), quote(column.name)
    shown = f"aai_short({raw}, {VALUE_DISPLAY_CHARS})"
    name = literal(column.name)
    if not _present(plan, column.name):
        if column.required:
            problem = next((p for p in plan.problems if p.column == column.name), None)
            if problem is not None:
                rules.append(CellRule(column, "true", "missing_column", literal(problem.message)))
        return rules
    if column.parse in ("code", "yes_no"):
        scale = column.scale or vocabulary.YES_NO
        expected = ", ".join(vocabulary.codes(scale))
        rules.append(CellRule(column, f"{raw} IS NOT NULL AND {typed} IS NULL", "unknown_code",
                              f"{name} || ': ''' || {shown} || ''' is not an answer of the questionnaire; expected one of "
                              f"{expected} (or its label in en, ru, uk, be or pl)'"))
    elif column.parse == "mark":
        rules.append(CellRule(column, f"{typed} IS NULL", "unknown_mark", _mark_reason(shown)))
    elif column.parse == "date":
        rules.append(CellRule(column, f"{raw} IS NOT NULL AND {typed} IS NULL", "bad_date",
                              f"{name} || ': ''' || {shown} || ''' is not a valid date; "
                              "write it as YYYY-MM-DD or DD.MM.YYYY'"))
    elif column.parse == "integer":
        number = quote("num_" + column.name)
        rules += [
            CellRule(column, f"{raw} IS NOT NULL AND {number} IS NULL", "not_a_number",
                     f"{name} || ': ''' || {shown} || ''' is not a number'"),
            CellRule(column, f"{number} IS NOT NULL AND NOT (abs({number}) <= {INTEGER_LIMIT})", "out_of_range",
                     f"{name} || ': ' || {shown} || ' is far outside any value this column can hold; check the cell'"),
            CellRule(column, f"abs({number}) <= {INTEGER_LIMIT} AND {number} % 1 <> 0", "not_a_whole_number",
                     f"{name} || ': ' || {shown} || ' is not a whole number'"),
        ]
    elif column.parse == "wave":
        rules.append(CellRule(column, f"{raw} IS NOT NULL AND {typed} IS NULL", "unknown_code",
                              f"'wave: ''' || {shown} || ''' is not a wave; expected baseline, followup1, followup2, …'"))
    if column.required and column.parse != "mark":
        rules.append(CellRule(column, f"{raw} IS NULL", "required", f"{name} || ' is empty; it is required'"))
    rules += _contract_checks(column, typed, shown)
    return rules


def _present(plan: FilePlan, name: str) -> bool:
    """Whether the file gives this column: from a source, or (a grid) from its dates and marks."""
    source = plan.sources[name]
    return source.position is not None or source.constant is not None or (
        plan.layout == "grid" and name in ("session_date", "attended"))


def _mark_reason(shown: str) -> str:
    letter = ("CASE WHEN source_column <= 26 THEN chr(64 + source_column) "
              "ELSE chr(64 + (source_column - 1) // 26) || chr(65 + (source_column - 1) % 26) END")
    return (f"'cell ' || {letter} || record || ' (line ' || line || ', column ' || raw_session_date || '): mark ''' "
            f"|| {shown} || ''' is not a register mark; write x or + for present, leave the cell empty or "
            "write - for absent'")


def _contract_checks(column: Column, typed: str, shown: str) -> list[CellRule]:
    """The pandera checks of a column as SQL (see schemas/fields.py)."""
    rules = []
    for check in column.checks:
        stats = check.statistics
        if check.name == "in_range":
            low, high = stats["min_value"], stats["max_value"]
            rules.append(CellRule(column, f"{typed} NOT BETWEEN {low} AND {high}", "out_of_range",
                                  f"{literal(column.name)} || ' is ' || {typed} || '; expected {low}–{high}'"))
        elif check.name == "isin":
            allowed = ", ".join(literal(str(v)) for v in stats["allowed_values"])
            rules.append(CellRule(column, f"{typed} NOT IN ({allowed})", "unknown_code",
                                  f"{literal(column.name)} || ': ''' || {shown} || ''' is not one of the contract''s codes'"))
        elif check.name == "str_matches":
            pattern = stats["pattern"]
            rule = "bad_country" if column.name == "country" else "str_matches"
            reason = (f"'country ''' || {shown} || ''' is not a two-letter ISO code such as BY, UA or PL'"
                      if column.name == "country" else
                      f"{literal(column.name)} || ': ''' || {shown} || ''' fails the rule str_matches'")
            rules.append(CellRule(column, f"NOT regexp_matches({typed}, {literal(pattern)})", rule, reason))
        else:
            raise ValueError(f"no SQL twin for the check {check.name} of {column.name}; add one in convert.py")
    return rules


def row_rules(kind: str) -> list[tuple]:
    """(rule, column, fails SQL, reason SQL) for the contract's row rules."""
    out = []
    for rule in SQL_RULES[kind]:
        value = f"coalesce({quote('raw_' + rule.column)}, '')"
        out.append((rule.name, rule.column, f"NOT ({rule.passes})", rule.reason.format(value=value)))
    return out


def kept_value(column: str) -> str:
    return f"aai_short(coalesce({quote('raw_' + column)}, ''), {VALUE_KEPT_CHARS})"
