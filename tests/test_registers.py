"""Paper registers typed as a grid (persons × dates) become long attendance rows."""

from conftest import GROUPS, ingest, rows, write

REGISTER = (
    "group_id;participant_id;full_name;01.03.2024;2024-03-08;15/03/2024;22.03.2024;29.03.2024;итого\n"
    "BY-GRO-001;P1;Olena Petrenko;x;+;;✓;;3\n"
    "BY-GRO-001;P2;Ivan Sidorenko;-;н;да;?;;1\n"
    "BY-GRO-001;P3;Anna Nowak;1;0;;;;1\n"
    "BY-GRO-001;P4;Petro;x;x;x;x;;4;stray\n"
)


def test_grid_register_becomes_one_row_per_cell(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/register_march.csv", REGISTER)
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, session_date::VARCHAR, attended, source_row, source_column "
                     "FROM attendance ORDER BY source_row, source_column") == [
        ("P1", "2024-03-01", True, 2, 4), ("P1", "2024-03-08", True, 2, 5),
        ("P1", "2024-03-15", False, 2, 6), ("P1", "2024-03-22", True, 2, 7),
        ("P2", "2024-03-01", False, 3, 4), ("P2", "2024-03-08", False, 3, 5), ("P2", "2024-03-15", True, 3, 6),
        ("P3", "2024-03-01", True, 4, 4), ("P3", "2024-03-08", False, 4, 5),
        ("P3", "2024-03-15", False, 4, 6), ("P3", "2024-03-22", False, 4, 7),
    ]
    problems = rows(con, "SELECT source_row, source_column, column_name, rule, value FROM quarantine "
                         "ORDER BY source_row, source_column")
    assert problems == [
        (2, 8, "attended", "session_not_marked", ""),
        (3, 7, "attended", "unknown_mark", "?"),
        (3, 8, "attended", "session_not_marked", ""),
        (4, 8, "attended", "session_not_marked", ""),
        *[(5, column, "", "ragged_row", "10 cells") for column in range(4, 9)],
    ]
    reasons = dict(rows(con, "SELECT rule, reason FROM quarantine WHERE source_row = 3"))
    assert reasons == {
        "unknown_mark": "cell G3 (line 3, column 22.03.2024): mark '?' is not a register mark; "
        "write x or + for present, leave the cell empty or write - for absent",
        "session_not_marked": "nobody is marked in the column of 29.03.2024, so that session is taken as not "
        "held and its cells are not loaded; if it was held, mark who came (x) and who did not (-)",
    }


def test_grid_register_accounting_counts_cells(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/register_march.csv", REGISTER)
    con = ingest(data_root / "raw")
    ((kind, read, loaded, quarantined, message),) = rows(
        con, "SELECT kind, rows_read, rows_loaded, rows_quarantined, message FROM ingest_log WHERE kind = 'attendance'"
    )
    # 4 persons × 5 dates = 20 cells: 11 loaded; 1 unknown mark, 3 cells of the unmarked
    # 29.03 column, 5 cells of the ragged line 5.
    assert (kind, read, loaded, quarantined) == ("attendance", 20, 11, 9)
    assert "grid of 5 date columns" in message and "rows_read counts cells" in message
    assert "full_name, итого" in message


def test_grid_register_without_group_column_is_quarantined_with_a_fix(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/reg.csv", "participant_id,01.03.2024,08.03.2024\nP1,x,x\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_row, source_column, column_name, rule FROM quarantine ORDER BY 2") == [
        (2, 2, "group_id", "missing_column"), (2, 3, "group_id", "missing_column"),
    ]
    assert "add a group_id column" in rows(con, "SELECT reason FROM quarantine LIMIT 1")[0][0]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_log WHERE source_file = 'reg.csv'") == [
        (2, 0, 2)
    ]


def test_grid_duplicate_names_the_cell(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/reg.csv", "group_id,participant_id,01.03.2024,08.03.2024\nBY-GRO-001,P1,x,x\n")
    write(data_root / "raw/long.csv", "group_id,session_date,participant_id,attended\nBY-GRO-001,2024-03-08,P1,yes\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_file, source_row, source_column, reason FROM quarantine") == [
        ("reg.csv", 2, 4, "group BY-GRO-001, session 2024-03-08, participant P1 already appears in long.csv row 2; "
                          "keep one of the two rows (or correct the id)")
    ]


def test_a_register_grid_whose_columns_a_mapping_renames(data_root):
    # Neither "Код" nor "Клуб" says what it is; the mapping does, and the grid stays a grid.
    write(data_root / "mappings/register.yaml", "columns:\n  Код: participant_id\n  Клуб: group_id\n")
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/register.csv", "Клуб;Код;ФИО;01.03.2024;08.03.2024\n"
                                          "BY-GRO-001;P1;Олена П.;x;\n"
                                          "BY-GRO-001;P2;Иван С.;-;+\n")
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT group_id, participant_id, session_date::VARCHAR, attended, source_row, source_column "
                     "FROM attendance ORDER BY source_row, source_column") == [
        ("BY-GRO-001", "P1", "2024-03-01", True, 2, 4), ("BY-GRO-001", "P1", "2024-03-08", False, 2, 5),
        ("BY-GRO-001", "P2", "2024-03-01", False, 3, 4), ("BY-GRO-001", "P2", "2024-03-08", True, 3, 5),
    ]
    assert rows(con, "SELECT source_file, mapping, rows_read, rows_loaded, columns_ignored FROM ingest_log "
                     "WHERE source_file = 'register.csv'") == [("register.csv", "mappings/register.yaml", 4, 4, "ФИО")]
