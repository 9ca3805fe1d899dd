"""A throwaway PostgreSQL server for the production-instance tests.

Debian's ``postgresql`` package (installed by .ci/run) ships ``initdb`` and ``pg_ctl``
under ``/usr/lib/postgresql/<version>/bin``; a cluster in a temporary folder on a
free port lets a test use a real server without touching the machine's own. PostgreSQL
refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

USER = "dagster"
PASSWORD = "test-secret-9f3a"  # only for this cluster; tests assert it is never printed
DATABASE = "dagster"


@dataclass(frozen=True)
class Server:
    host: str
    port: int

    def environment(self, **overrides: str) -> dict[str, str]:
        """The DAGSTER_PG_* variables dagster-instance.postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": USER,
            "DAGSTER_PG_PASSWORD": PASSWORD,
            "DAGSTER_PG_DB": DATABASE,
            **overrides,
        }

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with closing(psycopg2.connect(host=self.host, port=self.port, user=USER, password=PASSWORD,
                                      dbname=DATABASE)) as con, con.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(bin_dir: Path) -> Iterator[Server]:
    """initdb, start on a free port (TCP on 127.0.0.1, password auth), create the
    database; stop and delete everything on exit."""
    root = Path(tempfile.mkdtemp(prefix="aai-pg-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    data, password_file = root / "data", root / "password"
    password_file.write_text(PASSWORD)
    if as_postgres:
        shutil.chown(password_file, "postgres", "postgres")
    port = free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, text=True, timeout=120)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={password_file}",
        "--auth-host=scram-sha-256", "--auth-local=trust", "--encoding=UTF8", "--no-sync")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        with closing(psycopg2.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD,
                                      dbname="postgres")) as con:
            con.autocommit = True  # CREATE DATABASE cannot run in a transaction
            with con.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {DATABASE}")
        yield Server("127.0.0.1", port)
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)
