"""Hostile files and a killed run: every stage completes, and a rerun after SIGKILL
leaves exactly what an uninterrupted run leaves.

Slow tier (``make crash`` or ``make test-all``). One data root holds the bundled sample
plus a 20-digit number, a 200,000-character cell, a header-only file, a directory named
like a file, two programmes ``COL/1`` and ``COL 1`` and a symlink out of the root
(``crashing.hostile_root``). ``aai run`` on it must complete every stage; a second run
must give byte-identical files. Then the harness kills ``aai run`` with SIGKILL at
every asset boundary of the refresh and report jobs (the start of each step that
writes, read from the jobs' definitions: ``crashing.kill_points``), in the middle of
ingestion, inside the longer stages and between reports, reruns, and compares
everything with the uninterrupted run (on the same hostile files with one sample
programme instead of three, to keep the slow tier within CI's time). The figures,
elapsed time included, are written to ``bench/out/crash.json`` and quoted in
docs/performance.md. ``AAI_KILL_POINTS=start-report,inside-indicators`` runs only
those points (their figures go to ``bench/out/crash-partial.json``).
"""

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from crashing import (
    COL_PROGRAMMES,
    JOBS,
    LONG_CELL,
    TWENTY_DIGITS,
    hostile_root,
    job_steps,
    kill_points,
    run,
    snapshot,
)

from pipelines.files import slug
from pipelines.files import TEMPORARY_MARK

ROOT = Path(__file__).parents[1]
OUT = ROOT / "bench" / "out"

SELECTED = "AAI_KILL_POINTS"  # a comma-separated list of kill point ids: run only those


def test_kill_points_cover_every_asset_boundary_of_the_jobs() -> None:
    """Every step of the refresh and report jobs that writes is killed at its start;
    the others only run asset checks, which read. A step is matched by its whole name,
    so the start of ``report`` is not the start of ``report_partitions``."""
    points = kill_points()
    assert len({p.id for p in points}) == len(points)
    starts = {p.step for p in points if p.step and not p.delay}
    for job in JOBS:
        steps = job_steps(job)
        assert steps, job
        assert {step for step, writes in steps if writes} <= starts, job
    assert {"raw_files", "review", "results", "report_charts", "report"} <= starts
    report = next(p for p in points if p.id == "start-report")
    assert report.matches("▸ report\n")
    assert not any(report.matches(f"▸ {other}") for other in ("report_partitions", "report_charts",
                                                               "report__en_reports_disclosure_audit"))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    root = base / "root"
    roles = hostile_root(root)
    home = base / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster-instance.yaml", home / "dagster.yaml")
    first = run(root, home)
    assert first.returncode == 0, first.output[-4000:]
    return root, home, roles, first, snapshot(root)


@pytest.fixture(scope="module")
def small_scenario(tmp_path_factory):
    """The hostile root with one sample programme (Zhytomyr) instead of three: the kill
    harness runs ``aai run`` twice per kill point, and what it tests does not grow
    with the number of programmes."""
    base = tmp_path_factory.mktemp("hostile-small")
    root = base / "root"
    hostile_root(root)
    for folder in ("brc", "mazovia"):
        shutil.rmtree(root / "raw" / folder)
    home = base / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster-instance.yaml", home / "dagster.yaml")
    started = time.monotonic()
    first = run(root, home)
    assert first.returncode == 0, first.output[-4000:]
    return root, home, snapshot(root), time.monotonic() - started


def _warehouse(root: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(root / "processed/warehouse.duckdb"), read_only=True)


@pytest.mark.slow
def test_every_stage_completes_on_hostile_files(scenario):
    root, _, roles, first, _ = scenario
    assert "✗" not in first.output and "✓ report" in first.output
    with _warehouse(root) as con:
        log = {r[0]: r[1:] for r in con.execute(
            "SELECT source_file, status, rows_read, rows_loaded, rows_quarantined, cells_quarantined FROM ingest_log"
        ).fetchall()}
        assert set(roles) <= set(log)
        assert log["col/survey_header_only.csv"] == ("no_records", 0, 0, 0, 0)
        assert log["looks_like_a_file.csv"][0] == "skipped"
        assert log["linked_survey.csv"][0] == "refused"
        assert con.execute("SELECT count(*) FROM survey WHERE programme_id = 'OUTSIDE'").fetchall() == [(0,)]
        # the two bad cells cost only themselves: every record of both files is loaded
        for name in ("col/survey_col.csv", "col/attendance_col.csv"):
            records = len(pd.read_csv(root / "raw" / name, dtype=str, keep_default_na=False))
            assert log[name][1:4] == (records, records, 0), name
        planted = con.execute(
            "SELECT source_file, source_row, column_name, rule, effect FROM quarantine "
            "WHERE (rule = 'too_long' OR value LIKE ?) ORDER BY ALL", [TWENTY_DIGITS + "%"]).fetchall()
        assert planted == [("col/attendance_col.csv", 3, "duration_minutes", "out_of_range", "cell"),
                           ("col/survey_col.csv", 2, "who5_3", "too_long", "cell")]
        # any other problem in the copied rows is one the sample file itself has
        inherited = con.execute(
            "SELECT DISTINCT q.column_name, q.rule, q.value FROM quarantine q WHERE q.source_file LIKE 'col/%' "
            "AND q.rule <> 'too_long' AND q.value NOT LIKE ? EXCEPT SELECT column_name, rule, value FROM quarantine "
            "WHERE source_file LIKE 'zhytomyr/%'", [TWENTY_DIGITS + "%"]).fetchall()
        assert inherited == []
        longest = con.execute("SELECT max(length(value)), max(length(record)) FROM quarantine").fetchall()[0]
        assert longest[0] < 300 and longest[1] < len(LONG_CELL) // 10
        programmes = {r[0] for r in con.execute("SELECT DISTINCT programme_id FROM survey").fetchall()}
    assert set(COL_PROGRAMMES) <= programmes
    folders = {slug(p) for p in COL_PROGRAMMES}
    assert len(folders) == 2
    for folder in folders:
        pdfs = list((root / "processed/reports" / folder).rglob("report.pdf"))
        assert len(pdfs) == 1 and pdfs[0].stat().st_size > 10_000
    assert not any("OUTSIDE" in p.name for p in (root / "processed").rglob("*"))


@pytest.mark.slow
def test_a_second_run_leaves_byte_identical_outputs(scenario):
    root, home, _, _, reference = scenario
    again = run(root, home)
    assert again.returncode == 0, again.output[-4000:]
    after = snapshot(root)
    # one report for all programmes and one per programme: the three sample ones and both COL ones
    assert sum(name.endswith(".pdf") for name in after) == 1 + 3 + len(COL_PROGRAMMES)
    assert after == reference


def _complete(path: Path) -> bool:
    """A file at a final name is whole: PDFs end with %%EOF, PNGs with their IEND chunk."""
    tail = path.read_bytes()[-64:]
    return {".pdf": b"%%EOF" in tail, ".png": tail.endswith(b"IEND\xaeB`\x82")}.get(path.suffix, True)


@pytest.mark.slow
def test_reports_built_in_parallel_equal_reports_built_one_at_a_time(scenario):
    root, home, *_ = scenario
    built = {}
    for workers in ("2", "1"):
        done = run(root, home, command=("report", "--workers", workers))
        assert done.returncode == 0, done.output[-3000:]
        assert ("built 2 at a time" in done.output) == (workers == "2")
        built[workers] = {k: v for k, v in snapshot(root).items() if k.startswith("reports/")}
    assert len({k.split("/")[1] for k in built["1"]}) >= 5  # three programmes, the two COL ones and all
    assert built["2"] == built["1"]


@pytest.mark.slow
def test_sigkill_at_every_boundary_then_rerun_gives_the_same_outputs(small_scenario):
    root, home, reference, first_seconds = small_scenario
    selected = [i.strip() for i in os.environ.get(SELECTED, "").split(",") if i.strip()]
    points = kill_points()
    unknown = set(selected) - {p.id for p in points}
    assert not unknown, f"{SELECTED} names no kill point {sorted(unknown)}; there are {[p.id for p in points]}"
    points = [p for p in points if p.id in selected] if selected else points
    started = time.monotonic()
    results, failures = [], []
    for point in points:
        began = time.monotonic()
        if point.reports_removed:
            shutil.rmtree(root / "processed" / "reports")
        killed = run(root, home, kill_at=point)
        half_written = [p.relative_to(root).as_posix() for p in (root / "processed").rglob("*")
                        if p.is_file() and TEMPORARY_MARK not in p.name and not _complete(p)]
        rerun = run(root, home)
        after = snapshot(root) if rerun.returncode == 0 else {"rerun failed": rerun.output[-2000:]}
        differences = sorted(k for k in reference.keys() | after.keys() if reference.get(k) != after.get(k))
        results.append({"id": point.id, "kill": point.what, "killed": killed.killed,
                        "killed_run_exit": killed.returncode, "half_written_files": len(half_written),
                        "rerun_exit": rerun.returncode,
                        "differences": len(differences), "seconds": round(time.monotonic() - began, 1)})
        if not killed.killed or half_written or differences:
            failures.append((point.what, killed.killed, half_written[:5], differences[:5],
                             "" if killed.killed else killed.output[-1500:]))
    OUT.mkdir(parents=True, exist_ok=True)
    loop_seconds = time.monotonic() - started
    summary = {"cases": len(results), "killed": sum(r["killed"] for r in results),
               "half_written_files": sum(r["half_written_files"] for r in results),
               "runs_with_differences": sum(bool(r["differences"]) for r in results),
               "seconds": round(first_seconds + loop_seconds),
               "seconds_uninterrupted_run": round(first_seconds, 1), "selected": selected or "all",
               "cases_detail": results}
    name = "crash-partial.json" if selected else "crash.json"  # a few points never replace the whole figures
    (OUT / name).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    assert not failures, failures
