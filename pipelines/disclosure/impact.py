"""The impact tables' published sizes, as equations for the attacker.

Per programme and follow-up wave, people with an indicator split into those seen in
both waves (*both*), at baseline only and at the follow-up only; baseline respondents
into those interviewed again (*retained*: with the indicator again, or without) and
those *lost*. The published sizes are sums of these:

- ``indicators`` denominators (visible cells): baseline = both + baseline only, and the
  follow-up likewise, for the total and each group, sex and age band;
- ``impact_estimates.n``: ``change`` counts the observations used, the baseline and
  follow-up cells together (2 × both + baseline only + follow-up only, people classed
  at each interview), ``paired_change`` the people in both (classed at baseline),
  ``did`` the change count of both arms together;
- ``attrition``: baseline, retained (both + interviewed without a value) and lost, per
  indicator and for the people interviewed (indicator ``all``);
- ``dose_response.n``: the attendance thirds, which with the people of unknown dose
  add up to *both*.

The attacker's unknowns are these counts; the protected ones (1 … m−1 people) are
baseline only, follow-up only, lost, retained without a value, the people of unknown
dose, and the hidden cells' sizes. The link to ``indicators`` is through visible
denominators only: the finer relations of the indicator cells are in the main model,
and the two are not solved as one system (docs/disclosure.md says what that leaves).
The audit also reads the notes beside withheld sizes (``notes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from pipelines.disclosure import notes
from pipelines.disclosure.model import sql
from pipelines.disclosure.ranges import Problem, attack_all
from pipelines.disclosure.result import AuditResult, Failure
from pipelines.review import define_analysed
from pipelines.warehouse import table_exists

BREAKDOWNS = ("group_id", "sex", "age_band")
ARMS = ("participant", "comparison")


@dataclass
class _Builder:
    """Named non-negative variables, equations and targets of one linear system."""

    index: dict[str, int] = field(default_factory=dict)
    truth: list[float] = field(default_factory=list)
    eq: list[tuple[dict[str, float], float]] = field(default_factory=list)
    le: list[tuple[dict[str, float], float]] = field(default_factory=list)
    targets: list[tuple[dict[str, float], float, str]] = field(default_factory=list)

    def var(self, name: str, truth: float) -> str:
        if name not in self.index:
            self.index[name] = len(self.truth)
            self.truth.append(float(truth))
        return name

    def problem(self) -> tuple[Problem, sparse.csr_matrix]:
        n = len(self.truth)

        def matrix(rows):
            r = [k for k, (terms, _) in enumerate(rows) for _ in terms]
            c = [self.index[v] for terms, _ in rows for v in terms]
            d = [w for terms, _ in rows for w in terms.values()]
            return sparse.csr_matrix((d, (r, c)), shape=(len(rows), n))

        A_eq, A_ub = matrix(self.eq), matrix(self.le)
        problem = Problem(A_eq, np.array([b for _, b in self.eq], dtype=float), np.full(len(self.eq), -1),
                          A_ub, np.array([b for _, b in self.le], dtype=float), np.full(len(self.le), -1),
                          np.zeros(n), np.array(self.truth))
        return problem, matrix([(terms, 0.0) for terms, _, _ in self.targets])


def _read(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    return con.execute(query).df()


def _visible_dens(con: duckdb.DuckDBPyConnection) -> dict[tuple, float]:
    """(programme, arm, wave, indicator, breakdown, value) → visible denominator."""
    rows = _read(con, """
        SELECT programme_id, arm, wave, indicator, group_id, sex, age_band, denominator
        FROM indicators_public
        WHERE NOT suppressed AND programme_id <> 'all' AND disability = 'all'
          AND (group_id <> 'all' OR (country = 'all' AND region = 'all'))""")
    out = {}
    for r in rows.itertuples(index=False):
        split = [(c, getattr(r, c)) for c in BREAKDOWNS if getattr(r, c) != "all"]
        if len(split) > 1:
            continue
        breakdown, value = split[0] if split else ("all", "all")
        out[(r.programme_id, r.arm, r.wave, r.indicator, breakdown, value)] = float(r.denominator)
    return out


def _size(panel_row) -> dict[str, float]:
    both = panel_row.both_wave
    return {"both": both, "base_only": panel_row.b - both, "wave_only": panel_row.f - both,
            "both_first": panel_row.both_first}


def audit(con: duckdb.DuckDBPyConnection, min_cell: int, result) -> None:
    """Attack the impact tables' sizes (with the visible denominators) and record pinned
    counts, and every note or sentence that states a size the columns withhold."""
    if _panel(con):
        _attack(con, min_cell, result)
        notes.audit(con, result)


def _panel(con: duckdb.DuckDBPyConnection) -> bool:
    """Build ``disclosure_panel`` (the true counts); False when there are no impact tables."""
    if not all(table_exists(con, t) for t in ("impact_estimates", "attrition", "dose_response", "survey")):
        return False
    define_analysed(con)
    con.execute(sql("panel")).fetchall()
    return True


def _attack(con: duckdb.DuckDBPyConnection, min_cell: int, result, scope: set[tuple] | None = None) -> None:
    """``audit`` on the panel already built; with ``scope``, only the systems it names:
    (programme, wave, indicator), or (programme, wave, None) for all of theirs."""
    panel = _read(con, "SELECT * FROM disclosure_panel")
    estimates = _read(con, "SELECT indicator, programme_id, group_id, sex, age_band, method, wave, n "
                           "FROM impact_estimates WHERE n IS NOT NULL")
    attrition = _read(con, "SELECT programme_id, arm, wave, indicator, n_baseline, n_retained, n_lost FROM attrition")
    dose = _read(con, "SELECT programme_id, wave, indicator, n FROM dose_response")
    dens = _visible_dens(con)
    # each system reads only its own programme, wave and indicator: split the published
    # sizes once (rows in table order), not once per system
    estimates = _rows_by(estimates, ["programme_id", "wave", "indicator"])
    attrition = _rows_by(attrition, ["programme_id", "wave", "indicator"])
    dose = dict(iter(dose.groupby(["programme_id", "wave", "indicator"], sort=False)))
    jobs, labels = [], []
    for (programme, wave), rows in panel.groupby(["programme_id", "wave"], sort=True):
        # one system per indicator (each with the programme's people counts, which link
        # the indicators only through inequalities), and one for the people counts alone
        people = rows[rows["indicator"] == "all"]
        for indicator, own in [("all", people)] + [(i, pd.concat([people, g])) for i, g in
                                                   rows[rows["indicator"] != "all"].groupby("indicator")]:
            if scope is not None and not {(programme, wave, None), (programme, wave, indicator)} & scope:
                continue
            builder = _system(programme, wave, indicator, own, estimates, attrition, dose, dens, min_cell)
            if builder.targets:
                jobs.append(builder.problem())
                labels.append(builder.targets)
    result.checked["impact sizes (programme × wave × indicator systems)"] = len(jobs)
    results = attack_all(jobs, 1.0)
    result.solved += results[0].solved if results else 0
    for targets, ranges in zip(labels, results, strict=True):
        result.targets += len(targets)
        result.widths = pd.concat([result.widths, pd.Series(ranges.width)], ignore_index=True)
        result.exact = pd.concat([result.exact, pd.Series(ranges.exact)], ignore_index=True)
        for (_, _, label), width in zip(targets, ranges.width, strict=True):
            if width < 1.0:
                key, what = label
                result.failures.append(Failure("impact", _describe(key), what, float(width), key=key))


def _rows_by(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, list]:
    """The rows of ``frame`` as named tuples, in table order, under their ``keys`` values."""
    out: dict[tuple, list] = {}
    at = [frame.columns.get_loc(k) + 1 for k in keys]  # itertuples puts the index first
    for row in frame.itertuples():
        out.setdefault(tuple(row[i] for i in at), []).append(row)
    return out


def _system(programme, wave, indicator, rows, estimates, attrition, dose, dens, m) -> _Builder:
    """One programme and follow-up wave: both arms, the indicators and breakdowns of
    ``rows`` (the people counts alone when ``indicator`` is 'all'). ``estimates`` and
    ``attrition`` are rows by (programme, wave, indicator), ``dose`` frames likewise: a
    system's equations only use its own indicator's sizes and the people counts."""
    s = _Builder()
    protect_people = indicator == "all"
    small = lambda v: 1 <= v <= m - 1  # noqa: E731

    def protect(terms, truth, key, what):
        if small(truth):
            s.targets.append((terms, truth, (key, what)))

    people = rows[rows["indicator"] == "all"].set_index("arm")
    for arm, p in people.iterrows():
        s.var(f"{arm}/retained", p.retained)
        s.var(f"{arm}/lost", p.b - p.retained)
        if protect_people:
            cell = {"programme_id": programme, "arm": arm, "wave": wave}
            protect({f"{arm}/retained": 1}, p.retained, cell, "interviewed again")
            protect({f"{arm}/lost": 1}, p.b - p.retained, cell, "lost")
    totals = rows[(rows["indicator"] != "all") & (rows["breakdown"] == "all")]
    for r in totals.itertuples(index=False):
        i, size = f"{r.arm}/{r.indicator}", _size(r)
        cell = {"indicator": r.indicator, "programme_id": programme, "arm": r.arm, "wave": wave}
        for part in ("both", "base_only", "wave_only"):
            s.var(f"{i}/{part}", size[part])
        s.var(f"{i}/novalue", r.retained - r.both_wave)
        s.var(f"{i}/lost", r.b - r.retained)
        s.eq.append(({f"{i}/base_only": 1, f"{i}/novalue": -1, f"{i}/lost": -1}, 0.0))
        s.le.append(({f"{i}/both": 1, f"{i}/novalue": 1, f"{r.arm}/retained": -1}, 0.0))
        s.le.append(({f"{i}/lost": 1, f"{r.arm}/lost": -1}, 0.0))
        protect({f"{i}/base_only": 1}, size["base_only"], cell, "at baseline only")
        protect({f"{i}/wave_only": 1}, size["wave_only"], cell, "at the follow-up only")
        protect({f"{i}/novalue": 1}, r.retained - r.both_wave, cell, "interviewed again without a value")
        protect({f"{i}/lost": 1}, r.b - r.retained, cell, "lost")
        thirds = dose.get((programme, wave, r.indicator))
        if r.arm == "participant" and thirds is not None and thirds["n"].notna().all():
            unknown = r.both_wave - float(thirds["n"].sum())
            s.var(f"{i}/unknown_dose", unknown)
            s.eq.append(({f"{i}/both": 1, f"{i}/unknown_dose": -1}, float(thirds["n"].sum())))
            protect({f"{i}/unknown_dose": 1}, unknown, cell, "attendance unknown")
    for r in rows[(rows["indicator"] != "all")].itertuples(index=False):
        _breakdown(s, programme, wave, r, dens, protect)
    own = attrition.get((programme, wave, "all"), [])
    if indicator != "all":
        own = sorted(own + attrition.get((programme, wave, indicator), []), key=lambda a: a.Index)
    for a in own:
        if a.arm not in people.index:
            continue
        if a.indicator == "all":
            forms = {"n_baseline": {f"{a.arm}/retained": 1, f"{a.arm}/lost": 1},
                     "n_retained": {f"{a.arm}/retained": 1}, "n_lost": {f"{a.arm}/lost": 1}}
        else:
            i = f"{a.arm}/{a.indicator}"
            forms = {"n_baseline": {f"{i}/both": 1, f"{i}/novalue": 1, f"{i}/lost": 1},
                     "n_retained": {f"{i}/both": 1, f"{i}/novalue": 1}, "n_lost": {f"{i}/lost": 1}}
        for column, terms in forms.items():
            value = getattr(a, column)
            if pd.notna(value) and all(t in s.index for t in terms):
                s.eq.append((terms, float(value)))
    _published_sizes(s, estimates.get((programme, wave, indicator), []))
    return s


def _breakdown(s: _Builder, programme, wave, r, dens, protect) -> None:
    """The cells of one arm, indicator and breakdown: visible denominators, and the parts."""
    k = "all" if r.breakdown == "all" else f"{r.breakdown}={r.value}"
    i = f"{r.arm}/{r.indicator}"
    name = f"{i}/{k}"
    size = _size(r)
    if r.breakdown != "all":
        for part in ("both", "base_only", "wave_only", "both_first"):
            s.var(f"{name}/{part}", size[part])
        s.le.append(({f"{name}/both": 1, f"{name}/both_first": -1}, 0.0))
        s.le.append(({f"{name}/both_first": 1, f"{name}/both": -1, f"{name}/base_only": -1}, 0.0))
        s.le.append(({f"{name}/both_first": 1, f"{i}/both": -1}, 0.0))
        cell = {"indicator": r.indicator, "programme_id": programme, "arm": r.arm, "wave": wave, r.breakdown: r.value}
        protect({f"{name}/base_only": 1}, size["base_only"], cell, "at baseline only")
        protect({f"{name}/wave_only": 1}, size["wave_only"], cell, "at the follow-up only")
        protect({f"{name}/both": 1, f"{name}/base_only": 1}, r.b, cell, "baseline cell")
        protect({f"{name}/both": 1, f"{name}/wave_only": 1}, r.f, cell, "follow-up cell")
    prefix = f"{i}/both" if r.breakdown == "all" else f"{name}/both"
    base = f"{i}/base_only" if r.breakdown == "all" else f"{name}/base_only"
    later = f"{i}/wave_only" if r.breakdown == "all" else f"{name}/wave_only"
    for w, terms in (("baseline", {prefix: 1, base: 1}), (wave, {prefix: 1, later: 1})):
        den = dens.get((programme, r.arm, w, r.indicator, r.breakdown, r.value))
        if den is not None:
            s.eq.append((terms, den))


def _published_sizes(s: _Builder, estimates: list) -> None:
    """impact_estimates.n (the rows of one programme, wave and indicator) as equations
    over the parts."""
    for e in estimates:
        split = [(c, getattr(e, c)) for c in BREAKDOWNS if getattr(e, c) != "all"]
        k = "all" if not split else f"{split[0][0]}={split[0][1]}"

        def union(arm, key):
            # observations used: the baseline cell plus the follow-up cell, so the people
            # seen in both waves count twice
            name = f"{arm}/{e.indicator}" + ("" if key == "all" else f"/{key}")
            terms = {f"{name}/both": 2, f"{name}/base_only": 1, f"{name}/wave_only": 1}
            return terms if all(t in s.index for t in terms) else None

        if e.method == "change":
            terms = union("participant", k)
        elif e.method == "paired_change":
            name = f"participant/{e.indicator}" + ("" if k == "all" else f"/{k}")
            terms = {f"{name}/both" if k == "all" else f"{name}/both_first": 1}
            terms = terms if all(t in s.index for t in terms) else None
        elif e.method == "did":
            # a group's DiD sets it against the programme's whole comparison arm
            comparison = "all" if k == "all" or k.startswith("group_id=") else k
            p, c = union("participant", k), union("comparison", comparison)
            terms = {**p, **c} if p and c else None
        else:
            terms = None
        if terms:
            s.eq.append((terms, float(e.n)))


# What to hide, in order, when a count behind the impact tables is pinned: the arm's
# attrition split first (one row per arm and wave, and the usual key to the others),
# then the pinned indicator's paired size, then its change and DiD sizes. Estimates
# and intervals stay; only sizes become NULL (and the notes that word them change).
MAX_REPAIR_ROUNDS = 50


def _describe(key: dict[str, str]) -> str:
    """``indicator=2.2 programme_id='COL 1' arm=participant``: the cell for people to read
    (ids come from the field's files and may hold spaces, so such values are quoted)."""
    return " ".join(f"{k}={v}" if str(v) and not any(c.isspace() for c in str(v)) else f"{k}={str(v)!r}"
                    for k, v in key.items())


def _repairs(key: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(table, column, where) to NULL, most useful first, for one pinned cell."""
    where = {"programme_id": key["programme_id"], "wave": key["wave"]}
    steps = [("attrition", "n_retained", {**where, "arm": key["arm"], "indicator": "all"}),
             ("attrition", "n_lost", {**where, "arm": key["arm"], "indicator": "all"})]
    if "indicator" in key:
        split = {c: key.get(c, "all") for c in BREAKDOWNS}
        for method in ("paired_change", "change", "did"):
            steps.append(("impact_estimates", "n", {**where, **split, "indicator": key["indicator"], "method": method}))
        # the thirds of attendance add up to the people seen at both waves
        steps.append(("dose_response", "n", {**where, "indicator": key["indicator"]}))
    return steps


def _system_of(key: dict[str, str]) -> tuple[str, str, str]:
    """The system (programme, wave, indicator) a pinned cell or a repaired row belongs to;
    people counts (no indicator) are the 'all' system's."""
    return (key["programme_id"], key["wave"], key.get("indicator", "all"))


@dataclass(frozen=True)
class Hidden:
    """One size ``protect`` hid: the row (``where``) of ``table`` whose ``column`` it made
    NULL, and the value it had, so the notes that word it can be reworded."""

    table: str
    column: str
    where: dict[str, str]
    value: float


def protect(con: duckdb.DuckDBPyConnection, min_cell: int) -> list[Hidden]:
    """Hide impact sizes until the attacker pins none (the planner's counterpart of
    ``audit`` for the impact tables); returns the sizes hidden. Attrition's percentage
    lost goes with its counts, since it gives them back. Notes are not read here: they
    still word the sizes as they were (``pipelines.impact.withheld`` rewords them)."""
    hidden: list[Hidden] = []
    if not _panel(con):
        return hidden
    scope = None
    for _ in range(MAX_REPAIR_ROUNDS):
        # the panel (true counts) has not changed, and a system reads only its own
        # programme, wave and indicator's sizes (with the people counts): attacking again
        # the systems that failed or read a hidden size gives the same verdict as
        # attacking them all
        result = AuditResult()
        _attack(con, min_cell, result, scope)
        if result.passed:
            return hidden
        changed, scope = 0, set()
        for failure in result.failures:
            scope.add(_system_of(failure.key))
            for table, column, where in _repairs(failure.key):
                rows = _hide(con, table, column, where)
                if rows:
                    changed += len(rows)
                    hidden += rows
                    scope.add(_system_of(where) if where.get("indicator", "all") != "all"
                              else (where["programme_id"], where["wave"], None))
                    break  # one size per pinned cell, then attack again
        if not changed:
            raise RuntimeError("impact sizes still pin a count, and nothing more can be hidden: "
                               f"{result.failures[0].cell}: {result.failures[0].what}")
    raise RuntimeError("hiding impact sizes did not settle")


def _hide(con: duckdb.DuckDBPyConnection, table: str, column: str, where: dict[str, str]) -> list[Hidden]:
    """NULL ``column`` of the rows of ``table`` matching ``where`` (a table and column of
    ``_repairs``, never user input); the sizes it hid."""
    clause = " AND ".join(f'"{c}" = ?' for c in where) + f' AND "{column}" IS NOT NULL'
    values = [v for (v,) in con.execute(f'SELECT "{column}" FROM "{table}" WHERE {clause}',
                                        list(where.values())).fetchall()]
    if values:
        extra = ", lost_pct = NULL" if table == "attrition" else ""
        con.execute(f'UPDATE "{table}" SET "{column}" = NULL{extra} WHERE {clause}', list(where.values())).fetchall()
    return [Hidden(table, column, where, float(v)) for v in values]
