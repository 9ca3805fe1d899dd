"""The ways a cell can fail, as SQL, derived from the contract.

Each rule has a predicate over a column dictionary's ``clean`` (the trimmed text),
``typed`` and ``num`` values (``convert.dictionary_sql``), a stable rule id, and a
reason over the row (``raw_<name>`` as written, ``<name>`` typed) that a field officer
can act on. The pandera checks of the contract (``isin``, ``in_range``,
``str_matches``, not nullable) are turned into rules here, so a column's rules are
declared once, in ``schemas/``; the row rules are the SQL twins beside each schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines import vocabulary
from pipelines.ingest.normalise import VALUE_DISPLAY_CHARS, VALUE_KEPT_CHARS
from pipelines.ingest.sqltext import literal, quote
from schemas import SQL_RULES

INTEGER_LIMIT = 2**31 - 1  # the staging column is INTEGER; beyond it nothing fits the contract anyway
# No contract value is longer (ids, codes, dates, names of groups): a longer cell is a
# pasted document or a broken quote, and costs its row or cell (``too_long``).
MAX_FIELD_CHARS = 10_000


@dataclass(frozen=True)
class Column:
    """A contract column as ingestion reads it (from the schema's field metadata)."""

    name: str
    parse: str  # text, code, yes_no, date, integer, wave, country; mark in a grid register
    scale: str | None
    required: bool  # may not be empty (not nullable, or a key column)
    design: bool  # a design column (schemas/fields.py): a problem here costs the row
    checks: tuple  # pandera checks of the column
    mapped: bool = False  # a mapping file gives its own answers (the _value_map table)
    reverse: bool = False  # a numbered item asked the other way round, mirrored in its range

    @property
    def bounds(self) -> tuple[int, int] | None:
        for check in self.checks:
            if check.name == "in_range":
                return check.statistics["min_value"], check.statistics["max_value"]
        return None


@dataclass(frozen=True)
class CellRule:
    column: Column
    fails: str
    rule: str
    reason: str  # SQL text expression over the row


def column_rules(column: Column) -> list[CellRule]:
    """The rules of a present column in the order they are tried (a cell fails the
    first only): too long, not convertible, empty though required, pandera checks."""
    raw, typed = quote("raw_" + column.name), quote(column.name)
    shown = f"aai_short({raw}, {VALUE_DISPLAY_CHARS})"
    name = literal(column.name)
    rules = [CellRule(column, f"length(clean) > {MAX_FIELD_CHARS}", "too_long",
                      f"{name} || ': the cell holds ' || format('{{:,}}', length({raw})) || ' characters, more "
                      f"than any answer ({MAX_FIELD_CHARS:,}); check for a pasted text or a quotation mark that is "
                      "not closed'")]
    # a mapped column's answers may also be those its mapping file lists: the reason says so
    own = ", or an answer its mapping file lists" if column.mapped else ""
    if column.parse in ("code", "yes_no"):
        expected = ", ".join(vocabulary.codes(column.scale or vocabulary.YES_NO))
        rules.append(CellRule(column, "clean IS NOT NULL AND typed IS NULL", "unknown_code",
                              f"{name} || ': ''' || {shown} || ''' is not an answer of the questionnaire; expected "
                              f"one of {expected} (or its label in en, ru, uk, be or pl{own})'"))
    elif column.parse == "mark":
        rules.append(CellRule(column, "typed IS NULL", "unknown_mark", _mark_reason(shown)))
    elif column.parse == "date":
        rules.append(CellRule(column, "clean IS NOT NULL AND typed IS NULL", "bad_date",
                              f"{name} || ': ''' || {shown} || ''' is not a valid date; "
                              "write it as YYYY-MM-DD or DD.MM.YYYY'"))
    elif column.parse == "integer":
        rules += [
            CellRule(column, "clean IS NOT NULL AND num IS NULL", "not_a_number",
                     f"{name} || ': ''' || {shown} || ''' is not a number{own.replace(', or', ' nor')}'"),
            CellRule(column, f"NOT (abs(num) <= {INTEGER_LIMIT})", "out_of_range",
                     f"{name} || ': ' || {shown} || ' is far outside any value this column can hold; check the cell'"),
            CellRule(column, "num % 1 <> 0", "not_a_whole_number",
                     f"{name} || ': ' || {shown} || ' is not a whole number'"),
        ]
    elif column.parse == "wave":
        rules.append(CellRule(column, "clean IS NOT NULL AND typed IS NULL", "unknown_code",
                              f"'wave: ''' || {shown} || ''' is not a wave; expected baseline, followup1, followup2, …'"))
    if column.required and column.parse != "mark":
        rules.append(CellRule(column, "clean IS NULL", "required", f"{name} || ' is empty; it is required'"))
    return rules + _contract_checks(column, typed, shown)


def item_rules(item: str, scale: tuple[float, float, str] | None) -> list[tuple[str, str, str]]:
    """(rule, fails, reason) of an answer to a declared measure's item, in the order they
    are tried, over ``clean`` (as written) and ``num`` (its number, ``aai_number``). A
    declared rule runs over numbers, so an answer must be one, and inside the
    ``item_scale`` its declarations give (``scale``: low, high, who says so)."""
    name, shown = literal(item), f"aai_short(clean, {VALUE_DISPLAY_CHARS})"
    rules = [("not_a_number", "num IS NULL",
              f"{name} || ': ''' || {shown} || ''' is not a number; a declared measure reads its items as numbers'")]
    if scale is not None:
        low, high, said = scale
        expected = literal(f"; expected {low:g}–{high:g} ({said})")
        rules.append(("out_of_range", f"num NOT BETWEEN {low!r} AND {high!r}",
                      f"{name} || ' is ' || {shown} || {expected}"))
    return rules


def _mark_reason(shown: str) -> str:
    letter = ("CASE WHEN source_column <= 26 THEN chr(64 + source_column) "
              "ELSE chr(64 + (source_column - 1) // 26) || chr(65 + (source_column - 1) % 26) END")
    return (f"'cell ' || {letter} || record || ' (line ' || line || ', column ' || raw_session_date || '): mark ''' "
            f"|| {shown} || ''' is not a register mark; write x or + for present, leave the cell empty or "
            "write - for absent'")


def _contract_checks(column: Column, typed: str, shown: str) -> list[CellRule]:
    """The pandera checks of a column (see schemas/fields.py) as rules."""
    rules = []
    for check in column.checks:
        stats = check.statistics
        if check.name == "in_range":
            low, high = stats["min_value"], stats["max_value"]
            rules.append(CellRule(column, f"typed NOT BETWEEN {low} AND {high}", "out_of_range",
                                  f"{literal(column.name)} || ' is ' || {typed} || '; expected {low}–{high}'"))
        elif check.name == "isin":
            allowed = ", ".join(literal(str(v)) for v in stats["allowed_values"])
            rules.append(CellRule(column, f"typed NOT IN ({allowed})", "unknown_code",
                                  f"{literal(column.name)} || ': ''' || {shown} || ''' is not one of the contract''s codes'"))
        elif check.name == "str_matches":
            if column.name == "country":
                rule, reason = "bad_country", f"'country ''' || {shown} || ''' is not a two-letter ISO code such as BY, UA or PL'"
            else:
                rule, reason = "str_matches", f"{literal(column.name)} || ': ''' || {shown} || ''' fails the rule str_matches'"
            rules.append(CellRule(column, f"NOT regexp_matches(typed, {literal(stats['pattern'])})", rule, reason))
        else:
            raise ValueError(f"no SQL twin for the check {check.name} of {column.name}; add one in cell_rules.py")
    return rules


def row_rules(kind: str, raw) -> list[tuple[str, str, str, str]]:
    """(rule, column, fails, reason) for the contract's row rules over typed rows;
    ``raw(column)`` is the SQL of a column's value as written."""
    out = []
    for rule in SQL_RULES[kind]:
        value = f"coalesce({raw(rule.column)}, '')"
        out.append((rule.name, rule.column, f"NOT ({rule.passes})", rule.reason.format(value=value)))
    return out


def kept_value(raw: str) -> str:
    """The value a quarantine record keeps (``raw`` is its SQL): as written, cut to
    VALUE_KEPT_CHARS."""
    return f"aai_short(coalesce({raw}, ''), {VALUE_KEPT_CHARS})"
