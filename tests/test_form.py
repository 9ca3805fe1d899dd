"""``aai form``: the contract's questionnaire as an XLSForm, read by pyxform, and its
exports read back without a mapping file."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
import python_calamine as calamine
from pyxform.xls2xform import convert

from conftest import aai, ingest, rows, write
from kobo_exports import KOBO_META, kobo_csv, kobo_meta

from pipelines.mapping.form import ROW_RULES, write_form
from schemas import SQL_RULES

XFORMS = "{http://www.w3.org/2002/xforms}"


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    return write_form(tmp_path_factory.mktemp("form") / "questionnaire.xlsx")


def sheet(path: Path, name: str) -> list[dict[str, str]]:
    book = calamine.CalamineWorkbook.from_path(str(path))
    try:
        header, *data = book.get_sheet_by_name(name).to_python()
    finally:
        book.close()
    return [{k: str(v) for k, v in zip(header, row) if str(v)} for row in data]


def test_pyxform_reads_the_form_with_the_contracts_rules_as_constraints(form):
    warnings = []
    xform = convert(xlsform=str(form), warnings=warnings).xform
    assert warnings == []
    binds = {b.get("nodeset"): b.attrib for b in ElementTree.fromstring(xform).iter(f"{XFORMS}bind")}
    # schemas/survey.py: who5 0–5, ucla 1–3, deprivation 0–9, ISCED 0–8, the wave pattern,
    # birth year 1900 … interview year, no interview in the future.
    assert binds["/data/items/who5_1"]["constraint"] == ". >= 0 and . <= 5"
    assert binds["/data/items/ucla_3"]["constraint"] == ". >= 1 and . <= 3"
    assert binds["/data/items/deprivation_count"]["constraint"] == ". >= 0 and . <= 9"
    assert binds["/data/items/education_isced"]["constraint"] == ". >= 0 and . <= 8"
    assert binds["/data/design/wave"]["constraint"] == "regex(., '^(baseline|followup([1-9][0-9]*))$')"
    assert binds["/data/design/birth_year"]["constraint"] == (
        ". >= 1900 and . <= number(format-date( /data/design/interview_date , '%Y'))")
    assert binds["/data/design/interview_date"]["constraint"] == ". <= today()"
    # every row rule of the survey contract is in the form: as a constraint, or (consent) as skip logic
    assert {rule.name for rule in SQL_RULES["survey"]} == set(ROW_RULES) | {"no_consent"}
    assert {n.rsplit("/", 1)[-1] for n, b in binds.items() if b.get("required") == "true()"} == {
        "participant_id", "programme_id", "arm", "wave", "interview_date", "consent"}
    # Without consent nothing more is asked; age-banded items only in their band
    # (indicators.csv: employment 55–59 … 70–74, living alone 75+, making ends meet 65+).
    assert binds["/data/items"]["relevant"] == " /data/design/consent  = 'yes'"
    assert binds["/data/items/employment_status"]["relevant"] == " /data/age  = '' or ( /data/age  <= 74)"
    assert binds["/data/items/household_type"]["relevant"] == " /data/age  = '' or ( /data/age  >= 75)"
    assert binds["/data/items/make_ends_meet"]["relevant"] == " /data/age  = '' or ( /data/age  >= 65)"
    assert "relevant" not in binds["/data/items/exercise_freq"]


def test_labels_in_five_languages_come_from_the_vocabulary(form):
    choices = [c for c in sheet(form, "choices") if c["list_name"] == "sex"]
    assert [(c["name"], c["label::Russian (ru)"], c["label::Polish (pl)"]) for c in choices] == [
        ("female", "женский", "kobieta"), ("male", "мужской", "mężczyzna"), ("other", "другой", "inna")]
    birth = next(r for r in sheet(form, "survey") if r.get("name") == "birth_year")
    assert [birth[f"label::{lang}"] for lang in ("English (en)", "Ukrainian (uk)", "Belarusian (be)")] == [
        "Year of birth", "Рік народження", "Год нараджэння"]
    assert sheet(form, "settings")[0]["default_language"] == "English (en)"


ANSWERS = [  # three interviews, by the form's own names and codes
    {"participant_id": "P-1", "programme_id": "AAI-TEST", "group_id": "G-1", "arm": "participant",
     "wave": "baseline", "interview_date": "2024-03-01", "sex": "female", "birth_year": "1950", "disability": "no",
     "consent": "yes", "age": "74", "employment_status": "self_employed", "exercise_freq": "daily",
     "make_ends_meet": "fairly_easily", "deprivation_count": "2", "who5_1": "3", "internet_freq": "weekly",
     "education_isced": "3", "ucla_1": "2", "self_rated_health": "very_good"},
    {"participant_id": "P-2", "programme_id": "AAI-TEST", "arm": "comparison", "wave": "followup1",
     "interview_date": "2024-03-02", "sex": "male", "birth_year": "1940", "disability": "yes", "consent": "yes",
     "age": "84", "exercise_freq": "never", "household_type": "alone", "make_ends_meet": "great_difficulty",
     "who5_1": "0", "ucla_1": "3", "self_rated_health": "bad"},
    {"participant_id": "P-3", "programme_id": "AAI-TEST", "group_id": "G-1", "arm": "participant",
     "wave": "baseline", "interview_date": "2024-03-03", "sex": "female", "birth_year": "1952", "consent": "no",
     "age": "72"},
]


def kobo_export(form: Path, labels: bool) -> str:
    """The three interviews as KoboToolbox exports this form by default ("Labels" in the
    default language, groups in headers joined by /) or with "XML values and headers"."""
    language = sheet(form, "settings")[0]["default_language"]
    choice = {(c["list_name"], c["name"]): c[f"label::{language}"] for c in sheet(form, "choices")}
    header, fields, groups = ["start", "end"], [], []
    for row in sheet(form, "survey"):
        if row["type"] == "begin_group":
            groups.append(row[f"label::{language}"] if labels else row["name"])
        elif row["type"] == "end_group":
            groups.pop()
        else:
            title = row.get(f"label::{language}", row["name"]) if labels else row["name"]
            header.append("/".join([*groups, title]))
            fields.append(row)
    lines = [[*header, *KOBO_META]]
    for number, answers in enumerate(ANSWERS, start=1):
        cells = []
        for field in fields:
            value = answers.get(field["name"], "")
            if labels and value and field["type"].startswith("select_one "):
                value = choice[(field["type"].split()[1], value)]
            cells.append(value)
        lines.append(["2024-03-01T10:00:00.000+02:00", "2024-03-01T10:20:00.000+02:00", *cells, *kobo_meta(number)])
    return kobo_csv(lines)


@pytest.mark.parametrize("labels", [True, False], ids=["labels", "xml-names"])
def test_an_export_of_the_form_is_read_back_without_a_mapping_file(form, data_root, labels):
    export = kobo_export(form, labels)
    if labels:
        assert '"Interview/Year of birth"' in export and '"every day or almost every day"' in export
    write(data_root / "raw/aai_survey.csv", export)
    con = ingest(data_root / "raw")
    assert rows(con, "SELECT participant_id, group_id, arm, wave, sex, birth_year, disability, employment_status, "
                     "exercise_freq, household_type, make_ends_meet, deprivation_count, who5_1, internet_freq, "
                     "education_isced, ucla_1, self_rated_health FROM survey ORDER BY 1") == [
        ("P-1", "G-1", "participant", "baseline", "female", 1950, False, "self_employed", "daily", None,
         "fairly_easily", 2, 3, "weekly", 3, 2, "very_good"),
        ("P-2", None, "comparison", "followup1", "male", 1940, True, None, "never", "alone", "great_difficulty",
         None, 0, None, None, 3, "bad"),
    ]
    # The respondent who did not consent is quarantined for that, and for nothing else.
    assert rows(con, "SELECT source_row, rule FROM quarantine") == [(4, "no_consent")]
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, mapping FROM ingest_log") == [(3, 2, 1, None)]
    ignored = rows(con, "SELECT columns_ignored FROM ingest_log")[0][0]
    assert ignored == ", ".join(["start", "end", "age", *KOBO_META])


def test_aai_form_writes_the_workbook(tmp_path):
    done = aai("form", "--out", str(tmp_path / "q.xlsx"))
    assert done.returncode == 0, done.stderr
    assert convert(xlsform=str(tmp_path / "q.xlsx")).xform.startswith("<?xml")
