"""Build every chart: ``build_charts(con, out_dir)`` of every programme from a warehouse,
``draw_report_charts`` for one report's scope, period and language (into the report's
folder, where the report reads them), ``draw_charts(data, out_dir)`` from frames read.

Each chart is written as PNG (for the HTML and quick viewing) and SVG (vector, for
print), with a title that states the finding, a caption giving n and the source, and
alt text describing the values for readers who cannot see it. ``manifest.json`` in the
same folder lists them (file names, titles, captions, alt text, n) for anyone using
the files without the report, and so that the next build can delete the files of
charts it no longer draws; every build draws its charts anew. A chart whose data is
not there yet is listed with a message saying what is missing, and no file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import catalogue
from pipelines.charts import plots, programme
from pipelines.charts.results import results_chart
from pipelines.charts.info import ChartInfo, save_chart as _save
from pipelines.files import slugs, sweep, writable_folder, write_text
from pipelines.impact.claims import findings
from pipelines.publish import benchmarks as published, domain_sets, queries, readers, scope
from pipelines.publish.i18n import ARM_ORDER, Translator, code_key, digits

MANIFEST = "manifest.json"


def build_charts(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    lang: str = "en",
    min_cell: int,
) -> list[ChartInfo]:
    """Draw all charts of every programme (``scope.programmes``, as the reports have
    them) into ``out_dir`` and write its manifest; return them in order."""
    programmes = scope.programmes(con)
    data = queries.read_period(con, min_cell=min_cell).only(programmes, every_file=True)
    return draw_charts(data, out_dir, programmes=programmes, tr=Translator(lang), min_cell=min_cell)


def draw_report_charts(data: queries.PeriodData, reports_dir: Path, report: scope.Scope, *, period: scope.Period,
                       lang: str, min_cell: int) -> list[ChartInfo]:
    """The charts of one report (``report``'s programmes, ``period``, ``lang``) into the
    ``charts/`` folder of its report folder, from ``data``: ``scope.scope_data`` of the
    period's warehouse, the same frames the report reads."""
    out_dir = scope.report_folder(reports_dir, report.key, period.label, lang) / scope.CHARTS_FOLDER
    return draw_charts(data, out_dir, programmes=report.programmes, tr=Translator(lang), min_cell=min_cell)


def draw_charts(data: queries.PeriodData, out_dir: Path, *, programmes: list[str], tr: Translator,
                min_cell: int) -> list[ChartInfo]:
    """Draw all charts of ``data`` (already narrowed to ``programmes``) into ``out_dir``
    and write its manifest; return them in order."""
    out_dir = writable_folder(Path(out_dir), "charts")
    sweep(out_dir)
    indicators = data.indicators
    charts = [
        _attendance_chart(data.attendance, indicators, out_dir, tr, min_cell),
        programme.groups_chart(data.groups_timeline, indicators, programmes, out_dir, tr, min_cell),
        programme.retention_chart(indicators, out_dir, tr, min_cell),
        _domain_chart(data.domains, indicators, out_dir, tr, min_cell),
        *_change_charts(indicators, data.impact, out_dir, tr, min_cell),
        *programme.dose_charts(data.dose, out_dir, tr),
        *results_chart(data.results, out_dir, tr),
        _quality_chart(data.files, data.rules, out_dir, tr),
    ]
    _remove_stale(out_dir, charts)
    write_text(out_dir / MANIFEST, json.dumps([c.to_json() for c in charts], ensure_ascii=False, indent=2) + "\n")
    return charts


def load_charts(out_dir: Path) -> list[ChartInfo]:
    """The charts listed in ``out_dir/manifest.json``; empty when none were built."""
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return []
    return [ChartInfo.from_json(item, Path(out_dir)) for item in json.loads(path.read_text(encoding="utf-8"))]


def _remove_stale(out_dir: Path, charts: list[ChartInfo]) -> None:
    """Delete files of charts the previous run drew and this run did not (a programme
    that left the data must not linger in the report folder)."""
    keep = {p for c in charts for p in (c.png, c.svg) if p}
    for old in load_charts(out_dir):
        for path in (old.png, old.svg):
            if path and path not in keep and path.exists():
                path.unlink()


def _respondents(indicators: pd.DataFrame, arm: str, wave: str | None) -> dict[str, int]:
    """Largest indicator base per programme: the nearest the public table gets to n."""
    part = indicators[(indicators["arm"] == arm) & (indicators["wave"] == wave) & ~indicators["suppressed"]]
    return {str(k): int(v) for k, v in part.groupby("programme_id")["n"].max().items()}


# -- 1. AAI domain profile ------------------------------------------------------------
def _domain_chart(domains: pd.DataFrame, indicators: pd.DataFrame, out_dir: Path, tr: Translator, min_cell: int) -> ChartInfo:
    info = ChartInfo(key="domain_profile", section="domains", title=tr("AAI domain profile of participants"))
    part = domains[(domains["arm"] == "participant") & domains["item"].isin(plots.DOMAINS + ("AAI",))]
    wave = readers.latest_wave(part)
    part = part[part["wave"] == wave]
    if part.empty or part["value"].isna().all():
        info.message = tr("No AAI domain scores for participants yet: the domain_scores table is empty or missing.")
        return info
    info.title = _domain_title(part, tr)
    n = _respondents(indicators, "participant", wave)
    info.n = sum(n.values()) or None
    marks = benchmarks()
    info.caption = " ".join(filter(None, [
        tr("AAI domain scores (0–100) of programme participants at %(wave)s, by programme.", wave=tr.wave(wave)),
        tr("Hatched bars are partial domains: computed from the indicators available, weights rescaled."),
        domain_sets.differing(part, tr),
        domain_sets.national(part, tr),
        _n_sentence(tr, n, min_cell),
        tr("Source: programme surveys; warehouse table domain_scores."),
        _benchmark_sentence(tr, marks),
    ]))
    lines = []
    no_score, partial = tr("no score"), tr("partial")
    for programme, rows in part.groupby("programme_id"):
        values = ", ".join(
            f"{tr.domain(r.item)} {tr.number(r.value, 1) if pd.notna(r.value) else no_score}"
            + (f" ({partial})" if r.partial else "")
            for r in rows.sort_values("item").itertuples()
        )
        lines.append(f"{programme}: {values}.")
    info.alt = tr("Bar chart of AAI domain scores of participants at %(wave)s.", wave=tr.wave(wave)) + " " + " ".join(lines)
    fig = plots.domain_profile(
        part, title=info.title, xlabel=tr("Domain score (0–100)"),
        domain_labels={d: tr.domain(d) for d in plots.DOMAINS},
        partial_label=tr("partial domain"), partial_note=tr("partial (%(used)s of %(total)s)"),
        no_score_label=tr("no score"), benchmarks=marks, benchmark_label=tr("published figure (EU)"),
    )
    return _save(info, fig, out_dir)


def _domain_title(part: pd.DataFrame, tr: Translator) -> str:
    """One programme's highest and lowest domain; for several, no comparison at all:
    their scores rest on the indicators each survey measured, and an average over
    programmes would be a figure of no programme."""
    programmes = part["programme_id"].unique()
    scores = part[part["item"] != "AAI"].set_index("item")["value"].dropna()
    if len(programmes) != 1 or scores.nunique() < 2:
        return tr("AAI domain profile of participants")
    best, worst = scores.idxmax(), scores.idxmin()
    return tr("Participants score highest on %(best)s (%(best_value)s) and lowest on %(worst)s (%(worst_value)s)",
              best=tr.domain(best), best_value=tr.number(scores[best], 1),
              worst=tr.domain(worst), worst_value=tr.number(scores[worst], 1))


def benchmarks(edition: str | None = None) -> pd.DataFrame:
    """The published figures the domain chart draws: the AAI and domains of the EU28, all
    from one edition (``edition``, else the latest; ``pipelines.publish.benchmarks``),
    national statistics, not a programme's survey."""
    return published.select(edition).rows


def _benchmark_sentence(tr: Translator, marks: pd.DataFrame) -> str:
    """Names the one edition the diamonds come from, each value and its source; the report
    lists the same sources under "Sources of the national figures"."""
    if marks.empty:
        return ""
    first = marks.iloc[0]
    listed = "; ".join(f"{tr.domain(b.item)} {tr.number(b.value, 1)} ({b.source_url})" for b in marks.itertuples())
    return tr("Black diamonds: published figures for %(area)s from the AAI %(edition)s edition (data for "
              "%(year)s), national statistics rather than a programme survey, so not directly comparable: "
              "%(list)s.", area=first["country"], edition=first["edition"],
              year=tr("year not stated") if pd.isna(first["data_year"]) else str(first["data_year"]), list=listed)


def _n_sentence(tr: Translator, n: dict[str, int], min_cell: int) -> str:
    if not n:
        return tr("n: every cell has fewer than %(min)s respondents.", min=min_cell)
    return tr("n (largest indicator base): %(list)s.", list="; ".join(f"{k} {tr.number(v)}" for k, v in sorted(n.items())))


# -- 2. Indicator change, one chart per programme ---------------------------------------
def change_frame(rows: pd.DataFrame, tr: Translator) -> tuple[pd.DataFrame, str | None]:
    """Baseline and the latest follow-up of each indicator of ``rows``, in code order."""
    followups = rows[rows["wave_rank"] > 0]
    latest = readers.latest_wave(followups)
    keep = rows[(rows["wave"] == "baseline") | (rows["wave"] == latest)].copy()
    keep["stage"] = keep["wave"].map(lambda w: "baseline" if w == "baseline" else "followup")
    keep["label"] = keep["indicator"].map(tr.indicator)
    keep["arm_rank"] = keep["arm"].map(ARM_ORDER).fillna(len(ARM_ORDER))
    keep = keep.sort_values(["indicator", "arm_rank", "stage"], key=lambda s: s.map(code_key) if s.name == "indicator" else s)
    return keep, latest


def change_outcomes() -> pd.DataFrame:
    """The outcomes a change chart draws: every indicator measured at survey waves — the
    AAI's, the programme's own of the catalogue (WHO-5, UCLA-3 loneliness) and the data
    root's declared measures — with the panel each is drawn on (``panel``): shares
    together on 0–100, means by their scale, so no mean is read against percentages.
    A register's outputs (reach, retention) have no baseline and are charted apart."""
    df = catalogue.indicators()
    df = df[df["source"].isin(catalogue.SURVEY_SOURCES)].copy()
    df["panel"] = ["percent" if r.kind == "share" else f"{r.scale_min:g}-{r.scale_max:g}" for r in df.itertuples()]
    return df[["code", "scale_min", "scale_max", "panel"]].reset_index(drop=True)


def _panels(frame: pd.DataFrame, outcomes: pd.DataFrame, tr: Translator) -> list[tuple[str, str, float, float]]:
    """The change chart's panels (key, x label, lowest, highest) for ``frame``'s
    indicators: the shares first, then one per scale of the means, in code order."""
    panels = []
    for key in sorted(dict.fromkeys(frame["panel"]), key=lambda k: k != "percent"):  # stable: means in code order
        first = outcomes[outcomes["panel"] == key].iloc[0]
        label = tr("Share of respondents (%%)") if key == "percent" else tr(
            "Mean score (%(low)s–%(high)s)", low=tr.number(first["scale_min"]), high=tr.number(first["scale_max"]))
        panels.append((key, label, float(first["scale_min"]), float(first["scale_max"])))
    return panels


def _change_charts(indicators: pd.DataFrame, impact: pd.DataFrame, out_dir: Path, tr: Translator,
                   min_cell: int) -> list[ChartInfo]:
    outcomes = change_outcomes()
    drawn = indicators[indicators["indicator"].isin(set(outcomes["code"]))] if not indicators.empty else indicators
    if drawn.empty:
        return [ChartInfo(
            key="indicator_change", section="change", title=tr("Indicator change"),
            message=tr("No survey outcomes yet: the indicators_public table is empty or missing."),
        )]
    found = findings(impact) if not impact.empty and "survives" in impact else impact
    names = slugs(drawn["programme_id"].unique())  # one file each, even where case is not told apart
    return [_change_chart(programme, rows, outcomes, found, impact, out_dir, tr, min_cell,
                          name=names[str(programme)])
            for programme, rows in drawn.groupby("programme_id")]


def change_title(tr: Translator, programme: str, latest: str | None, found: pd.DataFrame,
                 impact: pd.DataFrame, codes: set[str]) -> str:
    """A change chart's title states what the report claims, never a raw rise: the
    strongest finding on the chart's indicators (``codes``), or that none could be told
    from chance."""
    if latest is None:
        return tr("%(programme)s: baseline only — no follow-up wave yet", programme=programme)
    mine = found[(found["programme_id"] == programme) & found["indicator"].isin(codes)] \
        if not found.empty else found
    if not mine.empty:
        r = mine.iloc[0]
        d = digits(r.indicator)
        return tr("%(programme)s: %(indicator)s changed by %(estimate)s %(unit)s %(method)s (95%% interval %(low)s "
                  "to %(high)s), a finding after correction", programme=programme,
                  indicator=tr.indicator(r.indicator), estimate=tr.signed(r.estimate, d), unit=tr.unit(r.unit),
                  method=tr.method_phrase(r.method), low=tr.number(r.ci_low, d), high=tr.number(r.ci_high, d))
    primary = impact[(impact["programme_id"] == programme) & (impact["role"] == "primary")
                     & impact["p_value"].notna()] if "role" in impact else impact.iloc[0:0]
    if primary.empty:
        return tr("%(programme)s: outcomes at baseline and %(wave)s, described, not tested",
                  programme=programme, wave=tr.wave(latest))
    return tr("%(programme)s: no outcome changed detectably from baseline to %(wave)s (%(k)s primary tests, "
              "corrected together)", programme=programme, wave=tr.wave(latest), k=tr.number(len(primary)))


def _change_chart(programme: str, rows: pd.DataFrame, outcomes: pd.DataFrame, found: pd.DataFrame,
                  impact: pd.DataFrame, out_dir: Path, tr: Translator, min_cell: int, *, name: str) -> ChartInfo:
    frame, latest = change_frame(rows, tr)
    frame["panel"] = frame["indicator"].map(dict(zip(outcomes["code"], outcomes["panel"], strict=True)))
    panels = _panels(frame, outcomes, tr)
    order = [key for key, *_ in panels]
    frame = frame.sort_values("panel", key=lambda s: s.map(order.index), kind="stable")
    info = ChartInfo(key=f"indicator_change_{name}", section="change", programme_id=str(programme),
                     title=change_title(tr, programme, latest, found, impact, set(frame["indicator"])))
    suppressed_label = tr("suppressed")
    n = {arm: int(v) for arm, v in frame[~frame["suppressed"]].groupby("arm")["n"].max().items()}
    info.n = sum(n.values()) or None
    info.caption = " ".join(filter(None, [
        tr("Each outcome at baseline (open circle) and %(wave)s (filled), with 95%% intervals that count groups, "
           "not only people (none for fewer than four groups); participants and comparison group; shares in "
           "percent of respondents.", wave=tr.wave(latest) if latest else tr("follow-up")),
        tr("n per cell at right (baseline → follow-up); largest: %(list)s.",
           list="; ".join(f"{tr.arm(a)} {tr.number(v)}" for a, v in sorted(n.items())) or "–"),
        tr("Cells too small to publish (fewer than %(min)s people; a share needs twice that), or hidden to protect "
           "such a cell, are not drawn.", min=min_cell),
        tr("Mean scores are drawn in panels of their own, each on its own scale.")
        if any(key != "percent" for key in order) else "",
        tr("A raw change, not an impact estimate."),
        tr("Source: programme surveys; warehouse view indicators_public."),
    ]))
    info.alt = tr("Dot chart of outcomes for %(programme)s.", programme=programme) + " " + _change_alt(frame, tr, suppressed_label)
    fig = plots.indicator_change(
        frame, title=info.title, panels=panels,
        arm_labels={a: tr.arm(a) for a in ("participant", "comparison")},
        baseline_label=tr("baseline"), followup_label=tr.wave(latest) if latest else tr("follow-up"),
        suppressed_label=suppressed_label, suppressed_note=tr("not drawn"), n_header=tr("n (baseline → follow-up)"),
    )
    return _save(info, fig, out_dir)


def _change_alt(frame: pd.DataFrame, tr: Translator, suppressed_label: str) -> str:
    parts = []
    for (label, arm), rows in frame.groupby(["label", "arm"], sort=False):  # participants first
        values = [
            suppressed_label if r.suppressed else
            tr.percent(r.value) if r.panel == "percent" else tr.number(r.value, digits(r.indicator))
            for r in rows.sort_values("stage").itertuples()
        ]
        parts.append(f"{label}, {tr.arm(arm)}: {' → '.join(values)}.")
    return " ".join(parts)


# -- 3. Attendance over time ------------------------------------------------------------
def _attendance_chart(df: pd.DataFrame, indicators: pd.DataFrame, out_dir: Path, tr: Translator,
                      min_cell: int) -> ChartInfo:
    info = ChartInfo(key="attendance", section="participation", title=tr("Sessions and attendance per month"))
    if df.empty:
        info.message = tr("No attendance registers yet: the attendance table is empty or missing.")
        return info
    totals = df.groupby("month").agg(sessions=("sessions", "sum"))
    partial = readers.partial_months(df)
    first, last = df["month"].min().date(), df["month"].max().date()
    busiest = totals["sessions"].idxmax()
    common = dict(sessions=tr.number(int(totals["sessions"].sum())), first=tr.month(first), last=tr.month(last))
    if totals["sessions"].nunique() == 1:
        info.title = tr("%(sessions)s sessions held from %(first)s to %(last)s, a steady %(per_month)s a month",
                        per_month=tr.number(int(totals["sessions"].iloc[0])), **common)
    else:
        info.title = tr("%(sessions)s sessions held from %(first)s to %(last)s; busiest month %(month)s (%(busiest)s)",
                        month=tr.month(busiest.date()), busiest=tr.number(int(totals["sessions"].max())), **common)
    # n from the published P.reached cells: visible programmes only, never a raw recount
    reached = indicators[(indicators["indicator"] == "P.reached") & ~indicators["suppressed"]]
    info.n = int(reached["value"].sum()) if not reached.empty else None
    info.caption = " ".join([
        tr("Sessions held (a group meeting on a date) and people attending at least once, per month and programme."),
        tr("People counted: %(n)s.", n=tr.number(info.n)) if info.n else "",
        tr("Months with fewer than %(min)s people in a programme are suppressed (grey cross above the panel).",
           min=min_cell),
        *(tr("%(month)s is a partial month: the registers run from %(first)s to %(last)s.",
             month=tr.month(m.date()), first=tr.date(df["first_session"].min().date()),
             last=tr.date(df["last_session"].max().date())) for m in partial),
        tr("Source: attendance registers; warehouse tables attendance and groups."),
    ]).replace("  ", " ")
    info.alt = tr("Line chart of sessions and people attending per month, %(first)s to %(last)s.",
                  first=tr.month(first), last=tr.month(last)) + " " + " ".join(
        tr("%(programme)s: %(sessions)s sessions.", programme=p, sessions=tr.number(int(s)))
        for p, s in df.groupby("programme_id")["sessions"].sum().items()
    )
    fig = plots.attendance(
        df, title=info.title, sessions_label=tr("Sessions held"), people_label=tr("People attending"),
        suppressed_label=tr("suppressed"), month_tick=tr.month_tick, partial=partial,
        partial_label=tr("partial month"),
    )
    return _save(info, fig, out_dir)


# -- 4. Data quality --------------------------------------------------------------------
def _quality_chart(files: pd.DataFrame, rules: pd.DataFrame, out_dir: Path, tr: Translator) -> ChartInfo:
    info = ChartInfo(key="data_quality", section="quality", title=tr("Data quality"))
    if files.empty:
        info.message = tr("No files have been ingested yet: the ingest_log table is empty or missing.")
        return info
    rules = rules.head(readers.TOP_RULES).copy()
    rules["label"] = [
        f"{r.rule} ({r.table_name}.{r.column_name})" if r.column_name else f"{r.rule} ({r.table_name})"
        for r in rules.itertuples()
    ]
    read, quarantined = int(files["rows_read"].sum()), int(files["rows_quarantined"].sum())
    info.n = read
    if quarantined:
        info.title = tr(
            "%(quarantined)s of %(read)s rows (%(share)s) held in quarantine; most common problem: %(rule)s",
            quarantined=tr.number(quarantined), read=tr.number(read),
            share=tr.percent(100 * quarantined / read if read else None), rule=rules["rule"].iloc[0] if not rules.empty else "–",
        )
    else:
        info.title = tr("All %(read)s rows loaded; none held in quarantine", read=tr.number(read))
    info.caption = " ".join([
        tr("Rows loaded and quarantined per file (%(files)s files, %(read)s rows), and the most frequent quarantine rules.",
           files=tr.number(len(files)), read=tr.number(read)),
        tr("Counts only: quarantined values are never shown."),
        tr("Source: warehouse tables ingest_log and quarantine."),
    ])
    info.alt = tr("Bar chart of rows loaded and quarantined per file.") + " " + " ".join(
        tr("%(file)s: %(loaded)s loaded, %(quarantined)s quarantined.", file=r.source_file,
           loaded=tr.number(int(r.rows_loaded)), quarantined=tr.number(int(r.rows_quarantined)))
        for r in files.itertuples()
    )
    fig = plots.data_quality(
        files, rules, title=info.title, loaded_label=tr("loaded"), quarantined_label=tr("quarantined"),
        rows_label=tr("Rows"), rules_title=tr("Most frequent quarantine rules"), problems_label=tr("Problems found"),
        no_problems_label=tr("No row was quarantined."),
    )
    return _save(info, fig, out_dir)
