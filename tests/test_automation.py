"""The code location loads; the schedule and the drop-zone sensor fire when they should;
a failed run is logged in one line without its error text."""

import datetime as dt

import dagster as dg
from croniter import croniter
from conftest import GROUPS, write

from pipelines.defs.automation.alerts import run_failure_alert
from pipelines.defs.automation.refresh import monthly_refresh, new_files_sensor
from pipelines.definitions import defs
from pipelines.defs.resources import AaiSettings


def test_definitions_load_with_checks_schedule_and_sensor():
    loaded = defs()  # pipelines/defs/ read by load_from_defs_folder
    repo = loaded.get_repository_def()
    keys = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
    assert {"raw_files", "groups", "survey", "attendance", "quarantine", "ingest_log"} <= keys
    checks = {(key.asset_key.to_user_string(), key.name) for key in repo.asset_graph.asset_check_keys}
    assert ("ingest_log", "rows_balance") in checks
    assert loaded.resolve_schedule_def("monthly_refresh").job_name == "refresh_all"
    assert loaded.resolve_sensor_def("new_files_sensor").job_name == "refresh_all"
    assert loaded.resolve_sensor_def("run_failure_alert").default_status == dg.DefaultSensorStatus.RUNNING
    assert set(loaded.resources) == {"settings"}


def test_monthly_schedule_fires_on_the_first_at_six():
    ticks = croniter(monthly_refresh.cron_schedule, dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC))
    assert [ticks.get_next(dt.datetime) for _ in range(3)] == [
        dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC),
        dt.datetime(2027, 2, 1, 6, tzinfo=dt.UTC),
    ]
    assert monthly_refresh.execution_timezone == "UTC"
    context = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC))
    (request,) = monthly_refresh.evaluate_tick(context).run_requests
    assert request.job_name in (None, "refresh_all")


def test_sensor_requests_a_run_only_when_the_drop_zone_changes(data_root):
    warehouse = AaiSettings(data_dir=str(data_root))
    write(data_root / "raw/groups.csv", GROUPS)
    with dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources={"settings": warehouse}) as ctx:
        first = new_files_sensor(ctx)
        assert isinstance(first, dg.RunRequest)
        cursor = ctx.cursor
    with dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), cursor=cursor, resources={"settings": warehouse}
    ) as ctx:
        assert isinstance(new_files_sensor(ctx), dg.SkipReason)
        write(data_root / "raw/more/att.csv", "group_id,session_date,participant_id,attended\n")
        second = new_files_sensor(ctx)
        assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key
        write(data_root / "mappings/brc.yaml", "constants: {programme_id: BRC-WWC}\n")
        third = new_files_sensor(ctx)
        assert isinstance(third, dg.RunRequest) and third.run_key != second.run_key


def test_failure_alert_names_run_job_and_failed_step_but_never_the_error(capfd):
    @dg.asset
    def survey_copy():
        return 1

    @dg.asset(deps=[survey_copy])
    def broken():
        # what a careless message could carry: a participant's row
        raise ValueError("row 7: Тестова Олена, +380 67 000 0000")

    defs = dg.Definitions(assets=[survey_copy, broken], jobs=[dg.define_asset_job("nightly", [survey_copy, broken])])
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("nightly").execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_alert", dagster_event=result.get_run_failure_event(),
            dagster_instance=instance, dagster_run=result.dagster_run,
        ).for_run_failure()
        capfd.readouterr()  # drop the run's own output
        run_failure_alert(context)
    logged = capfd.readouterr().err
    (line,) = [line for line in logged.splitlines() if "ALERT" in line]
    assert f"run_id={result.run_id} job=nightly failed_steps=broken" in line
    assert "+380" not in logged and "Тестова" not in logged and "ValueError" not in logged


def test_report_partitions_follow_the_data_and_the_configured_periods(data_root):
    """Programmes (by folder key, then `all`) and periods (the data period first, then each
    configured year or quarter holding data) as `report_partitions` registers them, and
    the runs that follow a refresh: one per period's tables, one per report partition."""
    from pipelines.defs.automation.reports import report_requests, runs_after_refresh
    from pipelines.defs.partitions import current, register, report_key

    warehouse = AaiSettings(data_dir=str(data_root))
    with warehouse.connect() as con:
        con.execute("CREATE TABLE groups (group_id VARCHAR, programme_id VARCHAR)")
        con.execute("INSERT INTO groups VALUES ('g1', 'BRC-WWC'), ('g2', 'COL/1')")
        con.execute("CREATE TABLE attendance (group_id VARCHAR, session_date DATE, attended BOOLEAN)")
        con.execute("INSERT INTO attendance VALUES ('g1', DATE '2024-11-05', true), ('g2', DATE '2025-02-10', true)")
    with warehouse.connect(read_only=True) as con:
        partitions = current(con, ["year", "quarter"])
    assert partitions.programmes == ["BRC-WWC", "COL-1-d8958a89", "all"]
    assert partitions.periods == ["2024-11..2025-02", "2024", "2025", "2024-10..2024-12", "2025-01..2025-03"]
    slices, data = runs_after_refresh(partitions)
    assert data == "2024-11..2025-02" and slices == partitions.periods[1:]
    requests = report_requests(partitions, "2024", ["en", "ru"])
    assert [r.partition_key for r in requests] == [report_key(p, "2024") for p in partitions.programmes]
    assert {k.to_user_string() for k in requests[0].asset_selection} == {
        "report/en", "report_charts/en", "report/ru", "report_charts/ru"}
    instance = dg.DagsterInstance.ephemeral()
    register(instance, partitions.programmes, partitions.periods)
    register(instance, ["all"], ["2024"])  # nothing twice
    assert instance.get_dynamic_partitions("programme") == partitions.programmes
    assert instance.get_dynamic_partitions("period") == partitions.periods


def test_the_drop_zone_as_read_is_the_data_version_of_raw_files(data_root):
    """The same files give raw_files the same data version, whatever their times; a
    changed file gives another."""
    from pipelines.defs.ingest.assets import raw_files

    settings = AaiSettings(data_dir=str(data_root))
    settings.paths.processed.mkdir(parents=True)
    groups = write(data_root / "raw" / "groups.csv", GROUPS)

    def version() -> str:
        result = dg.materialize([raw_files], resources={"settings": settings})
        [event] = result.asset_materializations_for_node("raw_files")
        return event.tags["dagster/data_version"]

    first = version()
    groups.touch()
    assert version() == first
    write(groups, GROUPS + GROUPS.splitlines()[-1].replace(",", ",x", 1) + "\n")
    assert version() != first
