"""KoboToolbox and ODK Central exports: label headers, select-multiple, edits, meta columns."""

import pytest
from conftest import ingest, rows, write

from pipelines import vocabulary


def _kobo(lines: list[list[str]]) -> str:
    return "".join(";".join(f'"{cell}"' for cell in line) + "\r\n" for line in lines)


def test_label_headers_in_russian_with_group_labels(data_root):
    header = ["start", "end", "Идентификатор участника", "Программа", "Группа исследования", "Волна опроса",
              "Основное/Дата интервью", "Основное/Пол", "Основное/Год рождения", "Согласие на участие.",
              "Как часто вы занимаетесь физическими упражнениями или спортом?", "С кем вы живете?",
              "Телефон", "_id", "_uuid", "_submission_time", "_index"]
    data = ["2024-03-01T10:00:00.000+02:00", "2024-03-01T10:20:00.000+02:00", "BY-101", "BRC-WWC", "участник",
            "baseline", "2024-03-01", "Женский", "1950", "да", "хотя бы раз в неделю", "", "+375 29 000 00 00",
            "1", "u1", "2024-03-01T08:21:00", "1"]
    write(data_root / "raw/kobo_labels.csv", _kobo([header, data]))
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, arm, interview_date::VARCHAR, sex, birth_year, consent, exercise_freq, "
                     "household_type FROM survey") == [
        ("BY-101", "participant", "2024-03-01", "female", 1950, True, "weekly", None)
    ]
    message = rows(con, "SELECT message FROM ingest_log")[0][0]
    assert message == "columns outside the contract were dropped: start, end, Телефон, _id, _uuid, _submission_time, _index"


def test_question_labels_cover_five_languages_without_clashes():
    labels = vocabulary.question_labels()
    for text, column in [("Year of birth", "birth_year"), ("Рік народження", "birth_year"),
                         ("Год нараджэння", "birth_year"), ("ROK URODZENIA", "birth_year"),
                         ("З ким ви живете?", "household_type"), ("Дата інтерв’ю", "interview_date")]:
        assert labels[vocabulary.fold_header(text)] == column


def test_select_multiple_choice_columns_are_ignored(data_root):
    header = ["participant_id", "programme_id", "arm", "wave", "interview_date", "consent",
              "help_needed", "help_needed/disability", "help_needed/transport"]
    data = ["UA-1", "ZTRASS-WI", "participant", "baseline", "2024-03-01", "yes", "disability transport", "1", "1"]
    write(data_root / "raw/kobo.csv", _kobo([header, data]))
    con = ingest(data_root / "raw")
    # help_needed/disability is a choice of another question, not the disability item.
    assert rows(con, "SELECT participant_id, disability FROM survey") == [("UA-1", None)]
    assert "help_needed/disability" in rows(con, "SELECT message FROM ingest_log")[0][0]


def test_edited_submission_keeps_the_latest_version(data_root):
    header = ["participant_id", "programme_id", "arm", "wave", "interview_date", "birth_year", "consent",
              "_id", "_uuid", "_submission_time", "meta/rootUuid", "_index"]
    write(data_root / "raw/kobo.csv", _kobo([
        header,
        ["UA-1", "ZTRASS-WI", "participant", "baseline", "2024-03-01", "1850", "yes", "1", "u1", "2024-03-01T08:00:00", "uuid:aaa", "1"],
        ["UA-1", "ZTRASS-WI", "participant", "baseline", "2024-03-01", "1950", "yes", "2", "u2", "2024-03-02T09:30:00", "uuid:aaa", "2"],
        ["UA-2", "ZTRASS-WI", "participant", "baseline", "2024-03-01", "1948", "yes", "3", "u3", "2024-03-01T09:00:00", "uuid:bbb", "3"],
    ]))
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, birth_year, source_row FROM survey ORDER BY 1") == [
        ("UA-1", 1950, 3), ("UA-2", 1948, 4)
    ]
    assert rows(con, "SELECT source_row, rule, value, reason FROM quarantine WHERE rule = 'superseded_submission'") == [
        (2, "superseded_submission", "uuid:aaa",
         "a later edit of this KoboToolbox submission (meta/rootUuid uuid:aaa) is kept: kobo.csv row 3, "
         "submitted 2024-03-02 09:30:00; nothing to do unless that version is the wrong one")
    ]
    assert rows(con, "SELECT count(*) FROM quarantine WHERE rule = 'duplicate_key'") == [(0,)]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined FROM ingest_log") == [(3, 2, 1)]


def test_odk_central_export(data_root):
    write(
        data_root / "raw/odk.csv",
        "SubmissionDate,participant_id,programme_id,arm,wave,grp_main-interview_date,grp_main-sex,"
        "grp_main-birth_year,consent,grp_items-exercise_freq,meta-instanceID,KEY,SubmitterID,SubmitterName,"
        "Attachments,Status,ReviewState,DeviceID,Edits,FormVersion\n"
        "2024-03-02T10:00:00.000Z,PL-001,MAZ-SHC,participant,baseline,2024-03-01,female,1955,yes,weekly,"
        "uuid:1,uuid:1,5,Anna Nowak,0,,approved,collect:x,0,2024031501\n",
    )
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, interview_date::VARCHAR, sex, birth_year, exercise_freq FROM survey") == [
        ("PL-001", "2024-03-01", "female", 1955, "weekly")
    ]
    message = rows(con, "SELECT message FROM ingest_log")[0][0]
    assert message == (
        "columns outside the contract were dropped: SubmissionDate, meta-instanceID, KEY, SubmitterID, "
        "SubmitterName, Attachments, Status, ReviewState, DeviceID, Edits, FormVersion"
    )


KOBO_META = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]


def test_every_kobo_metadata_column_true_false_and_select_multiple_both_ways(data_root):
    header = ["start", "end", "today", "participant_id", "programme_id", "arm", "wave", "main/interview_date",
              "main/consent", "main/political_activity_12m", "main/training_4w", "help_needed",
              "help_needed/transport", "help_needed/training_4w", *KOBO_META]
    data = ["2024-03-01T10:00:00.000+02:00", "2024-03-01T10:20:00.000+02:00", "2024-03-01", "UA-1", "ZTRASS-WI",
            "participant", "baseline", "2024-03-01", "True", "False", "", "transport training_4w", "True", "True",
            "7", "u7", "2024-03-01T08:21:00", "validation_status_approved", "", "submitted_via_web", "olena",
            "vGfK3", "", "1"]
    write(data_root / "raw/kobo.csv", _kobo([header, data]))
    con = ingest(data_root / "raw")
    # Older servers write True/False; a choice column named like a contract item stays a choice.
    assert rows(con, "SELECT participant_id, consent, political_activity_12m, training_4w FROM survey") == [
        ("UA-1", True, False, None)
    ]
    assert rows(con, "SELECT columns_ignored FROM ingest_log") == [
        (", ".join(["start", "end", "today", "help_needed", "help_needed/transport", "help_needed/training_4w",
                    *KOBO_META]),)
    ]


def test_a_mapping_may_use_names_kobo_gives_its_metadata(data_root):
    # start, end, today, status and key are metadata in a Kobo export, but a questionnaire may
    # call its own questions so: nothing keeps a mapping from reading them.
    write(data_root / "mappings/own.yaml", """\
kind: survey
constants: {programme_id: ZTRASS-WI, consent: "yes"}
columns:
  key: participant_id
  today: interview_date
  start: wave
  status:
    to: arm
    values: {"1": participant, "2": comparison}
""")
    header = ["start", "end", "today", "key", "status", "_status", "_submission_time", "_id"]
    data = ["baseline", "2024-03-01T10:20:00.000+02:00", "2024-03-01", "UA-9", "2", "submitted_via_web",
            "2024-03-01T08:21:00", "9"]
    write(data_root / "raw/own.csv", _kobo([header, data]))
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, wave, arm, interview_date::VARCHAR FROM survey") == [
        ("UA-9", "baseline", "comparison", "2024-03-01")
    ]
    assert rows(con, "SELECT mapping, columns_ignored FROM ingest_log") == [
        ("mappings/own.yaml", "end, _status, _submission_time, _id")
    ]


UNMET_CARE = [  # which care did you need in the last 12 months but not get: select_multiple medical dental
    ("UA-1", "medical dental", "1", "1"),
    ("UA-2", "dental", "False", "True"),  # an older server's True/False
    ("UA-3", "", "", ""),  # not answered: every choice column empty, which is not "none selected"
]


@pytest.mark.parametrize("shape", ["details", "summary"])
def test_a_select_multiple_question_is_read_in_either_export_form(data_root, shape):
    design = ["participant_id", "programme_id", "arm", "wave", "interview_date", "consent"]
    if shape == "details":  # only the question/option 0/1 columns, no summary column
        header = [*design, "unmet_care/medical", "unmet_care/dental", "_index"]
        answers = [[pid, medical, dental] for pid, _, medical, dental in UNMET_CARE]
        mapping = "columns:\n  unmet_care/medical: unmet_medical_need_12m\n  unmet_care/dental: unmet_dental_need_12m\n"
    else:  # only the space-separated summary column
        header = [*design, "unmet_care", "_index"]
        answers = [[pid, summary] for pid, summary, _, _ in UNMET_CARE]
        mapping = ("derived:\n  unmet_medical_need_12m: {choice: unmet_care, option: medical}\n"
                   "  unmet_dental_need_12m: {choice: unmet_care, option: dental}\n")
    write(data_root / "mappings/care.yaml", "kind: survey\n" + mapping)
    lines = [header] + [[pid, "ZTRASS-WI", "participant", "baseline", "2024-03-01", "yes", *rest, str(i)]
                        for i, (pid, *rest) in enumerate(answers, start=1)]
    write(data_root / "raw/kobo.csv", _kobo(lines))
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, unmet_medical_need_12m, unmet_dental_need_12m FROM survey ORDER BY 1") == [
        ("UA-1", True, True), ("UA-2", False, True), ("UA-3", None, None)]
    assert rows(con, "SELECT count(*) FROM quarantine") == [(0,)]


def test_a_choice_must_give_a_yes_no_item(tmp_path):
    from pipelines.mapping import MappingError, load_mapping

    path = write(tmp_path / "m.yaml", "kind: survey\nderived:\n  sex: {choice: q, option: f}\n")
    with pytest.raises(MappingError, match="m.yaml line 3: choice gives yes or no, and sex is not a yes/no item"):
        load_mapping(path)
