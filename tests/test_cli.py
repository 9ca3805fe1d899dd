"""End to end: the ``aai`` command on the sample data in a data root holding only raw/."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import AAI, aai
from test_index import FULL, HAND

from pipelines.sample import PLANTED_PROBLEMS

COMPARED_TABLES = ("groups", "survey", "attendance", "quarantine", "indicators", "domain_scores", "impact_estimates")


def dump(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in COMPARED_TABLES}


def test_run_writes_warehouse_charts_and_reports(demo_root: Path) -> None:
    processed = demo_root / "processed"
    assert (processed / "warehouse.duckdb").is_file()
    assert len(list((processed / "charts").glob("*.png"))) >= 3
    assert list((processed / "reports").rglob("*.html")) and list((processed / "reports").rglob("*.pdf"))
    summary = (demo_root / "first_run_stdout.txt").read_text()
    assert f"warehouse: {processed / 'warehouse.duckdb'}" in summary
    assert "report: " in summary and ".pdf" in summary


def test_quarantine_holds_exactly_the_planted_problems(demo_root: Path) -> None:
    with duckdb.connect(str(demo_root / "processed/warehouse.duckdb"), read_only=True) as con:
        found = sorted(con.execute("SELECT source_file, rule FROM quarantine").fetchall())
        balance = con.execute("SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), sum(cells_quarantined) "
                              "FROM ingest_log").fetchall()[0]
        cells = con.execute("SELECT column_name FROM quarantine WHERE effect = 'cell' ORDER BY 1").fetchall()
    assert found == sorted((p.file, p.rule) for p in PLANTED_PROBLEMS)
    assert balance[0] == balance[1] + balance[2] and balance[2] + balance[3] == len(PLANTED_PROBLEMS)
    # The two planted problems in optional items (WHO-5 item 3, exercise) cost only their cell.
    assert cells == [("exercise_freq",), ("who5_3",)]


def test_personal_data_is_nowhere_in_the_warehouse(demo_root: Path) -> None:
    raw_names = (demo_root / "raw/zhytomyr/attendance_zhytomyr.csv").read_text(encoding="utf-8")
    assert "+380" in raw_names  # the sample carries fake phones that must be dropped
    with duckdb.connect(str(demo_root / "processed/warehouse.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            text = json.dumps(con.execute(f"SELECT * FROM {table}").fetchall(), default=str, ensure_ascii=False)
            assert "+380" not in text and "Тестова" not in text, table


def test_national_figures_from_the_data_root_complete_domain_four(demo_root: Path) -> None:
    with duckdb.connect(str(demo_root / "processed/warehouse.duckdb"), read_only=True) as con:
        notes = con.execute(
            "SELECT DISTINCT note FROM domain_scores WHERE item = 'D4' AND country = 'BY' AND note LIKE '%national%'"
        ).fetchall()
    assert notes


@pytest.mark.slow
def test_rerun_with_a_renamed_copy_changes_nothing(demo_root: Path) -> None:
    before = dump(demo_root / "processed/warehouse.duckdb")
    shutil.copy(demo_root / "raw/groups.csv", demo_root / "raw/groups - copy.csv")
    done = aai("run", root=demo_root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert dump(demo_root / "processed/warehouse.duckdb") == before
    with duckdb.connect(str(demo_root / "processed/warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status FROM ingest_log WHERE source_file = 'groups - copy.csv'").fetchall() == [
            ("duplicate",)
        ]


def test_run_without_raw_folder_says_so(tmp_path: Path) -> None:
    done = aai("run", root=tmp_path)
    assert done.returncode == 2
    assert "No raw/ folder" in done.stderr


def test_run_refuses_a_malformed_since_before_reading_anything(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    done = aai("run", "--since", "soon", root=tmp_path)
    assert done.returncode == 2 and "--since soon" in done.stderr
    assert not (tmp_path / "processed" / "warehouse.duckdb").exists()


def test_run_narrows_its_reports_to_a_programme_and_the_periods_since_a_month(demo_root: Path) -> None:
    """--programme picks that programme's partitions (by id, folder key or all); --since
    the periods ending on or after the month's first day: of the data period
    2024-03..2025-04 and the years 2024 and 2025, since 2025-01 leaves the data period
    and 2025."""
    from datetime import date

    from pipelines.cli import _chosen_reports
    from pipelines.defs.partitions import current
    from pipelines.defs.resources import AaiSettings

    settings = AaiSettings(data_dir=str(demo_root))
    with settings.connect(read_only=True) as con:
        partitions = current(con, ["year"])
    assert partitions.periods == ["2024-03..2025-04", "2024", "2025"]
    assert _chosen_reports(settings, partitions, partitions.periods, "BRC-WWC", date(2025, 1, 1)) == (
        ["BRC-WWC"], ["2024-03..2025-04", "2025"])
    assert _chosen_reports(settings, partitions, partitions.periods, "all", None) == (["all"], partitions.periods)
    assert _chosen_reports(settings, partitions, partitions.periods, None, date(2026, 1, 1)) == (
        partitions.programmes, [])
    with pytest.raises(ValueError, match="no programme 'NOPE'"):
        _chosen_reports(settings, partitions, partitions.periods, "NOPE", None)


def test_check_reports_problems_and_exit_status(demo_root: Path) -> None:
    bad = aai("check", str(demo_root / "raw/mazovia/survey_mazovia_2024-2025.csv"))
    assert bad.returncode == 1
    assert "survey, cp1250, delimiter ';', 242 rows, 2 would be quarantined" in " ".join(bad.stdout.split())
    assert "birth year 67 looks like an age" in " ".join(bad.stdout.split())
    good = aai("check", str(demo_root / "raw/groups.csv"))
    assert good.returncode == 0, good.stdout


def test_index_command_on_a_full_vector(tmp_path: Path) -> None:
    values = tmp_path / "published.csv"
    values.write_text("unit,sex,indicator,value\n" + "".join(f"Region A,all,{code},{v}\n" for code, v in FULL.items()))
    done = aai("index", str(values), "-o", str(tmp_path / "scores.csv"))
    assert done.returncode == 0, done.stderr
    got = {row["item"]: float(row["value"]) for row in csv.DictReader((tmp_path / "scores.csv").open())}
    assert got == pytest.approx(HAND, abs=0.01)  # hand-computed weighted means, see test_index.py


def test_index_command(tmp_path: Path) -> None:
    values = tmp_path / "values.csv"
    values.write_text("unit,sex,indicator,value\nX,all,1.1,50\nX,all,2.1,20\nX,all,3.1,10\nX,all,4.3,60\n")
    done = aai("index", str(values), "-o", str(tmp_path / "scores.csv"))
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "scores.csv").read_text().splitlines()
    # (35·50 + 35·20 + 10·10 + 20·60) / 100 = 37.5, each domain from its single indicator
    assert lines[0] == "unit,sex,item,value,indicators_used"
    assert "X,all,AAI,37.5000,4" in lines and "X,all,D2,20.0000,1" in lines


def test_check_names_misspelt_columns_and_unrecognised_files(tmp_path: Path) -> None:
    typo = tmp_path / "survey.csv"
    typo.write_text("participant_id,programme_id,arm,wave,interview_dat,consent,who5_33,phone\n"
                    "P1,BRC-WWC,participant,baseline,2024-03-15,yes,3,+380 1\n")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("name,phone\nA,1\nB,2\n")
    done = aai("check", str(typo), str(contacts))
    text = " ".join(done.stdout.split())
    assert done.returncode == 1
    assert "column interview_date is missing — did you mean interview_dat?" in text
    assert "column who5_3 is missing — did you mean who5_33?" in text
    assert "columns ignored: interview_dat, who5_33, phone" in text
    assert "contacts.csv: unknown, utf-8, delimiter ',', 2 rows, 2 would be quarantined" in text
    assert "+380" not in done.stdout
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("participant_id,programme_id,arm,wave,interview_date,consent,who5_3\n"
                     "P1,BRC-WWC,participant,baseline,2024-03-15,yes,9\n")
    cell = aai("check", str(fixed))
    assert cell.returncode == 1
    assert "1 rows, 0 would be quarantined, 1 cells would be loaded empty" in " ".join(cell.stdout.split())


def test_run_summary_names_a_misspelt_column_while_the_other_files_load(tmp_path: Path, capsys) -> None:
    from conftest import GROUPS, write

    from pipelines.cli import _summary
    from pipelines.ingest.stage import stage_all
    from pipelines.mapping import load_mappings
    from pipelines.settings import DataRoot
    from pipelines.validate.warehouse_tables import build_tables

    root = DataRoot(tmp_path)
    write(root.raw / "groups.csv", GROUPS)
    write(root.raw / "survey.csv", "participant_id,programme_id,arm,wave,interview_date,consent,who5_33\n"
                                   "P1,BRC-WWC,participant,baseline,2024-03-15,yes,3\n")
    root.processed.mkdir()
    with duckdb.connect(str(root.warehouse)) as con:
        stage_all(con, root.raw)
        build_tables(con)
        logged = con.execute("SELECT source_file, rows_loaded, message FROM ingest_log ORDER BY 1").fetchall()
    assert [(f, n) for f, n, _ in logged] == [("groups.csv", 2), ("survey.csv", 1)]
    assert logged[1][2].startswith("column who5_3 is missing — did you mean who5_33? (rename it to who5_3)")
    write(root.mappings / "programme.yaml", "files: ['brc/*']\nconstants: {programme_id: BRC-WWC}\n")
    assert _summary(root, load_mappings(root.mappings, shown_from=root.root)) is False  # not a failed run
    printed = " ".join(capsys.readouterr().out.split())
    assert "columns: survey.csv: column who5_3 is missing — did you mean who5_33? (rename it to who5_3)" in printed
    assert "mapping: mappings/programme.yaml: matched no file; check its files rule" in printed


def test_a_run_that_cannot_get_the_warehouse_says_who_holds_it_in_one_line(data_root: Path) -> None:
    """The lock's sentence reaches the user, not Dagster's wrapper of it, and the steps
    that then cannot run are one line, not one each."""

    from conftest import GROUPS, write
    from test_warehouse import HOLD

    write(data_root / "raw/groups.csv", GROUPS)
    database = data_root / "processed/warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), "120"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
        done = subprocess.run([AAI, "run"], env=env | {"AAI_DATA_DIR": str(data_root), "AAI_LOCK_TIMEOUT": "1"},
                              capture_output=True, text=True, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    failed = [line for line in output.splitlines() if "raw_files failed" in line]
    assert len(failed) == 1, output[-3000:]
    assert f"still held by process {holder.pid} on " in failed[0] and " since " in failed[0]
    assert "after 1 s" in failed[0] and "AAI_LOCK_TIMEOUT" in failed[0]
    assert "Dagster" not in output and "dagster." not in output and "Not executing" not in output
    assert re.search(r"^\s+\d+ later steps not run$", output, re.MULTILINE), output[-3000:]


def test_check_refuses_a_link_out_of_the_data_root_as_run_does_and_names_an_empty_file(data_root: Path,
                                                                                         tmp_path_factory) -> None:
    from conftest import write

    outside = tmp_path_factory.mktemp("outside")
    write(outside / "survey.csv", "participant_id,programme_id,arm,wave,interview_date,consent\n"
                                  "P1,OUTSIDE,participant,baseline,2024-03-15,yes\n")
    raw = data_root / "raw"
    (raw / "linked.csv").symlink_to(outside / "survey.csv")
    (raw / "linked_dir").symlink_to(outside)
    (raw / "empty.csv").write_bytes(b"")
    inside = write(raw / "real/survey.csv", (outside / "survey.csv").read_text())
    (raw / "inner.csv").symlink_to(inside)  # a link that stays inside is read, as run reads its target
    done = aai("check", str(raw / "linked.csv"), str(raw / "linked_dir/survey.csv"), str(raw / "empty.csv"),
               str(raw / "inner.csv"), root=data_root)
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()]
    assert done.returncode == 1, done.stdout + done.stderr
    assert "OUTSIDE" not in done.stdout and "nan" not in done.stdout
    at = lines.index(f"{raw / 'linked.csv'}: refused")
    assert lines[at + 1] == "a link to a file outside the data root; not read"
    at = lines.index(f"{raw / 'linked_dir/survey.csv'}: refused")
    assert lines[at + 1] == "a link to a folder outside the data root; not followed"
    at = lines.index(f"{raw / 'empty.csv'}: unreadable")
    assert lines[at + 1].startswith("the file could not be read: the file is empty (0 bytes)")
    assert any(line.startswith(f"{raw / 'inner.csv'}: survey, utf-8, delimiter ',', 1 rows") for line in lines)
    # a file given from outside any data root is checked wherever it is
    elsewhere = aai("check", str(outside / "survey.csv"), root=data_root)
    assert "survey, utf-8" in elsewhere.stdout



def _step_failure(cause):
    """``cause`` (a ``SerializableErrorInfo``, or an exception raised) as Dagster reports
    a failed step: under its own wrapper."""
    from dagster._utils.error import SerializableErrorInfo, serializable_error_info_from_exc_info

    if isinstance(cause, BaseException):
        cause = serializable_error_info_from_exc_info((type(cause), cause, cause.__traceback__))
    return SerializableErrorInfo("dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while "
                                 "executing op \"raw_files\":\n", [], "DagsterExecutionStepExecutionError", cause)


def test_a_failed_step_prints_our_sentence_but_never_a_foreign_message(tmp_path):
    """An unexpected DuckDB conversion error quotes the cell it could not convert, and a
    cell may be a name: the console once printed it. Only a sentence our code raised is
    printed; otherwise the class, and where the details are."""
    from dagster._utils.error import SerializableErrorInfo
    from filelock import FileLock

    from pipelines.cli import failure_sentence
    from pipelines.warehouse import _locked

    database = tmp_path / "warehouse.duckdb"
    with FileLock(f"{database}.lock"), pytest.raises(TimeoutError) as busy, _locked(database, 0):
        pass
    assert failure_sentence(_step_failure(busy.value)).startswith(f"the warehouse {database} is still held by ")

    with pytest.raises(duckdb.ConversionException) as foreign:
        duckdb.connect().execute("SELECT CAST('Olena Petrenko' AS INTEGER)")
    unexpected = "unexpected ConversionException; the run's log in Dagster has the details"
    assert failure_sentence(_step_failure(foreign.value)) == unexpected
    # compiled code called from our own line leaves that line innermost, but it is no raise
    ours = Path(__file__).resolve().parent.parent / "pipelines" / "warehouse.py"
    called = SerializableErrorInfo("_duckdb.ConversionException: Could not convert string 'Olena Petrenko'\n",
                                   [f'  File "{ours}", line 9, in read\n    con.execute(sql)\n'], "ConversionException")
    assert failure_sentence(_step_failure(called)) == unexpected
