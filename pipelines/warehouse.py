"""The DuckDB warehouse: one file, one writer at a time.

DuckDB lets a single process hold a database file for writing, and while it does no
other process may open it, not even read-only. Dagster's default executor runs each
step in its own process, and schedules, sensors and UI-launched runs may overlap, so
every connection is taken under an inter-process file lock next to the database.
Steps queue on the lock instead of failing after DuckDB's own back-off. Jobs also use
the in-process executor, so a normal run never contends with itself.

A connection opened for writing is one transaction: a stage's tables are all written
or, if the process dies or raises first, none are (DuckDB discards an uncommitted
transaction when it next opens the file). A killed run leaves the previous run's
tables as they were, and the next run starts from them.
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


# The Dagster concurrency pool of every asset that writes the warehouse. The file lock
# (``connect`` below) makes a second writer wait inside its own step; with the pool
# limited to one slot, as the production instance does (dagster-instance.postgres.yaml),
# that step does not start until the writer's step has ended, and its run's log says
# "Step blocked by limit for pool warehouse". Where no limit is configured the pool
# changes nothing.
WAREHOUSE_POOL = "warehouse"
LOCK_TIMEOUT_SECONDS = 30 * 60  # the default of AAI_LOCK_TIMEOUT (pipelines/defs/resources.py)
WAIT_REPORT_SECONDS = 30  # how often a waiting run says it is still waiting


class WarehouseBusy(TimeoutError):
    """Another run held the warehouse for longer than the lock timeout."""


def _holder(owner: Path) -> str:
    """Who holds the lock, as the holder wrote it: process, host and since when."""
    try:
        return owner.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def _locked(database: Path, timeout: float) -> Iterator[None]:
    """Take the writer lock; while another run holds it, say so every
    WAIT_REPORT_SECONDS and name the holder; give up after ``timeout`` seconds."""
    lock = FileLock(f"{database}.lock")
    owner = Path(f"{database}.lock.owner")
    log = dg.get_dagster_logger()
    waited = 0.0
    while True:
        try:
            lock.acquire(timeout=min(WAIT_REPORT_SECONDS, max(timeout - waited, 0)))
            break
        except Timeout:
            waited += WAIT_REPORT_SECONDS
            if waited >= timeout:
                raise WarehouseBusy(
                    f"the warehouse {database} is still held by {_holder(owner)} after {timeout:.0f} s; "
                    "wait for that run to finish or raise AAI_LOCK_TIMEOUT") from None
            log.info(f"waiting for the warehouse, held by {_holder(owner)} ({waited:.0f} s so far)")
    try:
        owner.write_text(f"process {os.getpid()} on {socket.gethostname()} since "
                         f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC", encoding="utf-8")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


@contextmanager
def connect(database: Path, *, read_only: bool = False,
            timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under the writer lock; close and release on exit. For
    writing, everything done through the connection is committed when the block ends
    and rolled back if it raises."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with _locked(database, timeout):
        con = duckdb.connect(str(database), read_only=read_only and database.exists())
        try:
            if read_only:
                yield con
            else:
                con.begin()
                try:
                    yield con
                except BaseException:
                    con.rollback()
                    raise
                con.commit()
        finally:
            con.close()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when a table or view called ``name`` exists in the open database."""
    # the connection itself, not a cursor: a cursor does not see the tables of an
    # open transaction
    rows = con.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_name = ? LIMIT 1", [name]
    ).fetchall()
    return bool(rows)


def markdown_table(frame: pd.DataFrame) -> str:
    """A small frame as Markdown for Dagster metadata; ``_none_`` when empty."""
    return frame.to_markdown(index=False) if len(frame) else "_none_"
