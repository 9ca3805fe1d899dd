"""The DuckDB warehouse: one file, one writer at a time.

DuckDB lets a single process hold a database file for writing, and while it does no
other process may open it, not even read-only. Dagster's default executor runs each
step in its own process, and schedules, sensors and UI-launched runs may overlap, so
every connection is taken under an inter-process file lock next to the database.
Steps queue on the lock instead of failing after DuckDB's own back-off. Jobs also use
the in-process executor, so a normal run never contends with itself.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from pipelines.settings import DataRoot

LOCK_TIMEOUT_VARIABLE = "AAI_LOCK_TIMEOUT"
LOCK_TIMEOUT_SECONDS = 30 * 60
WAIT_REPORT_SECONDS = 30  # how often a waiting run says it is still waiting


class WarehouseBusy(TimeoutError):
    """Another run held the warehouse for longer than the lock timeout."""


def lock_timeout() -> float:
    """Seconds to wait for the warehouse (``$AAI_LOCK_TIMEOUT``, default 30 minutes)."""
    raw = os.environ.get(LOCK_TIMEOUT_VARIABLE, "").strip()
    try:
        return float(raw) if raw else LOCK_TIMEOUT_SECONDS
    except ValueError as exc:
        raise ValueError(f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds, got {raw!r}") from exc


def _holder(owner: Path) -> str:
    """Who holds the lock, as the holder wrote it: process, host and since when."""
    try:
        return owner.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def _locked(database: Path) -> Iterator[None]:
    """Take the writer lock; while another run holds it, say so every
    WAIT_REPORT_SECONDS and name the holder; give up after ``lock_timeout()``."""
    lock = FileLock(f"{database}.lock")
    owner = Path(f"{database}.lock.owner")
    log = dg.get_dagster_logger()
    timeout, waited = lock_timeout(), 0.0
    while True:
        try:
            lock.acquire(timeout=min(WAIT_REPORT_SECONDS, max(timeout - waited, 0)))
            break
        except Timeout:
            waited += WAIT_REPORT_SECONDS
            if waited >= timeout:
                raise WarehouseBusy(
                    f"the warehouse {database} is still held by {_holder(owner)} after {timeout:.0f} s; "
                    f"wait for that run to finish or raise {LOCK_TIMEOUT_VARIABLE}") from None
            log.info(f"waiting for the warehouse, held by {_holder(owner)} ({waited:.0f} s so far)")
    try:
        owner.write_text(f"process {os.getpid()} on {socket.gethostname()} since "
                         f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


@contextmanager
def connect(database: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under the writer lock; close and release on exit."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with _locked(database):
        con = duckdb.connect(str(database), read_only=read_only and database.exists())
        try:
            yield con
        finally:
            con.close()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when a table or view called ``name`` exists in the open database."""
    rows = con.cursor().execute(
        "SELECT 1 FROM information_schema.tables WHERE table_name = ? LIMIT 1", [name]
    ).fetchall()
    return bool(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """A small frame as Markdown for Dagster metadata; ``_none_`` when empty."""
    return frame.to_markdown(index=False) if len(frame) else "_none_"


class Warehouse(dg.ConfigurableResource):
    """The data root and its warehouse, for assets, checks, sensors and the CLI.

    ``data_dir`` empty means ``$AAI_DATA_DIR`` (default ``./data``), read when the
    resource is used rather than when the code location is imported.
    """

    data_dir: str = ""

    @property
    def paths(self) -> DataRoot:
        return DataRoot.from_env(self.data_dir or None)

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.paths.warehouse, read_only=read_only) as con:
            yield con
