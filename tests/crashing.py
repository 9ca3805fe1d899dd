"""The hostile data root and the kill harness of the crash-safety tests.

``hostile_root`` is the bundled sample plus everything the reliability issue found
breaking a run: a 20-digit number in a whole-number cell, a 200,000-character cell,
a header-only file, a directory named like a file, two programmes whose ids differ
only in a character a folder name cannot hold (``COL/1`` and ``COL 1``) and a symlink
to a file outside the data root. ``run`` starts ``aai run`` and can SIGKILL it at a
``KillPoint`` (a step starting, or a line of its output); ``kill_points`` are built
from the jobs' own step lists; ``snapshot`` is what a run leaves behind, to compare.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.sample import generate

AAI = Path(sys.executable).with_name("aai")
TWENTY_DIGITS = "99999999999999999999"
LONG_CELL = "x" * 200_000
COL_PROGRAMMES = {"COL/1": "COL-A-001", "COL 1": "COL-B-001"}
SOURCE_GROUP = "UA-ZHY-001"  # the sample group whose people the COL groups borrow


def hostile_root(root: Path) -> dict[str, str]:
    """Write the hostile data root; return the extra files' roles by source_file."""
    raw = root / "raw"
    generate(raw)
    groups = pd.read_csv(raw / "groups.csv", dtype=str, keep_default_na=False)
    survey = pd.read_csv(raw / "zhytomyr/survey_zhytomyr_2024-2025.csv", dtype=str, keep_default_na=False,
                         encoding="utf-8-sig")
    attendance = pd.read_csv(raw / "zhytomyr/attendance_zhytomyr.csv", dtype=str, keep_default_na=False)
    template = groups[groups["group_id"] == SOURCE_GROUP].iloc[0]
    extra_groups, surveys, registers = [], [], []
    for n, (programme, group) in enumerate(COL_PROGRAMMES.items()):
        extra_groups.append(template.to_dict() | {"group_id": group, "programme_id": programme})
        people = survey[survey["group_id"] == SOURCE_GROUP].copy()
        people["participant_id"] = f"COL{n}-" + people["participant_id"]
        surveys.append(people.assign(programme_id=programme, group_id=group))
        sessions = attendance[attendance["group_id"] == SOURCE_GROUP].copy()
        sessions["participant_id"] = f"COL{n}-" + sessions["participant_id"]
        registers.append(sessions.assign(group_id=group))
    col = raw / "col"
    col.mkdir()
    pd.concat([groups, pd.DataFrame(extra_groups)]).to_csv(raw / "groups.csv", index=False)
    col_survey = pd.concat(surveys, ignore_index=True)
    col_survey.loc[0, "who5_3"] = LONG_CELL
    col_survey.to_csv(col / "survey_col.csv", index=False)
    col_register = pd.concat(registers, ignore_index=True)
    col_register.loc[col_register.index[1], "duration_minutes"] = TWENTY_DIGITS
    col_register.to_csv(col / "attendance_col.csv", index=False)
    (col / "survey_header_only.csv").write_text(",".join(survey.columns) + "\n", encoding="utf-8")
    (raw / "looks_like_a_file.csv").mkdir()
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    surveys[0].assign(programme_id="OUTSIDE").to_csv(outside / "survey.csv", index=False)
    (raw / "linked_survey.csv").symlink_to(outside / "survey.csv")
    return {
        "col/survey_col.csv": "a 200,000-character cell",
        "col/attendance_col.csv": "a 20-digit number",
        "col/survey_header_only.csv": "header only",
        "looks_like_a_file.csv": "a directory",
        "linked_survey.csv": "a symlink out of the root",
    }


@dataclass(frozen=True)
class KillPoint:
    """Where the harness kills a run: ``delay`` seconds after the step ``step`` starts
    (its progress line ``▸ <step>``, the whole name: ``report`` is not
    ``report_partitions``), or after the first line starting with ``line``.
    ``reports_removed``: the run starts without ``processed/reports/``, so it writes
    every report (a report whose inputs and files are unchanged is kept, writing nothing
    to kill in between)."""

    id: str  # selects it: AAI_KILL_POINTS=start-report,inside-indicators
    what: str
    step: str | None = None
    line: str | None = None
    delay: float = 0.0
    reports_removed: bool = False

    def matches(self, output_line: str) -> bool:
        text = output_line.strip()
        return text == f"▸ {self.step}" if self.step else text.startswith(self.line)


# The jobs `aai run` runs: the refresh, then one report run per partition (the period
# job runs only with AAI_REPORT_PERIODS beyond the default `data`, as the harness does not).
JOBS = ("refresh_all", "reports")


def job_steps(job: str) -> list[tuple[str, bool]]:
    """(step, whether it materializes an asset) for each step of ``job``, in the order
    the in-process executor runs them, from the code location itself. A step that
    only runs asset checks reads the warehouse and writes nothing."""
    from dagster._core.execution.api import create_execution_plan

    from pipelines.definitions import defs

    definitions = defs()
    writes = {a.node_def.name: bool(a.keys) for a in definitions.resolve_asset_graph().assets_defs}
    plan = create_execution_plan(definitions.resolve_job_def(job))
    return [(step.key, writes[step.key]) for step in plan.get_steps_to_execute_in_topo_order()]


def kill_points() -> list[KillPoint]:
    """After a few files of ingestion; at the start of every step that writes (every
    asset boundary of both jobs); a few seconds into the two longest stages; and
    between two reports."""
    starts = [step for job in JOBS for step, writes in job_steps(job) if writes]
    return [
        KillPoint("ingestion", "in ingestion, after a few files", line="col/survey_col.csv:"),
        *(KillPoint(f"start-{step}", f"at the start of {step}", step=step) for step in starts),
        KillPoint("inside-indicators", "inside indicators", step="indicators", delay=2.0),
        KillPoint("inside-impact_tables", "inside impact_tables", step="impact_tables", delay=3.0),
        KillPoint("between-reports", "inside report, between reports", line="Report written to",
                  reports_removed=True),
    ]


@dataclass
class Outcome:
    returncode: int
    killed: bool
    output: str


def run(root: Path, dagster_home: Path, *, kill_at: KillPoint | None = None,
        timeout: float = 900, command: tuple[str, ...] = ("run",)) -> Outcome:
    """``aai run`` (or another ``command``) on ``root``; with ``kill_at``, SIGKILL its
    process group (the report workers too) at that point."""
    env = os.environ | {"AAI_DATA_DIR": str(root), "DAGSTER_HOME": str(dagster_home), "COLUMNS": "200"}
    process = subprocess.Popen([str(AAI), *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    lines: list[str] = []
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if kill_at and not killed.is_set() and kill_at.matches(line):
                time.sleep(kill_at.delay)
                kill()
        process.wait()
    finally:
        timer.cancel()
    return Outcome(process.returncode, killed.is_set(), "".join(lines))


SKIPPED = ("warehouse.duckdb", ".lock", ".owner")


def snapshot(root: Path) -> dict[str, str]:
    """Every output a run leaves: each warehouse table's rows (sorted) and each file
    under processed/ (bytes), as hashes; the warehouse file itself is compared by
    content, not bytes (DuckDB's block layout depends on its history)."""
    processed = root / "processed"
    found: dict[str, str] = {}
    for path in sorted(processed.rglob("*")):
        relative = path.relative_to(processed).as_posix()
        if path.is_file() and not any(part in path.name for part in SKIPPED):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir() and not any(path.iterdir()):
            found[relative + "/"] = "empty folder"
    with duckdb.connect(str(processed / "warehouse.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        for table in tables:
            rows = con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
            found[f"table {table}"] = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
    return found
