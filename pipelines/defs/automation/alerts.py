"""A failed run says so in the log: one line an operator can grep or forward.

Dagster records a failed run in its event storage, but nobody reads the UI at night;
a line in the daemon's log (and the sensor tick's log in the UI) is what a log
shipper or a cron'd grep turns into an alert. The line names the run, its job and the
steps that failed, and deliberately not the error: an exception's message can quote
a cell of a participant's row (a name, a phone), and logs travel further than the
warehouse. The run's page holds the error for whoever has access to it.
"""

import dagster as dg

ALERT_PREFIX = "ALERT run failed"


def failure_line(context: dg.RunFailureSensorContext) -> str:
    """One line for a failed run: its id, its job and its failed step keys, no message text."""
    run = context.dagster_run
    steps = sorted({event.step_key for event in context.get_step_failure_events() if event.step_key})
    # A run can fail with no step failing: its worker died, it never started, or it
    # failed before its first step (a setting refused when the resources start).
    failed = ", ".join(steps) if steps else "none (the run failed outside its steps: see its page)"
    return f"{ALERT_PREFIX}: run_id={run.run_id} job={run.job_name} failed_steps={failed}"


# On by default, unlike the refresh sensor: it launches nothing, and an alert that has
# to be switched on is an alert nobody gets. It watches every run of the instance:
# `aai run` (from a terminal or cron) executes in its own process, and Dagster ties
# such a run to no code location, so watching only this one would miss it.
@dg.run_failure_sensor(name="run_failure_alert", default_status=dg.DefaultSensorStatus.RUNNING,
                       monitor_all_code_locations=True)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    """Log one line for each failed run: run id, job and failed steps, never the error text."""
    context.log.error(failure_line(context))
