"""Disclosure control: the threshold rules, the attacker's linear program, the planner,
the audit (asset checks and ``aai audit``) and reports of nested periods.

Warehouses are built by the real indicators stage from small hand-made surveys
(``test_indicators.load``); every expected count is written next to its data.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from conftest import aai
from pipelines import catalogue
from pipelines.disclosure import impact as impact_disclosure
from pipelines.disclosure.result import AuditResult
from pipelines.publish.audit import audit, audit_indicators
from pipelines.disclosure.model import primary_cells, register_rules
from pipelines.disclosure.ranges import Problem, attack
from pipelines.indicators.build import build_indicators
from pipelines.settings import DataRoot
from pipelines.defs.resources import AaiSettings
from test_indicators import load, survey_frame

M = 5
ITEMS = 18  # answers before self_rated_health in test_indicators.ITEMS (who5 and ucla as tuples)


def person(pid, group, sex, *, good: bool | None = True, ucla=(None, None, None), age=70):
    """A respondent who answered self-rated health (good or bad) and maybe UCLA-3."""
    items = [None] * ITEMS
    items[17] = ucla  # test_indicators.ITEMS: ucla is the 18th answer
    srh = None if good is None else ("good" if good else "bad")
    return (pid, group, sex, age, *items, srh)


def groups(*spec):
    return [(g, "PRG", g, "BY", region, "urban", "mixed", date(2024, 1, 1), None, "volunteer_led")
            for g, region in spec]


def build(rows, group_rows, min_cell=M) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    load(con, survey_frame(rows), group_rows, [])
    build_indicators(con, min_cell=min_cell)
    return con


def cell(con, indicator, **keys) -> dict:
    where = {"programme_id": "PRG", "country": "all", "region": "all", "group_id": "all", "arm": "participant",
             "wave": "baseline", "sex": "all", "age_band": "all", "disability": "all"} | keys
    sql = " AND ".join(f"{k} = ${k}" for k in where)
    rows = con.execute(f"SELECT rowid AS row, * FROM indicators WHERE indicator = $indicator AND {sql}",
                       where | {"indicator": indicator}).fetchdf()
    assert len(rows) == 1, (indicator, keys)
    return rows.iloc[0].to_dict()


def in_group(g):
    return {"group_id": g, "country": "BY", "region": "Grodno"}


# ---------------------------------------------------------------- primary rules

@pytest.fixture(scope="module")
def boundaries():
    """Groups of 4, 5, 9, 10, 10, 10 and 10 women, m = 5 (so 2m = 10):
    A 4 people, all good health     share den 4 (< m)            mean of 4
    B 5, all good                   den 5 = m, 100 %             mean of 5, all at the minimum 3
    C 9, none good                  den 9 = 2m − 1, 0 %          mean of 9, all at 3
    D 10, 5 good                    den 10 = 2m, 5 and 5: shown  mean of 10, all at 3: shown
    E 10, 1 good                    numerator 1 (1 … m−1)
    F 10, 6 good                    4 without the outcome (1 … m−1)
    G 10, none good                 0 % of 10 = 2m: shown        mean of 10, 3 to 9"""
    rows = []
    spec = {"A": (4, 4), "B": (5, 5), "C": (9, 0), "D": (10, 5), "E": (10, 1), "F": (10, 6), "G": (10, 0)}
    for g, (n, good) in spec.items():
        for i in range(n):
            ucla = (3, 3, 3) if g == "G" and i == 0 else (1, 1, 1)
            rows.append(person(f"{g}{i}", g, "female", good=i < good, ucla=ucla))
    con = build(rows, groups(*[(g, "Grodno") for g in spec]))
    register_rules(con)
    yield con
    con.close()


@pytest.mark.parametrize(("group", "indicator", "caught"), [
    ("A", "P.srh_good", True),    # 4 < m
    ("B", "P.srh_good", True),    # 5 < 2m: a 100 % of 5 tells about each of them
    ("C", "P.srh_good", True),    # 9 = 2m − 1
    ("D", "P.srh_good", False),   # 10 = 2m, 5 with and 5 without
    ("E", "P.srh_good", True),    # numerator 1
    ("F", "P.srh_good", True),    # 4 without the outcome
    ("G", "P.srh_good", False),   # 0 % of 2m is shown
    ("A", "P.ucla_mean", True),   # 4 < m
    ("B", "P.ucla_mean", True),   # 5 people all at the scale's minimum, under 2m
    ("C", "P.ucla_mean", True),   # 9 at the minimum
    ("D", "P.ucla_mean", False),  # 10 at the minimum: 2m
    ("G", "P.ucla_mean", False),  # 10, not all at an end
])
def test_primary_rules_at_their_boundaries(boundaries, group, indicator, caught):
    row = cell(boundaries, indicator, **in_group(group))
    assert (row["row"] in primary_cells(boundaries, M)) is caught
    if caught:
        assert row["suppressed"]


def test_zero_and_small_cells_are_never_shown_as_zero(boundaries):
    """No visible share rests on fewer than 2m people; hidden cells carry no value at all."""
    shown = boundaries.execute(
        "SELECT count(*) FROM indicators_public p JOIN disclosure_indicators d ON d.code = p.indicator "
        "WHERE d.kind = 'share' AND d.person AND NOT p.suppressed AND p.denominator < 10").fetchall()[0][0]
    assert shown == 0
    leaked = boundaries.execute(
        "SELECT count(*) FROM indicators_public WHERE suppressed AND (value IS NOT NULL OR numerator IS NOT NULL "
        "OR denominator IS NOT NULL OR ci_low IS NOT NULL OR ci_high IS NOT NULL)").fetchall()[0][0]
    assert leaked == 0


def test_same_population_shares_small_denominators():
    """P.srh_good and P.lonely are over everyone: 3 answered UCLA-3 in group H, so H is
    hidden for self-rated health too, though 12 answered that, 6 of them in good health."""
    rows = [person(f"h{i}", "H", "female", good=i < 6, ucla=(2, 2, 2) if i < 3 else (None,) * 3)
            for i in range(12)]
    rows += [person(f"k{i}", "K", "female", ucla=(2, 2, 2)) for i in range(12)]
    con = build(rows, groups(("H", "Grodno"), ("K", "Grodno")))
    register_rules(con)
    srh = cell(con, "P.srh_good", **in_group("H"))
    assert srh["denominator"] == 12 and srh["row"] in primary_cells(con, M)


# ---------------------------------------------------------------- the linear program

def two_by_two(hidden_x12: bool) -> tuple[Problem, sparse.csr_matrix]:
    """x11 x12 | 3        Every cell hidden, margins shown: x11 can be 0 … 3 (width 3).
    x21 x22 | 7        With x12 = 1 shown as well, x11 = 3 − 1 = 2 exactly.
    4   6   | 10"""
    rows = [[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]]
    rhs = [3, 7, 4, 6]
    truth = np.array([2.0, 1.0, 2.0, 5.0])
    if not hidden_x12:
        rows.append([0, 1, 0, 0])
        rhs.append(1)
    A = sparse.csr_matrix(np.array(rows, dtype=float))
    problem = Problem(A, np.array(rhs, dtype=float), np.arange(len(rhs)), sparse.csr_matrix((0, 4)), np.zeros(0),
                      np.zeros(0, dtype=int), np.zeros(4), truth)
    return problem, sparse.csr_matrix(np.eye(4))


def test_attack_on_a_hand_solved_two_by_two():
    problem, targets = two_by_two(hidden_x12=True)
    ranges = attack(problem, targets, 1.0)
    # hand-solved: x11 ∈ [max(0, 3 + 4 − 10), min(3, 4)] = [0, 3]; x22 = 3 + x11 → [3, 6]
    assert ranges.width.tolist() == pytest.approx([3, 3, 3, 3])
    assert not ranges.binding  # nothing pinned
    problem, targets = two_by_two(hidden_x12=False)
    ranges = attack(problem, targets, 1.0)
    assert ranges.exact.all() and ranges.width.tolist() == pytest.approx([0, 0, 0, 0])
    assert ranges.low.tolist() == pytest.approx([2, 1, 2, 5])
    assert 4 in ranges.binding[0]  # the shown x12 is what pins x11


def test_programmes_stacked_in_batches_give_the_ranges_of_one_stack(monkeypatch):
    """The attacker's programmes are stacked into batches of about STACK_VARIABLES
    variables; a batch is block-diagonal, so batching changes no range, exactness or
    binding cell."""
    from pipelines.disclosure import ranges as module

    jobs = [two_by_two(hidden_x12=i % 2 == 0) for i in range(10)]
    whole = module.attack_all(jobs, 1.0)
    monkeypatch.setattr(module, "STACK_VARIABLES", 4)  # every copy a programme of its own
    calls = []
    solve = module._solve_block_diagonal
    monkeypatch.setattr(module, "_solve_block_diagonal", lambda copies: calls.append(len(copies)) or solve(copies))
    batched = module.attack_all(jobs, 1.0)
    assert calls and set(calls) == {1}
    for a, b in zip(whole, batched, strict=True):
        assert a.low.tolist() == pytest.approx(b.low.tolist()) and a.high.tolist() == pytest.approx(b.high.tolist())
        assert a.exact.tolist() == b.exact.tolist() and a.binding == b.binding


# ---------------------------------------------------------------- planted recoverable cell

def planted_rows():
    """G1: 2 men (1 in good health), 6 women (none); G2: 2 men, 6 women (none);
    G3: 6 men, 6 women, half of each in good health. Under the old rules (fewer than
    5 hidden, then the next-smallest sibling of a lone hidden cell) the four group × sex
    cells of G1 and G2 are hidden and every relation holds two of them, yet:
    good health among G1's men = (G1's 1) − (G1's women) and among men of G1 and G2
    = (programme men 4) − (G3 men 3) = 1, and G2 has none at all (0 % of 8, shown),
    so G1's women have none and G1's men exactly 1."""
    rows = [person("a1", "G1", "male", good=True), person("a2", "G1", "male", good=False)]
    rows += [person(f"a{i}", "G1", "female", good=False) for i in range(3, 9)]
    rows += [person(f"b{i}", "G2", "male" if i < 2 else "female", good=False) for i in range(8)]
    rows += [person(f"c{i}", "G3", "male", good=i < 3) for i in range(6)]
    rows += [person(f"d{i}", "G3", "female", good=i < 3) for i in range(6)]
    return rows


OLD_PATTERN = [("G1", "male"), ("G1", "female"), ("G2", "male"), ("G2", "female")]


@pytest.fixture
def planted(tmp_path):
    warehouse = AaiSettings(data_dir=str(tmp_path))
    with warehouse.connect() as con:
        load(con, survey_frame(planted_rows()), groups(("G1", "Grodno"), ("G2", "Grodno"), ("G3", "Grodno")), [])
        build_indicators(con, min_cell=M)
    return warehouse


def test_planned_suppression_passes_the_audit(planted):
    with planted.connect(read_only=True) as con:
        result = AuditResult()
        audit_indicators(con, M, result)
    assert result.targets > 0 and result.passed, [f.cell for f in result.failures]


def test_disclosure_audit_attacks_the_cells_again_unless_their_own_check_passed_on_this_table(planted):
    """disclosure_audit relies on no_lone_suppressed_sibling only when that check passed
    on exactly the table now in the warehouse, with the same smallest cell: not when it
    never ran (deselected), failed, ran with another m, or the table changed since."""
    import dagster as dg

    from pipelines.defs.disclosure.checks import audit_published, cells_audited
    from pipelines.defs.indicators.assets import check_no_lone_suppressed_sibling

    instance = dg.DagsterInstance.ephemeral()
    key = dg.AssetKey("indicators")

    def record(result: dg.AssetCheckResult, passed: bool | None = None) -> None:
        instance.report_runless_asset_event(dg.AssetCheckEvaluation(
            asset_key=key, check_name="no_lone_suppressed_sibling", passed=result.passed if passed is None else passed,
            metadata=result.metadata))

    with planted.connect(read_only=True) as con:
        assert not cells_audited(instance, con, M)  # never ran
        checked = check_no_lone_suppressed_sibling(con, M)
        assert checked.passed
        record(checked, passed=False)
        assert not cells_audited(instance, con, M)  # failed
        record(checked)
        assert cells_audited(instance, con, M) and not cells_audited(instance, con, M + 1)
        kept = audit_published(con, planted, cells_audited=True)
        assert kept.passed and kept.metadata["cells attacked here"].value is False
        again = audit_published(con, planted)
        assert again.passed and again.metadata["protected counts checked"].value > 0
    with planted.connect() as con:
        con.execute("UPDATE indicators SET suppressed = false WHERE rowid = (SELECT min(rowid) FROM indicators "
                    "WHERE suppressed)").fetchall()
        assert not cells_audited(instance, con, M)  # the table changed after the check


def test_audit_catches_the_cell_the_old_rules_left_recoverable(planted):
    with planted.connect() as con:
        con.execute("UPDATE indicators SET suppressed = false WHERE indicator = 'P.srh_good'").fetchall()
        for g, sex in OLD_PATTERN:
            con.execute("UPDATE indicators SET suppressed = true WHERE indicator = 'P.srh_good' AND group_id = $g "
                        "AND sex = $sex", {"g": g, "sex": sex}).fetchall()
        # the old invariant holds: no relation of group × sex cells has exactly one hidden
        lone = con.execute("""
            SELECT count(*) FROM (
                SELECT group_id, count(*) FILTER (WHERE suppressed) AS h FROM indicators
                WHERE indicator = 'P.srh_good' AND group_id <> 'all' GROUP BY group_id
                UNION ALL
                SELECT sex, count(*) FILTER (WHERE suppressed) FROM indicators
                WHERE indicator = 'P.srh_good' AND programme_id = 'PRG' AND country <> 'all' GROUP BY sex)
            WHERE h = 1""").fetchall()[0][0]
        assert lone == 0
    with planted.connect(read_only=True) as con:
        result = AuditResult()
        audit_indicators(con, M, result)
    pinned = {(f.cell, f.what) for f in result.failures}
    assert ("indicator=P.srh_good programme_id=PRG country=BY region=Grodno group_id=G1 arm=participant "
            "wave=baseline sex=male", "numerator") in pinned
    # a hidden count is named, never given: widths only
    assert all(f.width is not None and f.width < 1 for f in result.failures)


# ---------------------------------------------------------------- aai audit and nested periods

def figures_file(root: Path, programme: str, period: str, reached: int) -> None:
    folder = root / "processed" / "reports" / programme / period
    folder.mkdir(parents=True, exist_ok=True)
    figure = {"id": f"{programme}/{period}/P.reached/participant/all", "programme_id": programme, "period": period,
              "indicator": "P.reached", "name": "Participants reached", "arm": "participant", "wave": "all",
              "method": "", "value": reached, "ci_low": None, "ci_high": None, "p_value": None, "unit": "people",
              "n": reached, "suppressed": False, "reason": "", "definition": "", "data_period": "",
              "inputs_sha256": "", "code_version": ""}
    (folder / "headline_figures.json").write_text(json.dumps({"provenance": {"period": period},
                                                              "figures": [figure]}), encoding="utf-8")


def test_aai_audit_exit_codes_and_a_planted_period_difference(planted, tmp_path_factory):
    root = Path(planted.data_dir)
    assert aai("audit", "--data-dir", str(tmp_path_factory.mktemp("empty"))).returncode == 2
    done = aai("audit", "--data-dir", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    figures_file(root, "PRG", "2024", 40)
    figures_file(root, "PRG", "2024-01..2024-06", 40 - 5)  # 5 = m: not small
    assert aai("audit", "--data-dir", str(root)).returncode == 0
    figures_file(root, "PRG", "2024-01..2024-06", 40 - 3)  # 3 people came only in the second half
    done = aai("audit", "--data-dir", str(root))
    assert done.returncode == 1
    assert "FAIL reports: programme_id=PRG indicator=P.reached" in done.stdout
    assert "37" not in done.stdout  # the figures are named, not repeated


def test_report_build_hides_a_figure_that_would_difference_to_a_small_count(tmp_path):
    from pipelines.disclosure.periods import guard
    from pipelines.publish.queries import PeriodData

    figures_file(tmp_path, "PRG", "2024", 40)
    empty = pd.DataFrame()
    indicators = pd.DataFrame({"indicator": ["P.reached", "P.sessions"], "programme_id": ["PRG", "PRG"],
                               "arm": ["participant"] * 2, "wave": ["all"] * 2, "n": [38.0, 30.0],
                               "value": [38.0, 30.0], "ci_low": [np.nan] * 2, "ci_high": [np.nan] * 2,
                               "suppressed": [False, False]})
    data = PeriodData(indicators, *([empty] * 2), False, *([empty] * 9))
    guarded = guard(data, "2024-01..2024-06", tmp_path, M).indicators
    assert guarded.loc[0, "suppressed"] and pd.isna(guarded.loc[0, "value"])  # 40 − 38 = 2 people
    assert not guarded.loc[1, "suppressed"]  # sessions are not people


def test_a_data_period_is_differenced_against_a_year_it_overlaps(tmp_path):
    # the data period starts with the data in March 2024: by its dates it does not cover
    # the year 2024, but every record of 2024 is in it, so the two differ by the people
    # of January and February 2025
    from pipelines.disclosure.periods import audit as audit_periods

    figures_file(tmp_path, "PRG", "2024", 40)
    figures_file(tmp_path, "PRG", "2024-03..2025-02", 40 + 5)  # 5 = m: not small
    result = AuditResult()
    audit_periods(tmp_path / "processed" / "reports", M, result)
    assert result.passed and result.checked["figures compared across overlapping periods"] == 1
    figures_file(tmp_path, "PRG", "2024-03..2025-02", 40 + 2)
    result = AuditResult()
    audit_periods(tmp_path / "processed" / "reports", M, result)
    assert not result.passed
    assert "periods 2024 and 2024-03..2025-02" in result.failures[0].cell


# ---------------------------------------------------------------- the demo

def test_audit_passes_on_the_demo(demo_root):
    national = catalogue.national_indicators_for(DataRoot(demo_root))  # the root's own 4.1 and 4.2
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        result = audit(con, M, national=national, reports=demo_root / "processed" / "reports", with_impact=False)
    assert result.targets > 1000
    assert result.passed, [f"{f.source}: {f.cell}: {f.what}" for f in result.failures[:10]]


def test_impact_sizes_pin_nothing_on_the_demo(demo_root):
    result = AuditResult()
    with duckdb.connect(str(demo_root / "processed" / "warehouse.duckdb"), read_only=True) as con:
        impact_disclosure.audit(con, M, result)
    assert result.passed




def _study_9102(tmp_path):
    """The study programme of seed 9102 through the indicators and impact stages, its impact
    tables written as built (before any size is hidden): (connection, ImpactTables)."""
    from pipelines.impact import build_impact
    from pipelines.impact.tables import write_table, ATTRITION, IMPACT_ESTIMATES, DOSE_RESPONSE
    from pipelines.ingest.stage import stage_all
    from pipelines.sample.study import generate_study
    from pipelines.validate.warehouse_tables import build_tables

    generate_study(tmp_path / "raw", seed=9102, groups=6, effect_scale=2.0)
    con = duckdb.connect()
    stage_all(con, tmp_path / "raw")
    build_tables(con)
    build_indicators(con, M)
    tables = build_impact(con, M)
    for name, frame, columns in (("impact_estimates", tables.estimates, IMPACT_ESTIMATES),
                                 ("attrition", tables.attrition, ATTRITION),
                                 ("dose_response", tables.dose_response, DOSE_RESPONSE)):
        write_table(con, name, frame, columns)
    return con, tables


def test_impact_sizes_that_would_pin_a_count_are_hidden(tmp_path):
    """A study programme where every participant had item 2.2 at baseline and 2 of those
    interviewed again left it unanswered: the arm's published retained count minus the
    follow-up cell gives those 2 away. Writing the impact tables hides the sizes the
    attacker needs until the audit passes; estimates and intervals stay."""
    from pipelines.impact.tables import write_impact

    con, tables = _study_9102(tmp_path)
    before = AuditResult()
    impact_disclosure.audit(con, M, before)
    assert {f.what for f in before.failures} == {"interviewed again without a value"}
    estimates = tables.estimates.copy()
    hidden = write_impact(con, tables, M)
    after = AuditResult()
    impact_disclosure.audit(con, M, after)
    assert after.passed and hidden >= 1
    assert con.execute("SELECT n_retained, n_lost, lost_pct FROM attrition WHERE indicator = 'all' "
                       "AND arm = 'participant'").fetchall() == [(None, None, None)]
    pd.testing.assert_series_equal(tables.estimates["estimate"], estimates["estimate"])


def _texts(con) -> list[str]:
    """Every note and sentence of the three impact tables."""
    return [t for (t,) in con.execute(
        "SELECT note FROM attrition UNION ALL SELECT note FROM dose_response "
        "UNION ALL SELECT note FROM impact_estimates UNION ALL SELECT sentence FROM impact_estimates").fetchall() if t]


def test_notes_state_no_size_the_impact_stage_hid(tmp_path):
    """On the same study the participants' lost and retained counts are hidden; before the
    fix their attrition note and every paired note still said "15 of 120 baseline
    respondents (12%) were not interviewed". After writing, no note or sentence states a
    size the columns withhold, the audit reads the notes back (a planted note fails it),
    and the report's attrition table says "withheld", not "fewer than"."""
    from pipelines.disclosure.notes import stated
    from pipelines.impact.tables import write_impact
    from pipelines.publish.i18n import Translator
    from pipelines.report.context_impact import attrition_rows

    con, tables = _study_9102(tmp_path)
    built = tables.attrition.set_index(["arm", "indicator"]).loc[("participant", "all")]
    write_impact(con, tables, M)
    lost, retained, baseline = int(built["n_lost"]), int(built["n_retained"]), int(built["n_baseline"])
    assert lost >= M and retained >= M  # published as built, hidden by protect
    assert con.execute("SELECT n_lost FROM attrition WHERE arm = 'participant' AND indicator = 'all'"
                       ).fetchall() == [(None,)]
    old = f"{lost} of {baseline} baseline respondents ({built['lost_pct']:.0f}%)"
    texts = _texts(con)
    assert not [t for t in texts if old in t or {lost, retained} & stated(t)[0]]
    assert any("withheld to protect a small count" in t for t in texts)

    passed = AuditResult()
    impact_disclosure.audit(con, M, passed)
    assert passed.passed and passed.checked["impact notes and sentences beside a withheld size"] > 0
    con.execute("UPDATE attrition SET note = ? WHERE arm = 'participant' AND indicator = 'all'",
                [f"{old} were not interviewed at followup1."])
    planted = AuditResult()
    impact_disclosure.audit(con, M, planted)
    assert [(f.source, f.cell) for f in planted.failures] == [
        ("impact notes", "programme_id=STUDY arm=participant wave=followup1")]

    counts = con.execute("SELECT programme_id, arm, wave, n_baseline, n_retained, n_lost FROM attrition "
                         "WHERE indicator = 'all' ORDER BY arm").df()
    printed = dict(zip(counts["arm"], attrition_rows(Translator("en"), counts, M), strict=True))
    assert (printed["participant"]["lost"], printed["participant"]["retained"]) == ("withheld", "withheld")
    assert not any("fewer than" in r["lost"] for r in printed.values())


def test_a_paired_note_may_state_the_size_its_own_row_publishes():
    """Everyone interviewed again answered the indicator, so the paired row publishes n =
    100, the hidden retained count; its note "Paired on 100 people" once failed the
    blocking audit and stopped the reports. A note whose row publishes another size
    still fails."""
    from pipelines.disclosure import notes

    con = duckdb.connect()
    con.execute("CREATE TABLE disclosure_panel AS SELECT * FROM (VALUES ('P', 'participant', 'followup1', 'all', "
                "'all', 'all', 120, 100, 100)) t(programme_id, arm, wave, indicator, breakdown, value, b, "
                "retained, both_first)")
    con.execute("CREATE TABLE attrition AS SELECT * FROM (VALUES ('P', 'participant', 'followup1', 'all', 120, "
                "NULL::INT, NULL::INT, 'Attrition withheld to protect a small count.')) t(programme_id, arm, wave, "
                "indicator, n_baseline, n_retained, n_lost, note)")
    con.execute("CREATE TABLE impact_estimates AS SELECT * FROM (VALUES ('P', 'followup1', 'kessler', 'all', 'all', "
                "'all', 'paired_change', 100, 'Paired on 100 people.', 'Scores fell.')) t(programme_id, wave, "
                "indicator, group_id, sex, age_band, method, n, note, sentence)")
    beside = AuditResult()
    notes.audit(con, beside)
    assert beside.passed
    con.execute("UPDATE impact_estimates SET n = 90")
    withheld = AuditResult()
    notes.audit(con, withheld)
    assert [f.cell for f in withheld.failures] == ["programme_id=P arm=participant wave=followup1"]
