"""The bundled demo data set: three programmes' files, as they would arrive.

``generate`` writes ``groups.csv`` and, per programme, one survey file (baseline and
follow-up) and one attendance register, each in the shape its programme's tools
produce (see ``formats``), with the mistakes of ``PLANTED_PROBLEMS`` in them, the
implausible but valid values of ``PLANTED_OUTLIERS`` for the review stage to flag, and
nothing else wrong. The same seed gives byte-identical files, so the committed
``data/raw/`` can be re-made and diffed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.sample.formats import (
    CANONICAL, EXCEL_PL, EXCEL_RU, EXCEL_UK, REGISTER_TSV, SHEET_UK, FileFormat, write_csv,
)
from pipelines.sample.outliers import plant_outliers
from pipelines.sample.people import SURVEY_COLUMNS, comparison_roster, survey_rows
from pipelines.sample.problems import attendance_file, plant, survey_file
from pipelines.sample.registers import ATTENDANCE_COLUMNS, register
from pipelines.sample.world import BRC, MAZ, PROGRAMMES, ZTRASS

GROUP_COLUMNS = (
    "group_id", "programme_id", "group_name", "country", "region", "settlement_type",
    "target_population", "start_date", "end_date", "facilitation",
)
GROUPS_FILE = "groups.csv"

SURVEY_FORMATS: dict[str, FileFormat] = {
    BRC.programme_id: EXCEL_RU,
    ZTRASS.programme_id: EXCEL_UK,
    MAZ.programme_id: EXCEL_PL,
}
ATTENDANCE_FORMATS: dict[str, FileFormat] = {
    BRC.programme_id: REGISTER_TSV,
    ZTRASS.programme_id: SHEET_UK,
    MAZ.programme_id: EXCEL_PL,
}
# The Zhytomyr coordinator's register names and phones the women. Ingestion must drop
# these columns; the values are visibly fake so the demo never looks like a leak.
ZHYTOMYR_ATTENDANCE_COLUMNS = (
    "group_id", "session_date", "participant_id", "full_name", "phone", "attended",
    "duration_minutes", "activity", "led_by", "notes",
)
NOTE_SHARE = 0.03
NOTE_PRESENT, NOTE_ABSENT = "прийшла з донькою", "попередила, що не прийде"


def generate(out_dir: Path, *, seed: int = 20241, participants_scale: float = 1.0) -> list[Path]:
    """Write the demo files under ``out_dir`` and return their paths.

    ``participants_scale`` shrinks or grows every group and comparison sample; each
    keeps at least three people, so the planted problems always find their rows.
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    written = [write_csv(out_dir / GROUPS_FILE, GROUP_COLUMNS, _group_rows(), CANONICAL)]
    for programme in PROGRAMMES:
        members, attendance = register(rng, programme, participants_scale)
        people = members + comparison_roster(rng, programme, participants_scale)
        survey = survey_rows(rng, programme, people)

        file = survey_file(programme)
        written.append(write_csv(out_dir / file, SURVEY_COLUMNS, plant_outliers(file, plant(file, survey)),
                                 SURVEY_FORMATS[programme.programme_id]))
        file = attendance_file(programme)
        columns, rows = ATTENDANCE_COLUMNS, plant(file, attendance)
        if programme is ZTRASS:
            columns, rows = ZHYTOMYR_ATTENDANCE_COLUMNS, _with_personal_data(rng, rows)
        # last, so the rows they add draw nothing from the generator: the files stay
        # what they were apart from the outliers themselves
        rows = plant_outliers(file, rows)
        written.append(write_csv(out_dir / file, columns, rows, ATTENDANCE_FORMATS[programme.programme_id]))
    return written


def _group_rows() -> list[dict[str, object]]:
    return [
        {
            "group_id": g.group_id, "programme_id": p.programme_id, "group_name": g.group_name,
            "country": p.country, "region": g.region, "settlement_type": g.settlement_type,
            "target_population": g.target_population, "start_date": g.start_date,
            "end_date": g.end_date, "facilitation": g.facilitation,
        }
        for p in PROGRAMMES
        for g in p.groups
    ]


def _with_personal_data(rng: np.random.Generator, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Add a name, a phone and the odd free-text note, as a coordinator's register has."""
    numbers = {pid: n + 1 for n, pid in enumerate(sorted({r["participant_id"] for r in rows}))}
    noted = rng.random(len(rows)) < NOTE_SHARE
    out = []
    for i, row in enumerate(rows):
        n = numbers[row["participant_id"]]
        out.append({
            **row,
            "full_name": f"Тестова Учасниця {n:03d}",
            "phone": f"+380 00 000 {n // 100:02d} {n % 100:02d}",
            "notes": (NOTE_PRESENT if row["attended"] == "yes" else NOTE_ABSENT) if noted[i] else None,
        })
    return out
