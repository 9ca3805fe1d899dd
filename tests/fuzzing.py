"""Hostile files for the reader: hypothesis strategies and a seeded byte mutator.

What the drop zone may hold, beyond what programmes mean to send: any encoding, any
delimiter, quotes and newlines inside cells, BOMs and NULs, huge numbers, impossible
dates, duplicate and misspelt headers, random bytes. Used by the property tests
(``test_properties.py``) and the fuzz campaign (``test_fuzz.py``).
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
from hypothesis import strategies as st

from pipelines.ingest.discover import file_entry
from pipelines.ingest.stage import stage_files
from pipelines.validate.warehouse_tables import build_tables

HEADERS = ["participant_id", "programme_id", "group_id", "arm", "wave", "interview_date", "consent", "sex",
           "birth_year", "who5_1", "session_date", "attended", "duration_minutes", "start_date", "country",
           "Participant_ID", " wave ", "interview_dat", "who5_33", "full_name", "phone", "01.03.2024",
           "08.03.2024", "_submission_time", "meta/rootUuid", "Год рождения", ""]
CELLS = ["", "P1", "BRC-WWC", "BY-GRO-001", "participant", "baseline", "Follow-up 1", "yes", "да", "ні", "x",
         "2024-03-15", "15.03.2024", "31.02.2024", "45292", "2031-01-01", "1950", "67", "7", "90,0",
         "99999999999999999999", "1e400", "-0", "NaN", "n/a", "\"", "\"\"", "a\nb", "a\r\nb", ";", ",", "\t",
         "\x00", "\ufeff", "Ольга", "Łódź", "+380 00 000 00 17", "x" * 300]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1251", "cp1250"]
DELIMITERS = [",", ";", "\t"]


def _quoted(cell: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or any(c in cell for c in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def delimited_files(draw) -> bytes:
    """A delimited file as a person or an exporter might write it, often slightly wrong."""
    delimiter = draw(st.sampled_from(DELIMITERS))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=10))
    cells = st.one_of(st.sampled_from(CELLS), st.text(max_size=12))
    records = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 2), max_size=12))
    # Quote every cell, only where needed, or some cells at random (an empty cell and a
    # quoted empty one then sit in the same column).
    mode = draw(st.sampled_from(["all", "needed", "some"]))
    mask = draw(st.integers(0, 2**16 - 1))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [
        delimiter.join(_quoted(c, delimiter, mode == "all" or (mode == "some" and mask >> ((i + j) % 16) & 1))
                       for j, c in enumerate(row))
        for i, row in enumerate([header, *records])
    ]
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    if draw(st.booleans()):  # a stray quote somewhere: unterminated or followed by text
        at = draw(st.integers(0, len(text)))
        text = text[:at] + '"' + text[at:]
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


MUTATIONS = ("flip", "insert_quote", "insert_newline", "insert_delimiter", "insert_nul", "truncate",
             "duplicate_line", "huge_number", "bom", "delete_span")


def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """A few random edits of the bytes of a real file."""
    data = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        kind = rng.choice(MUTATIONS)
        at = rng.randint(0, len(data))
        if kind == "flip" and data:
            data[min(at, len(data) - 1)] = rng.randint(0, 255)
        elif kind == "insert_quote":
            data[at:at] = b'"'
        elif kind == "insert_newline":
            data[at:at] = rng.choice([b"\n", b"\r\n", b"\r", b"\n\n"])
        elif kind == "insert_delimiter":
            data[at:at] = rng.choice([b",", b";", b"\t"])
        elif kind == "insert_nul":
            data[at:at] = b"\x00"
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate_line":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
        elif kind == "huge_number":
            data[at:at] = rng.choice([b"99999999999999999999", b"1e400", b"-9223372036854775809", b"45292,5"])
        elif kind == "bom":
            data[0:0] = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
        elif kind == "delete_span":
            del data[at:at + rng.randint(1, 40)]
    return bytes(data)


def stage_and_check(paths: list[Path]) -> dict:
    """Stage and validate these files in memory; what a property test asserts on.

    Returns the per-file balance and the files stopped by an unexpected error (which the
    file-level guard caught: each is a bug in per-record handling).
    """
    con = duckdb.connect()
    try:
        stage_files(con, [file_entry(path, path.name) for path in paths])
        build_tables(con)
        log = con.execute("SELECT source_file, rows_read, rows_loaded, rows_quarantined, status, message "
                          "FROM ingest_log").fetchall()
    finally:
        con.close()
    return {
        "files": len(log),
        "imbalanced": [f for f, read, loaded, quarantined, _, _ in log if read != loaded + quarantined],
        "unexpected": [f for f, *_, message in log if "unexpected" in (message or "")],
    }
