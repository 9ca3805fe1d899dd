"""The production Dagster instance, against a real PostgreSQL server.

dagster-instance.postgres.yaml is installed into a DAGSTER_HOME the way `make` does it,
pointed at a throwaway cluster (tests/postgres.py), and used: a writing step waits
while another run holds the warehouse pool's one slot, runs and their events land in
PostgreSQL, a misconfigured connection is one line, and (slow tier) the daemon's
sensor launches a run that completes when a file arrives, and a failed run is alerted
in the daemon's log. Without PostgreSQL installed these tests skip, except under
CI=true, where they fail: .ci/run installs Debian's postgresql so CI always runs them.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from postgres import PASSWORD, Server, binaries, free_port, running_server

from pipelines.defs.automation.refresh import drop_zone_fingerprint
from pipelines.defs.resources import AaiSettings
from pipelines.definitions import defs
from pipelines.instance import InstanceProblem, check_home
from pipelines.warehouse import WAREHOUSE_POOL

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WAREHOUSE_GROUPS = {"ingest", "validate", "review", "indicators", "impact", "results"}
INGEST_AND_VALIDATE = ("raw_files", "groups", "survey", "attendance", "quarantine", "ingest_log")


@pytest.fixture(scope="module")
def postgres() -> Iterator[Server]:
    bin_dir = binaries()
    if bin_dir is None:
        reason = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin): apt-get install postgresql"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must test the production instance (.ci/run installs it)")
        pytest.skip(reason)
    with running_server(bin_dir) as server:
        yield server


def install_instance(home: Path, instance: str = "postgres") -> Path:
    """`make instance` minus the check: the Makefile's own rule copies the file."""
    done = subprocess.run(["make", "-s", "-C", str(REPO), f"{home}/dagster.yaml", f"DAGSTER_HOME={home}",
                           f"DAGSTER_INSTANCE={instance}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return home


def environment(home: Path, pg: dict[str, str], data_root: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "AAI_"))}
    env.update(pg, DAGSTER_HOME=str(home))
    if data_root is not None:
        env["AAI_DATA_DIR"] = str(data_root)
    return env


def aai(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "aai"), *args], env=env, capture_output=True, text=True, timeout=300)


def test_every_warehouse_writer_is_in_the_warehouse_pool():
    graph = defs().get_repository_def().asset_graph
    pools = {key.to_user_string(): (graph.get(key).group_name, graph.get(key).pools)
             for key in graph.get_all_asset_keys()}
    writers = {name for name, (group, _) in pools.items() if group in WAREHOUSE_GROUPS}
    assert {"raw_files", "survey", "indicators", "impact_estimates"} <= writers
    assert {name for name, (_, pool) in pools.items() if pool == {"warehouse"}} == writers


def test_make_installs_the_chosen_instance_and_switches_back(tmp_path):
    home = install_instance(tmp_path)
    assert (home / "dagster.yaml").read_bytes() == (REPO / "dagster-instance.postgres.yaml").read_bytes()
    install_instance(home, "sqlite")  # the copy is newer, and is replaced all the same
    assert (home / "dagster.yaml").read_bytes() == (REPO / "dagster-instance.yaml").read_bytes()


def test_no_server_listening_fails_fast_with_one_line(tmp_path, monkeypatch):
    home = install_instance(tmp_path)
    pg = Server("127.0.0.1", free_port()).environment()
    (tmp_path / "raw").mkdir()
    for command in (("instance",), ("run", "--data-dir", str(tmp_path))):
        done = aai(*command, env=environment(home, pg))
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert done.stderr.strip().count("\n") == 0, done.stderr
        assert "is not reachable: connection refused — check DAGSTER_PG_HOST" in done.stderr
        assert "Traceback" not in done.stderr and PASSWORD not in done.stdout + done.stderr
    # Dagster itself retries a refused connection for about 13 s before its traceback
    for name, value in pg.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    with pytest.raises(InstanceProblem):
        check_home(home)
    assert time.monotonic() - started < 3


def test_a_postgres_url_is_checked_too(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text("storage:\n  postgres:\n    postgres_url: {env: DAGSTER_PG_URL}\n")
    port = free_port()
    monkeypatch.setenv("DAGSTER_PG_URL", f"postgresql+psycopg2://dagster:{PASSWORD}@127.0.0.1:{port}/dagster")
    with pytest.raises(InstanceProblem) as problem:
        check_home(tmp_path)
    assert str(problem.value).startswith(f"PostgreSQL at 127.0.0.1:{port} is not reachable: connection refused "
                                         "— check DAGSTER_PG_URL, and that the server is running")
    assert PASSWORD not in str(problem.value)


@pytest.mark.parametrize(("change", "expected"), [
    ({"DAGSTER_PG_PASSWORD": "wrong"}, "password authentication failed for user \"dagster\" — check DAGSTER_PG_USER"),
    ({"DAGSTER_PG_DB": "nowhere"}, "database \"nowhere\" does not exist — check DAGSTER_PG_DB"),
    ({"DAGSTER_PG_PORT": "54x"}, "DAGSTER_PG_PORT must be a port number, got '54x'"),
    ({"DAGSTER_PG_HOST": None}, "DAGSTER_PG_HOST is not set"),
])
def test_misconfigured_connection_is_one_line_naming_the_variable(postgres, tmp_path, monkeypatch, change, expected):
    # in-process: how the command prints the line is the test above; this is what it says
    home = install_instance(tmp_path)
    for name, value in postgres.environment(**{k: v for k, v in change.items() if v is not None}).items():
        monkeypatch.setenv(name, value)
    for unset in (k for k, v in change.items() if v is None):
        monkeypatch.delenv(unset)
    with pytest.raises(InstanceProblem) as problem:
        check_home(home)
    message = str(problem.value)
    assert "\n" not in message and expected in message
    assert "wrong" not in message and PASSWORD not in message


def test_pipeline_waits_for_the_warehouse_slot_and_its_run_is_stored_in_postgresql(postgres, tmp_path, monkeypatch):
    home = install_instance(tmp_path / "home")
    for name, value in postgres.environment().items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "root"
    shutil.copytree(REPO / "data/raw", root / "raw")
    job = defs().resolve_job_def("refresh_all")
    outcome = {}

    def materialize(instance: dg.DagsterInstance) -> None:
        outcome["result"] = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey(name) for name in INGEST_AND_VALIDATE],
            run_config={"resources": {"settings": {"config": {"data_dir": str(root)}}}},
        )

    with dg.DagsterInstance.from_config(str(home)) as other, dg.DagsterInstance.from_config(str(home)) as instance:
        # another run's step holds the warehouse pool's one slot (the instance's default limit)
        other.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert other.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, "another-run", "writer").is_claimed
        worker = threading.Thread(target=materialize, args=(instance,))
        worker.start()
        blocked = wait_for_event(postgres, "Step blocked by limit for pool warehouse", worker)
        assert not postgres.query("SELECT 1 FROM event_logs WHERE run_id = %s AND dagster_event_type = "
                                  "'ASSET_MATERIALIZATION'", (blocked,))  # nothing written while it waits
        other.event_log_storage.free_concurrency_slots_for_run("another-run")
        worker.join(timeout=300)
    result = outcome["result"]
    assert result.success and result.run_id == blocked
    (status,) = postgres.query("SELECT status FROM runs WHERE run_id = %s", (result.run_id,))[0]
    assert status == "SUCCESS"
    materialized = {row[0] for row in postgres.query(
        "SELECT asset_key FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
        (result.run_id,))}
    assert materialized == {f'["{name}"]' for name in INGEST_AND_VALIDATE}
    assert postgres.query('SELECT "limit" FROM concurrency_limits WHERE concurrency_key = %s',
                          (WAREHOUSE_POOL,)) == [(1,)]
    # names and phones are in the raw files; none may reach Dagster's event storage
    events = "\n".join(row[0] for row in postgres.query(
        "SELECT event FROM event_logs WHERE run_id = %s", (result.run_id,)))
    assert "+380" in (root / "raw/zhytomyr/attendance_zhytomyr.csv").read_text(encoding="utf-8")
    assert "+380" not in events and "Тестова" not in events


def wait_for_event(postgres: Server, message: str, worker: threading.Thread, timeout: float = 120) -> str:
    """The run id of the first event whose text holds ``message``, once it is stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = postgres.query("SELECT run_id FROM event_logs WHERE event LIKE %s LIMIT 1", (f"%{message}%",))
        if found:
            return found[0][0]
        assert worker.is_alive(), "the run ended without waiting for the slot"
        time.sleep(0.5)
    pytest.fail(f"no event {message!r} within {timeout:.0f} s")


def test_aai_instance_reports_the_postgres_instance_ready(postgres, tmp_path):
    home = install_instance(tmp_path)
    done = aai("instance", env=environment(home, postgres.environment()))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"instance ready: postgresql at 127.0.0.1:{postgres.port}/dagster, "
                                   f"{len(postgres.query('SELECT run_id FROM runs'))} runs kept, 2 run retries, "
                                   "1 slot(s) per pool (warehouse)")


@pytest.mark.slow
def test_daemon_sensor_launches_a_run_that_completes_when_a_file_arrives(postgres, tmp_path, monkeypatch):
    home = install_instance(tmp_path / "home")
    root = tmp_path / "root"
    shutil.copytree(REPO / "data/raw", root / "raw", ignore=shutil.ignore_patterns("mazovia"))
    env = environment(home, postgres.environment(), data_root=root)
    log = tmp_path / "daemon.log"
    # The sensor ships stopped: switch it on in this instance, as an operator would, and
    # tell it the drop zone as it is now has been processed, so only a new file starts a run.
    for command in (["sensor", "start", "new_files_sensor"],
                    ["sensor", "cursor", "new_files_sensor", "--set",
                     drop_zone_fingerprint(AaiSettings(data_dir=str(root)))]):
        done = subprocess.run([str(BIN / "dagster"), *command], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    runs_before = {row[0] for row in postgres.query("SELECT run_id FROM runs")}
    with log.open("w") as out:
        # from the repository root, as an operator runs it: pyproject names the code location
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run"], cwd=REPO, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_line("Sensor new_files_sensor skipped: no change in the drop zone", daemon, log)
        shutil.copytree(REPO / "data/raw/mazovia", root / "raw/mazovia")  # a programme's files arrive
        launched = wait_for_new_run(postgres, runs_before, daemon, log)
        assert wait_for_status(postgres, launched, daemon, log) == "SUCCESS", log.read_text()[-4000:]
        # a run that fails, started from outside the daemon as `aai run` does: the alert
        # sensor logs it in the daemon's log, without the error's text
        failed = failing_run(home, root, postgres, monkeypatch)
        line = wait_for_line(f"ALERT run failed: run_id={failed} ", daemon, log)
        assert "job=refresh_all failed_steps=none" in line and "min_cell" not in line
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    assert {row[0] for row in postgres.query("SELECT run_id FROM runs")} - runs_before == {launched, failed}
    (body,) = postgres.query("SELECT run_body FROM runs WHERE run_id = %s", (launched,))[0]
    assert '"dagster/sensor_name": "new_files_sensor"' in body  # launched by the sensor
    with duckdb.connect(str(root / "processed/warehouse.duckdb"), read_only=True) as con:
        loaded = con.execute("SELECT sum(rows_loaded) FROM ingest_log WHERE source_file LIKE 'mazovia/%'").fetchall()
    assert loaded[0][0] > 0  # the run read the files that arrived


def failing_run(home: Path, root: Path, postgres: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A refresh_all run on the instance that fails before its first step: a minimum cell
    of 3 is refused when the settings resource starts."""
    for name, value in postgres.environment().items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = defs().resolve_job_def("refresh_all").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"resources": {"settings": {"config": {"data_dir": str(root), "min_cell": 3}}}},
        )
    assert not result.success
    return result.run_id


def wait_for_line(start: str, daemon: subprocess.Popen, log: Path, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert daemon.poll() is None, log.read_text()[-4000:]
        found = [line for line in log.read_text().splitlines() if start in line]
        if found:
            return found[0]
        time.sleep(2)
    pytest.fail(f"no line with {start!r} within {timeout:.0f} s; daemon log:\n{log.read_text()[-4000:]}")


def wait_for_new_run(postgres: Server, known: set[str], daemon: subprocess.Popen, log: Path,
                     timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert daemon.poll() is None, log.read_text()[-4000:]
        new = {row[0] for row in postgres.query("SELECT run_id FROM runs")} - known
        if new:
            return new.pop()
        time.sleep(2)
    pytest.fail(f"no run launched within {timeout:.0f} s; daemon log:\n{log.read_text()[-4000:]}")


def wait_for_status(postgres: Server, run_id: str, daemon: subprocess.Popen, log: Path,
                    timeout: float = 900) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (status,) = postgres.query("SELECT status FROM runs WHERE run_id = %s", (run_id,))[0]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        assert daemon.poll() is None, log.read_text()[-4000:]
        time.sleep(3)
    pytest.fail(f"run {run_id} not finished within {timeout:.0f} s; daemon log:\n{log.read_text()[-4000:]}")
