"""Personal-data canary: after a real run, names, phones and addresses are nowhere.

Slow tier. ``aai run`` reads files that carry names, phones and addresses in extra
columns (UTF-8 and Windows-1251), in a grid register, in a quarantined row, in a file
no rule recognises and in a file with a misspelt column; then every byte the run left
behind is searched: the warehouse (every table, and the file itself), everything under
processed/, Dagster's storage under DAGSTER_HOME, and the run's own output.
"""

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import AAI, GROUPS, write

ROOT = Path(__file__).parents[1]
SECRETS = ["Olena Canarenko", "Ivan Kanareyka", "+380 67 123 45 99", "375291112299", "Lesi Ukrainky 77",
           "вул. Щорса 13", "Ганна Канарейка"]


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("canary")
    raw = root / "raw"
    write(raw / "groups.csv", GROUPS)
    write(raw / "attendance.csv",
          "group_id,session_date,participant_id,attended,full_name,phone,address\n"
          "BY-GRO-001,2024-03-01,P1,yes,Olena Canarenko,+380 67 123 45 99,Lesi Ukrainky 77\n"
          "BY-GRO-001,2024-13-01,P2,yes,Ivan Kanareyka,375291112299,вул. Щорса 13\n")  # a quarantined row
    write(raw / "survey_ru.csv",
          "participant_id;programme_id;group_id;arm;wave;interview_date;birth_year;consent;ФИО;Адрес\n"
          "P1;BRC-WWC;BY-GRO-001;участник;baseline;15.03.2024;1950;да;Ганна Канарейка;вул. Щорса 13\n",
          encoding="cp1251")
    write(raw / "register.csv",
          "group_id;participant_id;full_name;phone;01.03.2024;08.03.2024\n"
          "BY-GRO-001;P1;Olena Canarenko;+380 67 123 45 99;x;?\n")
    write(raw / "contacts.csv", "name,phone,address\nIvan Kanareyka,375291112299,Lesi Ukrainky 77\n")
    write(raw / "survey_typo.csv",
          "participant_id,programme_id,arm,wave,interview_date,consent,who5_33,full_name\n"
          "P9,BRC-WWC,participant,baseline,2024-03-15,yes,3,Olena Canarenko\n")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster-instance.yaml", home / "dagster.yaml")
    env = {**os.environ, "AAI_DATA_DIR": str(root), "DAGSTER_HOME": str(home)}
    done = subprocess.run([AAI, "run"], env=env, capture_output=True, text=True, timeout=900)
    return root, home, done


@pytest.mark.slow
def test_run_names_the_unrecognised_file_and_exits_1(canary_run):
    root, _, done = canary_run
    assert done.returncode == 1, done.stderr[-3000:]
    assert "unrecognised: contacts.csv: 1 records not loaded" in done.stdout
    assert "columns: survey_typo.csv: column who5_3 is missing — did you mean who5_33?" in done.stdout
    with duckdb.connect(str(root / "processed/warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM survey").fetchall() == [(2,)]  # the other files still load


@pytest.mark.slow
def test_no_personal_data_anywhere_after_a_run(canary_run):
    root, home, done = canary_run
    # as any file or database could hold them: UTF-8, UTF-16 either way round, and the
    # two Cyrillic code pages a field office's Excel writes
    needles = [(s, s.encode(codec)) for s in SECRETS for codec in ("utf-8", "utf-16-le", "utf-16-be")]
    needles += [(s, s.encode(codec)) for s in SECRETS if not s.isascii() for codec in ("cp1251", "koi8-u")]
    with duckdb.connect(str(root / "processed/warehouse.duckdb"), read_only=True) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            text = str(con.execute(f'SELECT * FROM "{table}"').fetchall())
            for secret in SECRETS:
                assert secret not in text, (secret, table)
    places = [p for p in (root / "processed").rglob("*") if p.is_file()] + [p for p in home.rglob("*") if p.is_file()]
    assert places
    for path in places:
        data = path.read_bytes()
        for secret, needle in needles:
            assert needle not in data, (secret, path)
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr
