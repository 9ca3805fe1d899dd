"""The DuckDB warehouse: one file, one writer at a time.

DuckDB lets a single process hold a database file for writing, and while it does no
other process may open it, not even read-only. Dagster's default executor runs each
step in its own process, and schedules, sensors and UI-launched runs may overlap, so
every connection is taken under an inter-process file lock next to the database.
Steps queue on the lock instead of failing after DuckDB's own back-off. Jobs also use
the in-process executor, so a normal run never contends with itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from filelock import FileLock

from pipelines.settings import DataRoot

LOCK_TIMEOUT_SECONDS = 30 * 60


@contextmanager
def connect(database: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under the writer lock; close and release on exit."""
    database.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{database}.lock", timeout=LOCK_TIMEOUT_SECONDS)
    with lock:
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
