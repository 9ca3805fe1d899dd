"""The warehouse lock: a run that waits says so, names who holds it, and gives up in time."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines import warehouse

HOLD = """
import sys, time
from pathlib import Path
from pipelines.warehouse import connect
with connect(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_waiting_run_names_the_holder_and_times_out(tmp_path: Path, monkeypatch, caplog) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(database), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(warehouse, "WAIT_REPORT_SECONDS", 0.4)
        started = time.monotonic()
        with caplog.at_level(logging.INFO), pytest.raises(warehouse.WarehouseBusy) as busy:
            with warehouse.connect(database, timeout=1):
                pass
        assert time.monotonic() - started < 10
        assert f"process {holder.pid} on " in str(busy.value) and "AAI_LOCK_TIMEOUT" in str(busy.value)
        assert any("waiting for the warehouse, held by process" in r.getMessage() for r in caplog.records)
    finally:
        holder.kill()
        holder.wait()
    with warehouse.connect(database) as con:  # the OS released a killed holder's lock
        assert con.execute("SELECT 1").fetchall() == [(1,)]


def test_settings_come_from_the_environment_and_refuse_bad_values(monkeypatch, tmp_path: Path) -> None:
    from pipelines.defs.resources import AaiSettings

    monkeypatch.setenv("AAI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AAI_MIN_CELL", "7")
    monkeypatch.setenv("AAI_REPORT_LANG", "ru, en")
    settings = AaiSettings.from_environment()
    assert (settings.paths.root, settings.min_cell, settings.languages) == (tmp_path, 7, ["ru", "en"])
    assert AaiSettings.from_environment(min_cell=10).min_cell == 10  # an option beats the environment
    monkeypatch.setenv("AAI_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="AAI_LOCK_TIMEOUT must be a whole number"):
        AaiSettings.from_environment()
    monkeypatch.delenv("AAI_LOCK_TIMEOUT")
    monkeypatch.setenv("AAI_MIN_CELL", "3")
    with pytest.raises(ValueError, match="must be from 5 to 10, got 3"):
        AaiSettings.from_environment()


def test_the_code_location_binds_settings_from_environment_variables(monkeypatch) -> None:
    """The salt is bound as a variable, so the UI and run storage never see its value."""
    from pipelines.defs.resources import bound_settings

    monkeypatch.setenv("AAI_ID_SALT", "s3cret-salt")
    monkeypatch.setenv("AAI_MIN_CELL", "8")
    bound = bound_settings()
    assert "s3cret-salt" not in repr(bound) and "AAI_ID_SALT" in repr(bound)


KILLED_MID_STAGE = """
import os, signal, sys
from pathlib import Path
from pipelines.warehouse import connect
with connect(Path(sys.argv[1])) as con:
    con.execute("CREATE OR REPLACE TABLE survey AS SELECT 2 AS run")
    con.execute("CREATE OR REPLACE TABLE quarantine AS SELECT 2 AS run")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_stage_killed_before_it_ends_leaves_the_previous_tables(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    with warehouse.connect(database) as con:
        con.execute("CREATE TABLE survey AS SELECT 1 AS run")
        con.execute("CREATE TABLE quarantine AS SELECT 1 AS run")
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_STAGE, str(database)], check=False)
    assert killed.returncode == -9
    with warehouse.connect(database, read_only=True) as con:
        assert con.execute("SELECT (SELECT run FROM survey), (SELECT run FROM quarantine)").fetchall() == [(1, 1)]


def test_a_stage_that_raises_writes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    with pytest.raises(ZeroDivisionError), warehouse.connect(database) as con:
        con.execute("CREATE TABLE survey AS SELECT 1 AS run")
        raise ZeroDivisionError
    with warehouse.connect(database, read_only=True) as con:
        assert not warehouse.table_exists(con, "survey")


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    from pipelines import files

    target = tmp_path / "charts" / "report.pdf"
    files.write_bytes(target, b"old")
    with pytest.raises(RuntimeError), files.replacing(target) as part:
        part.write_bytes(b"half of the new")
        raise RuntimeError
    assert target.read_bytes() == b"old" and sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]
    left = target.with_name(f".report.pdf{files.TEMPORARY_MARK}999")  # what a killed writer leaves
    left.write_bytes(b"half")
    assert files.sweep(tmp_path) == 1 and not left.exists() and target.read_bytes() == b"old"
