"""``aai map``: a draft mapping for a new export, placed column by column with a score."""

from pathlib import Path

import pytest

from conftest import aai, ingest, rows, write
from kobo_exports import KOBO_META, KOBO_RU_LABELS_HEADER, KOBO_RU_LABELS_ROWS, kobo_csv

from pipelines.mapping import load_mapping
from pipelines.mapping.draft import draft


@pytest.fixture
def kobo_ru(data_root: Path) -> Path:
    return write(data_root / "raw/kobo_ru.csv", kobo_csv([KOBO_RU_LABELS_HEADER, *KOBO_RU_LABELS_ROWS]))


def test_a_russian_kobo_label_export_places_every_contract_column_it_holds(kobo_ru):
    result = draft(kobo_ru)
    assert result.kind == "survey"
    placed = {p.header: (p.target, p.score) for p in result.placed}
    assert placed == {
        "Идентификатор участника": ("participant_id", 1.0),
        "Программа": ("programme_id", 1.0),
        "Группа исследования": ("arm", 1.0),
        "Волна опроса": ("wave", 1.0),
        "Основное/Дата интервью": ("interview_date", 1.0),  # a group label before the question's
        "Основное/Пол": ("sex", 1.0),
        "Основное/Год рождения": ("birth_year", 1.0),
        "Согласие на участие": ("consent", 1.0),
        "Есть ли у вас инвалидность?": ("disability", 1.0),
        # the contract's words in another order: close, not exact
        "Вопросы/Как часто вы занимаетесь спортом или физическими упражнениями?": ("exercise_freq", 0.99),
        "Вопросы/Как часто вы пользуетесь интернетом?": ("internet_freq", 1.0),
        "Вопросы/С кем вы живете?": ("household_type", 1.0),  # е for ё
        "Вопросы/Как вы оцениваете своё здоровье в целом?": ("self_rated_health", 1.0),
        "Вопросы/Я чувствовал(а) себя бодрым(ой) и в хорошем настроении": ("who5_1", 1.0),
    }
    why = {u.header: u.why for u in result.unplaced}
    assert why["ФИО"] == why["Телефон"] == "like no contract column"
    assert why["Какая помощь нужна/Транспорт"] == "a choice of the select-multiple question какая_помощь_нужна"
    assert {h for h, w in why.items() if w == "form metadata (ingestion ignores it)"} == {"start", "end", *KOBO_META}
    assert result.missing == []
    exercise = next(p for p in result.placed if p.target == "exercise_freq")
    # "3. Раз или два в месяц" is the label "раз или два в месяц" numbered; "Живу одна" is
    # "живу один" (alone) said by a woman: 2 × 8 matching letters of 9 + 9 = 0.89.
    assert exercise.values == (("3. Раз или два в месяц", "monthly", 1.0, "a numbered label"),)
    assert exercise.unplaced == ("Затрудняюсь ответить",)
    household = next(p for p in result.placed if p.target == "household_type")
    assert household.values == (("Живу одна", "alone", 0.89, "close to a label"),)


def test_the_draft_loads_and_reads_the_export_it_was_drafted_from(kobo_ru, data_root):
    draft_path = write(data_root / "mappings/kobo_ru.yaml", draft(kobo_ru).yaml())
    mapping = load_mapping(draft_path)
    assert mapping.kind == "survey" and len(mapping.columns) == 14
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, arm, sex, birth_year, consent, disability, exercise_freq, internet_freq, "
                     "household_type, self_rated_health, who5_1 FROM survey ORDER BY 1") == [
        ("BY-101", "participant", "female", 1950, True, False, "weekly", "daily", "alone", "good", 3),
        ("BY-102", "comparison", "male", 1948, True, True, "monthly", "never", "couple", "fair", 4),
        ("BY-103", "participant", "female", 1944, True, False, None, "less_often", "alone", "bad", 2),
    ]
    # The one answer the draft could not place is the one cell quarantined, as written.
    assert rows(con, "SELECT source_row, column_name, value, effect FROM quarantine") == [
        (4, "exercise_freq", "Затрудняюсь ответить", "cell")
    ]
    assert rows(con, "SELECT mapping, rows_read, rows_loaded FROM ingest_log") == [("mappings/kobo_ru.yaml", 3, 3)]


def test_one_and_two_for_yes_and_no_are_left_to_a_person(data_root):
    path = write(data_root / "raw/q.csv", "participant_id,wave,consent,disability\nP1,baseline,1,2\nP2,baseline,1,1\n")
    disability = next(p for p in draft(path).placed if p.target == "disability")
    assert disability.values == () and disability.unplaced == ("1", "2")
    assert disability.advice == "1 and 2: say under values which one is yes (1 alone would be read as yes)"


def test_a_misspelt_column_is_placed_with_its_score_and_the_required_missing_are_named(data_root):
    path = write(data_root / "raw/q.csv", "participant_id,wave,who5_33,ФИО\nP1,baseline,4,Анна\n")
    result = draft(path)
    # difflib: 2 × 6 matching characters of 7 + 6 = 0.92
    assert [(p.header, p.target, p.score, p.how) for p in result.placed] == [
        ("participant_id", "participant_id", 1.0, "name"), ("wave", "wave", 1.0, "name"),
        ("who5_33", "who5_3", 0.92, "close to the name"),
    ]
    assert result.missing == ["programme_id", "arm", "interview_date", "consent"]
    text = result.yaml()
    assert "#   programme_id: …" in text and '"who5_33": who5_3  # close to the name, 0.92' in text


def test_aai_map_shows_the_tables_writes_the_draft_and_never_overwrites(kobo_ru, tmp_path):
    out = tmp_path / "draft.yaml"
    done = aai("map", str(kobo_ru), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "placed as survey" in done.stdout and "not placed" in done.stdout and "Затрудняюсь ответить" in done.stdout
    assert f"draft: {out}" in done.stdout
    assert load_mapping(out).kind == "survey"
    again = aai("map", str(kobo_ru), "--out", str(out))
    assert again.returncode == 2 and "exists" in again.stderr


def test_odk_central_group_paths_and_metadata(data_root):
    path = write(data_root / "raw/odk.csv",
                 "SubmissionDate,grp_main-participant_id,grp_main-wave,grp_main-interview_dat,grp_items-exercise_freq,"
                 "meta-instanceID,KEY,SubmitterName,ReviewState\n"
                 "2024-03-02T10:00:00.000Z,PL-001,baseline,2024-03-01,weekly,uuid:1,uuid:1,Anna Nowak,approved\n")
    result = draft(path)
    assert [(p.header, p.target, p.score, p.how) for p in result.placed] == [
        ("grp_main-participant_id", "participant_id", 1.0, "name after a group path"),
        ("grp_main-wave", "wave", 1.0, "name after a group path"),
        # difflib: 2 × 13 matching characters of 13 + 14 = 0.96
        ("grp_main-interview_dat", "interview_date", 0.96, "close to the name after a group path"),
        ("grp_items-exercise_freq", "exercise_freq", 1.0, "name after a group path"),
    ]
    assert {u.header for u in result.unplaced} == {"SubmissionDate", "meta-instanceID", "KEY", "SubmitterName",
                                                   "ReviewState"}
    assert {u.why for u in result.unplaced} == {"form metadata (ingestion ignores it)"}


def test_a_header_given_twice_is_placed_once_and_an_unreadable_file_is_one_line(data_root, tmp_path):
    path = write(data_root / "raw/q.csv", "participant_id;Wave;wave\nP1;baseline;baseline\n")
    result = draft(path)
    assert [p.header for p in result.placed] == ["participant_id", "Wave"]
    assert [(u.header, u.why) for u in result.unplaced] == [("wave", "the same header as column 2: rename one of them")]
    empty = write(data_root / "raw/empty.csv", "")
    done = aai("map", str(empty), "--out", str(tmp_path / "d.yaml"))
    assert done.returncode == 2 and "could not be read: the file is empty (0 bytes)" in done.stderr.replace("\n", " ")
    assert not (tmp_path / "d.yaml").exists()
