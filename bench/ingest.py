"""Ingestion benchmark: speed and peak memory as ratios against DuckDB's own read.

Each figure is measured in a fresh process on the same file in the same run, and
reported as a ratio against DuckDB's ``read_csv`` of that file (every column as text,
every row materialised: the least any reader must do), never as an absolute time:
machines differ, ratios travel. Files: a clean attendance file of 1M and 5M rows
(``pipelines.sample.bulk``) and a 400k-row survey with labels in Russian, dd.mm.yyyy
dates and two personal-data columns, each beside its groups file.

    python -m bench.ingest                       # as in docs/performance.md
    python -m bench.ingest --rows 200000 --quick # a smoke run
"""

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "out"
SURVEY_ROWS = 400_000


def _duckdb_count(path: str) -> int:
    """DuckDB counting the file's rows: the figure the previous reader was compared with."""
    import duckdb

    return duckdb.execute("SELECT count(*) FROM read_csv(?, all_varchar = true)", [path]).fetchall()[0][0]


def _duckdb_read(path: str) -> int:
    """DuckDB's reader alone: every column as text into a table, as ingestion must."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '512MB'")  # as ingestion (pipelines/ingest/stage.py)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [path])
    return con.execute("SELECT count(*) FROM t").fetchall()[0][0]


def _ingest(raw_dir: str) -> int:
    import duckdb

    from pipelines.ingest.stage import stage_all, workspace
    from pipelines.validate.warehouse_tables import build_tables

    root = Path(raw_dir).parent
    con = duckdb.connect(str(root / "bench.duckdb"))
    with workspace(con, root / "work") as work:
        stage_all(con, Path(raw_dir), work_dir=work)
        build_tables(con)
    loaded, quarantined, cells = con.execute(
        "SELECT sum(rows_loaded), sum(rows_quarantined), sum(cells_quarantined) FROM ingest_log WHERE kind <> 'groups'"
    ).fetchall()[0]
    if quarantined or cells:
        raise SystemExit(f"benchmark file should be clean, {quarantined} rows and {cells} cells were quarantined")
    con.close()
    return int(loaded)


def _make_files_step(root: str, rows: str, kind: str) -> int:
    _make_files(Path(root), int(rows), kind)
    return int(rows)


STEPS = {"make_files": _make_files_step, "duckdb_count": _duckdb_count, "duckdb_read_csv": _duckdb_read,
         "aai_ingest": _ingest}


def _child(step: str, args: list[str]) -> None:
    """Run one step in this fresh process and print its time, rows and peak memory.

    Linux keeps a process's peak resident set across exec, so every step, writing the
    files too, runs in a child of a parent that stays small."""
    start = time.perf_counter()
    rows = STEPS[step](*args)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": step, "rows": rows, "seconds": seconds, "peak_mib": peak_mib}))


def _measure(step: str, *args: object) -> dict:
    cmd = [sys.executable, "-m", "bench.ingest", "--child", step, *map(str, args)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_survey(path: Path, rows: int, group_ids: list[str], seed: int = 7) -> Path:
    """A survey as a Russian-language programme sends it: labels, dd.mm.yyyy dates,
    semicolons, and names and phones that ingestion must drop."""
    rng = np.random.default_rng(seed)
    n = np.arange(rows)
    groups = np.array(group_ids)[rng.integers(0, len(group_ids), rows)]
    waves = np.array(["baseline", "followup1", "followup2"])[n % 3]
    day = rng.integers(1, 28, rows)
    month = rng.integers(1, 12, rows)
    frequency = np.array(["каждый день или почти каждый день", "хотя бы раз в неделю", "раз или два в месяц",
                          "реже", "никогда"])
    sex = np.array(["Женский", "мужской"])
    yes_no = np.array(["да", "нет"])
    columns = {
        "participant_id": np.char.add("P", (n // 3).astype(str)),
        "programme_id": np.full(rows, "BRC-WWC"),
        "group_id": groups,
        "arm": np.full(rows, "участник"),
        "wave": waves,
        "interview_date": np.char.add(np.char.add(np.char.zfill(day.astype(str), 2), "."),
                                      np.char.add(np.char.zfill(month.astype(str), 2), ".2024")),
        "sex": sex[rng.integers(0, 2, rows)],
        "birth_year": rng.integers(1935, 1970, rows).astype(str),
        "consent": np.full(rows, "да"),
        "exercise_freq": frequency[rng.integers(0, 5, rows)],
        "internet_freq": frequency[rng.integers(0, 5, rows)],
        "training_4w": yes_no[rng.integers(0, 2, rows)],
        **{f"who5_{i}": rng.integers(0, 6, rows).astype(str) for i in range(1, 6)},
        "full_name": np.char.add("Имя Фамилия ", n.astype(str)),
        "phone": np.char.add("+375 29 ", n.astype(str)),
    }
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(columns) + "\n")
        block = 100_000
        for start in range(0, rows, block):
            parts = [values[start:start + block] for values in columns.values()]
            lines = parts[0]
            for part in parts[1:]:
                lines = np.char.add(np.char.add(lines, ";"), part)
            fh.write("\n".join(lines.tolist()) + "\n")
    return path


def _make_files(root: Path, rows: int, kind: str) -> tuple[Path, Path]:
    from pipelines.sample import write_attendance, write_groups
    from pipelines.sample.bulk import group_ids

    raw = root / "raw"
    raw.mkdir(parents=True)
    n_groups = max(100, rows // 2_000)
    write_groups(raw / "groups.csv", n_groups)
    if kind == "attendance":
        return raw, write_attendance(raw / "attendance.csv", rows, n_groups=n_groups)
    return raw, write_survey(raw / "survey.csv", rows, group_ids(n_groups))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--quick", action="store_true", help="one attendance file of --rows only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1:])
        return

    cases = [("attendance", args.rows)] if args.quick else [
        ("attendance", args.rows // 5), ("attendance", args.rows), ("survey", SURVEY_ROWS)]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, rows in cases:
            root = Path(tmp) / f"{kind}{rows}"
            _measure("make_files", root, rows, kind)
            raw = root / "raw"
            path = raw / f"{kind}.csv"
            count = _measure("duckdb_count", path)
            base = _measure("duckdb_read_csv", path)
            run = _measure("aai_ingest", raw)
            results.append({
                "file": kind,
                "file_rows": rows,
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "aai_rows_per_s": round(run["rows"] / run["seconds"]),
                "aai_peak_mib": round(run["peak_mib"]),
                "duckdb_rows_per_s": round(base["rows"] / base["seconds"]),
                "duckdb_peak_mib": round(base["peak_mib"]),
                "time_vs_duckdb": round(run["seconds"] / base["seconds"], 2),
                "peak_vs_duckdb": round(run["peak_mib"] / base["peak_mib"], 2),
                "time_vs_duckdb_count": round(run["seconds"] / count["seconds"], 2),
            })
            print(json.dumps(results[-1]), flush=True)
            for leftover in root.rglob("*"):
                if leftover.is_file():
                    leftover.unlink()
    OUT.mkdir(exist_ok=True)
    report = {"machine": f"{platform.machine()}, {platform.python_version()}", "results": results}
    (OUT / "ingest.json").write_text(json.dumps(report, indent=2))
    print("\n| file | rows | MiB | rows/s | peak MiB | × DuckDB read time | × DuckDB peak | × DuckDB count time |"
          "\n|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['file']} | {r['file_rows']:,} | {r['file_mib']} | {r['aai_rows_per_s']:,} | {r['aai_peak_mib']} | "
              f"{r['time_vs_duckdb']} | {r['peak_vs_duckdb']} | {r['time_vs_duckdb_count']} |")


if __name__ == "__main__":
    main()
