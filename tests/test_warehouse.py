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
        monkeypatch.setenv("AAI_LOCK_TIMEOUT", "1")
        monkeypatch.setattr(warehouse, "WAIT_REPORT_SECONDS", 0.4)
        started = time.monotonic()
        with caplog.at_level(logging.INFO), pytest.raises(warehouse.WarehouseBusy) as busy:
            with warehouse.connect(database):
                pass
        assert time.monotonic() - started < 10
        assert f"process {holder.pid} on " in str(busy.value) and "AAI_LOCK_TIMEOUT" in str(busy.value)
        assert any("waiting for the warehouse, held by process" in r.getMessage() for r in caplog.records)
    finally:
        holder.kill()
        holder.wait()
    with warehouse.connect(database) as con:  # the OS released a killed holder's lock
        assert con.execute("SELECT 1").fetchall() == [(1,)]


def test_lock_timeout_must_be_a_number(monkeypatch) -> None:
    monkeypatch.setenv("AAI_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="AAI_LOCK_TIMEOUT must be a number of seconds"):
        warehouse.lock_timeout()
