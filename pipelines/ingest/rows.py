"""One file's cells → typed rows in ``staging_<kind>`` and problems in ``staging_problems``.

Per contract column, a dictionary of the column's distinct texts (``convert.py``)
gives each text its typed value and the first rule it fails. Then, in as few passes
over the rows as possible:

1. the rows, joined to the dictionaries, go to staging in one INSERT; an optional item
   that failed is NULL there; a row keeps its contract columns as written (``record``)
   only when something in it failed, because only quarantine shows them;
2. problems come from the rows whose text is one of the failing dictionary entries
   (usually none), from the row rules over the staged rows that kept a record, from a
   register's session columns where nobody is marked, and from the records that gave
   no row at all (``cells.py``).

A mapping's declared indicators read items outside the contract (``plan.items``):
their answers go to ``staging_items`` as numbers, and one that is not a number, or
lies outside its ``item_scale``, is NULL there and a problem of its cell, exactly as
an optional contract item's.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.ingest.cell_rules import MAX_FIELD_CHARS, Column, column_rules, item_rules, kept_value, row_rules
from pipelines.ingest.cells import RULE_REASONS, Cells
from pipelines.ingest.convert import SQL_TYPES, columns_of, dictionary_sql, present, rows_view, value_map
from pipelines.ingest.plan import FilePlan
from pipelines.ingest.pseudonym import pseudonym
from pipelines.ingest.sqltext import literal, quote


def convert_file(con: duckdb.DuckDBPyConnection, plan: FilePlan, source_file: str, cells: Cells,
                 key: bytes | None) -> None:
    """Stage the rows of one file and record every problem; ``key`` is the salt for
    pseudonymous participant ids (None: ids are kept as sent)."""
    columns = columns_of(plan.kind, plan)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _rows AS {rows_view(plan, cells.table)}")
    dictionaries: dict[str, str] = {}
    try:
        _value_map(con, plan)
        if plan.items:
            _item_cells(con, plan, cells)
        for index, column in enumerate(columns):
            if present(plan, column.name):
                dictionaries[column.name] = f"_dictionary{index}"
                con.execute(f"CREATE OR REPLACE TEMP TABLE _dictionary{index} AS {dictionary_sql(column, '_rows')}")
                if column.name == "participant_id" and key is not None:
                    _pseudonymise(con, f"_dictionary{index}", key)
        params = {"file": source_file, "kind": plan.kind}
        _stage(con, plan, columns, dictionaries, params)
        staged = con.execute(f"SELECT count(*) FROM staging_{plan.kind} WHERE source_file = ?", [source_file]).fetchall()
        if staged[0][0] != cells.rows * plan.cells_per_record:
            # A guard, not a rule: every row is staged exactly once, or the file is not loaded.
            raise RuntimeError("staged rows do not match the rows read")
        selects = _cell_problems(con, plan, columns, dictionaries) + _row_rule_problems(plan)
        if plan.items:
            selects.append(ITEM_PROBLEMS)
        if plan.layout == "grid":
            selects.append(SESSION_NOT_MARKED)
        selects.append(_record_problems(cells))
        con.execute("INSERT INTO staging_problems " + " UNION ALL ".join(selects),
                    {**params, "record_columns": [p + 1 for p in plan.dates] if plan.layout == "grid" else [0]})
        if plan.items:
            con.execute(STAGE_ITEMS, {"file": source_file, "mapping": plan.mapping})
    finally:
        con.execute("DROP VIEW IF EXISTS _rows")
        con.execute("DROP TABLE IF EXISTS _items")
        con.execute("DROP TABLE IF EXISTS _value_map")
        for dictionary in dictionaries.values():
            con.execute(f"DROP TABLE IF EXISTS {dictionary}")


def _value_map(con, plan: FilePlan) -> None:
    """A mapping file's own answers of this file's columns, folded as cells are: one
    entry per folded answer (a spelling listed under two languages gives one code, as
    the mapping's check ensures), or a cell would join twice."""
    frame = pd.DataFrame(value_map(plan), columns=["column_name", "answer", "code"], dtype="str")
    con.register("_answers", frame)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _value_map AS "
                    "SELECT column_name, aai_fold(answer) AS folded, min(code) AS code FROM _answers GROUP BY ALL")
    finally:
        con.unregister("_answers")


def _pseudonymise(con, dictionary: str, key: bytes) -> None:
    """Replace each id of the dictionary by its salted pseudonym, as written and typed:
    the raw id is then kept nowhere, not even in a quarantine record."""
    ids = [row[0] for row in con.execute(f"SELECT DISTINCT clean FROM {dictionary} WHERE clean IS NOT NULL").fetchall()]
    mapping = pd.DataFrame({"id": pd.Series(ids, dtype="str"),
                            "pseudonym": pd.Series([pseudonym(i, key) for i in ids], dtype="str")})
    con.register("_pseudonyms", mapping)
    try:
        con.execute(f"UPDATE {dictionary} SET clean = p.pseudonym, typed = p.pseudonym "
                    f"FROM _pseudonyms p WHERE {dictionary}.clean = p.id")
    finally:
        con.unregister("_pseudonyms")


def _missing_reason(plan: FilePlan, column: Column) -> str | None:
    """The one sentence for a required column the file lacks (every row gets it)."""
    if present(plan, column.name) or not column.required:
        return None
    problem = next((p for p in plan.problems if p.column == column.name), None)
    return None if problem is None else problem.message


def _typed_rows(plan: FilePlan, columns: list[Column], dictionaries: dict[str, str]) -> str:
    """Every row with, per column, ``raw_<name>`` (trimmed text), ``<name>`` (typed) and
    ``rule_<name>`` (the number of the rule it fails, NULL when none)."""
    selected, joins = ["r.record", "r.line", "r.source_column"], []
    for column in columns:
        raw, typed, rule = (quote(prefix + column.name) for prefix in ("raw_", "", "rule_"))
        dictionary = dictionaries.get(column.name)
        if dictionary is not None:
            joins.append(f"LEFT JOIN {dictionary} ON {dictionary}.key = coalesce(r.{quote(column.name)}, '')")
            selected += [f"{dictionary}.clean AS {raw}", f"{dictionary}.typed AS {typed}", f"{dictionary}.rule AS {rule}"]
        else:
            missing = "-1" if _missing_reason(plan, column) else "NULL::INTEGER"
            selected += [f"NULL::VARCHAR AS {raw}", f"NULL::{SQL_TYPES.get(column.parse, 'VARCHAR')} AS {typed}",
                         f"{missing} AS {rule}"]
    selected += [f"r.{quote(name)}" for name in plan.submission]
    return f"SELECT {', '.join(selected)} FROM _rows r {' '.join(joins)}"


def _stage(con, plan: FilePlan, columns: list[Column], dictionaries: dict[str, str], params: dict) -> None:
    """The typed rows in one pass; an optional item that failed is NULL."""
    values = []
    for column in columns:
        typed, rule = quote(column.name), quote("rule_" + column.name)
        values.append(typed if column.design else f"CASE WHEN {rule} IS NULL THEN {typed} END AS {typed}")
    failed = [f"{quote('rule_' + c.name)} IS NOT NULL" for c in columns]
    failed += [f"coalesce({fails}, false)" for _, _, fails, _ in row_rules(plan.kind, _raw_column)]
    if plan.items:  # an unreadable item keeps the row's record for quarantine, as a contract item's does
        failed.append("record IN (SELECT record FROM _items WHERE rule IS NOT NULL)")
    # a cell too long for any answer is cut in the record too: quarantine keeps what a
    # person needs to fix the row, not a pasted document
    record = ", ".join(f"{quote(c.name)} := aai_short(coalesce({quote('raw_' + c.name)}, ''), {MAX_FIELD_CHARS})"
                       for c in columns)
    submission = ", submission_id, TRY_CAST(submitted_at AS TIMESTAMP) AS submitted_at" if plan.submission else ""
    con.execute(
        f"INSERT INTO staging_{plan.kind} BY NAME SELECT {', '.join(values)}, $file AS source_file, "
        f"record AS source_row, line AS source_line, source_column, "
        f"CASE WHEN {' OR '.join(failed)} THEN to_json(struct_pack({record})) END AS record{submission} "
        f"FROM ({_typed_rows(plan, columns, dictionaries)})",
        {"file": params["file"]},
    )


def _item_cells(con, plan: FilePlan, cells: Cells) -> None:
    """``_items``: every answer to a declared indicator's item (empty ones left out), as
    written (``clean``), its number (``num``), and the rule it fails with the reason
    (``cell_rules.item_rules``; NULL when it reads)."""
    selects = []
    for item, position in plan.items.items():
        rules = item_rules(item, plan.item_scales.get(item))
        rule = "CASE " + " ".join(f"WHEN {fails} THEN {literal(name)}" for name, fails, _ in rules) + " END"
        reason = "CASE " + " ".join(f"WHEN {fails} THEN {text}" for _, fails, text in rules) + " END"
        selects.append(
            f"SELECT record, line, {literal(item)} AS item, clean, num, {rule} AS rule, {reason} AS reason "
            f"FROM (SELECT record, line, clean, aai_number(clean) AS num "
            f"      FROM (SELECT record, line, aai_clean(c{position}) AS clean FROM {cells.table})) "
            f"WHERE clean IS NOT NULL"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _items AS {' UNION ALL '.join(selects)}")


# The items' answers of every row: an answer that cannot be read is NULL, like a
# contract item's, and its cell is quarantined (ITEM_PROBLEMS) while the row loads.
STAGE_ITEMS = """
INSERT INTO staging_items
SELECT $file, record, line, 0, $mapping, item, CASE WHEN rule IS NULL THEN num END FROM _items
"""

ITEM_PROBLEMS = f"""
SELECT $file, record, line, 0, 'survey_items', item, rule, {kept_value('clean')}, reason, 'cell'
FROM _items WHERE rule IS NOT NULL
"""


def _raw_column(column: str) -> str:
    return quote("raw_" + column)


def _record_column(column: str) -> str:
    return f"json_extract_string(record, {literal('$.' + column)})"


def _cell_problems(con, plan: FilePlan, columns: list[Column], dictionaries: dict[str, str]) -> list[str]:
    """A SELECT per column with failing texts: the rows holding them, with reasons."""
    selects = []
    session = "r.session_date AS raw_session_date, " if plan.layout == "grid" else ""
    for column in columns:
        effect = "row" if column.design else "cell"
        name = literal(column.name)
        missing = _missing_reason(plan, column)
        if missing is not None:
            selects.append(f"SELECT $file, record, line, source_column, $kind, {name}, 'missing_column', '', "
                           f"{literal(missing)}, '{effect}' FROM _rows")
            continue
        dictionary = dictionaries.get(column.name)
        if dictionary is None or not con.execute(
                f"SELECT count(*) FROM {dictionary} WHERE rule IS NOT NULL").fetchall()[0][0]:
            continue
        rules = column_rules(column)
        rule = quote("rule_" + column.name)
        which = "CASE " + " ".join(f"WHEN {rule} = {n} THEN {literal(r.rule)}" for n, r in enumerate(rules)) + " END"
        reason = "CASE " + " ".join(f"WHEN {rule} = {n} THEN {r.reason}" for n, r in enumerate(rules)) + " END"
        selects.append(
            f"SELECT $file, record, line, source_column, $kind, {name}, {which}, {kept_value(_raw_column(column.name))}, "
            f"{reason}, '{effect}' FROM (SELECT r.record, r.line, r.source_column, {session}"
            f"d.clean AS {quote('raw_' + column.name)}, d.typed AS {quote(column.name)}, d.rule AS {rule} "
            f"FROM _rows r JOIN (SELECT * FROM {dictionary} WHERE rule IS NOT NULL) d "
            f"ON d.key = coalesce(r.{quote(column.name)}, ''))"
        )
    return selects


def _row_rule_problems(plan: FilePlan) -> list[str]:
    """The contract's row rules over this file's staged rows (only rows that failed
    something keep a record, so only those are looked at)."""
    return [
        f"SELECT $file, source_row, source_line, source_column, $kind, {literal(column)}, {literal(name)}, "
        f"{kept_value(_record_column(column))}, {reason}, 'row' FROM staging_{plan.kind} "
        f"WHERE source_file = $file AND record IS NOT NULL AND {fails}"
        for name, column, fails, reason in row_rules(plan.kind, _record_column)
    ]


# A register pre-printed with dates leaves the columns of sessions never held empty;
# reading them as "everyone absent" would lower every attendance rate.
SESSION_NOT_MARKED = """
SELECT $file, record, line, source_column, $kind, 'attended', 'session_not_marked', '',
       'nobody is marked in the column of ' || session_date || ', so that session is taken as not held '
       || 'and its cells are not loaded; if it was held, mark who came (x) and who did not (-)', 'row'
FROM _rows
WHERE source_column IN (SELECT source_column FROM _rows GROUP BY ALL
                        HAVING bool_and(coalesce(aai_clean(attended), '') = ''))
"""


def _record_problems(cells: Cells) -> str:
    """Records that gave no row (ragged, broken quotes, too long, over the cap): one
    problem per row they would have given (per date column of a grid register)."""
    reasons = " ".join(f"WHEN {literal(rule)} THEN {literal(text)}" for rule, text in RULE_REASONS.items())
    return (f"SELECT $file, p.record, p.line, c.source_column, $kind, '', p.rule, p.value, CASE p.rule {reasons} END, "
            f"'row' FROM {cells.problems} p CROSS JOIN (SELECT unnest($record_columns) AS source_column) c")
