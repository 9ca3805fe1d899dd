"""Notes that say what the columns say once ``disclosure.impact.protect`` has hidden sizes.

Notes and sentences are worded with the sizes the impact stage computes; ``protect``
then hides those that would let an attacker pin a small count. A note that still
printed a hidden size would give it back, so each hidden size's words change with it:
an arm's lost count becomes "withheld to protect a small count" in its attrition note
and in the paired estimates that repeat that sentence, and a paired estimate's pairs
are no longer counted in its note or sentence. Change and DiD notes print the wave
cells, which ``indicators`` publishes, and dose-response notes print no count, so
hiding those sizes leaves their words true. The disclosure audit reads the notes back
(``disclosure.notes``).
"""

from __future__ import annotations

import duckdb

from pipelines.disclosure.impact import Hidden
from pipelines.impact import sentences
from pipelines.impact.attrition import lost_withheld_sentence
from pipelines.impact.change import pairs_withheld
from pipelines.impact.rules import PARTICIPANT

PAIRED_NOTES = ("UPDATE impact_estimates SET note = replace(note, ?, ?) "
                "WHERE programme_id = ? AND wave = ? AND method = 'paired_change'")


def reword(con: duckdb.DuckDBPyConnection, hidden: list[Hidden]) -> None:
    """Reword the notes and sentences that print a size ``protect`` hid."""
    for size in hidden:
        if size.table == "attrition":
            _lost(con, size.where)
        elif size.table == "impact_estimates" and size.where["method"] == "paired_change":
            _pairs(con, size.where, int(size.value))


def _clause(where: dict[str, str]) -> tuple[str, list[str]]:
    return " AND ".join(f'"{c}" = ?' for c in where), list(where.values())


def _lost(con: duckdb.DuckDBPyConnection, where: dict[str, str]) -> None:
    """The arm's attrition note, and the participants' paired notes that repeat it."""
    clause, params = _clause(where)
    n_baseline, old = con.execute(f"SELECT n_baseline, note FROM attrition WHERE {clause}", params).fetchone()
    new = lost_withheld_sentence(n_baseline, where["wave"])
    con.execute(f"UPDATE attrition SET note = ? WHERE {clause}", [new, *params]).fetchall()
    if where["arm"] == PARTICIPANT:
        con.execute(PAIRED_NOTES, [old, new, where["programme_id"], where["wave"]]).fetchall()


def _pairs(con: duckdb.DuckDBPyConnection, where: dict[str, str], n: int) -> None:
    """A paired row's note and sentence, without its number of pairs."""
    clause, params = _clause(where)
    note, sentence = con.execute(f"SELECT note, sentence FROM impact_estimates WHERE {clause}", params).fetchone()
    people = sentences.who("participants", where["group_id"], where["sex"], where["age_band"])
    note, sentence = pairs_withheld(note, sentence, people, where["wave"], n)
    con.execute(f"UPDATE impact_estimates SET note = ?, sentence = ? WHERE {clause}",
                [note, sentence, *params]).fetchall()
