"""Contracts and cross-file rules: every row lands in its table or in quarantine with a reason."""

import shutil

import pytest
from conftest import GROUPS, ingest, rows, write

SURVEY = (
    "participant_id,programme_id,group_id,arm,wave,interview_date,sex,birth_year,consent,who5_1,education_isced\n"
    "P1,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1850,yes,3,3\n"   # line 2: birth year 1850
    "P2,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,67,yes,3,3\n"     # line 3: an age, not a year
    "P3,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,yes,7,3\n"     # line 4: WHO-5 item 7 (a cell)
    "P4,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,no,3,3\n"      # line 5: no consent
    "P5,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,yes,3,3\n"     # line 6: valid
    "P6,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,male,1950,,3,3\n"        # line 7: consent empty
    "P7,BRC-WWC,BY-GRO-001,participant,follow-up 1,2024-03-15,alien,1950,yes,3,3\n"  # line 8: unknown sex
)


@pytest.fixture
def warehouse(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/survey.csv", SURVEY)
    write(
        data_root / "raw/att_march.csv",
        "group_id,session_date,participant_id,attended\n"
        "BY-GRO-001,2024-03-01,P5,yes\n"   # line 2: valid
        "BY-XXX-999,2024-03-01,P5,yes\n"   # line 3: group not registered
        "BY-GRO-001,2031-03-01,P5,yes\n"   # line 4: future
        "BY-GRO-001,2022-12-01,P5,yes\n",  # line 5: before the group's start (2023-01-10)
    )
    write(
        data_root / "raw/att_march_again.csv",
        "group_id,session_date,participant_id,attended\n"
        "BY-GRO-001,01.03.2024,P5,no\n"    # line 2: same key as att_march.csv line 2
        "BY-GRO-001,2024-03-08,P5,yes,extra\n",  # line 3: ragged
    )
    return ingest(data_root / "raw")


def reasons(con, source_file):
    return rows(con, f"SELECT source_row, column_name, rule, value, reason FROM quarantine "
                     f"WHERE source_file = '{source_file}' ORDER BY source_row, rule")


def test_survey_rules_and_reasons(warehouse):
    assert reasons(warehouse, "survey.csv") == [
        (2, "birth_year", "birth_year_range", "1850", "birth year 1850 gives age 174 at interview; expected 1900–2024"),
        (3, "birth_year", "birth_year_range", "67", "birth year 67 looks like an age; expected a year from 1900 to 2024"),
        (4, "who5_1", "out_of_range", "7", "who5_1 is 7; expected 0–5"),
        (5, "consent", "no_consent", "no", "the respondent did not consent (consent = no); the row is never analysed"),
        (7, "consent", "required", "", "consent is empty; it is required"),
        (8, "sex", "unknown_code", "alien",
         "sex: 'alien' is not an answer of the questionnaire; expected one of female, male, other "
         "(or its label in en, ru, uk, be or pl)"),
    ]
    # An optional item that cannot be read costs its cell, not the respondent; a design
    # column (sex) or a row rule costs the row.
    assert rows(warehouse, "SELECT participant_id, who5_1, education_isced FROM survey ORDER BY 1") == [
        ("P3", None, 3), ("P5", 3, 3)
    ]
    assert rows(warehouse, "SELECT source_row, effect FROM quarantine WHERE source_file = 'survey.csv' "
                           "AND effect = 'cell'") == [(4, "cell")]


def test_attendance_cross_file_rules(warehouse):
    assert [r[:3] for r in reasons(warehouse, "att_march.csv")] == [
        (3, "group_id", "unknown_group"),
        (4, "session_date", "future_date"),
        (5, "session_date", "before_group_start"),
    ]
    again = reasons(warehouse, "att_march_again.csv")
    assert again[0] == (
        2, "group_id, session_date, participant_id", "duplicate_key",
        "group BY-GRO-001, session 2024-03-01, participant P5",
        "group BY-GRO-001, session 2024-03-01, participant P5 already appears in att_march.csv row 2; "
        "keep one of the two rows (or correct the id)",
    )
    assert again[1][:4] == (3, "", "ragged_row", "5 cells")
    assert rows(warehouse, "SELECT source_file, source_row FROM attendance") == [("att_march.csv", 2)]


def test_every_row_is_loaded_or_quarantined(warehouse):
    assert rows(warehouse, "SELECT source_file, rows_read, rows_loaded, rows_quarantined, status FROM ingest_log ORDER BY 1") == [
        ("att_march.csv", 4, 1, 3, "loaded_with_quarantine"),
        ("att_march_again.csv", 2, 0, 2, "loaded_with_quarantine"),
        ("groups.csv", 2, 2, 0, "loaded"),
        ("survey.csv", 7, 2, 5, "loaded_with_quarantine"),
    ]
    assert rows(warehouse, "SELECT cells_quarantined FROM ingest_log WHERE source_file = 'survey.csv'") == [(1,)]


def test_quarantine_keeps_the_record_without_other_columns(warehouse):
    (record,) = rows(warehouse, "SELECT record FROM quarantine WHERE source_file = 'survey.csv' AND source_row = 4")[0]
    assert '"who5_1":"7"' in record and '"participant_id":"P3"' in record


def test_rerun_and_renamed_copy_change_nothing(data_root, warehouse):
    tables = ("groups", "survey", "attendance", "quarantine")
    before = {t: rows(warehouse, f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    shutil.copy(data_root / "raw/survey.csv", data_root / "raw/survey (1).csv")
    again = ingest(data_root / "raw")
    assert {t: rows(again, f"SELECT * FROM {t} ORDER BY ALL") for t in tables} == before
    assert rows(again, "SELECT status, message FROM ingest_log WHERE source_file = 'survey (1).csv'") == [
        ("duplicate", "same content as survey.csv; not loaded again")
    ]


def test_a_bad_file_never_stops_the_others(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    (data_root / "raw/broken.csv").write_bytes(b"\x00\x01\x02PK\x03\x04")
    write(data_root / "raw/notes.csv", "name,comment\nx,y\n")
    write(data_root / "raw/empty.csv", "")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_file, status, rows_read FROM ingest_log ORDER BY 1") == [
        ("broken.csv", "unreadable", 0),
        ("empty.csv", "unreadable", 0),
        ("groups.csv", "loaded", 2),
        ("notes.csv", "unrecognised", 1),
    ]
    assert rows(con, "SELECT count(*) FROM groups") == [(2,)]


def test_corrected_file_replaces_its_earlier_rows(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    path = write(data_root / "raw/att.csv", "group_id,session_date,participant_id,attended\nBY-GRO-001,2024-03-01,P1,yes\n")
    assert rows(ingest(data_root / "raw"), "SELECT attended FROM attendance") == [(True,)]
    path.write_text("group_id,session_date,participant_id,attended\nBY-GRO-001,2024-03-01,P1,no\n")
    assert rows(ingest(data_root / "raw"), "SELECT attended FROM attendance") == [(False,)]


def test_dagster_data_quality_view_shows_top_reasons_without_values(data_root):
    import dagster as dg

    from pipelines.defs.ingest.assets import raw_files
    from pipelines.defs.validate.assets import ROWS_BALANCE_CHECK, warehouse_tables
    from pipelines.defs.resources import AaiSettings

    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/survey.csv", SURVEY)
    result = dg.materialize([raw_files, warehouse_tables], resources={"settings": AaiSettings(data_dir=str(data_root))})
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey("ingest_log")}
    assert checks == {ROWS_BALANCE_CHECK: True}
    top = result.asset_materializations_for_node("warehouse_tables")
    text = next(m for m in top if m.asset_key == dg.AssetKey("quarantine")).metadata["top_reasons"].value
    assert "birth_year_range" in text and "no_consent" in text
    assert "sex: '…' is not an answer" in text
    for value in ("alien", "1850", "P1"):
        assert value not in text


def test_one_absurd_number_costs_only_its_row(data_root):
    """A 20-digit number in a whole-number cell once stopped every file and programme."""
    write(data_root / "raw/groups.csv", GROUPS)
    write(
        data_root / "raw/att.csv",
        "group_id,session_date,participant_id,attended,duration_minutes\n"
        "BY-GRO-001,2024-03-01,P1,yes,99999999999999999999\n"
        "BY-GRO-001,2024-03-01,P2,yes,60\n"
        "BY-GRO-001,2024-03-01,P3,yes,1e400\n"
        "BY-GRO-001,2024-03-01,P4,yes,-9223372036854775809\n",
    )
    con = ingest(data_root / "raw")
    # duration_minutes is optional: the absurd cell is loaded as empty, the row stays.
    assert rows(con, "SELECT participant_id, duration_minutes FROM attendance ORDER BY 1") == [
        ("P1", None), ("P2", 60), ("P3", None), ("P4", None)
    ]
    assert rows(con, "SELECT source_row, rule, value, effect FROM quarantine ORDER BY source_row") == [
        (2, "out_of_range", "99999999999999999999", "cell"),
        (4, "out_of_range", "1e400", "cell"),
        (5, "out_of_range", "-9223372036854775809", "cell"),
    ]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, cells_quarantined FROM ingest_log "
                     "WHERE source_file = 'att.csv'") == [(4, 4, 0, 3)]


def test_a_huge_cell_is_quoted_short_in_quarantine(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", "group_id,session_date,participant_id,attended\n"
                                     f"BY-GRO-001,2024-03-01,P1,{'x' * 5000}\n")
    con = ingest(data_root / "raw")
    [(value, reason)] = rows(con, "SELECT value, reason FROM quarantine")
    assert value.endswith("… (5,000 characters)") and len(value) < 300
    assert "(5,000 characters)" in reason and len(reason) < 300


def test_interviews_of_a_programme_no_groups_file_names_are_quarantined(data_root):
    """A programme gets its reports from the groups register: its interviews load once
    a groups file names it, and wait in quarantine, saying so, until then. A data root
    of surveys alone (no groups file at all) keeps every programme."""
    survey = ("participant_id,programme_id,group_id,arm,wave,interview_date,sex,birth_year,consent\n"
              "P1,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,female,1950,yes\n"
              "P2,NEW-PROG,,comparison,baseline,2024-03-15,female,1950,yes\n")
    write(data_root / "raw/survey.csv", survey)
    alone = ingest(data_root / "raw")
    assert rows(alone, "SELECT participant_id FROM survey ORDER BY 1") == [("P1",), ("P2",)]
    write(data_root / "raw/groups.csv", GROUPS)
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id FROM survey") == [("P1",)]
    [(rule, reason)] = rows(con, "SELECT rule, reason FROM quarantine WHERE source_file = 'survey.csv'")
    assert rule == "unknown_programme" and reason.startswith("programme NEW-PROG has no group in any groups file")
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_log "
                     "WHERE source_file = 'survey.csv'") == [(2, 1, 1)]
