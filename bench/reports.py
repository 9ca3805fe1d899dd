"""Reports against the whole run (issue #12): what share of ``aai run`` the reports take.

Issue #12 asks that building the reports stays under a third of a full run on the demo.
A report partition is two assets (docs/report.md): ``report_charts/<lang>`` draws its
charts, ``report/<lang>`` writes the report — figures, HTML, PDF — from the charts'
manifest, never redrawing them. This benchmark measures both, from Dagster's own step
timings, and the ``aai report`` command as a whole, against ``aai run`` in the same
benchmark on the same data root:

1. a fresh demo data root (``aai sample``, the frameworks and national figures of the
   tests' demo) and a fresh Dagster instance;
2. ``aai run --workers N`` timed as a process (N = 1 by default, so the reports' steps
   run one after the other and their durations add up to wall time);
3. from the instance, each report run's ``report_charts`` and ``report`` step durations;
4. ``aai report --workers N`` timed as a process.

    python -m bench.reports               # one worker
    python -m bench.reports --workers 2   # as `aai run` does on two cores

Results go to ``bench/out/reports.json``; figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
ROOT_DIR = Path(__file__).resolve().parent.parent
AAI = str(Path(sys.executable).parent / "aai")


def _timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([AAI, *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"aai {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def _steps(dagster_home: Path) -> dict[str, float]:
    """Seconds per kind of step, summed over the instance's runs: the refresh run's wall
    time, and the report runs' ``report_charts`` and ``report`` steps."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    totals = {"refresh_run": 0.0, "report_charts": 0.0, "report": 0.0, "report_runs": 0}
    with dg.DagsterInstance.get() as instance:
        for run in instance.get_runs():
            if run.job_name.startswith("refresh"):
                stats = instance.get_run_stats(run.run_id)
                totals["refresh_run"] += (stats.end_time or 0) - (stats.start_time or 0)
            elif run.job_name == "reports":
                totals["report_runs"] += 1
                for step in instance.get_run_step_stats(run.run_id):
                    kind = step.step_key.split("__")[0].split(".")[0]
                    if kind in ("report_charts", "report"):
                        totals[kind] += (step.end_time or 0) - (step.start_time or 0)
    return totals


def measure(workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        root, home = Path(tmp) / "root", Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(ROOT_DIR / "dagster-instance.yaml", home / "dagster.yaml")
        env = {**os.environ, "AAI_DATA_DIR": str(root), "DAGSTER_HOME": str(home)}
        subprocess.run([AAI, "sample", "--out", str(root / "raw")], env=env, check=True, capture_output=True)
        run = _timed(["run", "--workers", str(workers)], env)
        steps = _steps(home)
        report = _timed(["report", "--workers", str(workers)], env)
    return {
        "workers": workers,
        "aai_run_s": round(run, 1),
        "refresh_run_s": round(steps["refresh_run"], 1),
        "report_runs": steps["report_runs"],
        "report_steps_s": round(steps["report"], 1),
        "report_chart_steps_s": round(steps["report_charts"], 1),
        "aai_report_s": round(report, 1),
        "report_steps_share": round(steps["report"] / run, 3),
        "reports_with_charts_share": round((steps["report"] + steps["report_charts"]) / run, 3),
        "aai_report_share": round(report / run, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="report workers of both commands (default 1)")
    result = measure(parser.parse_args().workers)
    OUT.mkdir(exist_ok=True)
    (OUT / "reports.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"aai run {result['aai_run_s']} s (refresh run {result['refresh_run_s']} s, "
          f"{result['report_runs']} report runs)")
    print(f"report steps (figures, HTML, PDF): {result['report_steps_s']} s = "
          f"{result['report_steps_share']:.0%} of the run")
    print(f"with their charts (report_charts steps {result['report_chart_steps_s']} s): "
          f"{result['reports_with_charts_share']:.0%} of the run")
    print(f"aai report as a command: {result['aai_report_s']} s = {result['aai_report_share']:.0%} of the run")


if __name__ == "__main__":
    main()
