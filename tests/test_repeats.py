"""An attendance register kept in a form: sessions in the submission, people in a repeat
group, exported as two tables (KoboToolbox: two sheets; ODK Central: two files)."""

from pathlib import Path

import pytest
from openpyxl import Workbook

from conftest import GROUPS, aai, ingest, rows, write
from kobo_exports import KOBO_META, ODK_META

SESSIONS = [  # group_id, session_date, activity, led_by, duration_minutes
    ["BY-GRO-001", "2024-03-01", "exercise", "volunteer", "60"],
    ["BY-GRO-001", "2024-03-08", "craft", "participant", "90"],
    ["BY-GRO-001", "2024-03-15", "social", "staff", "45"],  # nobody listed
]
PEOPLE = [  # participant_id, attended, full_name, the session's row (1-based; 9: none)
    ["P1", "yes", "Анна Иванова", 1],
    ["P2", "no", "Иван Петров", 1],
    ["P1", "yes", "Анна Иванова", 2],
    ["P3", "maybe", "Мария Сидорова", 2],
    ["P4", "yes", "Ольга Орлова", 9],
]
SESSION_HEADER = ["group_id", "session_date", "activity", "led_by", "duration_minutes"]


def kobo_workbook(path: Path) -> Path:
    """KoboToolbox's XLSX export: the form's sheet, then one sheet per repeat group."""
    book = Workbook()
    main = book.active
    main.title = "register"
    main.append(["start", "end", *SESSION_HEADER, *KOBO_META])
    for index, session in enumerate(SESSIONS, start=1):
        main.append(["2024-03-01T10:00:00.000+02:00", "2024-03-01T11:00:00.000+02:00", *session,
                     1000 + index, f"u{index}", "2024-03-01T09:00:00", "", "", "submitted_via_web", "olena", "v1",
                     "", index])
    people = book.create_sheet("people")
    people.append(["people/participant_id", "people/attended", "people/full_name", "_index", "_parent_table_name",
                   "_parent_index", "_submission__id", "_submission__uuid", "_submission__submission_time"])
    for index, (pid, attended, name, parent) in enumerate(PEOPLE, start=1):
        people.append([pid, attended, name, index, "register", parent, 1000 + parent, f"u{parent}",
                       "2024-03-01T09:00:00"])
    book.save(path)
    return path


def odk_central(folder: Path) -> None:
    """ODK Central's CSV zip, unpacked: register.csv and register-people.csv."""
    write(folder / "register.csv", ",".join(["SubmissionDate", *SESSION_HEADER, *ODK_META]) + "\n" + "".join(
        ",".join(["2024-03-01T09:00:00.000Z", *session, f"uuid:s{i}", f"uuid:s{i}", "5", "Olena", "0", "0", "",
                  "approved", "collect:x", "0", "1"]) + "\n"
        for i, session in enumerate(SESSIONS, start=1)))
    write(folder / "register-people.csv", "participant_id,attended,full_name,PARENT_KEY,KEY\n" + "".join(
        f"{pid},{attended},{name},uuid:s{parent},uuid:s{parent}/people[{i}]\n"
        for i, (pid, attended, name, parent) in enumerate(PEOPLE, start=1)))


EXPECTED = [
    ("BY-GRO-001", "2024-03-01", "P1", True, 60, "exercise", "volunteer", 2),
    ("BY-GRO-001", "2024-03-01", "P2", False, 60, "exercise", "volunteer", 3),
    ("BY-GRO-001", "2024-03-08", "P1", True, 90, "craft", "participant", 4),
]


@pytest.mark.parametrize("shape", ["kobo", "odk_central"])
def test_a_register_kept_as_a_repeat_group_loads_joined_to_its_sessions(data_root, shape):
    write(data_root / "raw/groups.csv", GROUPS)
    if shape == "kobo":
        kobo_workbook(data_root / "raw/register.xlsx")
        parent, repeat = "register.xlsx#register", "register.xlsx#people"
        link = "_parent_index"
    else:
        odk_central(data_root / "raw")
        parent, repeat = "register.csv", "register-people.csv"
        link = "PARENT_KEY"
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT group_id, session_date::VARCHAR, participant_id, attended, duration_minutes, activity, "
                     "led_by, source_row FROM attendance ORDER BY source_row") == EXPECTED
    # row 5: an answer that is no mark; row 6: a person whose session row does not exist
    assert rows(con, "SELECT source_row, column_name, rule, value FROM quarantine ORDER BY 1, 2") == [
        (5, "attended", "unknown_code", "maybe"), (6, "", "no_parent_row", "9" if shape == "kobo" else "uuid:s9")]
    log = {r[0]: r[1:] for r in rows(con, "SELECT source_file, status, rows_read, rows_loaded, rows_quarantined, "
                                          "message FROM ingest_log")}
    assert log[repeat][:4] == ("loaded_with_quarantine", 5, 3, 2)
    assert f"a repeat group: each row is read with the columns of the row of {parent} its {link} names" in log[repeat][4]
    assert f"1 rows name no row of {parent} (no {'_index' if shape == 'kobo' else 'KEY'} equal to their {link}) " \
        "and were quarantined (no_parent_row)" in log[repeat][4]
    assert f"1 rows of {parent} have no row in this repeat group, so nothing of them is loaded" in log[repeat][4]
    assert log[parent][:4] == ("skipped", 0, 0, 0)
    assert "the parent of" in log[parent][4]
    # names stop at ingestion: the repeat's full_name is nowhere
    assert not rows(con, "SELECT * FROM quarantine WHERE record LIKE '%Анна%' OR record LIKE '%Ольга%'")


def test_a_repeat_group_without_its_parent_file_says_so(data_root):
    odk_central(data_root / "raw")
    (data_root / "raw/register.csv").unlink()
    con = ingest(data_root / "raw")
    message = rows(con, "SELECT message FROM ingest_log")[0][0]
    assert "a repeat group (it has PARENT_KEY) whose parent file register.csv is not beside it" in message


def test_aai_check_reads_a_repeat_group_with_its_parent_file(data_root):
    odk_central(data_root / "raw")
    done = aai("check", str(data_root / "raw/register.csv"), str(data_root / "raw/register-people.csv"))
    assert done.returncode == 1  # rows 5 and 6 would be quarantined
    shown = done.stdout.replace("\n", "")  # Rich wraps long lines
    assert "register-people.csv: attendance, utf-8, delimiter ',', 5 rows, 2 would be quarantined" in shown
    assert "a repeat group: each row is read with the columns of the row of register.csv its PARENT_KEY names" \
        in shown
    assert "the parent of the repeat group register-people.csv" in shown
