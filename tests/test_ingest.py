"""Ingestion of files as they really arrive: encodings, delimiters, labels, layouts."""

import json

from conftest import GROUPS, ingest, rows, write

from pipelines.ingest.sniff import cyrillic_or_central_european, detect_delimiter

SURVEY_HEADER = "participant_id;programme_id;group_id;arm;wave;interview_date;sex;birth_year;disability;consent;exercise_freq;who5_1;safe_after_dark"


def test_cp1251_semicolon_russian_labels_become_codes(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(
        data_root / "raw/brc/опрос.csv",
        SURVEY_HEADER + "\n"
        "P1;BRC-WWC;BY-GRO-001;участник;baseline;15.03.2024;Женский;1950;нет;да;Каждый день или почти каждый день;3;очень безопасно\n"
        "P2;BRC-WWC;;группа сравнения;baseline;16.03.2024;мужской;1948;Да.;ДА; реже ;5;небезопасно\n",
        encoding="cp1251",
    )
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT kind, encoding, delimiter, rows_read, rows_loaded FROM ingest_log WHERE source_file = 'brc/опрос.csv'") == [
        ("survey", "cp1251", ";", 2, 2)
    ]
    got = rows(con, "SELECT participant_id, arm, sex, disability, consent, exercise_freq, safe_after_dark, age, group_id "
                    "FROM survey ORDER BY participant_id")
    assert got == [
        ("P1", "participant", "female", False, True, "daily", "very_safe", 74, "BY-GRO-001"),
        ("P2", "comparison", "male", True, True, "less_often", "unsafe", 76, None),
    ]


def test_cp1250_polish_labels_and_slash_dates(data_root):
    write(
        data_root / "raw/maz/ankieta.csv",
        "participant_id;programme_id;arm;wave;interview_date;sex;birth_year;consent;meet_socially_freq;make_ends_meet\n"
        "PL1;MAZ-SHC;uczestnik;baseline;05/04/2024;Mężczyzna;1956;tak;co najmniej raz w tygodniu;z pewną trudnością\n",
        encoding="cp1250",
    )
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT encoding FROM ingest_log") == [("cp1250",)]
    assert rows(con, "SELECT sex, interview_date::VARCHAR, meet_socially_freq, make_ends_meet FROM survey") == [
        ("male", "2024-04-05", "weekly", "some_difficulty")
    ]


def test_utf16_tab_and_utf8_bom_files(data_root):
    write(data_root / "raw/groups.csv", GROUPS, encoding="utf-8-sig")
    write(
        data_root / "raw/register.txt",
        "group_id\tsession_date\tparticipant_id\tattended\tduration_minutes\n"
        "BY-GRO-001\t45292\tP1\tтак\t90,0\n"
        "BY-GRO-001\t2024-01-08T10:00:00+02:00\tP1\tN\t\n",
        encoding="utf-16",
    )
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT source_file, kind, encoding, delimiter FROM ingest_log ORDER BY 1") == [
        ("groups.csv", "groups", "utf-8-sig", ","),
        ("register.txt", "attendance", "utf-16", "\t"),
    ]
    # 45292 is Excel's serial day for 2024-01-01; "90,0" has a decimal comma.
    assert rows(con, "SELECT session_date::VARCHAR, attended, duration_minutes FROM attendance ORDER BY 1") == [
        ("2024-01-01", True, 90),
        ("2024-01-08", False, None),
    ]


def test_kobo_export_prefixes_meta_columns_and_hxl_row(data_root):
    header = ['"start"', '"end"', '"participant_id"', '"programme_id"', '"arm"', '"wave"', '"section_a/interview_date"',
              '"section_a/sex"', '"section_a/birth_year"', '"consent"', '"section_b/volunteer_freq"', '"respondent_name"',
              '"_id"', '"_uuid"', '"_submission_time"', '"_index"']
    hxl = ['""'] * 2 + ['"#indicator+id"'] + ['""'] * 13
    data = ['"2024-03-01T10:00:00.000+02:00"', '"2024-03-01T10:20:00.000+02:00"', '"UA-001"', '"ZTRASS-WI"', '"participant"',
            '"baseline"', '"2024-03-01"', '"female"', '"1961"', '"yes"', '"weekly"', '"Olena Petrenko"', '"123"',
            '"a1b2"', '"2024-03-01T08:21:00"', '"1"']
    write(data_root / "raw/kobo.csv", "\r\n".join(";".join(r) for r in (header, hxl, data)) + "\r\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, interview_date::VARCHAR, volunteer_freq, source_row FROM survey") == [
        ("UA-001", "2024-03-01", "weekly", 3)
    ]
    assert "respondent_name" in rows(con, "SELECT message FROM ingest_log")[0][0]


def test_personal_data_never_reaches_the_warehouse(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(
        data_root / "raw/att.csv",
        "group_id,session_date,participant_id,attended,full_name,phone,address\n"
        "BY-GRO-001,2024-03-01,P1,yes,Olena Petrenko,+380 00 000 00 17,Zhytomyr Lesi Ukrainky 5\n"
        "BY-GRO-001,2024-03-01,P1,yes,Olena Petrenko,+380 00 000 00 17,Zhytomyr Lesi Ukrainky 5\n"
        "NO-SUCH,2024-03-01,P2,maybe,Ivan Sidorenko,+380 00 000 00 18,Korosten\n",
    )
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT count(*) FROM quarantine") != [(0,)]
    for (table,) in rows(con, "SELECT table_name FROM information_schema.tables"):
        dump = json.dumps(rows(con, f"SELECT * FROM {table}"), default=str)
        for secret in ("Olena", "Petrenko", "Sidorenko", "+380", "Lesi Ukrainky", "Korosten"):
            assert secret not in dump, f"{secret} found in {table}"


def test_line_numbers_count_blank_lines(data_root):
    lines = [f"BY-GRO-001,2024-03-{day:02d},P{day},yes" for day in range(1, 10)]
    lines.insert(4, "")  # a blank line is not data, but it still counts as a line of the file
    lines.insert(6, "BY-GRO-001,2024-13-40,PX,yes")
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/att.csv", "group_id,session_date,participant_id,attended\n" + "\n".join(lines) + "\n")
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, source_row, source_line FROM attendance ORDER BY source_row")[3:6] == [
        ("P4", 5, 5), ("P5", 7, 7), ("P6", 9, 9)
    ]
    assert rows(con, "SELECT source_row, source_line, rule, value FROM quarantine") == [(8, 8, "bad_date", "2024-13-40")]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_log WHERE kind = 'attendance'") == [
        (10, 9, 1)
    ]


def test_detection_helpers():
    assert detect_delimiter('"a";"b";"c,d"') == ";"
    assert detect_delimiter("a\tb\tc") == "\t"
    assert detect_delimiter("single") == ","
    assert cyrillic_or_central_european("Жыву адзін; так".encode("cp1251")) == "cp1251"
    assert cyrillic_or_central_european("mężczyzna;bardzo łatwo;tak".encode("cp1250")) == "cp1250"


def test_salted_pseudonyms_replace_ids_everywhere(data_root):
    from pipelines.ingest.pseudonym import pseudonym

    write(data_root / "raw/groups.csv", GROUPS)
    write(
        data_root / "raw/survey.csv",
        "participant_id,programme_id,group_id,arm,wave,interview_date,birth_year,consent\n"
        "NID-7701,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,1950,yes\n"
        "NID-7702,BRC-WWC,BY-GRO-001,participant,baseline,2024-03-15,1850,yes\n",
    )
    write(data_root / "raw/att.csv", "group_id,session_date,participant_id,attended\nBY-GRO-001,2024-03-01, NID-7701 ,yes\n")
    write(data_root / "raw/grid.csv", "group_id,participant_id,01.03.2024,08.03.2024\nBY-GRO-001,NID-7702,x,-\n")
    con = ingest(data_root / "raw", salt=b"s3cret")
    first, second = pseudonym("NID-7701", b"s3cret"), pseudonym("NID-7702", b"s3cret")
    assert first.startswith("p_") and len(first) == 18
    assert rows(con, "SELECT participant_id FROM survey") == [(first,)]
    assert rows(con, "SELECT DISTINCT participant_id FROM attendance ORDER BY 1") == sorted([(first,), (second,)])
    assert f'"participant_id":"{second}"' in rows(con, "SELECT record FROM quarantine")[0][0]
    for (table,) in rows(con, "SELECT table_name FROM information_schema.tables"):
        dump = json.dumps(rows(con, f"SELECT * FROM {table}"), default=str)
        assert "NID-77" not in dump, f"a raw id is in {table}"


def test_a_wide_header_is_planned_with_bounded_work(monkeypatch):
    """Suggesting a close match for each missing column once ran difflib over every
    header cell: 10,000 cells took 30 to 75 s. Now it looks at the first
    SUGGEST_CELLS cells left over, and a full comparison only where difflib's cheap
    bounds allow a close match."""
    from pipelines.ingest import plan

    compared, full = set(), []

    class Counting(plan.difflib.SequenceMatcher):
        def set_seq1(self, a):
            compared.add(a)
            super().set_seq1(a)

        def ratio(self):
            full.append(self.a)
            return super().ratio()

    monkeypatch.setattr(plan.difflib, "SequenceMatcher", Counting)
    header = ["participant_id", "wave", *(f"col_{i:05d}" for i in range(10_000))]
    header[500] = "interview_dat"
    header[5_000] = "consnt"
    found = plan.plan_file(header, "wide.csv")
    suggestions = {p.column: p.suggestion for p in found.problems}
    assert suggestions["interview_date"] == "interview_dat"
    assert suggestions["consent"] is None  # beyond the cells compared
    assert {f"col_{i:05d}" for i in range(plan.SUGGEST_CELLS, 10_000)}.isdisjoint(compared)
    assert len(full) < 100
