"""Scale benchmark: the whole pipeline against a hand-written DuckDB job, in one run.

Issue #13 asks every stage to run at DuckDB speed: for a data root of a given size the
full ``aai run`` should take at most 1.5 times as long as a hand-written DuckDB job
doing the essential work (typed load of the three files, the contract's checks, the
survey indicators in SQL), and ten times the data at most 11 times the time. Machines
differ, so every figure is reported as a ratio against the baseline measured in the
same run on the same files; each step runs in a fresh process (Linux keeps a process's
peak resident set across exec, so the parent stays small and only reads results).

The data root is synthetic and clean, in the contract's canonical shape:
``groups.csv`` and ``attendance.csv`` from ``pipelines.sample.bulk`` (groups of 25
members meeting twice a week), and a ``survey.csv`` of those members at baseline and
two follow-ups (15 % lost at each) plus a comparison arm of a fifth of the interviews,
over three programmes, so every impact method (change, paired change, DiD, attrition,
dose-response) has work to do. Sizes are named by survey and attendance rows:

    python -m bench.scale                          # tiny and small (10x the data)
    python -m bench.scale --size small --profile   # cProfile of the run, in bench/out/
    python -m bench.scale --size large             # 400k survey, 10M attendance: not in CI

After the full run the pipeline runs twice more on the same data root and Dagster
instance (kept on disk, as ``DAGSTER_HOME`` keeps it for ``aai run``): over the same
files, then after one small attendance file for one programme — the issue's incremental
case, which should cost at most a tenth of the full run.

Results go to ``bench/out/scale.json``; figures and the command are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "out"
# name: (survey rows, attendance rows)
SIZES = {
    "tiny": (1_000, 5_000),
    "small": (10_000, 50_000),
    "medium": (100_000, 500_000),
    "profile": (40_000, 200_000),
    "large": (400_000, 10_000_000),
}
DEFAULT_SIZES = ("tiny", "small")
PROGRAMMES = ("BRC-WWC", "ZTRASS-WI", "MAZ-SHC")  # the programmes of pipelines.sample.bulk
RETAINED = 0.85  # of one wave's respondents, interviewed again at the next
COMPARISON_SHARE = 0.2  # of the survey's rows
MISSING = 0.03  # an item left empty (a refusal)
WAVES = ("baseline", "followup1", "followup2")
MEMORY_LIMIT = "2GB"  # DuckDB's, for the baseline job (the pipeline sets its own per stage)


# --- the data root ---------------------------------------------------------------------

def _answers(rng: np.random.Generator, n: int, group_shift: np.ndarray) -> dict[str, np.ndarray]:
    """One canonical answer per item for ``n`` interviews; ``group_shift`` (per row, in
    standard units) moves every item a little, so groups differ as real ones do."""
    from pipelines import vocabulary
    from pipelines.sample.people import ITEM_COLUMNS

    def pick(options: tuple[str, ...] | list[str]) -> np.ndarray:
        draw = rng.normal(size=n) + group_shift
        index = np.clip(((draw + 2.0) / 4.0 * len(options)).astype(int), 0, len(options) - 1)
        return np.asarray(options, dtype=object)[index]

    frequency = vocabulary.codes("frequency")
    yes_no = ("yes", "no")
    out: dict[str, np.ndarray] = {
        "employment_status": pick(vocabulary.codes("employment_status")),
        "household_type": pick(vocabulary.codes("household_type")),
        "make_ends_meet": pick(vocabulary.codes("make_ends_meet")),
        "safe_after_dark": pick(vocabulary.codes("safety")),
        "self_rated_health": pick(vocabulary.codes("self_rated_health")),
        "deprivation_count": pick([str(i) for i in range(10)]),
        "education_isced": pick([str(i) for i in range(9)]),
        **{f"who5_{i}": pick([str(k) for k in range(6)]) for i in range(1, 6)},
        **{f"ucla_{i}": pick(["1", "2", "3"]) for i in range(1, 4)},
    }
    for column in ITEM_COLUMNS:
        if column.endswith("_freq"):
            out[column] = pick(frequency)
        elif column not in out:
            out[column] = pick(yes_no)
    for column in ITEM_COLUMNS:
        out[column][rng.random(n) < MISSING] = ""
    return {column: out[column] for column in ITEM_COLUMNS}


def _interview_dates(rng: np.random.Generator, wave: np.ndarray, sessions: int) -> np.ndarray:
    """Baseline before the first session, follow-up 1 in the middle of the sessions,
    follow-up 2 after the last: the dose-response counts sessions before a follow-up."""
    from pipelines.sample.bulk import FIRST_SESSION

    weeks = max(1, sessions // 2)
    anchor = {0: FIRST_SESSION - timedelta(days=21), 1: FIRST_SESSION + timedelta(weeks=weeks // 2),
              2: FIRST_SESSION + timedelta(weeks=weeks + 1)}
    days = rng.integers(0, 14, len(wave))
    base = np.array([np.datetime64(anchor[k]) for k in range(3)])
    return (base[wave] + days.astype("timedelta64[D]")).astype(str)


def write_root(raw: Path, survey_rows: int, attendance_rows: int, seed: int = 13) -> dict:
    """groups.csv, attendance.csv and survey.csv under ``raw`` for about ``survey_rows``
    interviews and exactly ``attendance_rows`` attendance rows. Returns the sizes."""
    import pandas as pd

    from pipelines.sample import write_attendance, write_groups
    from pipelines.sample.bulk import MEMBERS, REGIONS, group_ids
    from pipelines.sample.people import SURVEY_COLUMNS

    rng = np.random.default_rng(seed)
    per_member = sum(RETAINED ** k for k in range(len(WAVES)))
    n_groups = max(8, round(survey_rows * (1 - COMPARISON_SHARE) / (MEMBERS * per_member)))
    raw.mkdir(parents=True, exist_ok=True)
    write_groups(raw / "groups.csv", n_groups)
    write_attendance(raw / "attendance.csv", attendance_rows, n_groups=n_groups)
    sessions = max(1, -(-attendance_rows // (n_groups * MEMBERS)))

    ids = np.asarray(group_ids(n_groups), dtype=object)
    group_programme = np.asarray([REGIONS[i % len(REGIONS)][3] for i in range(n_groups)], dtype=object)
    person_group = np.repeat(np.arange(n_groups), MEMBERS)
    participant = pd.DataFrame({
        "participant_id": [f"{g}-{m + 1:02d}" for g in ids for m in range(MEMBERS)],
        "programme_id": group_programme[person_group],
        "group_id": ids[person_group],
        "arm": "participant",
        "shift": rng.normal(scale=0.3, size=n_groups)[person_group],
    })
    n_comparison = max(len(PROGRAMMES) * 10, round(survey_rows * COMPARISON_SHARE / per_member))
    comparison = pd.DataFrame({
        "participant_id": [f"C-{k + 1:07d}" for k in range(n_comparison)],
        "programme_id": np.asarray(PROGRAMMES, dtype=object)[np.arange(n_comparison) % len(PROGRAMMES)],
        "group_id": "",
        "arm": "comparison",
        "shift": 0.0,
    })
    people = pd.concat([participant, comparison], ignore_index=True)
    people["sex"] = np.where(rng.random(len(people)) < 0.7, "female", "male")
    people["birth_year"] = rng.integers(1935, 1972, len(people)).astype(str)
    people["disability"] = np.where(rng.random(len(people)) < 0.2, "yes", "no")
    # each wave keeps RETAINED of the previous one's respondents
    stays = rng.random((len(people), len(WAVES) - 1)) < RETAINED
    seen = np.column_stack([np.ones(len(people), bool), np.cumprod(stays, axis=1).astype(bool)])
    person, wave = np.nonzero(seen)
    survey = people.iloc[person].reset_index(drop=True)
    survey["wave"] = np.asarray(WAVES, dtype=object)[wave]
    survey["interview_date"] = _interview_dates(rng, wave, sessions)
    survey["consent"] = "yes"
    shift = survey["shift"].to_numpy() + 0.1 * wave * (survey["arm"].to_numpy() == "participant")
    survey = survey.assign(**_answers(rng, len(survey), shift))
    survey[list(SURVEY_COLUMNS)].to_csv(raw / "survey.csv", index=False)
    return {"groups": n_groups, "survey_rows": len(survey), "attendance_rows": attendance_rows,
            "sessions_per_group": sessions}


# --- the hand-written baseline ---------------------------------------------------------

def _typed_columns(kind: str) -> dict[str, str]:
    """The contract's columns as DuckDB types: what a hand-written job would declare."""
    from pipelines.ingest.normalise import contract_columns

    types = {"date": "DATE", "integer": "BIGINT", "number": "DOUBLE"}
    return {name: types.get(meta.get("parse"), "VARCHAR") for name, meta in contract_columns(kind).items()}


def _checks(con, today: str) -> dict[str, int]:
    """The contract's rules, each a count of the rows breaking it (all must be 0)."""
    from pipelines import vocabulary
    from pipelines.ingest.normalise import contract_columns

    def codes(scale: str) -> str:
        return ", ".join(f"'{c}'" for c in vocabulary.codes(scale))

    rules = {
        "groups_key": "SELECT count(*) - count(DISTINCT group_id) FROM groups",
        "groups_required": "SELECT count(*) FILTER (WHERE group_id IS NULL OR programme_id IS NULL "
                           "OR start_date IS NULL) FROM groups",
        "groups_dates": f"SELECT count(*) FILTER (WHERE start_date > DATE '{today}' OR end_date < start_date) "
                        "FROM groups",
        "survey_key": "SELECT count(*) - count(DISTINCT (participant_id, wave)) FROM survey",
        "survey_required": "SELECT count(*) FILTER (WHERE participant_id IS NULL OR programme_id IS NULL "
                           "OR arm IS NULL OR interview_date IS NULL OR consent IS NULL) FROM survey",
        "survey_wave": "SELECT count(*) FILTER (WHERE NOT regexp_full_match(wave, "
                       f"'{vocabulary.WAVE_PATTERN}')) FROM survey",
        "survey_dates": f"SELECT count(*) FILTER (WHERE interview_date > DATE '{today}' "
                        "OR birth_year NOT BETWEEN 1900 AND year(interview_date)) FROM survey",
        "survey_group": "SELECT count(*) FROM survey s WHERE s.group_id IS NOT NULL "
                        "AND s.group_id NOT IN (SELECT group_id FROM groups)",
        "attendance_key": "SELECT count(*) - count(DISTINCT (group_id, session_date, participant_id)) "
                          "FROM attendance",
        "attendance_group": "SELECT count(*) FROM attendance a ANTI JOIN groups g USING (group_id)",
        "attendance_dates": "SELECT count(*) FROM attendance a JOIN groups g USING (group_id) "
                            f"WHERE a.session_date < g.start_date OR a.session_date > DATE '{today}'",
        "attendance_values": "SELECT count(*) FILTER (WHERE attended IS NULL OR duration_minutes NOT BETWEEN "
                             "1 AND 600) FROM attendance",
    }
    for kind in ("survey", "attendance", "groups"):
        for name, meta in contract_columns(kind).items():
            if meta.get("parse") == "code":
                rules[f"{kind}_{name}_code"] = (f"SELECT count(*) FILTER (WHERE {name} NOT IN "
                                                f"({codes(meta['scale'])})) FROM {kind}")
    for name, (low, high) in {"deprivation_count": (0, 9), "education_isced": (0, 8),
                              **{f"who5_{i}": (0, 5) for i in range(1, 6)},
                              **{f"ucla_{i}": (1, 3) for i in range(1, 4)}}.items():
        rules[f"survey_{name}_range"] = (f"SELECT count(*) FILTER (WHERE {name} NOT BETWEEN {low} AND {high}) "
                                         "FROM survey")
    return {name: con.execute(query).fetchall()[0][0] for name, query in rules.items()}


def _baseline(raw: str, database: str) -> int:
    """The hand-written job: typed read_csv of the three files, the contract's checks,
    and every survey indicator of the catalogue per programme, arm, wave and breakdown
    (total, group, sex, age band) in SQL. Returns the indicator cells written."""
    import duckdb

    from pipelines.indicators.build import observations_sql
    from pipelines.ingest.normalise import contract_columns
    from pipelines.review.analysed import define_analysed

    con = duckdb.connect(database)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    for kind in ("groups", "survey", "attendance"):
        columns = ", ".join(f"'{c}': '{t}'" for c, t in _typed_columns(kind).items())
        # DuckDB casts true/false, not yes/no: a yes/no column is read as text and compared
        yes_no = [c for c, meta in contract_columns(kind).items() if meta.get("parse") == "yes_no"]
        replace = f" REPLACE ({', '.join(f'{c} = {chr(39)}yes{chr(39)} AS {c}' for c in yes_no)})" if yes_no else ""
        con.execute(f"CREATE TABLE {kind}_text AS SELECT * FROM read_csv('{Path(raw) / kind}.csv', "
                    f"header = true, columns = {{{columns}}})")
        broken = sum(con.execute(f"SELECT count(*) FILTER (WHERE {c} NOT IN ('yes', 'no')) FROM {kind}_text")
                     .fetchall()[0][0] for c in yes_no)
        if broken:
            raise SystemExit(f"{kind}: {broken} yes/no cells are neither")
        con.execute(f"CREATE TABLE {kind} AS SELECT *{replace} FROM {kind}_text")
        con.execute(f"DROP TABLE {kind}_text")
    con.execute("ALTER TABLE survey ADD COLUMN age BIGINT")
    con.execute("UPDATE survey SET age = year(interview_date) - birth_year")
    broken = {name: n for name, n in _checks(con, date.today().isoformat()).items() if n}
    if broken:
        raise SystemExit(f"benchmark data should be clean, these checks failed: {broken}")
    define_analysed(con)  # no review stage here: the views pass every row through
    con.execute(observations_sql())
    con.execute("""
        CREATE TABLE indicators AS
        SELECT indicator, programme_id, arm, wave,
               coalesce(group_id, 'all') AS group_id, coalesce(sex, 'all') AS sex,
               coalesce(age_band, 'all') AS age_band,
               count(*) AS n, avg(value) AS value, stddev_samp(value) AS sd
        FROM indicator_observations
        GROUP BY GROUPING SETS ((indicator, programme_id, arm, wave),
                                (indicator, programme_id, arm, wave, group_id),
                                (indicator, programme_id, arm, wave, sex),
                                (indicator, programme_id, arm, wave, age_band))
    """)
    cells = con.execute("SELECT count(*) FROM indicators").fetchall()[0][0]
    con.close()
    return int(cells)


# --- the pipeline ----------------------------------------------------------------------

def _pipeline(root: str) -> dict[str, float]:
    """``aai run`` on ``root`` in this process (the CLI's runs and run config, without its
    progress printer): the refresh, then every report partition. Returns each step's
    seconds, from the runs' event logs, summed over the report runs."""
    import dagster as dg

    from pipelines.cli import run_config
    from pipelines.defs.automation.reports import run_reports, runs_after_refresh
    from pipelines.defs.report.assets import latest_partitions
    from pipelines.defs.resources import AaiSettings
    from pipelines.definitions import defs

    settings = AaiSettings.from_environment(data_dir=root)
    config = run_config(settings)
    config.pop("loggers")
    definitions = defs()
    # an instance on disk, as DAGSTER_HOME gives `aai run`: a rerun sees what the first run recorded
    home = Path(root) / INSTANCE_FOLDER
    home.mkdir(exist_ok=True)
    with dg.DagsterInstance.local_temp(tempdir=str(home)) as instance:
        results = [definitions.resolve_job_def("refresh_all").execute_in_process(
            instance=instance, run_config=config, raise_on_error=True)]
        partitions = latest_partitions(instance)
        slices, data = runs_after_refresh(partitions)
        for period in [data, *slices]:
            results += run_reports(definitions, instance, config, period, partitions.reports([period]),
                                   settings.languages, build_period=period != data)
        if not all(r.success for r in results):
            raise RuntimeError("a report run failed")
        steps: dict[str, float] = {}
        for result in results:
            started = {}
            for entry in instance.all_logs(result.run_id):
                event = entry.dagster_event
                if event is None or entry.step_key is None:
                    continue
                if event.event_type_value == "STEP_START":
                    started[entry.step_key] = entry.timestamp
                elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                    steps[entry.step_key] = steps.get(entry.step_key, 0.0) + entry.timestamp - started[entry.step_key]
    return steps


def _make_root(root: str, survey_rows: str, attendance_rows: str) -> dict:
    return write_root(Path(root) / "raw", int(survey_rows), int(attendance_rows))


def _add_register(root: str) -> int:
    """A small attendance file for one programme, as a group's monthly register arrives:
    the first group's first session again, a day later (groups meet twice a week, so
    that day is free), inside the data period. Returns its rows."""
    import pandas as pd

    # the first group's first session is at the top of the file (written group by group, by date)
    attendance = pd.read_csv(Path(root) / "raw" / "attendance.csv", dtype=str, keep_default_na=False, nrows=1000)
    first = attendance[attendance["group_id"] == attendance["group_id"].iloc[0]]
    session = first[first["session_date"] == first["session_date"].min()].copy()
    session["session_date"] = (pd.to_datetime(session["session_date"]) + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d")
    session.to_csv(Path(root) / "raw" / "attendance_extra.csv", index=False)
    return len(session)


STEPS = {"make_root": _make_root, "baseline": _baseline, "pipeline": _pipeline, "add_register": _add_register}
INSTANCE_FOLDER = "dagster_home"
# imported before the clock starts: a fixed cost of any Python job, not work on the data
IMPORTS = {"baseline": ("duckdb", "pipelines.indicators.build", "pipelines.ingest.normalise"),
           "pipeline": ("dagster", "pipelines.cli", "pipelines.definitions")}


def _child(step: str, profile: str, args: list[str]) -> None:
    """Run one step in this fresh process; print its result, seconds and peak memory.
    With ``profile`` (a path), write cProfile's statistics there and a summary beside it."""
    for module in IMPORTS.get(step, ()):
        importlib.import_module(module)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = STEPS[step](*args)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mib = usage.ru_maxrss / 1024
    if profiler:
        profiler.dump_stats(profile)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        Path(profile).with_suffix(".txt").write_text(text.getvalue())
    # CPU seconds (every thread of the process, imports included) are the figure to trust
    # on a machine shared with other work, where waiting for a core inflates the clock
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"step": step, "result": result, "seconds": seconds, "cpu_s": cpu, "peak_mib": peak_mib}))


def _measure(step: str, *args: object, profile: Path | None = None) -> dict:
    cmd = [sys.executable, "-m", "bench.scale", "--child", step, str(profile or ""), *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to, for the per-stage table (checks count with
    the stage they guard; the audit of the indicator cells, a check on impact_estimates
    so that it runs after everything it reads, counts on its own)."""
    if step_key.endswith("_disclosure_audit"):
        return "disclosure audit"
    for prefix, stage in (("raw_files", "ingest"), ("warehouse_tables", "validate"),
                          ("indicator", "indicators"), ("domain_scores", "indicators"),
                          ("impact", "impact"), ("charts", "charts"), ("report", "report"),
                          ("period_tables", "report")):
        if step_key.startswith(prefix):
            return stage
    return "other"


def run_size(name: str, tmp: Path, profile: bool) -> dict:
    survey_rows, attendance_rows = SIZES[name]
    root = tmp / name
    made = _measure("make_root", root, survey_rows, attendance_rows)["result"]
    base = _measure("baseline", root / "raw", root / "baseline.duckdb")
    started = time.perf_counter()
    run = _measure("pipeline", root, profile=(OUT / f"scale_{name}.pstats") if profile else None)
    wall = time.perf_counter() - started
    same = _measure("pipeline", root)  # a scheduled refresh over the same files
    added = _measure("add_register", root)["result"]
    rerun = _measure("pipeline", root)
    stages: dict[str, float] = {}
    for step, seconds in run["result"].items():
        stages[stage_of(step)] = stages.get(stage_of(step), 0.0) + seconds
    result = {
        "size": name,
        **made,
        "baseline_s": round(base["seconds"], 2),
        "baseline_peak_mib": round(base["peak_mib"]),
        "pipeline_s": round(run["seconds"], 2),
        "pipeline_process_s": round(wall, 2),
        "baseline_cpu_s": round(base["cpu_s"], 2),
        "pipeline_cpu_s": round(run["cpu_s"], 2),
        "pipeline_peak_mib": round(run["peak_mib"]),
        "time_vs_baseline": round(run["seconds"] / base["seconds"], 1),
        "cpu_vs_baseline": round(run["cpu_s"] / base["cpu_s"], 1),
        "peak_vs_baseline": round(run["peak_mib"] / base["peak_mib"], 2),
        "stages_s": {stage: round(s, 2) for stage, s in sorted(stages.items(), key=lambda kv: -kv[1])},
        "steps_s": {step: round(s, 2) for step, s in sorted(run["result"].items(), key=lambda kv: -kv[1])},
        "rerun_same_files_s": round(same["seconds"], 2),
        "rerun_same_files_vs_full": round(same["seconds"] / run["seconds"], 2),
        "rerun_same_files_steps_s": {step: round(s, 2)
                                     for step, s in sorted(same["result"].items(), key=lambda kv: -kv[1])},
        "rerun_added_rows": added,
        "rerun_s": round(rerun["seconds"], 2),
        "rerun_vs_full": round(rerun["seconds"] / run["seconds"], 2),
        "rerun_steps_s": {step: round(s, 2) for step, s in sorted(rerun["result"].items(), key=lambda kv: -kv[1])},
        "profiled": profile,
    }
    for path in sorted(root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", action="append", choices=list(SIZES),
                        help=f"repeatable; default {' and '.join(DEFAULT_SIZES)}. Sizes (survey, attendance rows): "
                             + ", ".join(f"{k} {s:,}/{a:,}" for k, (s, a) in SIZES.items()))
    parser.add_argument("--profile", action="store_true",
                        help="run the pipeline under cProfile (slower): bench/out/scale_<size>.pstats and .txt")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.child[2:])
        return
    OUT.mkdir(exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="aai-scale-") as tmp:
        for name in args.size or DEFAULT_SIZES:
            results.append(run_size(name, Path(tmp), args.profile))
            print(json.dumps(results[-1]), flush=True)
    scaling = {}
    for small, large in zip(results, results[1:]):
        data = large["survey_rows"] / small["survey_rows"]
        scaling[f"{large['size']}/{small['size']}"] = {
            "data": round(data, 1), "time": round(large["pipeline_s"] / small["pipeline_s"], 1),
            "cpu": round(large["pipeline_cpu_s"] / small["pipeline_cpu_s"], 1),
            "baseline_time": round(large["baseline_s"] / small["baseline_s"], 1)}
    report = {"machine": f"{platform.machine()}, {platform.python_version()}", "results": results,
              "scaling": scaling}
    (OUT / "scale.json").write_text(json.dumps(report, indent=2))
    print("\n| size | survey rows | attendance rows | baseline s | aai s | × baseline | aai CPU s | × baseline CPU "
          "| aai peak MiB | × peak | rerun, same files | rerun, one register added |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['size']} | {r['survey_rows']:,} | {r['attendance_rows']:,} | {r['baseline_s']} | "
              f"{r['pipeline_s']} | {r['time_vs_baseline']} | {r['pipeline_cpu_s']} | {r['cpu_vs_baseline']} | "
              f"{r['pipeline_peak_mib']} | {r['peak_vs_baseline']} | {r['rerun_same_files_s']} s "
              f"({r['rerun_same_files_vs_full']}) | {r['rerun_s']} s ({r['rerun_vs_full']}) |")
    for pair, figures in scaling.items():
        print(f"{pair}: {figures['data']}x data, {figures['time']}x aai time ({figures['cpu']}x CPU), "
              f"{figures['baseline_time']}x baseline time")


if __name__ == "__main__":
    main()
