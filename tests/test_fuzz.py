"""The seeded fuzz campaign: a thousand mutated real files, every record accounted for.

Slow tier (``make fuzz`` or ``make test-all``). Seeds are the demo's own files and
hand-made ones in every encoding; each case is a few random byte edits of a seed
(``fuzzing.mutate``). The figures, elapsed time included, are written to
``bench/out/fuzz.json`` and quoted in docs/performance.md.
"""

import json
import random
import time
from pathlib import Path

import pytest
from fuzzing import mutate, stage_and_check

from pipelines.sample import generate

CASES = 1_000
SEED = 20261202
FILES_PER_RUN = 50
OUT = Path(__file__).parents[1] / "bench" / "out"


def _seeds(folder: Path) -> list[bytes]:
    generate(folder / "raw")
    seeds = []
    for path in sorted((folder / "raw").rglob("*.csv")):
        # The head of each demo file: mutations matter near records, not in bulk.
        seeds.append(b"".join(path.read_bytes().splitlines(keepends=True)[:40]))
    text = ("participant_id;programme_id;arm;wave;interview_date;consent;sex;who5_1;full_name\n"
            "P1;BRC-WWC;участник;baseline;15.03.2024;да;Женский;3;\"Ольга\nП.\"\n"
            "P2;BRC-WWC;comparison;Follow-up 1;16/03/2024;tak;Mężczyzna;5;Łucja\n")
    seeds += [text.encode(encoding, errors="replace") for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1251", "cp1250")]
    seeds.append(b"group_id,participant_id,01.03.2024,08.03.2024\nBY-GRO-001,P1,x,-\nBY-GRO-001,P2,,+\n")
    return seeds


@pytest.mark.slow
def test_fuzz_campaign(tmp_path):
    started = time.monotonic()
    rng = random.Random(SEED)
    seeds = _seeds(tmp_path / "seeds")
    totals = {"cases": 0, "escapes": 0, "imbalanced": 0, "unexpected": 0, "files_in_log": 0}
    failures = []
    for start in range(0, CASES, FILES_PER_RUN):
        folder = tmp_path / f"run{start}"
        folder.mkdir()
        paths = []
        for n in range(start, min(start + FILES_PER_RUN, CASES)):
            path = folder / f"case{n:04d}.csv"
            path.write_bytes(mutate(rng.choice(seeds), rng))
            paths.append(path)
        totals["cases"] += len(paths)
        try:
            found = stage_and_check(paths)
        except Exception as exc:  # noqa: BLE001 - counted: this is what the campaign looks for
            totals["escapes"] += 1
            failures.append(f"{folder.name}: {type(exc).__name__}")
            continue
        totals["files_in_log"] += found["files"]
        totals["imbalanced"] += len(found["imbalanced"])
        totals["unexpected"] += len(found["unexpected"])
        failures += found["imbalanced"] + found["unexpected"]
    OUT.mkdir(exist_ok=True)
    (OUT / "fuzz.json").write_text(json.dumps({"seed": SEED, **totals, "seconds": round(time.monotonic() - started),
                                                  "failures": failures[:20]}, indent=2))
    assert totals["cases"] >= CASES and totals["files_in_log"] == totals["cases"]
    assert (totals["escapes"], totals["imbalanced"], totals["unexpected"]) == (0, 0, 0), failures[:10]
