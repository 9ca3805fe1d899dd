"""Property tests: whatever bytes arrive, no exception escapes and every record is accounted for."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fuzzing import delimited_files, stage_and_check

from pipelines.cli import app

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.one_of(delimited_files(), st.binary(max_size=400)))
def test_reader_accounts_for_every_record(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("prop") / "file.csv"
    path.write_bytes(data)
    found = stage_and_check([path])
    assert found["files"] == 1
    assert found["imbalanced"] == [] and found["unexpected"] == []


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=delimited_files())
def test_check_command_never_raises(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("check") / "file.csv"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
