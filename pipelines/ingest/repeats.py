"""Repeat groups of KoboToolbox and ODK Central forms, read joined to their parent.

A form that loops over something — the people present at a session, the sessions of a
group — exports the loop as a table of its own, one row per repetition, linked to the
row of the submission it belongs to. It is the natural shape of an attendance register
kept in a form: the session (group, date, activity) once in the parent, the people
(participant, present) in the repeat. Neither table is a contract file alone; joined,
each repetition is one attendance row.

- KoboToolbox (XLS/XLSX export): each repeat group is a sheet named after it; its rows
  carry ``_parent_table_name`` (the parent's sheet) and ``_parent_index`` (the parent
  row's ``_index``).
- ODK Central (CSV zip): each repeat group is a file ``<form>-<repeat>.csv`` beside
  ``<form>.csv``; its rows carry ``PARENT_KEY``, the parent row's ``KEY``.

The repeat's rows are read as the entry (their record and line numbers are the
repeat's own), each given the columns of its parent row in DuckDB (a LEFT JOIN over
the two files' cells): the parent's columns are appended to the repeat's header, and
the plan, the mapping and the per-cell quarantine see one file. A repeat row whose
parent row is not found is quarantined whole (``no_parent_row``, with the value it
links by), and the log says how many; it also counts parent rows that no repeat row
names (a session with nobody listed loads nothing).
A parent that is no contract file on its own is then ``skipped``, its log naming the
repeat group that read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.cells import Cells, read_cells
from pipelines.ingest.normalise import header_key

# (the repeat's link column, the parent's key column), as header keys
KOBO = ("_parent_index", "_index")
ODK_CENTRAL = ("parent_key", "key")
KOBO_PARENT_SHEET = "_parent_table_name"


@dataclass(frozen=True)
class Text:
    """A delimited UTF-8 text ready for ``read_cells``: a file, its transcoded copy, or
    a sheet written as CSV."""

    path: Path
    delimiter: str
    header: list[str]
    skip: frozenset[int]  # records that are not data (the header, rows above it, an HXL row)
    name: str  # as logged: Form.csv, book.xlsx#Form
    encoding: str = "utf-8"  # of the file as sent (the text itself is UTF-8)
    header_line_only: bool = False  # a quote in the header ran on: records are read from line 2


@dataclass(frozen=True)
class Parent:
    """How a repeat's rows get their parent row's columns."""

    text: Text
    key: int  # the parent's key column (_index, KEY)
    link: int  # the repeat's column naming its parent row (_parent_index, PARENT_KEY)
    columns: tuple[int, ...]  # the parent's columns appended to the repeat's header, in order

    def header(self, child: list[str]) -> list[str]:
        return child + [self.text.header[j] for j in self.columns]


def link(child: list[str], parent: Text, shape: tuple[str, str]) -> Parent | None:
    """The join of a repeat with this header to ``parent``; None when either lacks its column."""
    child_keys = [header_key(cell) for cell in child]
    parent_keys = [header_key(cell) for cell in parent.header]
    link_column, key_column = shape
    if link_column not in child_keys or key_column not in parent_keys:
        return None
    # the parent's columns the repeat does not have itself (its own _index, KEY, … win)
    columns = tuple(j for j, key in enumerate(parent_keys) if key and key not in child_keys)
    return Parent(parent, parent_keys.index(key_column), child_keys.index(link_column), columns)


def is_repeat(header: list[str], shape: tuple[str, str]) -> bool:
    return shape[0] in {header_key(cell) for cell in header}


def odk_parent_name(source_file: str) -> str | None:
    """``forms/Visit-people.csv`` → ``forms/Visit.csv``: ODK Central names a repeat's file
    after its parent's, with ``-<repeat>`` added."""
    match = re.fullmatch(r"(.*)-[^/-]+(\.[^./]+)", source_file)
    return f"{match.group(1)}{match.group(2)}" if match else None


def kobo_parent_sheet(header: list[str], rows: list[list[str]]) -> str | None:
    """The sheet a Kobo repeat sheet's rows name as their parent (its first filled value)."""
    keys = [header_key(cell) for cell in header]
    if KOBO_PARENT_SHEET not in keys:
        return None
    column = keys.index(KOBO_PARENT_SHEET)
    return next((row[column].strip() for row in rows if column < len(row) and row[column].strip()), None)


def read_joined(con, child: Text, parent: Parent, needed: list[int], table: str,
                work_dir: Path, read: list[Cells]) -> tuple[Cells, list[str]]:
    """The repeat's records with their parent row's columns, as the cells view ``table``
    (positions past the repeat's header are the parent's ``columns``), and the log's
    notes on rows that found no partner. Every cells read, the repeat's first, is
    added to ``read`` as it is made, for the caller to drop whatever happens."""
    width = len(child.header)
    own = sorted({p for p in needed if p < width} | {parent.link})
    theirs = {width + i: parent.columns[i] for i in range(len(parent.columns)) if width + i in needed}
    rows, parents = Cells(f"{table}_repeat"), Cells(f"{table}_parent")
    read += [rows, parents]
    read_cells(con, rows, child.path, child.delimiter, width, own, work_dir, skip_records=child.skip,
               header_line_only=child.header_line_only)
    read_cells(con, parents, parent.text.path, parent.text.delimiter, len(parent.text.header),
               sorted(set(theirs.values()) | {parent.key}), work_dir, skip_records=parent.text.skip,
               header_line_only=parent.text.header_line_only)
    link_value, key_value = f"aai_clean(r.c{parent.link})", f"aai_clean(c{parent.key})"
    # one parent row per key: a key written twice would give its repeat rows twice
    first = (f"SELECT *, {key_value} AS _key FROM {parents.table} "
             f"QUALIFY row_number() OVER (PARTITION BY {key_value} ORDER BY record) = 1")
    joins = f"FROM {rows.table} r LEFT JOIN ({first}) p ON p._key = {link_value}"
    selected = "".join([f", r.c{p}" for p in own] + [f", p.c{j} AS c{p}" for p, j in theirs.items()])
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT r.record, r.line{selected} {joins} "
                "WHERE p._key IS NOT NULL")
    # a row whose parent row is missing has none of the parent's columns: one record
    # problem (the value it links by), never a row of empty session columns
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_problems AS SELECT * FROM {rows.problems} UNION ALL "
                f"SELECT r.record, r.line, 'no_parent_row', coalesce({link_value}, '') {joins} WHERE p._key IS NULL")
    joined = Cells(table, rows=_count(con, f"SELECT count(*) FROM {table}"), notes=rows.notes + parents.notes)
    read.append(joined)
    orphans = rows.rows - joined.rows
    links = f"SELECT {link_value} FROM {rows.table} r WHERE {link_value} IS NOT NULL"
    childless = _count(con, f"SELECT count(*) FROM {parents.table} WHERE {key_value} IS NULL "
                            f"OR {key_value} NOT IN ({links})")
    twice = _count(con, f"SELECT count(*) FROM (SELECT {key_value} AS k FROM {parents.table} "
                        "WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)")
    names = (child.header[parent.link].strip(), parent.text.header[parent.key].strip())
    notes = [f"a repeat group: each row is read with the columns of the row of {parent.text.name} its "
             f"{names[0]} names"]
    if orphans:
        notes.append(f"{orphans:,} rows name no row of {parent.text.name} (no {names[1]} equal to their "
                     f"{names[0]}) and were quarantined (no_parent_row)")
    if childless:
        notes.append(f"{childless:,} rows of {parent.text.name} have no row in this repeat group, so nothing of "
                     "them is loaded")
    if twice:
        notes.append(f"{twice:,} values of {names[1]} stand on several rows of "
                     f"{parent.text.name}; the first of each was used")
    return joined, notes


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchall()[0][0]
