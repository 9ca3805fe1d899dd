"""The ``aai`` command: run the pipeline, check files, compute an index.

Everything here is a thin layer over the same functions the Dagster assets call, so
a run from the command line and a materialization from the UI give the same tables.
"""

import functools
import logging
import os
import re
import signal
import tempfile
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated

import dagster as dg
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipelines.defs.resources import AaiSettings

app = typer.Typer(help="aai-impact: programme data in, AAI-aligned indicators and a funder report out.",
                  no_args_is_help=True, add_completion=False)
# Lines are never broken by Rich (a terminal wraps them itself): a line naming a file,
# piped to a log or read by a script, stays one line however long its path.
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

# Reports are separate Dagster runs, one per (programme, period) partition: with an
# instance that outlives the command (DAGSTER_HOME), several run at once, each in its own
# process (a report's charts and PDF are CPU-bound, ~450 MB each).
MAX_AUTO_WORKERS = 4
WorkersOption = Annotated[int, typer.Option(
    "--workers", envvar="AAI_WORKERS", min=0,
    help="Reports built at once, each in its own process (default 0: one per CPU core, at most 4).")]

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="AAI_DATA_DIR", help="Data root holding raw/ (default ./data).",
                 show_default=False),
]


# Dagster's line for each step it skips after a failure: counted, not printed.
_NOT_EXECUTING = re.compile(r"Dependencies for step \S+ .*\. Not executing\.")
# The module path Dagster puts before an exception's message (``dagster._core.errors.…: ``).
_CLASS_PATH = re.compile(r"^(?:dagster|pipelines)(?:\.\w+)+: ")
# Where our own code lives: an exception raised here carries one of our sentences.
_PACKAGE = Path(__file__).resolve().parent


def failure_sentence(error) -> str:
    """What a failed step says to the user about the first exception under Dagster's
    wrappers (``error`` and its ``cause`` chain, a ``SerializableErrorInfo``): the
    sentence our code raised (``WarehouseBusy`` names the holder and the timeout),
    without the class path of a Dagster or pipelines exception; an exception our code
    chained to its own (``raise FolderError(…) from exc``) stays behind its sentence.
    Any other exception's message may quote a cell, and a cell may be personal data
    (a DuckDB conversion error, a KeyError): only its class is named."""
    while error.cause is not None and error.message.startswith("dagster."):
        error = error.cause
    if not _raised_by_us(error.stack):
        return f"unexpected {error.cls_name}; the run's log in Dagster has the details"
    return _CLASS_PATH.sub("", error.message.strip())


def _raised_by_us(stack: list[str]) -> bool:
    """Whether the innermost frame of a formatted traceback is a ``raise`` in this
    package. The frame alone is not enough: a call into compiled code (``con.execute``)
    that fails leaves the caller's line as the innermost frame."""
    if not stack:
        return False
    where = re.match(r'\s*File "(.+?)", line \d+, in .*\n\s*(.*)', stack[-1])
    return bool(where) and Path(where[1]).resolve().is_relative_to(_PACKAGE) and where[2].startswith("raise")


class _ProgressHandler(logging.Handler):
    """Turns Dagster's event stream into one line per stage and per table."""

    def __init__(self) -> None:
        super().__init__()
        self.not_run = 0

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None:
            if record.levelno >= logging.INFO:
                message = record.getMessage().split(" - ")[-1]
                if _NOT_EXECUTING.fullmatch(message.strip()):
                    self.not_run += 1
                    return
                console.print(f"    [dim]{escape(message)}[/dim]", highlight=False)
            return
        kind = event.event_type_value
        if kind == "STEP_START":
            console.print(f"[bold]▸ {event.step_key}[/bold]")
        elif kind == "ASSET_MATERIALIZATION":
            console.print(f"  [green]✓[/green] {event.asset_key.to_user_string()}")
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                where = f"{evaluation.check_name} on {evaluation.asset_key.to_user_string()}"
                # a warning check (the review's flags) asks for a look, it is not a failure
                if evaluation.severity == dg.AssetCheckSeverity.WARN:
                    console.print(f"  [yellow]! check {where} warns[/yellow]")
                else:
                    console.print(f"  [red]✗ check {where} failed[/red]")
        elif kind == "STEP_FAILURE":
            sentence = failure_sentence(event.event_specific_data.error)
            console.print(f"  [red]✗ {event.step_key} failed: {escape(sentence)}[/red]")
        elif event.is_run_failure and self.not_run:
            console.print(f"    [dim]{self.not_run} later steps not run[/dim]", highlight=False)
            self.not_run = 0


@dg.logger
def _progress_logger(_init_context) -> logging.Logger:
    logger = logging.getLogger("aai.progress")
    logger.handlers = [_ProgressHandler()]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME set (as `make` does), runs show up in `make dev`'s UI.
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return dg.DagsterInstance.ephemeral()
    from pipelines.instance import InstanceProblem, check_home

    try:  # a wrong PostgreSQL setting is one line here, not Dagster's retries and traceback
        check_home(Path(home))
    except InstanceProblem as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    return dg.DagsterInstance.get()


def _settings(data_dir: Path | None = None, **overrides: object) -> AaiSettings:
    """The settings from the environment and the command's options; exit 2 on a bad value."""
    try:
        return AaiSettings.from_environment(data_dir=str(data_dir) if data_dir else None, **overrides)
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


def run_config(settings: AaiSettings) -> dict:
    """A run's config: the progress logger, and every setting as the resource's config
    (so the run records what it ran with; the salt goes by its variable, never in clear)."""
    config = settings.model_dump(exclude={"id_salt"})
    if settings.id_salt:
        config["id_salt"] = {"env": "AAI_ID_SALT"}
    return {"loggers": {"progress": {}}, "resources": {"settings": {"config": config}}}


ReportProgrammeOption = Annotated[str | None, typer.Option(
    "--programme", help="After the refresh, only this programme's reports, or 'all' (default: each programme and "
                        "all).")]
SinceOption = Annotated[str | None, typer.Option(
    "--since", help="After the refresh, only the reports of periods ending on or after the first day of this month "
                    "(2025-01), year or range (default: every period).")]


@app.command()
def run(data_dir: DataDirOption = None, workers: WorkersOption = 0, programme: ReportProgrammeOption = None,
        since: SinceOption = None) -> None:
    """Materialize every asset: ingest raw/, build the warehouse, indicators, charts and reports.

    The tables are always rebuilt from every file (suppression looks at all programmes
    together); --programme and --since narrow the reports built after them, and a
    report whose figures, code and files have not changed is kept as it is."""
    from pipelines.periods import parse_period

    settings = _settings(data_dir)
    root = settings.paths
    if not root.raw.is_dir():
        console.print(f"[red]No raw/ folder under {root.root}.[/red] Put the files to analyse in {root.raw}.")
        raise typer.Exit(2)
    try:
        first = parse_period(since).start if since else None
    except ValueError as exc:
        console.print(f"[red]--since {escape(since)}: {escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    mappings = _mappings_or_exit(settings.mappings)
    settings.declare_measures(mappings)  # aai.toml and the frameworks may name the measures they declare
    _claims_or_exit(settings)
    _decisions_or_exit(root)
    _frameworks_or_exit(settings, warehouse=False)  # a typo found now, not after the whole refresh
    from pipelines.definitions import defs

    from pipelines.defs.automation.reports import runs_after_refresh
    from pipelines.defs.partitions import report_key
    from pipelines.defs.report.assets import latest_partitions

    definitions = defs()
    job = definitions.resolve_job_def("refresh_all").with_logger_defs({"progress": _progress_logger})
    instance = _instance()
    console.print(f"Data root: {root.root}")
    with instance, _report_pool(workers) as pool:
        result = job.execute_in_process(instance=instance, run_config=run_config(settings), raise_on_error=False)
        if not result.success:
            console.print("[red]The run failed; see the messages above.[/red]")
            raise typer.Exit(1)
        partitions = latest_partitions(instance)
        slices, data = runs_after_refresh(partitions)
        try:
            keys, periods = _chosen_reports(settings, partitions, [data, *slices], programme, first)
        except ValueError as exc:  # the tables are built: say what they hold, then why no report
            _summary(root, mappings)
            console.print(f"[red]--programme: {escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc
        if not periods:
            console.print(f"Nothing to do after the refresh: no reporting period reaches {escape(since)} "
                          f"(the data period is {partitions.data_period}).")
        for period in periods:
            chosen = [report_key(k, period) for k in keys]
            if _run_reports(definitions, instance, settings, period, chosen,
                            settings.languages, build_period=period != data, pool=pool) is None:
                console.print("[red]A report run failed; see the messages above.[/red]")
                raise typer.Exit(1)
    if _summary(root, mappings):
        raise typer.Exit(1)


def _chosen_reports(settings: AaiSettings, partitions, periods: list[str], programme: str | None,
                    first: date | None) -> tuple[list[str], list[str]]:
    """(programme keys, period keys) of the reports ``aai run`` builds after its refresh:
    ``--programme``'s (ValueError naming the known ones when the warehouse has no such
    programme), of the periods ending on or after ``first`` (``--since``)."""
    from pipelines.defs.partitions import period_of
    from pipelines.publish.scope import programmes, scope_keys

    with settings.connect(read_only=True) as con:
        known = {key: p for p, key in scope_keys(programmes(con)).items()}
    keys = _report_keys(programme, known, partitions.programmes)
    if first is not None:
        periods = [p for p in periods if period_of(p).end >= first]
    return keys, periods


def _run_reports(definitions, instance, settings: AaiSettings, period: str, keys: list, languages: list[str], *,
                 build_period: bool, pool: Executor | None) -> list[dict] | None:
    """One period's reports through Dagster, with the progress printer: what each report
    materialization recorded (its folder, or why there was nothing to do); None when a
    run failed. The period's tables first; then the report partitions, in ``pool``'s
    worker processes when there is one (``_report_pool``), else here one after the other."""
    from pipelines.defs.automation.reports import run_reports
    from pipelines.publish.scope import ALL_PROGRAMMES

    config = run_config(settings)
    runs = run_reports(definitions, instance, config, period, [] if pool else keys, languages,
                       build_period=build_period, loggers={"progress": _progress_logger})
    if not all(r.success for r in runs):
        return None
    recorded = _recorded(runs)
    if pool is None:
        return recorded
    # the all-programmes report, the longest, first: the workers then finish together
    order = [str(k) for k in sorted(keys, key=lambda k: k.keys_by_dimension["programme"] != ALL_PROGRAMMES)]
    try:
        done = dict(zip(order, pool.map(_report_partition, [config] * len(order), [period] * len(order), order,
                                        [languages] * len(order)), strict=True))
    except BrokenProcessPool:
        console.print("[red]A report worker process died (out of memory?).[/red] Run again with --workers 1 "
                      "to build the reports one at a time.")
        return None
    if any(d is None for d in done.values()):
        return None
    return recorded + [r for k in keys for r in done[str(k)]]


@contextmanager
def _report_pool(requested: int, partitions: int | None = None) -> Iterator[Executor | None]:
    """Worker processes for the report partitions, started now so that they load the
    code while this process works: ``requested`` of them (0: one per CPU core, at most
    ``MAX_AUTO_WORKERS``), no more than the ``partitions`` to build. None — reports
    built in this process — with one worker, or without an instance that outlives the
    command (DAGSTER_HOME): a worker cannot see a temporary instance's partitions."""
    workers = requested or min(os.cpu_count() or 1, MAX_AUTO_WORKERS)
    if partitions is not None:
        workers = min(workers, partitions)
    if workers <= 1 or not os.environ.get("DAGSTER_HOME"):
        yield None
        return
    # spawned, not forked: a fork would copy this process's open DuckDB and Dagster handles
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                             initializer=_quiet_interrupt) as pool:
        for _ in range(workers):
            pool.submit(_worker_definitions)
        out.print(f"Reports are built {workers} at a time, each in a process of its own (--workers).",
                  highlight=False)
        yield pool


def _recorded(runs) -> list[dict]:
    """The metadata of the report materializations of ``runs``, as plain values."""
    return [{k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
            for r in runs for event in r.get_asset_materialization_events() if event.asset_key.path[0] == "report"]


def _report_partition(config: dict, period: str, key: str, languages: list[str]) -> list[dict] | None:
    """One report partition in a worker process: its own handle on the instance of
    DAGSTER_HOME and its own code location (loaded once per worker)."""
    from pipelines.defs.automation.reports import run_reports

    try:
        with dg.DagsterInstance.get() as instance:
            runs = run_reports(_worker_definitions(), instance, config, period, [key], languages,
                               build_period=False, loggers={"progress": _progress_logger})
    except Exception as exc:  # the run could not start (e.g. the instance's database went away): one line
        console.print(f"[red]Report {escape(key)} could not run: {escape(str(exc))}[/red]")
        return None
    return _recorded(runs) if all(r.success for r in runs) else None


def _quiet_interrupt() -> None:
    """In a worker: Ctrl-C ends it without a traceback of its own (the command reports)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@functools.cache
def _worker_definitions() -> dg.Definitions:
    from pipelines.definitions import defs

    return defs()


def _mappings_or_exit(load):
    """Mapping files checked whole before any data is read; exit 2 naming each bad line."""
    from pipelines.mapping import MappingError

    try:
        return load()
    except MappingError as exc:
        console.print("[red]A mapping file cannot be used, so nothing was read:[/red]")
        console.print(str(exc), markup=False, highlight=False)
        console.print("The format is in docs/questionnaire.md.")
        raise typer.Exit(2) from exc


def _claims_or_exit(settings: AaiSettings) -> None:
    """aai.toml's primary outcomes checked before any data is read, against the catalogue
    and the measures the (already loaded) mapping files declare; exit 2 naming each code."""
    from pipelines.impact.claims import check_config

    try:
        check_config(settings.claims())
    except ValueError as exc:
        console.print("[red]aai.toml cannot be used, so nothing was read:[/red]")
        console.print(str(exc), markup=False, highlight=False)
        console.print("Primary outcomes are explained in docs/impact.md (Claims).")
        raise typer.Exit(2) from exc


def _decisions_or_exit(root):
    """The reviewer's decisions file checked line by line before any data is read; exit 2
    naming the bad line. (Whether each names a flag of this run is checked by the run.)"""
    from pipelines.review.decisions import DecisionsError, read_decisions

    try:
        read_decisions(root.review_decisions, shown_as=str(root.review_decisions.relative_to(root.root)),
                       today=date.today())
    except DecisionsError as exc:
        console.print("[red]The review decisions cannot be used, so nothing was read:[/red]")
        console.print(str(exc), markup=False, highlight=False)
        console.print("The format is in docs/review.md.")
        raise typer.Exit(2) from exc


# Header problems of a file (one sentence per file, not one per row) and files that
# were counted but not understood: what a person must look at after a run.
ATTENTION = """
SELECT source_file, status, rows_read, message FROM ingest_log
WHERE status IN ('unrecognised', 'unreadable') OR message LIKE '%column % is missing%'
ORDER BY source_file
"""


# Outlier flags still awaiting a reviewer's decision, and rows a reviewer excluded
# (docs/review.md): a run with flags is not an error, but someone should look.
REVIEW_COUNTS = """
SELECT count(*) FILTER (WHERE decision IS NULL AND flag_id IS NOT NULL),
       (SELECT count(*) FROM review_exclusions)
FROM review
"""


def _summary(root, mappings=()) -> bool:
    """Print the run's summary; True when a file was not recognised (the run then exits 1).
    Each mapping file says how many files it read: one that read none has a files rule
    or a signature that fits nothing, which is otherwise easy to miss."""
    from pipelines.warehouse import connect, table_exists

    with connect(root.warehouse, read_only=True) as con:
        review = con.execute(REVIEW_COUNTS).fetchall()[0] if table_exists(con, "review") else None
        applied = dict(con.execute("SELECT mapping, count(*) FROM ingest_log WHERE mapping IS NOT NULL "
                                   "GROUP BY ALL").fetchall())
        files, loaded, quarantined, cells = con.execute(
            "SELECT count(*), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0), "
            "coalesce(sum(cells_quarantined), 0) FROM ingest_log"
        ).fetchall()[0]
        attention = con.execute(ATTENTION).fetchall()
    table = Table(title="aai run", show_header=False)
    table.add_row("files", str(files))
    table.add_row("rows loaded", f"{loaded:,}")
    table.add_row("rows quarantined", f"{quarantined:,}")
    table.add_row("cells quarantined", f"{cells:,}")
    if review is not None:
        table.add_row("flags to review", f"{review[0]:,}")
        table.add_row("rows excluded by review", f"{review[1]:,}")
    out.print(table)
    # Plain lines, never truncated: scripts and people copy these paths.
    out.print(f"warehouse: {root.warehouse}")
    for label, folder, suffixes in (("report", root.reports, {".html", ".pdf"}), ("chart", root.charts, {".png"})):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.suffix in suffixes:
                out.print(f"{label}: {path}", highlight=False)
    for mapping in mappings:
        count = applied.get(mapping.path, 0)
        read = f"{count} files read through it" if count else \
            "matched no file; check its files rule, or that the files hold every column it reads"
        out.print(f"mapping: {mapping.path}: {read}", highlight=False)
    unrecognised = False
    for source_file, status, rows_read, message in attention:
        if status == "unrecognised":
            unrecognised = True
            out.print(f"unrecognised: {source_file}: {rows_read:,} records not loaded; describe the file in a "
                      "mapping file (mappings/, docs/questionnaire.md), rename its columns (docs/data-contract.md) "
                      "or list it under [ingest] ignore in aai.toml", highlight=False)
        elif status == "unreadable":
            out.print(f"unreadable: {source_file}: {message}", highlight=False)
        else:
            sentences = [part for part in message.split("; ") if "column " in part and " is missing" in part]
            out.print(f"columns: {source_file}: {'; '.join(sentences)}", highlight=False)
    return unrecognised


def _shown(names: dict[str, str], source_file: str) -> str:
    """A checked file's name as given on the command line (a sheet keeps its #name)."""
    name, sheet, rest = source_file.partition("#")
    return names.get(source_file) or (names[name] + sheet + rest)


# A file is worth a non-zero exit of `aai check` when any of these is true.
CHECK_FAILS = {"unreadable", "unrecognised", "unknown_kind", "refused"}
HEADER_RULES = ("missing_column", "unrecognised_file")


@app.command()
def check(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Files to check.")],
    show: Annotated[int, typer.Option(help="Problems to show per file.")] = 10,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", exists=True, dir_okay=False,
        help="A mapping file (docs/questionnaire.md) to read every file with.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Validate files without loading them: what was detected, and the first problems.

    Without --mapping, the data root's mapping files apply as in `aai run` (by their
    files rules, for files under raw/, and by header signature). A file under raw/
    behind a link leading outside it is refused, as `aai run` refuses it.

    Exit status 1 when any row or cell would be quarantined, a column is missing or
    misspelt, or a file is not recognised; 2 when the mapping file is wrong. Pass the
    groups file together with attendance files so group ids can be checked too.
    """
    import dataclasses

    import duckdb
    import pandas as pd

    from pipelines.mapping import load_mapping

    from pipelines.ingest.discover import named_entry
    from pipelines.ingest.stage import stage_files, workspace
    from pipelines.validate.warehouse_tables import build_tables

    settings = _settings(data_dir)
    raw = settings.paths.raw.resolve()
    if mapping is not None:
        # Named on the command line, the mapping applies to every file checked, whatever its files rule.
        mappings = (dataclasses.replace(_mappings_or_exit(lambda: load_mapping(mapping)), files=("*",)),)
    else:  # as aai run would read them: the data root's mapping files, by their files rules and signatures
        mappings = _mappings_or_exit(settings.mappings)
    # Each file under its name in raw/ (so that files rules match, and an ODK Central
    # repeat group finds its parent file), else its own name; a name given twice is
    # told apart by its position.
    entries: dict[str, Path] = {}
    for index, path in enumerate(files):
        name = path.resolve().relative_to(raw).as_posix() if path.resolve().is_relative_to(raw) else path.name
        entries[name if name not in entries else f"{index:03d}_{name}"] = path
    with tempfile.TemporaryDirectory(prefix="aai-check-") as tmp:
        con = duckdb.connect()
        with workspace(con, Path(tmp) / "work") as work:
            results = stage_files(con, [named_entry(path, name, raw) for name, path in entries.items()],
                                  work_dir=work, mappings=mappings)
            build_tables(con)
        log = con.execute("SELECT * FROM ingest_log ORDER BY source_file").df()
        problems = con.execute("SELECT * FROM quarantine ORDER BY source_file, source_row, source_column").df()
        con.close()
    plans = {r.source_file: r.plan for r in results}
    # what the plan does not say: a workbook's hidden sheets, formulas, title rows; a mapping matched twice
    notes = {r.source_file: [n for n in r.notes if r.plan is None or n not in r.plan.notes()] for r in results}
    has_groups = bool((log.kind == "groups").any())
    if not has_groups:
        problems = problems[~problems.rule.isin(["unknown_group", "before_group_start", "unknown_programme"])]
    names = {name: str(path) for name, path in entries.items()}
    for name, original in names.items():  # reasons may name another file of the check
        # a whole name only: s.csv is not the end of groups.csv
        problems["reason"] = problems["reason"].str.replace(rf"(?<![\w./-]){re.escape(name)}(?!\w)",
                                                            original.replace("\\", "\\\\"), regex=True)

    failed = False
    for row in log.itertuples():
        mine = problems[problems.source_file == row.source_file]
        bad_rows = len(mine[mine.effect == "row"][["source_row", "source_column"]].drop_duplicates())
        bad_cells = int((mine.effect == "cell").sum())
        plan = plans.get(row.source_file)
        header = list(plan.problems) if plan is not None else []
        failed |= bad_rows > 0 or bad_cells > 0 or bool(header) or row.status in CHECK_FAILS
        cells_text = f", {bad_cells} cells would be loaded empty" if bad_cells else ""
        shown = escape(_shown(names, row.source_file))
        if pd.isna(row.encoding):  # never read (refused, empty, not opened): its status, then why
            out.print(f"[bold]{shown}[/bold]: {row.status}", highlight=False)
        else:
            read_as = row.encoding if pd.isna(row.delimiter) else \
                f"{row.encoding}, delimiter {escape(repr({chr(9): 'tab'}.get(row.delimiter, row.delimiter)))}"
            out.print(f"[bold]{shown}[/bold]: {row.kind}, {read_as}, {row.rows_read} rows, {bad_rows} would be "
                      f"quarantined{cells_text}", highlight=False)  # a path is copied whole
        if row.status in {"unreadable", "unrecognised", "duplicate", "skipped", "no_records", "refused"}:
            out.print(f"  {row.message}", highlight=False, markup=False)
        if row.mapping:
            out.print(f"  read through the mapping {row.mapping}", highlight=False, markup=False)
        for note in notes.get(row.source_file, []) if row.status not in {"unreadable", "unrecognised"} else []:
            out.print(f"  {note}", highlight=False, markup=False)
        for problem in header:
            out.print(f"  {problem.message}", highlight=False, markup=False)
        if plan is not None and row.columns_ignored:
            out.print(f"  columns ignored: {row.columns_ignored}", highlight=False, markup=False)
        listed = mine[~mine.rule.isin(HEADER_RULES)]
        for p in listed.head(show).itertuples():
            column = f", column {p.column_name}" if p.column_name else ""
            line = f" (line {p.source_line})" if p.source_line != p.source_row else ""
            effect = " (the cell is loaded empty; the row loads)" if p.effect == "cell" else ""
            out.print(f"  row {p.source_row}{line}{column}: {p.reason}{effect}", highlight=False, markup=False)
        if len(listed) > show:
            out.print(f"  … and {len(listed) - show} more")
    if not has_groups and (log.kind == "attendance").any():
        out.print("[dim]Group ids were not checked: pass the groups file as well.[/dim]")
    raise typer.Exit(1 if failed else 0)


@app.command("map")
def map_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An export nobody has described yet.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--out", dir_okay=False, help="Where to write the draft (default: FILE's name + .mapping.yaml, here).",
        show_default=False)] = None,
) -> None:
    """Draft a mapping file for a new export: its headers and answers matched against the
    contract and the vocabulary in en, ru, uk, be and pl, each with a score.

    Shows what was placed and what was not, and writes the draft for a person to confirm
    (docs/questionnaire.md); it is read by `aai run` only once saved in mappings/.
    Exit status 2 when the file cannot be read or the draft would overwrite a file.
    """
    from python_calamine import CalamineError

    from pipelines.ingest.sniff import UnreadableFile
    from pipelines.mapping.draft import draft, tables

    target = output or Path(f"{file.name}.mapping.yaml")
    if target.exists():
        console.print(f"[red]{escape(str(target))} exists; the draft would replace it.[/red] Give another --out.")
        raise typer.Exit(2)
    try:
        result = draft(file, shown=str(file))
    except (UnreadableFile, CalamineError, OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]{escape(str(file))} could not be read:[/red] {escape(str(exc) or type(exc).__name__)}")
        raise typer.Exit(2) from exc
    for table in tables(result):
        out.print(table)
    target.write_text(result.yaml(), encoding="utf-8")
    out.print(f"draft: {target}", highlight=False)
    out.print("Check it, fill in what was not placed, then save it in the data root's mappings/ folder.")


@app.command()
def form(
    output: Annotated[Path, typer.Option("-o", "--out", dir_okay=False, help="The XLSForm to write.")] = Path(
        "questionnaire.xlsx"),
) -> None:
    """Write the contract's survey questionnaire as an XLSForm (KoboToolbox, ODK): labels in
    en, ru, uk, be and pl, the contract's rules as constraints, age-banded items asked only
    in their band. Its exports are read back without a mapping file (docs/questionnaire.md)."""
    from pipelines.mapping.form import write_form

    write_form(output)
    out.print(f"form: {output}", highlight=False)


@app.command()
def index(
    indicators: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with unit, sex, indicator, value.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the scores (CSV).")],
) -> None:
    """Domain scores D1–D4 and the overall AAI from any table of indicator values.

    Values on the 0–100 scale, indicator codes 1.1 … 4.6. A domain with indicators
    missing is scored over those present (weights rescaled); the AAI only when all
    four domains have a score. Writes unit, sex, item, value, indicators_used.
    """
    import pandas as pd

    from pipelines.indicators.index import compute_index

    table = pd.read_csv(indicators, dtype={"unit": str, "sex": str, "indicator": str}, sep=None, engine="python")
    try:
        scores = compute_index(table)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    output.parent.mkdir(parents=True, exist_ok=True)
    scores.to_csv(output, index=False, float_format="%.4f")
    console.print(f"{len(scores)} scores for {scores.unit.nunique()} units written to {output}")


@app.command()
def audit(
    data_dir: DataDirOption = None,
    show: Annotated[int, typer.Option(help="Failures to list.")] = 50,
) -> None:
    """Run the disclosure audit on a finished data root: the attacker's linear program
    over the warehouse's published tables and every report under processed/reports/.

    Exit status 0 when no protected count can be pinned, 1 when one can, 2 without a
    warehouse. Output names cells and the attacker's range widths, never a hidden count.
    """
    import time

    from pipelines.catalogue import national_indicators_for
    from pipelines.publish.audit import audit as run_audit

    settings = _settings(data_dir)
    root = settings.paths
    if not root.warehouse.exists():
        console.print(f"[red]No warehouse at {root.warehouse}.[/red] Run `aai run` first.")
        raise typer.Exit(2)
    started = time.perf_counter()
    min_cell = settings.min_cell
    with settings.connect(read_only=True) as con:
        result = run_audit(con, min_cell, national=national_indicators_for(root), reports=root.reports)
    table = Table(title="aai audit", show_header=False)
    table.add_row("minimum cell", str(min_cell))
    table.add_row("blocks (item set × arm × wave)", str(result.components))
    table.add_row("protected counts checked", f"{result.targets:,}")
    for name, count in result.checked.items():
        table.add_row(name, f"{count:,}")
    table.add_row("pinned", str(len(result.failures)))
    table.add_row("narrowest widths", ", ".join(f"{w:g}" for w in result.narrowest()) or "none")
    table.add_row("linear programs", f"{result.solved:,}")
    table.add_row("seconds", f"{time.perf_counter() - started:.1f}")
    out.print(table)
    for failure in result.failures[:show]:
        width = "" if failure.width is None else f" (attacker's range {failure.width:.2f} wide)"
        out.print(f"FAIL {failure.source}: {failure.cell}: {failure.what}{width}", highlight=False)
    if len(result.failures) > show:
        out.print(f"… and {len(result.failures) - show} more")
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def instance() -> None:
    """Check the Dagster instance in $DAGSTER_HOME: its storage answers (PostgreSQL within a
    few seconds), Dagster opens it, and what it retries and limits (docs/operations.md).

    Exit status 0 with one line when it is ready, 2 with one line saying what to fix.
    """
    from pipelines.instance import InstanceProblem, describe

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        console.print("[red]DAGSTER_HOME is not set: runs would go to a temporary instance and not be kept.[/red] "
                      "Set it to the folder holding dagster.yaml (make uses .dagster_home).")
        raise typer.Exit(2)
    try:
        out.print(describe(Path(home)), highlight=False)
    except InstanceProblem as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the files to.")] = Path("data/raw"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = 20241,
) -> None:
    """Write the demo data set: three programmes' groups, surveys and registers, messy as real files are,
    and beside the folder (in ``frameworks/``) two programmes' results frameworks."""
    from pipelines.sample import generate, write_frameworks

    for path in generate(out_dir, seed=seed) + write_frameworks(out_dir.parent / "frameworks"):
        out.print(str(path), highlight=False)


@app.command()
def report(
    data_dir: DataDirOption = None,
    programme: Annotated[str | None, typer.Option(help="Only this programme's report, or 'all' (default: each "
                                                       "programme and all).")] = None,
    period: Annotated[str | None, typer.Option(help="2024, 2024-03 or 2024-01..2024-12 (default: the data period).")] = None,
    lang: Annotated[str | None, typer.Option(help="Report language: en, ru, uk or pl (default: the languages of "
                                                  "AAI_REPORT_LANG, else en).")] = None,
    workers: WorkersOption = 0,
) -> None:
    """Build reports from the warehouse without re-ingesting: HTML, PDF, charts and citable figures.

    Each report is a partition (programme × period) of the report assets of its language,
    materialized through Dagster with its checks, so it shows in the UI like any run."""
    from pipelines.definitions import defs
    from pipelines.defs.partitions import current, period_of, register, report_key
    from pipelines.periods import NO_DATA, parse_period
    from pipelines.publish.i18n import LANGUAGES
    from pipelines.publish.scope import check_period, data_period, programmes, scope_keys

    settings = _settings(data_dir)
    root = settings.paths
    languages = [lang] if lang else settings.languages
    if not root.warehouse.exists():
        console.print(f"[red]No warehouse at {root.warehouse}.[/red] Run `aai run` first.")
        raise typer.Exit(2)
    unknown = [code for code in languages if code not in LANGUAGES]
    if unknown:
        console.print(f"[red]No report language {unknown[0]!r}.[/red] Choose one of: {', '.join(LANGUAGES)}.")
        raise typer.Exit(2)
    try:
        with settings.connect(read_only=True) as con:
            full = data_period(con) or NO_DATA
            chosen = parse_period(period) if period else full
            check_period(chosen, full)
            known = {key: p for p, key in scope_keys(programmes(con)).items()}
            partitions = current(con, [])
        keys = _report_keys(programme, known, partitions.programmes)
    except ValueError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    period_key = chosen.label if period else partitions.data_period
    with _report_pool(workers, len(keys)) as pool:
        definitions = defs()
        instance = _instance()
        with instance:
            register(instance, keys, [period_key])
            recorded = _run_reports(definitions, instance, settings, period_key,
                                    [report_key(k, period_key) for k in keys], languages,
                                    build_period=period_key != partitions.data_period, pool=pool)
    if recorded is None:
        console.print("[red]A report run failed; see the messages above.[/red]")
        raise typer.Exit(1)
    written = [Path(r["folder"]) for r in recorded if "folder" in r]
    for reason in sorted({r["report"] for r in recorded if "report" in r}):
        console.print(f"{escape(reason)}")
    if not written:
        console.print(f"[red]No report written for the period {period_key}.[/red]")
        raise typer.Exit(2)
    for folder in written:
        for name in ("report.html", "report.pdf", "headline_figures.csv"):
            label = "figures" if name.endswith(".csv") else "report"
            out.print(f"{label}: {folder / name}", highlight=False)


def _report_keys(programme: str | None, known: dict[str, str], current_keys: list[str]) -> list[str]:
    """The partition keys a ``--programme`` asks for (a programme id, its folder key or
    ``all``); every programme and ``all`` without one."""
    from pipelines.publish.scope import ALL_PROGRAMMES

    if programme is None:
        return current_keys
    if programme == ALL_PROGRAMMES:
        return [ALL_PROGRAMMES]
    if programme in known:
        return [programme]
    if programme in known.values():
        return [key for key, p in known.items() if p == programme]
    raise ValueError(f"no programme {programme!r} in the warehouse; known: {', '.join(sorted(known.values())) or 'none'}")


export_app = typer.Typer(help="Export a programme's figures for funders: IATI results, CSV and XLSX tables.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")
ProgrammeOption = Annotated[str, typer.Option("--programme", help="The programme to export (its id).")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Where to write (default: processed/exports/<programme>/).",
                                                show_default=False)]


@export_app.command("iati")
def export_iati(programme: ProgrammeOption, data_dir: DataDirOption = None, out_file: OutOption = None) -> None:
    """The programme's results framework as an IATI 2.03 iati-activity with its results, checked against the
    official schema (docs/results.md)."""
    from pipelines import files
    from pipelines.publish.iati import export
    from pipelines.publish.scope import export_key

    settings = _settings(data_dir)
    framework, shown = _framework_or_exit(settings, programme)
    try:
        with settings.connect(read_only=True) as con:
            path = out_file or settings.paths.processed / "exports" / export_key(con, programme) / "iati-activity.xml"
            document = export(con, framework, shown, reports_dir=settings.paths.reports, min_cell=settings.min_cell,
                              claims_config=settings.claims())
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_bytes(path, document)
    out.print(str(path), highlight=False)


@export_app.command("tables")
def export_tables(programme: ProgrammeOption, data_dir: DataDirOption = None, out_dir: OutOption = None) -> None:
    """The programme's headline figures and results table as CSV and XLSX that open cleanly in Excel."""
    import pandas as pd

    from pipelines.publish.figures import programme_figures
    from pipelines.publish.results import COLUMNS, report_dates, results
    from pipelines.publish.scope import export_key, programmes
    from pipelines.publish.tables import write_tables

    settings = _settings(data_dir)
    root = settings.paths
    frameworks = [f for f, _ in _frameworks_or_exit(settings) if f.programme == programme]
    with settings.connect(read_only=True) as con:
        if programme not in programmes(con):
            console.print(f"[red]No programme {programme!r} in the warehouse.[/red]")
            raise typer.Exit(2)
        try:
            key = export_key(con, programme)
        except ValueError as exc:  # FolderCollision: it would share another programme's folder
            console.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc
        # the figures once: the results table is computed from the same rows
        rows, prov = programme_figures(con, programme, reports_dir=root.reports, min_cell=settings.min_cell,
                                       claims_config=settings.claims())
        table = results(frameworks[0], rows, report_dates(con, programme, prov, None, None)) if frameworks \
            else pd.DataFrame(columns=COLUMNS)
    folder = out_dir or root.processed / "exports" / key
    folder.mkdir(parents=True, exist_ok=True)
    for path in write_tables(rows, table, folder, key):
        out.print(str(path), highlight=False)


def _frameworks_or_exit(settings: AaiSettings, *, warehouse: bool = True) -> tuple:
    """Every results framework of the data root, checked whole (against the catalogue
    with the data root's declared measures); exit 2 naming each bad line (and, with
    ``warehouse``, when there is no warehouse to export from yet; without it the caller,
    ``aai run``, has declared the measures already)."""
    from pipelines.publish.framework import FrameworkError, load_frameworks

    if warehouse:
        if not settings.paths.warehouse.exists():
            console.print(f"[red]No warehouse at {settings.paths.warehouse}.[/red] Run `aai run` first.")
            raise typer.Exit(2)
        settings.declare_measures(_mappings_or_exit(settings.mappings))  # as the run that built it did
    try:
        return load_frameworks(settings.paths.frameworks, shown_from=settings.paths.root)
    except FrameworkError as exc:
        console.print("[red]A results framework cannot be used:[/red]")
        console.print(str(exc), markup=False, highlight=False)
        console.print("The format is in docs/results.md.")
        raise typer.Exit(2) from exc


def _framework_or_exit(settings: AaiSettings, programme: str) -> tuple:
    found = [f for f in _frameworks_or_exit(settings) if f[0].programme == programme]
    if not found:
        console.print(f"[red]No results framework for {programme!r} in {settings.paths.frameworks}.[/red] "
                      "See docs/results.md.")
        raise typer.Exit(2)
    return found[0]
