"""A questionnaire's own outcome measures declared in its mapping file: read as written,
or refused with the file and the line before any data is read."""

from pathlib import Path

import pandas as pd
import pytest
from conftest import GROUPS, aai, ingest, rows, write

from pipelines import catalogue
from pipelines.indicators.build import build_indicators
from pipelines.mapping import MappingError, load_mapping, load_mappings
from pipelines.mapping.measures import catalogue_rows

K6 = """\
kind: survey
files: ["helpage/*.csv"]
columns:
  ID: participant_id
  Group: group_id
  Date: interview_date
  Sex: {to: sex, values: {F: female, M: male}}
  Wave: {to: wave, values: {"1": baseline, "2": followup1}}
constants: {programme_id: BRC-WWC, arm: participant, consent: "yes"}
derived:
  birth_year: {age: Age, date: Date}
indicators:
  P.k6_mean:
    name:
      en: K6 psychological distress (mean score)
      ru: Психологический дистресс K6 (средний балл)
    kind: mean
    scale: [0, 12]
    population: 60+
    items: {k6_1: Q20a, k6_2: Q20b, k6_3: Q20c}
    reverse: [k6_1, k6_2, k6_3]
    item_scale: [1, 5]
    rule: k6_1 + k6_2 + k6_3 - 3
    citation: Kessler et al. 2002
  P.adl_independent:
    name: Independent in all Katz ADL activities
    kind: share
    population: all
    items: [adl_bathing, adl_dressing]
    rule: CASE WHEN adl_bathing = 1 AND adl_dressing = 1 THEN 1 ELSE 0 END
    citation: Katz et al. 1963
"""


# Twelve respondents of two groups. K6 items are coded 1 (all of the time) … 5 (none of
# the time), so each is reversed (6 − v) and the rule subtracts 3: a score 0–12, for
# respondents 60 and over. By hand, the K6 score of each respondent it counts:
#   P01 1,1,1 → 5+5+5−3 = 12   P02 5,5,5 → 0    P03 3,3,3 → 6    P04 2,4,5 → 4+2+1−3 = 4
#   P07 2,2,2 → 9   P08 5,4,3 → 1+2+3−3 = 3   P09 3,2,1 → 3+4+5−3 = 9   P11 4,4,4 → 3
#   P12 1,2,3 → 5+4+3−3 = 9;  P05 is 58, P06 left an item empty, P10 wrote x: not counted.
# n = 9, sum 55, mean 55/9; BY-GRO-001: P01–P04, 22/4; BY-VIT-002: P07–P09, P11, P12, 33/5.
# ADL independent (both items 1), everyone: P09 left one empty, so n = 11, of whom P01, P03,
# P05, P06, P07, P10 are independent: 6 of 11.
HELPAGE = """\
ID;Group;Date;Age;Sex;Q20a;Q20b;Q20c;adl_bathing;adl_dressing;Name;Wave
P01;BY-GRO-001;15.03.2024;70;F;1;1;1;1;1;A;1
P02;BY-GRO-001;15.03.2024;65;F;5;5;5;1;0;B;1
P03;BY-GRO-001;15.03.2024;80;M;3;3;3;1;1;C;1
P04;BY-GRO-001;15.03.2024;62;M;2;4;5;0;0;D;1
P05;BY-GRO-001;15.03.2024;58;F;1;1;1;1;1;E;1
P06;BY-GRO-001;15.03.2024;75;F;4;4;;1;1;F;1
P07;BY-VIT-002;15.03.2024;71;M;2;2;2;1;1;G;1
P08;BY-VIT-002;15.03.2024;68;F;5;4;3;0;1;H;1
P09;BY-VIT-002;15.03.2024;90;F;3;2;1;;1;I;1
P10;BY-VIT-002;15.03.2024;66;M;x;2;2;1;1;J;1
P11;BY-VIT-002;15.03.2024;61;F;4;4;4;0;0;K;1
P12;BY-VIT-002;15.03.2024;77;M;1;2;3;1;0;L;1
"""


@pytest.fixture
def declared():
    """The catalogue of the data root under test, and the project's alone afterwards."""
    yield lambda root: catalogue.declare(catalogue_rows(load_mappings(root / "mappings", shown_from=root)))
    catalogue.declare(catalogue_rows(()))


def test_declared_measures_are_computed_from_their_items(data_root, declared):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/helpage/survey.csv", HELPAGE)
    write(data_root / "mappings/helpage.yaml", K6)
    declared(data_root)
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT rows_read, rows_loaded, columns_ignored FROM ingest_log "
                     "WHERE source_file = 'helpage/survey.csv'") == [(12, 12, "Name")]
    assert rows(con, "SELECT count(*), count(DISTINCT item) FROM survey_items") == [(12 * 5 - 2, 5)]
    build_indicators(con, min_cell=5)
    cells = "FROM indicators WHERE arm = 'participant' AND wave = 'baseline' AND sex = 'all' AND age_band = 'all' " \
            "AND disability = 'all' AND (group_id <> 'all' OR country = 'all')"
    assert rows(con, f"SELECT indicator, group_id, numerator, denominator, round(value, 6) {cells} "
                     "AND programme_id = 'BRC-WWC' ORDER BY 1, 2") == [
        ("P.adl_independent", "BY-GRO-001", 4.0, 6, round(100 * 4 / 6, 6)),
        ("P.adl_independent", "BY-VIT-002", 2.0, 5, 40.0),
        ("P.adl_independent", "all", 6.0, 11, round(100 * 6 / 11, 6)),
        ("P.k6_mean", "BY-GRO-001", 22.0, 4, 5.5),
        ("P.k6_mean", "BY-VIT-002", 33.0, 5, 6.6),
        ("P.k6_mean", "all", 55.0, 9, round(55 / 9, 6)),
    ]
    # two groups: the programme's cells say why they have no interval, as the catalogue's own do
    assert rows(con, f"SELECT DISTINCT interval_note {cells} AND programme_id = 'BRC-WWC' AND group_id = 'all'") \
        == [("No interval: fewer than 4 groups. With so few groups no interval can separate the programme from "
             "what happened to each of its groups.",)]


def test_an_unreadable_item_is_a_quarantined_cell_and_the_row_loads(data_root, declared):
    """P10's Q20a is x (not a number) and, here, P11's Q20b is 7 (K6 items run 1–5): each
    cell is NULL in survey_items with a quarantine record, and both respondents load."""
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/helpage/survey.csv", HELPAGE.replace("P11;BY-VIT-002;15.03.2024;61;F;4;4;4",
                                                                "P11;BY-VIT-002;15.03.2024;61;F;4;7;4"))
    write(data_root / "mappings/helpage.yaml", K6)
    declared(data_root)
    con = ingest(data_root / "raw", mappings=True)
    assert rows(con, "SELECT rows_read, rows_loaded, rows_quarantined, cells_quarantined, status FROM ingest_log "
                     "WHERE source_file = 'helpage/survey.csv'") == [(12, 12, 0, 2, "loaded_with_quarantine")]
    where = "mappings/helpage.yaml line 13"
    assert rows(con, "SELECT source_file, source_row, source_line, source_column, table_name, column_name, rule, "
                     "value, reason, effect FROM quarantine ORDER BY source_row") == [
        ("helpage/survey.csv", 11, 11, 0, "survey_items", "Q20a", "not_a_number", "x",
         "Q20a: 'x' is not a number; a declared measure reads its items as numbers", "cell"),
        ("helpage/survey.csv", 12, 12, 0, "survey_items", "Q20b", "out_of_range", "7",
         f"Q20b is 7; expected 1–5 (the item_scale of P.k6_mean, {where})", "cell"),
    ]
    # the record shows the row as written, as for a contract item's cell
    assert rows(con, "SELECT DISTINCT record->>'participant_id' FROM quarantine ORDER BY 1") == [("P10",), ("P11",)]
    # the respondents load with their other answers; the cells are NULL for their item
    assert rows(con, "SELECT participant_id FROM survey WHERE participant_id IN ('P10', 'P11') ORDER BY 1") == [
        ("P10",), ("P11",)]
    assert rows(con, "SELECT s.participant_id, i.item, i.value FROM survey_items i JOIN survey s USING "
                     "(source_file, source_row) WHERE s.participant_id IN ('P10', 'P11') AND i.item LIKE 'Q20%' "
                     "ORDER BY 1, 2") == [
        ("P10", "Q20a", None), ("P10", "Q20b", 2.0), ("P10", "Q20c", 2.0),
        ("P11", "Q20a", 4.0), ("P11", "Q20b", None), ("P11", "Q20c", 4.0)]
    build_indicators(con, min_cell=5)
    # K6 without P11 (3): n = 8, 52 in all; BY-VIT-002: P07, P08, P09, P12, 9 + 3 + 9 + 9 = 30.
    # ADL is not touched: P11 still counts there (0 and 0: not independent), 6 of 11.
    assert rows(con, "SELECT indicator, group_id, numerator, denominator FROM indicators WHERE arm = 'participant' "
                     "AND wave = 'baseline' AND sex = 'all' AND age_band = 'all' AND disability = 'all' "
                     "AND programme_id = 'BRC-WWC' AND (group_id <> 'all' OR country = 'all') "
                     "ORDER BY 1, 2") == [
        ("P.adl_independent", "BY-GRO-001", 4.0, 6), ("P.adl_independent", "BY-VIT-002", 2.0, 5),
        ("P.adl_independent", "all", 6.0, 11),
        ("P.k6_mean", "BY-GRO-001", 22.0, 4), ("P.k6_mean", "BY-VIT-002", 30.0, 4), ("P.k6_mean", "all", 52.0, 8),
    ]


def test_items_read_by_two_measures_must_fit_both_scales(tmp_path):
    """An answer feeds every declaration that reads its column, so it must fit each one's item_scale."""
    from pipelines.ingest.mapped import mapped_plan

    text = K6.replace("    items: [adl_bathing, adl_dressing]\n",
                      "    items: [adl_bathing, adl_dressing]\n    item_scale: [0, 1]\n")
    text += ("  P.bathing_k6:\n    name: Bathing and K6\n    kind: mean\n    scale: [0, 9]\n    population: all\n"
             "    items: {k: Q20a, b: adl_bathing}\n    item_scale: [0, 4]\n    rule: k + b\n    citation: test\n")
    mapping = load_mapping(write(tmp_path / "mappings/helpage.yaml", text), shown_from=tmp_path)
    plan = mapped_plan(HELPAGE.splitlines()[0].split(";"), "helpage/survey.csv", mapping)
    assert plan.item_scales["Q20a"] == (1.0, 4.0, "the item_scale of P.k6_mean, mappings/helpage.yaml line 13; "
                                                  "the item_scale of P.bathing_k6, mappings/helpage.yaml line 33")
    assert plan.item_scales["adl_bathing"][:2] == (0.0, 1.0)
    assert "adl_dressing" in plan.item_scales and "Q20c" in plan.item_scales


def test_a_file_without_an_item_column_says_which_measure_it_cannot_feed(data_root, declared):
    write(data_root / "raw/groups.csv", GROUPS)
    header, *lines = HELPAGE.splitlines()
    write(data_root / "raw/helpage/survey.csv", "\n".join(
        [header.replace("Q20c", "Q20cc")] + lines) + "\n")
    write(data_root / "mappings/helpage.yaml", K6)
    declared(data_root)
    con = ingest(data_root / "raw", mappings=True)
    ((loaded, message, ignored),) = rows(con, "SELECT rows_loaded, message, columns_ignored FROM ingest_log "
                                              "WHERE source_file = 'helpage/survey.csv'")
    assert loaded == 12 and ignored == "Q20cc, Name"
    assert ("column Q20c is missing (mappings/helpage.yaml line 13 reads it for P.k6_mean) — did you mean Q20cc?; "
            "P.k6_mean has no value from this file") in message
    build_indicators(con, min_cell=5)
    assert rows(con, "SELECT DISTINCT indicator FROM indicator_observations") == [("P.adl_independent",)]


def test_a_declared_measure_reads_as_written(tmp_path):
    mapping = load_mapping(write(tmp_path / "mappings/helpage.yaml", K6), shown_from=tmp_path)
    k6, adl = mapping.indicators
    assert (k6.code, k6.kind, k6.scale_min, k6.scale_max, k6.population, k6.line) == ("P.k6_mean", "mean", 0, 12,
                                                                                       "60+", 13)
    assert k6.items == (("k6_1", "Q20a"), ("k6_2", "Q20b"), ("k6_3", "Q20c"))
    assert (k6.reverse, k6.item_scale, k6.rule) == (("k6_1", "k6_2", "k6_3"), (1, 5), "k6_1 + k6_2 + k6_3 - 3")
    assert k6.name("ru") == "Психологический дистресс K6 (средний балл)"
    assert k6.name("pl") == "K6 psychological distress (mean score)"  # no Polish name: the English one
    assert (adl.kind, adl.scale_min, adl.scale_max) == ("share", 0, 100)
    assert adl.items == (("adl_bathing", "adl_bathing"), ("adl_dressing", "adl_dressing"))
    assert (adl.names, adl.citation) == ((("en", "Independent in all Katz ADL activities"),), "Katz et al. 1963")
    # a file is recognised by its header only if it carries the items too
    assert mapping.signature == ("ID", "Group", "Date", "Sex", "Wave", "Age", "Q20a", "Q20b", "Q20c", "adl_bathing",
                                 "adl_dressing")


def _declaring(**options: str) -> str:
    spec = {"name": "K6", "kind": "mean", "scale": "[0, 8]", "population": "all", "items": "{k6_1: A, k6_2: B}",
            "rule": "k6_1 + k6_2", "citation": "Kessler et al. 2002"} | options
    lines = "".join(f"    {key}: {value}\n" for key, value in spec.items() if value is not None)
    return "columns:\n  ID: participant_id\nindicators:\n  P.k6_mean:\n" + lines


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (_declaring(rule="k6_1 + ) k6_2"),
         'line 10: P.k6_mean: the rule is not SQL DuckDB can run over the items k6_1, k6_2: syntax error at or '
         'near ")"'),
        (_declaring(rule="k6_1 + k6_7"),
         'line 10: P.k6_mean: the rule is not SQL DuckDB can run over the items k6_1, k6_2: Referenced column '
         '"k6_7" not found'),
        (_declaring(rule="k6_1; DROP TABLE survey"), "line 10: P.k6_mean: the rule is not SQL DuckDB can run"),
        (_declaring(rule="(SELECT count(*) FROM survey)"),
         "line 10: P.k6_mean: the rule is not SQL DuckDB can run over the items k6_1, k6_2: the rule reads only "
         "its items: no subquery (SELECT …)"),
        (_declaring(rule="\"'high'\""), "line 10: P.k6_mean: a mean's rule gives a respondent's score, a number; "
                                    "this one gives VARCHAR"),
        (_declaring(kind="median"), "line 6: P.k6_mean: kind must be share or mean, got 'median'"),
        (_declaring(kind="share"), "line 7: P.k6_mean: a share is a percentage: its scale is [0, 100]"),
        (_declaring(scale="[8, 0]"), "line 7: P.k6_mean: scale must be two numbers, the lowest and the highest"),
        (_declaring(scale=None), "line 4: P.k6_mean: a mean needs its scale"),
        (_declaring(population="older"), "line 8: P.k6_mean: population must be all, an age band"),
        (_declaring(reverse="[k6_3]", item_scale="[0, 4]"),
         "line 12: P.k6_mean: reverse names k6_3, not an item of P.k6_mean; its items are k6_1, k6_2"),
        (_declaring(reverse="[k6_1]"), "line 12: P.k6_mean: reversed items need their range: item_scale:"),
        (_declaring(items="{K6-1: A}"), "line 9: P.k6_mean: item 'K6-1': the rule's name for an item"),
        (_declaring(citation=None), "line 4: P.k6_mean: say citation"),
        (_declaring(name="{en: K6, ua: K6}"), "line 5: P.k6_mean: 'ua' is not a report language"),
        (_declaring(name="{ru: K6}"), "line 5: P.k6_mean: give the English name (en:)"),
        (_declaring().replace("P.k6_mean", "P.who5_mean"),
         "line 4: P.who5_mean is an indicator of the catalogue already"),
        (_declaring().replace("P.k6_mean", "K6"), "line 4: 'K6' is not a programme indicator code"),
        (_declaring() + "  P.k6_mean:\n    kind: mean\n",
         "line 12: 'P.k6_mean' is given twice in indicators (also line 4)"),
        (_declaring() + "ignore: [B]\n", "line 4: P.k6_mean reads b, which the mapping ignores"),
        ("kind: groups\ncolumns:\n  G: group_id\nindicators:\n  P.x: {}\n",
         "line 5: indicators are declared over survey answers; this mapping describes groups files"),
    ],
)
def test_a_bad_declaration_names_its_file_and_line(tmp_path, text, error):
    path = write(tmp_path / "mappings/bad.yaml", text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path, shown_from=tmp_path)
    assert f"mappings/bad.yaml {error}" in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1  # one mistake, one line


def test_a_code_is_declared_once_in_a_data_root(tmp_path):
    write(tmp_path / "mappings/a.yaml", _declaring())
    write(tmp_path / "mappings/b.yaml", "\n" + _declaring())
    with pytest.raises(MappingError) as caught:
        load_mappings(tmp_path / "mappings", shown_from=tmp_path)
    assert str(caught.value) == ("mappings/b.yaml line 5: P.k6_mean is declared by mappings/a.yaml line 4 already; "
                                 "an indicator code is declared once in a data root")


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_rule_duckdb_cannot_bind_stops_aai_before_any_data_is_read(data_root, command):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "mappings/helpage.yaml", K6.replace("k6_3 - 3", "k6_4 - 3"))
    done = aai(command, *(["--data-dir", str(data_root), str(data_root / "raw/groups.csv")]
                          if command == "check" else []), root=data_root)
    assert done.returncode == 2
    assert ('mappings/helpage.yaml line 23: P.k6_mean: the rule is not SQL DuckDB can run over the items k6_1, '
            'k6_2, k6_3: Referenced column "k6_4" not found') in " ".join(done.stderr.split())
    assert not (data_root / "processed/warehouse.duckdb").exists()


def test_the_worked_example_of_the_format_reads_as_documented(tmp_path):
    """docs/questionnaire.md, "indicators": the K6 declaration as printed."""
    text = (Path(__file__).parents[1] / "docs/questionnaire.md").read_text(encoding="utf-8")
    section = text[text.index("### `indicators`"):]
    block = section.split("```yaml\n")[1].split("```")[0]
    mapping = load_mapping(write(tmp_path / "mappings/helpage.yaml", block), shown_from=tmp_path)
    assert [(i.code, i.kind, i.scale_max, len(i.items)) for i in mapping.indicators] == [
        ("P.k6_mean", "mean", 24, 6), ("P.k6_distress", "share", 100, 6)]
    printed = section.split("```\n")[2].strip()  # the error the section prints
    bad = block.replace("k6_6 - 6\n", "k6_7 - 6\n", 1)
    with pytest.raises(MappingError) as caught:
        load_mapping(write(tmp_path / "mappings/helpage.yaml", bad), shown_from=tmp_path)
    assert str(caught.value) == printed


def _followup() -> str:
    """HELPAGE six months on: every K6 answer 4 (score 2 + 2 + 2 − 3 = 3; all at 0 would be a
    mean at the end of its scale, suppressed under 2m people) and every ADL answer 1, with the
    same gaps (P05 under 60, P06's empty item, P10's x, P09's empty ADL item)."""
    lines = HELPAGE.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        cells[2] = "15.09.2024"
        cells[5:8] = ["" if c == "" else c if c == "x" else "4" for c in cells[5:8]]
        cells[8:10] = ["" if c == "" else "1" for c in cells[8:10]]
        cells[-1] = "2"
        out.append(";".join(cells))
    return "\n".join(out) + "\n"


@pytest.mark.slow
def test_aai_run_carries_declared_measures_into_impact_and_the_report(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/helpage/baseline.csv", HELPAGE)
    write(data_root / "raw/helpage/followup.csv", _followup())
    write(data_root / "mappings/helpage.yaml", K6)
    write(data_root / "aai.toml", '[programmes.BRC-WWC]\nprimary_outcomes = ["P.k6_mean"]\n')
    done = aai("run", root=data_root)
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    import duckdb

    con = duckdb.connect(str(data_root / "processed/warehouse.duckdb"), read_only=True)
    # K6: 55/9 at baseline, 3 for the same nine at follow-up; ADL: 6 of 11, then 11 of 11.
    assert rows(con, "SELECT indicator, method, round(estimate, 6), n FROM impact_estimates WHERE group_id = 'all' "
                     "AND sex = 'all' AND age_band = 'all' AND method = 'change' ORDER BY 1") == [
        ("P.adl_independent", "change", round(100 - 100 * 6 / 11, 6), 22),
        ("P.k6_mean", "change", round(3 - 55 / 9, 6), 18),
    ]
    # the programme's declared primary outcome is its one primary test (two groups: described, not tested)
    assert rows(con, "SELECT indicator, role, family_size FROM impact_estimates WHERE group_id = 'all' "
                     "AND sex = 'all' AND age_band = 'all' AND method = 'paired_change' ORDER BY 1") == [
        ("P.adl_independent", "exploratory", 0), ("P.k6_mean", "primary", 0)]
    # P10's x in both waves: a quarantined cell each, the rows load
    assert rows(con, "SELECT source_file, rows_read, rows_loaded, cells_quarantined FROM ingest_log "
                     "WHERE kind = 'survey' ORDER BY 1") == [("helpage/baseline.csv", 12, 12, 1),
                                                             ("helpage/followup.csv", 12, 12, 1)]
    charts = (data_root / "processed/reports/BRC-WWC/2024-03..2024-09/en/charts/manifest.json")
    [change] = [c for c in json.loads(charts.read_text(encoding="utf-8")) if c["key"] == "indicator_change_BRC-WWC"]
    # the change chart draws both declared measures under their names: 6 of 11 → 11 of 11, 55/9 → 3
    assert change["alt"] == ("Dot chart of outcomes for BRC-WWC. Independent in all Katz ADL activities, "
                             "participants: 54.5% → 100.0%. K6 psychological distress (mean score), participants: "
                             "6.1 → 3.0.")
    assert change["title"] == "BRC-WWC: outcomes at baseline and follow-up 1, described, not tested"
    report = (data_root / "processed/reports/BRC-WWC/2024-03..2024-09/en/report.html").read_text(encoding="utf-8")
    assert "K6 psychological distress (mean score): the questionnaire&#39;s own measure, declared in " \
           "mappings/helpage.yaml as k6_1 + k6_2 + k6_3 - 3 over its items Q20a, Q20b, Q20c, for respondents " \
           "aged 60+. Source: Kessler et al. 2002." in report


def _primary(root, declared, config):
    from pipelines.impact.claims import check_config

    declared(root)
    check_config(config)


def test_a_declared_measure_can_be_a_programmes_primary_outcome(data_root, declared):
    from pipelines.impact.claims import claims
    from pipelines.settings import ClaimsConfig

    write(data_root / "mappings/helpage.yaml", K6)
    config = ClaimsConfig(primary_outcomes=("P.adl_independent",), by_programme={"BRC-WWC": ("P.k6_mean", "4.5")})
    _primary(data_root, declared, config)  # accepted: no error
    # the programme's family: its two primary outcomes at the total, by paired change (no comparison arm)
    total = {"group_id": "all", "sex": "all", "age_band": "all", "wave": "followup1", "programme_id": "BRC-WWC"}
    estimates = pd.DataFrame([
        total | {"indicator": "P.k6_mean", "method": "paired_change", "p_value": 0.01},
        total | {"indicator": "4.5", "method": "paired_change", "p_value": 0.04},
        total | {"indicator": "P.adl_independent", "method": "paired_change", "p_value": 0.001},
        total | {"indicator": "P.k6_mean", "method": "change", "p_value": 0.01},
    ])
    claimed = claims(estimates, config)
    assert list(claimed["role"]) == ["primary", "primary", "exploratory", "exploratory"]
    # Benjamini–Hochberg over 2 tests at 5 %: 0.01 ≤ 0.05·1/2 and 0.04 ≤ 0.05·2/2, both survive
    assert list(claimed["family_size"]) == [2] * 4
    assert list(claimed["survives"]) == [True, True, pd.NA, pd.NA]


@pytest.mark.parametrize(
    ("mapping", "config", "error"),
    [
        (None, {"primary_outcomes": ("P.k6_mean",)},
         "aai.toml: [claims] primary_outcomes: P.k6_mean is not a survey indicator of the catalogue, and no "
         "mapping file of the data root declares it."),
        (K6, {"by_programme": {"BRC-WWC": ("P.k6_means",)}},
         "aai.toml: [programmes.BRC-WWC] primary_outcomes: P.k6_means is not a survey indicator of the catalogue, "
         "and no mapping file of the data root declares it."),
        (K6, {"by_programme": {"HAI-MD": ("P.k6_mean",)}},
         "aai.toml: [programmes.HAI-MD] primary_outcomes: P.k6_mean is declared in mappings/helpage.yaml, which "
         "reads programme BRC-WWC's files only, so HAI-MD has no P.k6_mean."),
    ],
)
def test_a_primary_outcome_no_mapping_declares_is_refused(data_root, declared, mapping, config, error):
    from pipelines.settings import ClaimsConfig

    if mapping is not None:
        write(data_root / "mappings/helpage.yaml", mapping)
    with pytest.raises(ValueError) as caught:
        _primary(data_root, declared, ClaimsConfig(**config))
    assert str(caught.value).startswith(error)
    if mapping is not None:  # the choices name the declared measures too
        assert "P.adl_independent, P.k6_mean, or declare the measure under indicators:" in str(caught.value)


def test_aai_run_refuses_an_undeclared_primary_outcome_before_reading_any_file(data_root):
    write(data_root / "raw/groups.csv", GROUPS)
    write(data_root / "raw/helpage/survey.csv", HELPAGE)
    write(data_root / "mappings/helpage.yaml", K6)
    write(data_root / "aai.toml", '[programmes.BRC-WWC]\nprimary_outcomes = ["P.k6_mean", "P.k10_mean"]\n')
    done = aai("run", root=data_root)
    assert done.returncode == 2
    assert ("aai.toml: [programmes.BRC-WWC] primary_outcomes: P.k10_mean is not a survey indicator of the "
            "catalogue, and no mapping file of the data root declares it.") in " ".join(done.stderr.split() +
                                                                                       done.stdout.split())
    assert not (data_root / "processed/warehouse.duckdb").exists()


def test_without_a_declared_list_a_declared_measure_is_primary_like_the_catalogues_own(tmp_path, declared):
    from pipelines.impact.claims import roles
    from pipelines.settings import ClaimsConfig

    write(tmp_path / "mappings/helpage.yaml", K6)
    declared(tmp_path)
    total = {"programme_id": "BRC-WWC", "wave": "followup1", "method": "paired_change", "group_id": "all",
             "sex": "all", "age_band": "all"}
    estimates = pd.DataFrame([total | {"indicator": "P.k6_mean"}, total | {"indicator": "4.3"},
                              total | {"indicator": "P.k6_mean", "sex": "female"}])
    assert list(roles(estimates, ClaimsConfig())) == ["primary", "primary", "exploratory"]
    assert list(roles(estimates, ClaimsConfig(primary_outcomes=("4.3",)))) == ["exploratory", "primary", "exploratory"]
