"""Mapping files: a programme's own questionnaire read as the contract, or refused with a line."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from conftest import GROUPS, aai, ingest, rows, write

from pipelines import vocabulary
from pipelines.indicators.build import build_indicators
from pipelines.mapping import MappingError, load_mapping
from pipelines.sample import generate

SURVEY_FILE = "zhytomyr/survey_zhytomyr_2024-2025.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo's groups and its Zhytomyr programme: interval estimation over all three
    programmes would make this the slowest test of the fast tier."""
    root = tmp_path_factory.mktemp("original")
    generate(root / "all", participants_scale=0.5)
    (root / "raw").mkdir()
    shutil.copy(root / "all/groups.csv", root / "raw/groups.csv")
    shutil.copytree(root / "all/zhytomyr", root / "raw/zhytomyr")
    return root


# The Zhytomyr survey as another organisation's questionnaire would hold it: its own
# column names, the id split in two, sex as 1/2, exercise as numbered labels, WHO-5
# item 3 asked the other way round, waves named "Хвиля 1/2", the programme given by
# the mapping (no column), and a name column nobody needs.
RENAMED = {"group_id": "Група", "arm": "Статус", "interview_date": "Дата опитування", "birth_year": "Рік народження",
           "consent": "Згода"}
SEX = {"female": "1", "male": "2"}
WAVES = {"baseline": "Хвиля 1", "followup1": "Хвиля 2"}
EXERCISE = {code: f"{n}. {vocabulary.label('frequency', code, 'uk').capitalize()}"
            for n, code in enumerate(vocabulary.codes("frequency"), start=1)}


def _recode(row: dict[str, str]) -> dict[str, str]:
    district, _, number = row["participant_id"].rpartition("-")
    out = {"Район": district, "Номер": number, "ПІБ": "Тестова Особа"}
    for name, value in row.items():
        if name in ("participant_id", "programme_id"):
            continue
        code = vocabulary.lookup("sex").get(value.strip().casefold(), "") if name == "sex" else ""
        if name == "sex" and code in SEX:
            value = SEX[code]
        elif name == "wave":
            value = WAVES.get(value, value)
        elif name == "exercise_freq" and value:
            value = EXERCISE.get(vocabulary.lookup("frequency").get(value.strip().casefold(), ""), value)
        elif name == "who5_3" and value.isdigit() and int(value) <= 5:
            value = str(5 - int(value))
        out[RENAMED.get(name, f"Q {name}")] = value
    return out


MAPPING = """\
# The Zhytomyr survey in its own words (docs/questionnaire.md)
kind: survey
files: ["zhytomyr/survey_*.csv"]
constants:
  programme_id: ZTRASS-WI
derived:
  participant_id:
    join: [Район, Номер]
    separator: "-"
columns:
  Група: group_id
  Статус: arm
  Дата опитування: interview_date
  Рік народження: birth_year
  Згода: consent
  Q wave:
    to: wave
    values:
      Хвиля 1: baseline
      Хвиля 2: followup1
  Q sex:
    to: sex
    values: {"1": female, "2": male}
  Q exercise_freq:
    to: exercise_freq
    values:
{exercise}
  Q who5_3:
    to: who5_3
    reverse: true
{others}
ignore: [ПІБ]
"""


def _mapping_text(header: list[str]) -> str:
    mapped = {"wave", "sex", "exercise_freq", "who5_3"}
    others = "".join(f"  Q {name}: {name}\n" for name in header
                     if name not in mapped | set(RENAMED) | {"participant_id", "programme_id"})
    exercise = "".join(f"      {label}: {code}\n" for code, label in EXERCISE.items())
    return MAPPING.replace("{exercise}\n", exercise).replace("{others}\n", others)


def test_a_recoded_survey_and_its_mapping_give_the_same_indicators(demo, tmp_path):
    copy = tmp_path / "recoded"
    shutil.copytree(demo / "raw", copy / "raw")
    with (demo / "raw" / SURVEY_FILE).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        recoded = [_recode(row) for row in reader]
        header = reader.fieldnames
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(recoded[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(recoded)
    write(copy / "raw" / SURVEY_FILE, text.getvalue())
    write(copy / "mappings" / "zhytomyr.yaml", _mapping_text(header))

    original, mapped = ingest(demo / "raw", mappings=True), ingest(copy / "raw", mappings=True)
    assert rows(mapped, f"SELECT mapping, rows_read, rows_loaded, columns_ignored FROM ingest_log "
                        f"WHERE source_file = '{SURVEY_FILE}'") == [
        ("mappings/zhytomyr.yaml", *rows(original, f"SELECT rows_read, rows_loaded FROM ingest_log "
                                                   f"WHERE source_file = '{SURVEY_FILE}'")[0], "ПІБ")
    ]
    # The quarantine shows what the file holds, not the mapped code: the planted WHO-5 item 3
    # of 7 and the refused consent 'ні' read the same in both.
    problems = "SELECT source_row, column_name, rule, value, effect FROM quarantine ORDER BY ALL"
    assert rows(mapped, problems) == rows(original, problems)
    assert ("who5_3", "out_of_range", "7") in {r[1:4] for r in rows(mapped, problems)}
    survey = "SELECT * EXCLUDE (source_file, source_row, source_line) FROM survey ORDER BY participant_id, wave"
    assert rows(mapped, survey) == rows(original, survey)
    for con in (original, mapped):
        build_indicators(con, min_cell=5)
    indicators = "SELECT * FROM indicators ORDER BY ALL"
    assert len(rows(original, indicators)) > 50
    assert rows(mapped, indicators) == rows(original, indicators)
    for (table,) in rows(mapped, "SELECT table_name FROM information_schema.tables"):
        assert "Тестова" not in str(rows(mapped, f"SELECT * FROM {table}")), table


def test_own_answers_override_the_shared_vocabulary_and_derive_items(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "mappings/brc.yaml", """\
kind: survey
constants: {programme_id: BRC-WWC, arm: participant, wave: baseline, consent: "yes"}
columns:
  Код: participant_id
  Группа: group_id
  Дата: interview_date
  Настроение:
    to: who5_1
    values: {Никогда: 0, Иногда: 2, Всегда: 5}
  Здоровье:
    to: self_rated_health
    values:
      1. Очень хорошее: very_good
      4. Плохое: bad
      Да: very_good   # a column's own answers win over the shared ones (да = yes)
derived:
  birth_year: {age: Возраст, date: Дата}
  who5_2: {sum: [Q2a, Q2b]}
""")
    write(data_root / "raw/brc.csv",
          "Код;Группа;Дата;Возраст;Настроение;Здоровье;Q2a;Q2b\n"
          "P1;BY-GRO-001;15.03.2024;70;всегда;4. плохое.;1;2\n"
          "P2;BY-GRO-001;15.03.2024;66;часто;да;1;\n"
          "P3;BY-GRO-001;15.03.2024;x;0;1. Очень хорошее;;\n"
          "P4;BY-GRO-001;15.03.2024;70;Никогда;Да;4;4\n")
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, programme_id, birth_year, who5_1, who5_2, self_rated_health "
                     "FROM survey ORDER BY 1") == [
        ("P1", "BRC-WWC", 1954, 5, 3, "bad"),
        ("P2", "BRC-WWC", 1958, None, None, "very_good"),
        ("P4", "BRC-WWC", 1954, 0, None, "very_good"),
    ]
    assert rows(con, "SELECT source_row, column_name, rule, value, effect FROM quarantine ORDER BY ALL") == [
        (3, "who5_1", "not_a_number", "часто", "cell"),
        (3, "who5_2", "not_a_number", "1 + (empty)", "cell"),
        (4, "birth_year", "not_a_number", "age x at interview 15.03.2024", "row"),
        (5, "who5_2", "out_of_range", "8", "cell"),
    ]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, mapping FROM ingest_log "
                     "WHERE source_file = 'brc.csv'") == [(4, 3, 1, "mappings/brc.yaml")]


def test_a_column_the_mapping_reads_is_missing_with_its_line_and_close_match(data_root):
    write(data_root / "mappings/m.yaml", "kind: survey\nfiles: [s.csv]\ncolumns:\n  Код: participant_id\n"
                                         "  Волна: wave\n")
    write(data_root / "raw/s.csv", "Код;Волнаа;arm;programme_id;interview_date;consent\n"
                                   "P1;baseline;participant;X;2024-03-01;yes\n")
    con = ingest(data_root / "raw", mappings=True)
    ((status, message, loaded),) = rows(con, "SELECT status, message, rows_loaded FROM ingest_log")
    assert loaded == 0 and status == "loaded_with_quarantine"
    assert message.startswith("column Волна is missing (mappings/m.yaml line 5 reads it for wave) — did you mean "
                              "Волнаа? (rename it to Волна, or correct the mapping); wave is required")


def test_signature_and_files_rules_choose_the_mapping(data_root):
    write(data_root / "mappings/a_by_header.yaml", "columns:\n  Код: participant_id\n  Волна: wave\n")
    write(data_root / "mappings/b_folder.yaml",
          "files: ['maz/*']\nconstants:\n  programme_id: MAZ-SHC\n")
    write(data_root / "raw/x.csv", "Код,Волна,programme_id,arm,interview_date,consent\nP1,baseline,A,participant,"
                                   "2024-03-01,yes\n")
    write(data_root / "raw/maz/y.csv", "participant_id,wave,arm,interview_date,consent\nP2,baseline,participant,"
                                       "2024-03-01,yes\n")
    write(data_root / "raw/z.csv", "participant_id,wave,programme_id,arm,interview_date,consent\n"
                                   "P3,baseline,B,participant,2024-03-01,yes\n")
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT source_file, mapping FROM ingest_log ORDER BY 1") == [
        ("maz/y.csv", "mappings/b_folder.yaml"), ("x.csv", "mappings/a_by_header.yaml"), ("z.csv", None)
    ]
    assert rows(con, "SELECT participant_id, programme_id FROM survey ORDER BY 1") == [
        ("P1", "A"), ("P2", "MAZ-SHC"), ("P3", "B")
    ]


def test_a_mapping_can_mark_a_look_alike_column_ignored(data_root):
    header = "participant_id,programme_id,arm,wave,interview_date,consent,who5_33\n"
    write(data_root / "raw/s.csv", header + "P1,X,participant,baseline,2024-03-01,yes,3\n")
    log = "SELECT message, columns_ignored FROM ingest_log"
    assert "did you mean who5_33" in rows(ingest(data_root / "raw", mappings=True), log)[0][0]
    write(data_root / "mappings/m.yaml", "files: [s.csv]\nignore: [who5_33]\n")
    ((message, ignored),) = rows(ingest(data_root / "raw", mappings=True), log)
    assert "who5_3" not in message.replace("who5_33", "") and ignored == "who5_33"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("columns:\n  Q1: who5_33\n", "line 2: who5_33 is not a column of any kind of file — did you mean who5_3?"),
        ("kind: survey\ncolumns:\n  A: participant_id\n  B: participant_id\n",
         "line 4: participant_id is already given by line 3; a contract column takes one source"),
        ("columns:\n  A: wave\nconstants:\n  wave: baseline\n", "line 4: wave is already given by line 2"),
        ("columns:\n  Q7:\n    to: exercise_freq\n    values:\n      '1': daily\n      1: weekly\n",
         "line 6: '1' is given twice in the answers of exercise_freq (also line 5)"),
        ("columns:\n  Q7:\n    to: exercise_freq\n    values:\n      Ok.: daily\n      ok: weekly\n",
         "line 6: the answer 'ok' of exercise_freq is given twice (also line 5)"),
        ("columns:\n  Q7:\n    to: exercise_freq\n    values: {'1': dayly}\n",
         "line 4: 'dayly' is not an answer code of exercise_freq; expected one of daily, weekly, monthly, "
         "less_often, never"),
        ("columns:\n  A: who5_1\n  A: who5_2\n", "line 3: 'A' is given twice in columns (also line 2)"),
        ("columns:\n  Q: {to: sex, reverse: true}\n", "line 2: reverse is for numbered items"),
        ("colums:\n  A: wave\n", "line 1: unknown section 'colums'"),
        ("columns:\n  A: wave\n  - B\n", "line 3: not valid YAML"),
        ("constants:\n  who5_1: 9\n", "line 2: '9' is not a value of who5_1; expected 0–5"),
        ("columns:\n  Q:\n    to: sex\n    values:\n      ru: {Ж: female}\n      ua: {Ж: female}\n",
         "line 6: 'ua' is not a language of the questionnaire; expected one of en, ru, uk, be, pl"),
        ("columns:\n  Q:\n    to: sex\n    values:\n      ru: {Ж: female}\n      uk: {ж: male}\n",
         "line 6: the answer 'ж' of sex is given twice (also line 5)"),
    ],
)
def test_a_bad_mapping_names_its_file_and_line(tmp_path, text, error):
    path = write(tmp_path / "mappings/bad.yaml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path, shown_from=tmp_path)
    assert f"mappings/bad.yaml {error}" in str(caught.value)


def test_a_bad_mapping_stops_the_run_before_any_data_is_read(data_root):
    from conftest import aai

    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "mappings/bad.yaml", "columns:\n  Q1: who5_33\n")
    done = aai("run", root=data_root)
    assert done.returncode == 2
    assert "mappings/bad.yaml line 2: who5_33 is not a column of any kind of file — did you mean who5_3?" in \
        " ".join(done.stderr.split())
    assert not (data_root / "processed/warehouse.duckdb").exists()


def test_the_worked_example_of_the_data_contract_reads_as_documented(data_root):
    """docs/data-contract.md, "Your own questionnaire": its file and mapping, as printed."""
    text = (Path(__file__).parents[1] / "docs/data-contract.md").read_text(encoding="utf-8")
    chapter = text[text.index("## Your own questionnaire"):]
    blocks = chapter.split("```")
    export = next(b for b in blocks if b.startswith("\nКод;"))
    mapping = next(b for b in blocks if b.startswith("yaml\n# Brest"))
    write(data_root / "raw/brest/wellbeing_2024.csv", export.lstrip("\n"))
    write(data_root / "mappings/brest-wellbeing.yaml", mapping.removeprefix("yaml\n"))
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, programme_id, arm, wave, sex, birth_year, age, consent, exercise_freq, "
                     "who5_3 FROM survey ORDER BY 1") == [
        ("BRE-017", "BRC-WWC", "participant", "baseline", "female", 1953, 71, True, "weekly", 4),
        ("BRE-018", "BRC-WWC", "participant", "baseline", "male", 1958, 66, True, "less_often", 0),
    ]
    assert rows(con, "SELECT mapping, message, columns_ignored FROM ingest_log") == [
        ("mappings/brest-wellbeing.yaml", "columns outside the contract were dropped: ФИО, who5_33", "ФИО, who5_33")
    ]


def test_a_folder_mapping_of_constants_keeps_a_register_grid_a_grid(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "mappings/brc.yaml", "files: ['brc/*']\nconstants:\n  programme_id: BRC-WWC\n")
    write(data_root / "raw/brc/register.csv", "group_id;participant_id;full_name;01.03.2024;08.03.2024\n"
                                              "BY-GRO-001;P1;Olena;x;\nBY-GRO-001;P2;Ivan;-;x\n")
    write(data_root / "raw/brc/survey.csv", "participant_id,programme_id,arm,wave,interview_date,consent\n"
                                            "P1,OTHER,participant,baseline,2024-03-01,yes\n")
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, session_date::VARCHAR, attended FROM attendance ORDER BY ALL") == [
        ("P1", "2024-03-01", True), ("P1", "2024-03-08", False), ("P2", "2024-03-01", False),
        ("P2", "2024-03-08", True),
    ]
    assert rows(con, "SELECT participant_id, programme_id FROM survey") == [("P1", "BRC-WWC")]
    assert rows(con, "SELECT source_file, mapping, columns_ignored FROM ingest_log ORDER BY 1") == [
        ("brc/register.csv", "mappings/brc.yaml", "full_name"),
        ("brc/survey.csv", "mappings/brc.yaml", "programme_id"),
        ("groups.csv", None, ""),
    ]


def test_answers_may_be_grouped_by_language(data_root):
    write(data_root / "mappings/m.yaml", """\
kind: survey
constants: {programme_id: X, arm: participant, wave: baseline, consent: "yes", interview_date: 2024-03-01}
columns:
  id: participant_id
  Стать / Пол:
    to: sex
    values:
      ru: {Ж: female, М: male}
      uk: {Ж: female, Ч: male}   # the same spelling in two languages, for the same code
""")
    write(data_root / "raw/s.csv", "id,Стать / Пол\nP1,ж\nP2,Ч\nP3,м\n")
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT participant_id, sex FROM survey ORDER BY 1") == [("P1", "female"), ("P2", "male"),
                                                                             ("P3", "male")]


def test_aai_check_reads_a_file_through_the_data_roots_mapping(data_root):
    # The files rule is relative to raw/, and the mapping's ignore silences the look-alike.
    write(data_root / "mappings/brc.yaml", 'files: ["brc/*.csv"]\nconstants: {programme_id: BRC-WWC, consent: "yes"}\n'
                                           "columns: {Код: participant_id}\nignore: [who5_33]\n")
    survey = write(data_root / "raw/brc/s.csv", "Код,arm,wave,interview_date,who5_33\nP1,participant,baseline,"
                                                "2024-03-15,4\n")
    done = aai("check", str(survey), root=data_root)
    text = " ".join(done.stdout.split())
    assert done.returncode == 0, text
    assert "1 rows, 0 would be quarantined" in text and "read through the mapping mappings/brc.yaml" in text
    outside = write(data_root / "elsewhere/s.csv", survey.read_text())
    unmapped = aai("check", str(outside), root=data_root)
    assert unmapped.returncode == 1  # outside raw/ the rule does not apply: Код is no contract column
    assert "s.csv: unknown, utf-8, delimiter ',', 1 rows, 1 would be quarantined" in " ".join(unmapped.stdout.split())
