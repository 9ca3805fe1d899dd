"""The demo data set and the benchmark writer.

The demo files are read back here the way their format says they were written, with
labels mapped to codes through the vocabulary, and checked against the contract by a
small independent validator: the rows it rejects must be exactly ``PLANTED_PROBLEMS``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from pipelines.sample import AS_OF, EFFECTS, PLANTED_PROBLEMS, generate, write_attendance, write_groups
from pipelines.sample.bulk import group_ids
from pipelines.sample.formats import COLUMN_SCALES, FileFormat, codes
from pipelines.vocabulary import lookup
from pipelines.sample.generator import ATTENDANCE_FORMATS, GROUPS_FILE, SURVEY_FORMATS
from pipelines.sample.people import ANSWER_CODES, SURVEY_COLUMNS
from pipelines.sample.problems import attendance_file, survey_file
from pipelines.sample.registers import ATTENDANCE_COLUMNS
from pipelines.sample.world import BRC, MAZ, PROGRAMMES, ZTRASS

SCORE_RANGES = {
    **{f"who5_{k}": (0, 5) for k in range(1, 6)},
    **{f"ucla_{k}": (1, 3) for k in range(1, 4)},
    "deprivation_count": (0, 9),
    "education_isced": (0, 8),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


def _sha256(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.csv"))}


def _read(path: Path, fmt: FileFormat) -> list[dict[str, str]]:
    text = path.read_bytes().decode(fmt.encoding)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=fmt.delimiter))


def _code(column: str, text: str) -> str | None:
    """The canonical code behind a cell as ingestion's vocabulary lookup reads it, or
    None when nothing matches."""
    return lookup(COLUMN_SCALES[column]).get(text.strip().casefold())


def _date(fmt: FileFormat, text: str) -> date | None:
    try:
        return datetime.strptime(text, fmt.date_format).date()
    except ValueError:
        return None


def _survey(demo: Path, programme) -> list[dict[str, object]]:
    """A survey file in canonical values, each row with its problems under '_rules'."""
    fmt = SURVEY_FORMATS[programme.programme_id]
    rows, seen = [], set()
    for raw in _read(demo / survey_file(programme), fmt):
        row: dict[str, object] = {column: text or None for column, text in raw.items()}
        rules = set()
        for column in SURVEY_COLUMNS:
            text = raw[column]
            if column in COLUMN_SCALES and text:
                row[column] = _code(column, text)
                rules |= {"unknown_code"} if row[column] is None else set()
            elif column in SCORE_RANGES and text:
                row[column] = int(text)
                low, high = SCORE_RANGES[column]
                rules |= set() if low <= row[column] <= high else {"out_of_range"}
        row["interview_date"] = _date(fmt, raw["interview_date"])
        row["birth_year"] = int(raw["birth_year"])
        if not 1900 <= row["birth_year"] <= row["interview_date"].year:
            rules.add("birth_year_range")
        if row["consent"] == "no":
            rules.add("no_consent")
        key = row["_key"] = (raw["participant_id"], raw["wave"])
        if key in seen:
            rules.add("duplicate_key")
        seen.add(key)
        row["_rules"] = rules
        rows.append(row)
    return rows


def _attendance(demo: Path, programme, starts: dict[str, date]) -> list[dict[str, object]]:
    """An attendance file in canonical values, each row with its problems under '_rules'."""
    fmt = ATTENDANCE_FORMATS[programme.programme_id]
    rows, seen = [], set()
    for raw in _read(demo / attendance_file(programme), fmt):
        row: dict[str, object] = dict(raw)
        rules = set()
        for column in ("attended", "activity", "led_by"):
            row[column] = _code(column, raw[column]) if raw[column] else None
            rules |= {"unknown_code"} if raw[column] and row[column] is None else set()
        day = row["session_date"] = _date(fmt, raw["session_date"])
        if day is None:
            rules.add("bad_date")
        elif raw["group_id"] not in starts:
            rules.add("unknown_group")
        elif day > AS_OF:
            rules.add("future_date")
        elif day < starts[raw["group_id"]]:
            rules.add("before_group_start")
        if raw["duration_minutes"] and not 1 <= int(raw["duration_minutes"]) <= 600:
            rules.add("out_of_range")
        key = row["_key"] = (raw["group_id"], raw["session_date"], raw["participant_id"])
        if key in seen:
            rules.add("duplicate_key")
        seen.add(key)
        row["_rules"] = rules
        rows.append(row)
    return rows


def _starts(demo: Path) -> dict[str, date]:
    with (demo / GROUPS_FILE).open(encoding="utf-8", newline="") as fh:
        return {r["group_id"]: date.fromisoformat(r["start_date"]) for r in csv.DictReader(fh)}


def test_answer_shares_are_given_over_exactly_the_vocabulary_codes() -> None:
    for scale, ordered in ANSWER_CODES.items():
        assert sorted(ordered) == sorted(codes(scale)), scale


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(demo: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again")
    generate(tmp_path / "other", seed=7)
    first = _sha256(demo)
    assert len(first) == 7
    assert _sha256(tmp_path / "again") == first
    other = _sha256(tmp_path / "other")
    assert other[GROUPS_FILE] == first[GROUPS_FILE]
    assert all(other[f] != first[f] for f in first if f != GROUPS_FILE)


def test_files_use_the_encodings_and_delimiters_real_tools_produce(demo: Path) -> None:
    brc = (demo / survey_file(BRC)).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        brc.decode("utf-8")
    text = brc.decode("cp1251")
    assert text.startswith("participant_id;programme_id;")
    assert ";Да;" in text and "Хотя бы раз в неделю" in text and "\r\n" in text
    assert re.search(r";\d\d\.\d\d\.2024;", text)

    zhytomyr = (demo / survey_file(ZTRASS)).read_bytes()
    assert zhytomyr.startswith(b"\xef\xbb\xbfparticipant_id,")
    assert ",так," in zhytomyr.decode("utf-8-sig")

    mazovia = (demo / survey_file(MAZ)).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        mazovia.decode("utf-8")
    text = mazovia.decode("cp1250")
    assert ";tak;" in text and "mężczyzna" in text and re.search(r";\d\d/\d\d/2024;", text)

    header = (demo / attendance_file(BRC)).read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t") == list(ATTENDANCE_COLUMNS)


def test_zhytomyr_register_carries_visibly_fake_personal_data(demo: Path) -> None:
    rows = _read(demo / attendance_file(ZTRASS), ATTENDANCE_FORMATS[ZTRASS.programme_id])
    assert {"full_name", "phone", "notes"} <= set(rows[0])
    assert all(re.fullmatch(r"\+380 00 000 \d\d \d\d", r["phone"]) for r in rows)
    assert all(r["full_name"].startswith("Тестова Учасниця ") for r in rows)


def _problems_found(root: Path) -> set[tuple[str, tuple[str, ...], str]]:
    starts = _starts(root)
    found = set()
    for programme in PROGRAMMES:
        for file, rows in ((survey_file(programme), _survey(root, programme)),
                           (attendance_file(programme), _attendance(root, programme, starts))):
            found |= {(file, row["_key"], rule) for row in rows for rule in row["_rules"]}
    return found


def test_quarantine_would_hold_exactly_the_planted_problems(demo: Path, tmp_path: Path) -> None:
    planted = {(p.file, p.key, p.rule) for p in PLANTED_PROBLEMS}
    assert len(planted) == len(PLANTED_PROBLEMS) == 10
    assert _problems_found(demo) == planted
    generate(tmp_path, seed=5, participants_scale=0.05)
    assert _problems_found(tmp_path) == planted


def test_register_ids_are_survey_participants_and_every_participant_has_a_register(demo: Path) -> None:
    starts = _starts(demo)
    for programme in PROGRAMMES:
        survey = _survey(demo, programme)
        participants = {r["participant_id"] for r in survey if r["arm"] == "participant"}
        registered = {r["participant_id"] for r in _attendance(demo, programme, starts)}
        assert registered == participants
        assert all(r["group_id"] is None for r in survey if r["arm"] == "comparison")


def test_sample_sizes_ages_and_attrition_are_as_designed(demo: Path) -> None:
    rows = [r for p in PROGRAMMES for r in _survey(demo, p) if not r["_rules"]]
    baseline = [r for r in rows if r["wave"] == "baseline"]
    arms = [r["arm"] for r in baseline]
    assert 290 <= arms.count("participant") <= 310
    assert arms.count("comparison") == 120
    followup = sum(r["wave"] == "followup1" for r in rows)
    assert 0.85 <= followup / len(baseline) <= 0.95
    assert all(2024 <= r["interview_date"].year <= 2025 for r in rows)

    def ages(programme_id: str) -> np.ndarray:
        return np.array([r["interview_date"].year - r["birth_year"] for r in baseline
                         if r["programme_id"] == programme_id])

    for older in ("BRC-WWC", "MAZ-SHC"):
        assert np.mean((ages(older) >= 55) & (ages(older) <= 85)) >= 0.85
    women = ages("ZTRASS-WI")
    assert women.min() >= 24 and women.max() <= 61


def _changes(demo: Path) -> list[dict[str, object]]:
    """Per respondent with both waves: arm, attendance rate, and follow-up minus
    baseline for each outcome in EFFECTS (NaN where either answer is missing)."""
    starts = _starts(demo)
    rows = [r for p in PROGRAMMES for r in _survey(demo, p) if not r["_rules"]]
    present: dict[str, list[bool]] = {}
    for programme in PROGRAMMES:
        for r in _attendance(demo, programme, starts):
            present.setdefault(r["participant_id"], []).append(r["attended"] == "yes")

    def outcomes(r: dict[str, object]) -> dict[str, float]:
        out = {e.item: np.nan if r[e.item] is None else float(r[e.item] in e.success)
               for e in EFFECTS if e.success}
        for name, items in (("who5_raw", [f"who5_{k}" for k in range(1, 6)]),
                            ("ucla_sum", [f"ucla_{k}" for k in range(1, 4)])):
            values = [r[i] for i in items]
            out[name] = np.nan if None in values else float(sum(values))
        return out

    waves = {(r["participant_id"], r["wave"]): (r["arm"], outcomes(r)) for r in rows}
    changes = []
    for (pid, wave), (arm, before) in waves.items():
        if wave == "baseline" and (pid, "followup1") in waves:
            after = waves[(pid, "followup1")][1]
            rate = float(np.mean(present[pid])) if arm == "participant" else 0.0
            changes.append({"arm": arm, "rate": rate, **{k: after[k] - before[k] for k in before}})
    return changes


def _mean(changes: list[dict[str, object]], item: str, arm: str, rates: tuple[float, float] = (0.0, 1.0)) -> float:
    low, high = rates
    return float(np.nanmean([c[item] for c in changes if c["arm"] == arm and low <= c["rate"] <= high]))


def test_planted_effect_is_recovered_and_grows_with_attendance(demo: Path) -> None:
    changes = _changes(demo)
    mean_rate = _mean(changes, "rate", "participant")
    assert 0.55 <= mean_rate <= 0.75
    for effect in EFFECTS:
        # Shares move by share points, scores by their own points: a third of the full
        # effect is the tolerance for the participants, and the bound for the
        # comparison arm (about 100 people, so sampling noise of a few points).
        tolerance = abs(effect.change_at_full_attendance) / 3
        participants = _mean(changes, effect.item, "participant")
        comparison = _mean(changes, effect.item, "comparison")
        assert participants == pytest.approx(effect.change_at_full_attendance * mean_rate, abs=tolerance), effect.item
        assert abs(comparison) < tolerance, effect.item
        assert np.sign(participants - comparison) == np.sign(effect.change_at_full_attendance), effect.item
    high = _mean(changes, "who5_raw", "participant", (0.7, 1.0))
    low = _mean(changes, "who5_raw", "participant", (0.0, 0.6999))
    assert high - low > 0.5


def test_bench_attendance_has_exact_rows_valid_codes_and_known_groups(tmp_path: Path) -> None:
    n_rows, n_groups = 30_001, 40
    path = write_attendance(tmp_path / "attendance.csv", n_rows, seed=3, batch_rows=7_000, n_groups=n_groups)
    groups = write_groups(tmp_path / "groups.csv", n_groups, seed=3)
    # Batch size is a memory knob, never part of the data.
    again = write_attendance(tmp_path / "again.csv", n_rows, seed=3, n_groups=n_groups)
    assert path.read_bytes() == again.read_bytes()

    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == ATTENDANCE_COLUMNS
        rows = list(reader)
    with groups.open(encoding="utf-8", newline="") as fh:
        starts = {r["group_id"]: date.fromisoformat(r["start_date"]) for r in csv.DictReader(fh)}
    assert len(rows) == n_rows
    assert set(starts) == set(group_ids(n_groups))
    assert len({(r["group_id"], r["session_date"], r["participant_id"]) for r in rows}) == n_rows
    assert {r["group_id"] for r in rows} <= set(starts)
    assert all(starts[r["group_id"]] <= date.fromisoformat(r["session_date"]) <= AS_OF for r in rows)
    assert {r["attended"] for r in rows} == {"yes", "no"}
    assert {r["activity"] for r in rows} <= set(codes("activity"))
    assert {r["led_by"] for r in rows} == set(codes("led_by"))
    assert all(r["duration_minutes"] == "" for r in rows if r["attended"] == "no")
    minutes = {int(r["duration_minutes"]) for r in rows if r["duration_minutes"]}
    assert minutes and all(1 <= m <= 600 for m in minutes)
    assert 0.74 <= sum(r["attended"] == "yes" for r in rows) / n_rows <= 0.82


def test_bench_attendance_refuses_more_rows_than_its_groups_can_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="more than 1 groups"):
        write_attendance(tmp_path / "too_many.csv", 1_000_000, n_groups=1)
    assert not (tmp_path / "too_many.csv").exists()
