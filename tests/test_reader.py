"""The reader keeps every record accountable: bad records cost themselves, never the file."""

import json
import os
import subprocess
import sys

import duckdb
from conftest import GROUPS, ingest, rows, write

from pipelines.ingest.records import scan
from pipelines.ingest.stage import stage_all

ATT = "group_id,session_date,participant_id,attended,activity\n"


def balance(con, source_file):
    return rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, status FROM ingest_log "
                     f"WHERE source_file = '{source_file}'")[0]


def test_short_long_and_ragged_rows(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT
          + "BY-GRO-001,2024-03-01,P1,yes\n"         # line 2: short, Excel dropped the empty cell
          + "BY-GRO-001,2024-03-01,P2,yes,social,,\n"  # line 3: extra empty cells are fine
          + "BY-GRO-001,2024-03-01,P3,yes,social,x\n"  # line 4: an extra filled cell: ragged
          + "BY-GRO-001,2024-03-01,P4,yes,craft\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, activity FROM attendance ORDER BY 1") == [
        ("P1", None), ("P2", "social"), ("P4", "craft")
    ]
    assert rows(con, "SELECT source_row, rule, value FROM quarantine") == [(4, "ragged_row", "6 cells")]
    assert balance(con, "att.csv") == (4, 3, 1, "loaded_with_quarantine")


def test_a_file_of_many_ragged_rows_is_read_in_batches_with_every_record_accounted(data_root, monkeypatch):
    """DuckDB holds about 2 KB per rejected record while it reads (600,000 ragged rows:
    640 MB); past ``MAX_FAST_REJECTS`` a segment goes to the Python reader, which writes
    its problems in batches. Here the caps are small so the file stays small."""
    from pipelines.ingest import cells

    monkeypatch.setattr(cells, "MAX_FAST_REJECTS", 10)
    monkeypatch.setattr(cells, "PYTHON_BATCH_ROWS", 7)
    body = "".join(f"BY-GRO-001,2024-03-01,P{i},yes,social\n" if i % 3 else f"BY-GRO-001,2024-03-01,P{i},yes,social,x\n"
                   for i in range(60))
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT + body)
    con = ingest(data_root / "raw")
    assert balance(con, "att.csv") == (60, 40, 20, "loaded_with_quarantine")
    assert rows(con, "SELECT min(source_row), max(source_row), count(*) FROM quarantine WHERE rule = 'ragged_row'") == [
        (2, 59, 20)]  # P0 is record 2, P57 record 59: every third
    assert rows(con, "SELECT count(*) FROM attendance WHERE source_row = source_line") == [(40,)]
    message = rows(con, "SELECT message FROM ingest_log WHERE source_file = 'att.csv'")[0][0]
    assert "read line by line: more than 10 records do not fit the header's columns" in message
    monkeypatch.setattr(cells, "MAX_FAST_REJECTS", 20_000)  # the same file, read by DuckDB: the same rows
    again = ingest(data_root / "raw")
    for sql in ("SELECT participant_id, source_row FROM attendance ORDER BY 2",
                "SELECT source_row, rule, value FROM quarantine ORDER BY 1"):
        assert rows(again, sql) == rows(con, sql)


def test_unterminated_quote_costs_only_its_record(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT
          + "BY-GRO-001,2024-03-01,P1,yes,social\n"
          + 'BY-GRO-001,2024-03-01,"P2,yes,social\n'  # line 3: the quote is never closed
          + "BY-GRO-001,2024-03-01,P3,yes,social\n"
          + "\n"
          + "BY-GRO-001,2024-03-01,P4,yes,social\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance ORDER BY 1") == [
        ("P1", 2, 2), ("P3", 4, 4), ("P4", 6, 6)
    ]
    assert rows(con, "SELECT source_row, source_line, rule, value FROM quarantine") == [(3, 3, "bad_quoting", "")]
    assert balance(con, "att.csv") == (4, 3, 1, "loaded_with_quarantine")


def test_quoted_newlines_give_record_and_physical_line(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT
          + 'BY-GRO-001,2024-03-01,P1,yes,"so\ncial"\n'  # record 2, lines 2-3
          + "BY-GRO-001,2024-03-01,P2,yes,sing\n"         # record 3, line 4
          + 'BY-GRO-001,2024-03-01,P3,"yes\r\n\r\n",social\n'  # record 4, lines 5-7 ("yes" + newlines, trimmed)
          + "BY-GRO-001,2024-13-01,P4,yes,social\n")      # record 5, line 8
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_row, source_line, rule FROM quarantine ORDER BY 1") == [
        (2, 2, "unknown_code"), (3, 4, "unknown_code"), (5, 8, "bad_date")
    ]
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance ORDER BY 1") == [
        ("P1", 2, 2), ("P2", 3, 4), ("P3", 4, 5)
    ]


def test_a_huge_cell_costs_its_row_and_a_huge_line_its_record(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT
          + f"BY-GRO-001,2024-03-01,{'P' * 200_000},yes,social\n"
          + "BY-GRO-001,2024-03-01,P2,yes,social\n"
          + f"BY-GRO-001,2024-03-01,P3,yes,{'n' * (2 << 20)}\n"
          + "BY-GRO-001,2024-03-01,P4,yes,social\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id FROM attendance ORDER BY 1") == [("P2",), ("P4",)]
    found = rows(con, "SELECT source_row, rule, length(value), length(reason) FROM quarantine ORDER BY 1")
    assert [f[:2] for f in found] == [(2, "too_long"), (4, "record_too_long")]
    assert all(length < 400 for _, _, _, length in found) and found[0][2] < 300
    assert balance(con, "att.csv") == (4, 2, 2, "loaded_with_quarantine")


def test_every_path_gets_a_status_and_a_sentence(data_root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.csv"
    write(outside, ATT + "BY-GRO-001,2024-03-01,SECRET-ID,yes,social\n")
    raw = data_root / "raw"
    write(raw / "groups.csv", GROUPS)
    write(raw / "header_only.csv", ATT)
    write(raw / "empty.csv", "")
    (raw / "x.csv").mkdir()
    os.symlink(outside, raw / "link.csv")
    os.symlink(outside.parent, raw / "linked_folder")
    write(raw / ".~lock.survey.csv#", "lock")
    write(raw / "notes.pdf", "%PDF")
    con = ingest(raw)
    got = {f: (s, m) for f, s, m in rows(con, "SELECT source_file, status, message FROM ingest_log")}
    assert {f: s for f, (s, _) in got.items()} == {
        ".~lock.survey.csv#": "skipped", "empty.csv": "unreadable", "groups.csv": "loaded",
        "header_only.csv": "no_records", "link.csv": "refused", "linked_folder": "refused",
        "notes.pdf": "skipped", "x.csv": "skipped",
    }
    assert got["header_only.csv"][1] == "header only: no records"
    assert "empty" in got["empty.csv"][1] and "outside the data root" in got["link.csv"][1]
    assert "folder named like a data file" in got["x.csv"][1]
    for (table,) in rows(con, "SELECT table_name FROM information_schema.tables"):
        assert "SECRET-ID" not in str(rows(con, f"SELECT * FROM {table}")), table


def test_a_file_that_fails_says_the_line_where_reading_stopped(data_root, monkeypatch):
    """The line was once looked up after the file's tables were dropped, so every
    failure said line 1; an empty file, never read, names no line."""
    from pipelines.ingest import cells, read_file

    def fails(*args, **kwargs):
        raise KeyError("a cell's text")

    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/converted.csv", ATT + "".join(f"BY-GRO-001,2024-03-01,P{i},yes,social\n"
                                                         for i in range(500)))
    write(data_root / "raw/empty.csv", "")
    monkeypatch.setattr(read_file, "convert_file", fails)  # every record read, then conversion fails
    con = ingest(data_root / "raw")
    messages = dict(rows(con, "SELECT source_file, message FROM ingest_log"))
    assert messages["converted.csv"].startswith("reading stopped after line 501 on an unexpected KeyError; ")
    assert "a cell's text" not in messages["converted.csv"]
    assert messages["empty.csv"] == "the file could not be read: the file is empty (0 bytes)"

    # An unterminated quote on line 4: the lines after it are a second segment, and its scan fails.
    monkeypatch.undo()
    scans = iter([cells.record_scan.scan])
    monkeypatch.setattr(cells.record_scan, "scan", lambda path: next(scans, fails)(path))
    write(data_root / "raw/converted.csv", ATT + "BY-GRO-001,2024-03-01,P1,yes,social\n" * 2
          + 'BY-GRO-001,2024-03-01,"P3,yes,social\n' + "BY-GRO-001,2024-03-01,P4,yes,social\n" * 5)
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT message FROM ingest_log WHERE source_file = 'converted.csv'")[0][0].startswith(
        "reading stopped after line 4 on an unexpected KeyError; ")
    assert rows(con, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '_cells%'") == []


def test_a_bad_header_cell_costs_its_column_not_the_file(data_root, monkeypatch):
    """A header cell over Python csv's default 131,072 characters, or a quote never
    closed in the header, once lost every row of the file as an unexpected error."""
    from pipelines.ingest import sniff

    write(data_root / "raw/groups.csv", GROUPS)
    header = "group_id,session_date,participant_id,attended,"
    write(data_root / "raw/long.csv", header + "h" * 200_000 + "\n"
          + "".join(f"BY-GRO-001,2024-03-01,L{i},yes,x\n" for i in range(1, 4)))
    write(data_root / "raw/quote.csv", header + '"notes\n'
          + "".join(f"BY-GRO-001,2024-03-01,Q{i},yes,x\n" for i in range(1, 4)))
    con = ingest(data_root / "raw")
    assert balance(con, "long.csv") == (3, 3, 0, "loaded")
    assert balance(con, "quote.csv") == (3, 3, 0, "loaded")
    assert rows(con, "SELECT source_file, participant_id, source_row, source_line FROM attendance "
                     "ORDER BY 1, 2") == [(f, f"{f[0].upper()}{i}", i + 1, i + 1) for f in ("long.csv", "quote.csv")
                                          for i in range(1, 4)]
    log = dict(rows(con, "SELECT source_file, columns_ignored || ' | ' || message FROM ingest_log"))
    assert log["long.csv"].startswith("h" * 60 + "… (200,000 characters) | ")
    assert "a quotation mark in column 5 of the header (line 1) is never closed" in log["quote.csv"]

    # a stray quote in the header that closes only in a data row once swallowed the rows
    # between (neither loaded nor quarantined, and their text in the log as a column's name)
    write(data_root / "raw/quote.csv", header + '"notes\n'
          + "".join(f"BY-GRO-001,2024-03-01,Q{i},yes,x\n" for i in range(1, 4)) + 'BY-GRO-001,2024-03-01,Q4,yes,"x\n')
    # a name with a line break in it (Excel's Alt+Enter) is one header cell over two lines
    write(data_root / "raw/named.csv", header + '"activity\n(what)"\n'
          + "".join(f"BY-GRO-001,2024-03-01,N{i},yes,x\n" for i in range(1, 4)))
    con = ingest(data_root / "raw")
    assert balance(con, "quote.csv") == (4, 3, 1, "loaded_with_quarantine")  # Q4's own quote never closes
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance WHERE source_file = 'quote.csv' "
                     "ORDER BY 1") == [(f"Q{i}", i + 1, i + 1) for i in range(1, 4)]
    log = dict(rows(con, "SELECT source_file, coalesce(columns_ignored, '') || ' | ' || message FROM ingest_log"))
    assert "a quotation mark in column 5 of the header (line 1) is closed only on line 5" in log["quote.csv"]
    assert "Q1" not in log["quote.csv"]
    assert balance(con, "named.csv") == (3, 3, 0, "loaded")
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance WHERE source_file = 'named.csv' "
                     "ORDER BY 1") == [(f"N{i}", i + 1, i + 2) for i in range(1, 4)]

    monkeypatch.setattr(sniff, "MAX_RECORD_BYTES", 100)  # a header longer than a record may be
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT status, message FROM ingest_log WHERE source_file = 'long.csv'") == [
        ("unreadable", "the file could not be read: its header (line 1) is longer than 100 characters; check it "
                       "for a missing line break or a pasted text")
    ]


def test_ignored_files_are_listed_not_read(data_root):
    write(data_root / "raw/old/notes.csv", "a,b\n1,2\n")
    con = duckdb.connect()
    stage_all(con, data_root / "raw", ignore=("old/*",))
    assert rows(con, "SELECT source_file, status, rows_read FROM raw_files") == [("old/notes.csv", "ignored", 0)]


def test_unrecognised_file_is_counted_record_by_record(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/contacts.csv", 'name;phone\nOlena;+380 1\n\n"Ivan\nS.";+380 2\nAnna;+380 3;extra\n')
    con = ingest(data_root / "raw")
    assert balance(con, "contacts.csv") == (3, 0, 3, "unrecognised")
    assert rows(con, "SELECT source_row, source_line, rule FROM quarantine WHERE source_file = 'contacts.csv'") == [
        (2, 2, "unrecognised_file"), (4, 4, "unrecognised_file"), (5, 6, "unrecognised_file")
    ]
    assert "mapping file" in rows(con, "SELECT reason FROM quarantine LIMIT 1")[0][0]
    assert rows(con, "SELECT rows_loaded FROM ingest_log WHERE source_file = 'groups.csv'") == [(2,)]


SURVEY_MISSPELT = (
    "participant_id,programme_id,arm,wave,interview_dat,consent,who5_33,who5_1\n"
    "P1,BRC-WWC,participant,baseline,2024-03-15,yes,3,4\n"
    "P2,BRC-WWC,participant,baseline,2024-03-15,yes,3,4\n"
)


def test_misspelt_columns_are_one_message_with_the_close_match(data_root):
    write(data_root / "raw/survey.csv", SURVEY_MISSPELT)
    write(data_root / "raw/ok.csv", SURVEY_MISSPELT.replace("interview_dat,", "interview_date,").replace("who5_33", "who5_3"))
    con = ingest(data_root / "raw")
    ((message, ignored),) = rows(con, "SELECT message, columns_ignored FROM ingest_log WHERE source_file = 'survey.csv'")
    assert "column interview_date is missing — did you mean interview_dat?" in message
    assert "column who5_3 is missing — did you mean who5_33?" in message
    assert ignored == "interview_dat, who5_33"
    # interview_date is required: no row can load, each is quarantined with the one sentence.
    assert rows(con, "SELECT DISTINCT rule, reason FROM quarantine WHERE source_file = 'survey.csv'") == [
        ("missing_column", "column interview_date is missing — did you mean interview_dat? (rename it to "
                           "interview_date); interview_date is required, so no row of this file can be loaded")
    ]
    assert balance(con, "ok.csv") == (2, 2, 0, "loaded")


def test_optional_item_costs_a_cell_design_field_the_row(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT
          + "BY-GRO-001,2024-03-01,P1,yes,knitting\n"  # activity is optional: the cell
          + "BY-GRO-001,2024-03-01,P2,maybe,social\n")  # attended is required: the row
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, activity FROM attendance") == [("P1", None)]
    assert rows(con, "SELECT source_row, column_name, rule, effect FROM quarantine ORDER BY 1") == [
        (2, "activity", "unknown_code", "cell"), (3, "attended", "unknown_code", "row")
    ]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, cells_quarantined FROM ingest_log "
                     "WHERE source_file = 'att.csv'") == [(2, 1, 1, 1)]


def test_cp1251_file_with_a_quoted_newline(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", "group_id;session_date;participant_id;attended;заметки\n"
          "BY-GRO-001;01.03.2024;P1;да;\"Ольга\nзвонила\"\nBY-GRO-001;01.03.2024;P2;нет;\n", encoding="cp1251")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, attended, source_row, source_line FROM attendance ORDER BY 1") == [
        ("P1", True, 2, 2), ("P2", False, 3, 4)
    ]
    assert rows(con, "SELECT encoding, columns_ignored FROM ingest_log WHERE source_file = 'att.csv'") == [
        ("cp1251", "заметки")
    ]


def test_record_scan_finds_blank_and_multiline_records(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'h\r\n1\r\n\r\n"a\nb\nc"\r\n2\n"open\n3\n')
    found = scan(path, chunk_bytes=4)  # tiny chunks: records cross chunk borders
    assert (found.records, found.blank_start.tolist(), found.blank_length.tolist()) == (6, [3], [1])
    assert (found.step_records.tolist(), found.step_extra.tolist()) == ([5], [2])
    assert [found.line_of(record) for record in (1, 4, 5, 6)] == [1, 4, 7, 8]
    assert (found.open_quote_record, found.open_quote_line) == (6, 8)


def test_a_crlf_blank_line_split_across_chunks_is_blank(tmp_path):
    """The CR of a blank CRLF line the last byte of one chunk, its LF the first of the
    next: the blank record was missed, the counts disagreed with DuckDB's and the
    segment was read again by Python. Every chunk border is tried."""
    path = tmp_path / "f.csv"
    path.write_bytes(b"h\r\n1\r\n\r\n2\r\n\r\n\r\n3\r\n")
    for chunk_bytes in range(1, 12):
        found = scan(path, chunk_bytes=chunk_bytes)
        assert (found.records, found.blank_records) == (7, 3), chunk_bytes
        assert [int(r) for s, n in zip(found.blank_start, found.blank_length) for r in range(s, s + n)] == [3, 5, 6]


# Stages the groups and a file of a header, seven rows and three million blank lines (500,000 after
# each row but the last: a longer run DuckDB takes for one over-long line) after a small
# file has warmed everything up; prints the peak memory (MB) before and after, the
# file's balance and its rows' record numbers.
BLANK_LINES_PROBE = """
import json, resource, sys
from pathlib import Path
import duckdb
from pipelines.ingest.discover import file_entry
from pipelines.ingest.stage import stage_files
from pipelines.validate.warehouse_tables import build_tables

folder = Path(sys.argv[1])
header = "group_id,session_date,participant_id,attended\\n"
(folder / "small.csv").write_text(header + "BY-GRO-001,2024-03-01,P0,yes\\n")
(folder / "blank.csv").write_text(header + "".join(f"BY-GRO-001,2024-03-01,P{i},yes\\n" + "\\n" * 500_000
                                                  for i in range(1, 7)) + "BY-GRO-001,2024-03-01,P7,yes\\n")
con = duckdb.connect()
stage_files(con, [file_entry(folder / "small.csv", "small.csv")])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
stage_files(con, [file_entry(folder / name, name) for name in ("groups.csv", "blank.csv")])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
build_tables(con)
print(json.dumps({
    "growth_mb": after - before,
    "balance": con.execute("SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_log "
                           "WHERE source_file = 'blank.csv'").fetchall()[0],
    "rows": con.execute("SELECT source_row, source_line FROM attendance ORDER BY 1").fetchall(),
}))
"""


def test_blank_lines_cost_a_few_bytes_each(tmp_path):
    """Three million blank lines (a 3 MB file) took 750 MB when each was a Python int,
    then a set, a sorted list and a frame of tuples; as NumPy arrays it is 8 bytes each."""
    write(tmp_path / "groups.csv", GROUPS)
    out = subprocess.run([sys.executable, "-c", BLANK_LINES_PROBE, str(tmp_path)], capture_output=True, text=True,
                         timeout=120, check=True)
    found = json.loads(out.stdout)
    assert found["balance"] == [7, 7, 0]
    assert found["rows"] == [[2 + 500_001 * i] * 2 for i in range(7)]
    assert found["growth_mb"] < 100, found


def test_a_record_after_a_mebibyte_of_blank_lines_is_read(data_root):
    """DuckDB counts the blank lines before a record into its size, so a short record
    after 1 MiB of them was quarantined as record_too_long."""
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT + "BY-GRO-001,2024-03-01,P1,yes,social\n" + "\n" * 1_100_000
          + "BY-GRO-001,2024-03-01,P2,yes,social\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance ORDER BY 1") == [
        ("P1", 2, 2), ("P2", 1_100_003, 1_100_003)
    ]
    assert balance(con, "att.csv") == (2, 2, 0, "loaded")


def test_aai_toml_lists_files_to_ignore(data_root):
    import pytest

    from pipelines.settings import DataRoot, read_ingest_ignore

    root = DataRoot(data_root)
    assert read_ingest_ignore(root) == ()
    (data_root / "aai.toml").write_text('[ingest]\nignore = ["old/*", "contacts.csv"]\n')
    assert read_ingest_ignore(root) == ("old/*", "contacts.csv")
    (data_root / "aai.toml").write_text("[ingest]\nignore = 'old/*'\n")
    with pytest.raises(ValueError, match="must be a list"):
        read_ingest_ignore(root)


def test_empty_and_quoted_empty_cells_are_one_value(data_root):
    """DuckDB reads an empty cell as NULL and a quoted empty one as '': the two must
    not make a row match two dictionary entries (the fuzz campaign found this)."""
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT + 'BY-GRO-001,2024-03-01,P1,yes,\nBY-GRO-001,2024-03-01,P2,yes,""\n'
          'BY-GRO-001,2024-03-01,P3,"",""\n')
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, activity FROM attendance ORDER BY 1") == [("P1", None), ("P2", None)]
    assert balance(con, "att.csv") == (3, 2, 1, "loaded_with_quarantine")


def test_a_plan_can_give_a_column_a_constant(data_root):
    """What a mapping file will add (a programme per folder) fits the plan as it is."""
    from dataclasses import replace

    from pipelines.ingest import convert
    from pipelines.ingest.cells import Cells, read_cells
    from pipelines.ingest.plan import Source, plan_file
    from pipelines.ingest.rows import convert_file
    from pipelines.ingest.stage import create_staging

    header = ["participant_id", "arm", "wave", "interview_date", "consent"]
    path = write(data_root / "raw/s.csv", ",".join(header) + "\nP1,participant,baseline,2024-03-15,yes\n")
    plan = plan_file(header, "s.csv")
    assert [p.column for p in plan.problems] == ["programme_id"]
    plan = replace(plan, sources={**plan.sources, "programme_id": Source(constant="BRC-WWC")}, problems=())
    con = duckdb.connect()
    create_staging(con)
    convert.prepare(con)
    cells = Cells("_cells")
    read_cells(con, cells, path, ",", len(header), plan.needed, data_root)
    convert_file(con, plan, "s.csv", cells, None)
    assert rows(con, "SELECT participant_id, programme_id, source_row FROM staging_survey") == [("P1", "BRC-WWC", 2)]
    assert rows(con, "SELECT count(*) FROM staging_problems") == [(0,)]


def test_records_beyond_the_file_cap_are_counted_and_quarantined(data_root, monkeypatch):
    from pipelines.ingest import cells

    monkeypatch.setattr(cells, "MAX_RECORDS_PER_FILE", 3)
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", ATT + "".join(f"BY-GRO-001,2024-03-01,P{i},yes,social\n" for i in range(1, 6)))
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id FROM attendance ORDER BY 1") == [("P1",), ("P2",), ("P3",)]
    assert rows(con, "SELECT source_row, rule FROM quarantine ORDER BY 1") == [
        (5, "too_many_records"), (6, "too_many_records")
    ]
    assert balance(con, "att.csv") == (5, 3, 2, "loaded_with_quarantine")
