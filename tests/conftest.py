"""Shared test helpers: small hand-made files in a throw-away data root."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.stage import stage_all
from pipelines.mapping import load_mappings
from pipelines.sample import generate, write_frameworks
from pipelines.validate.warehouse_tables import build_tables

AAI = str(Path(sys.executable).parent / "aai")

GROUPS_HEADER = "group_id,programme_id,group_name,country,region,settlement_type,target_population,start_date,end_date,facilitation"
GROUPS = GROUPS_HEADER + "\n" + "\n".join(
    [
        "BY-GRO-001,BRC-WWC,Долголетие в движении,BY,Grodno,rural,older_people,2023-01-10,,self_run",
        "BY-VIT-002,BRC-WWC,Клуб,BY,Vitebsk,urban,older_people,2023-02-01,,volunteer_led",
    ]
) + "\n"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for pytest-xdist's ``--dist loadgroup`` (``make test`` runs one worker per
    core): the tests of one file share a worker, so a module's fixtures are built once,
    and every test of the session's end-to-end run (``demo_root``) shares one worker, so
    the demo data root is built once, not once per worker."""
    for item in items:
        group = "demo_root" if "demo_root" in getattr(item, "fixturenames", ()) else item.path.name
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    return tmp_path


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def ingest(raw: Path, *, salt: bytes | None = None, mappings: bool = False) -> duckdb.DuckDBPyConnection:
    """Stage and validate everything under ``raw`` into an in-memory warehouse; with
    ``mappings``, read through the mapping files of the data root holding ``raw``."""
    con = duckdb.connect()
    root = raw.parent
    stage_all(con, raw, salt=salt, mappings=load_mappings(root / "mappings", shown_from=root) if mappings else ())
    build_tables(con)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def aai(*args: str, root: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    if root is not None:
        env["AAI_DATA_DIR"] = str(root)
    return subprocess.run([AAI, *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("another-root")
    generate(root / "raw")
    write_frameworks(root / "frameworks")
    # A user's national figures beside raw/ complete D4 (see docs/indicators.md).
    (root / "national_indicators.csv").write_text(
        "country,sex,indicator,value,year,source\nBY,all,4.1,52.1,2019,test figure\nBY,all,4.2,58.0,2019,test figure\n"
    )
    done = aai("run", root=root)
    assert done.returncode == 0, done.stderr[-3000:]
    (root / "first_run_stdout.txt").write_text(done.stdout)
    return root
