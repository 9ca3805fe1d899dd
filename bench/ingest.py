"""Ingestion benchmark: rows per second and peak memory on a large attendance file.

Speed is a ratio against baselines measured in the same run on the same file, never
an absolute time: (1) DuckDB's own ``read_csv`` counting rows — the fastest anyone can
read the file; (2) Python's ``csv`` reader touching every row — the floor of our
streaming reader. Peak memory is each step's maximum resident set, measured in a
fresh process, for two batch sizes and two file sizes: it should follow the batch
size, not the file size.

    python -m bench.ingest --rows 5000000        # as in docs/performance.md
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

OUT = Path(__file__).parent / "out"


def _duckdb_count(path: str) -> int:
    import duckdb

    return duckdb.execute("SELECT count(*) FROM read_csv(?, all_varchar = true)", [path]).fetchone()[0]


def _csv_pass(path: str) -> int:
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _ingest(raw_dir: str, batch_rows: int) -> int:
    import duckdb

    from pipelines.ingest.stage import stage_all
    from pipelines.validate.warehouse_tables import build_tables

    con = duckdb.connect(str(Path(raw_dir).parent / "bench.duckdb"))
    stage_all(con, Path(raw_dir), batch_rows=batch_rows)
    build_tables(con)
    loaded, quarantined = con.execute(
        "SELECT sum(rows_loaded), sum(rows_quarantined) FROM ingest_log WHERE kind = 'attendance'"
    ).fetchone()
    if quarantined:
        raise SystemExit(f"benchmark file should be clean, {quarantined} rows were quarantined")
    con.close()
    return int(loaded)


STEPS = {"duckdb_read_csv": _duckdb_count, "python_csv_pass": _csv_pass, "aai_ingest": _ingest}


def _child(step: str, args: list[str]) -> None:
    """Run one step in this fresh process and print its time, rows and peak memory."""
    func = STEPS[step]
    start = time.perf_counter()
    rows = func(*[int(a) if a.isdigit() else a for a in args])
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": step, "rows": rows, "seconds": seconds, "peak_mib": peak_mib}))


def _measure(step: str, *args: object) -> dict:
    cmd = [sys.executable, "-m", "bench.ingest", "--child", step, *map(str, args)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _make_files(root: Path, rows: int) -> Path:
    from pipelines.sample import write_attendance, write_groups

    raw = root / "raw"
    raw.mkdir(parents=True)
    n_groups = max(100, rows // 2_000)
    write_groups(raw / "groups.csv", n_groups)
    write_attendance(raw / "attendance.csv", rows, n_groups=n_groups)
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--quick", action="store_true", help="one batch size and one file size only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1:])
        return

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [args.rows] if args.quick else [args.rows // 5, args.rows]
        for rows in sizes:
            raw = _make_files(Path(tmp) / str(rows), rows)
            attendance = raw / "attendance.csv"
            base = _measure("duckdb_read_csv", attendance)
            floor = _measure("python_csv_pass", attendance)
            for batch_rows in [100_000] if args.quick else [25_000, 100_000]:
                run = _measure("aai_ingest", raw, batch_rows)
                results.append({
                    "file_rows": rows,
                    "file_mib": round(attendance.stat().st_size / 2**20, 1),
                    "batch_rows": batch_rows,
                    "aai_rows_per_s": round(run["rows"] / run["seconds"]),
                    "aai_peak_mib": round(run["peak_mib"]),
                    "slower_than_duckdb_read": round(run["seconds"] / base["seconds"], 1),
                    "slower_than_python_csv": round(run["seconds"] / floor["seconds"], 1),
                    "duckdb_read_peak_mib": round(base["peak_mib"]),
                })
                print(json.dumps(results[-1]), flush=True)
    OUT.mkdir(exist_ok=True)
    report = {"machine": f"{platform.machine()}, {platform.python_version()}", "results": results}
    (OUT / "ingest.json").write_text(json.dumps(report, indent=2))
    header = "| file rows | MiB | batch rows | rows/s | peak MiB | × DuckDB read_csv | × Python csv pass |"
    print("\n" + header + "\n|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['file_rows']:,} | {r['file_mib']} | {r['batch_rows']:,} | {r['aai_rows_per_s']:,} | "
              f"{r['aai_peak_mib']} | {r['slower_than_duckdb_read']} | {r['slower_than_python_csv']} |")


if __name__ == "__main__":
    main()
