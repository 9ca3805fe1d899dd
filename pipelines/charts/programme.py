"""Charts of outputs and of who benefited: groups over time, retention, dose-response.

Counts of groups and people come from ``indicators_public`` wherever the indicators
stage publishes them, so a chart never shows what its tables hide; the yearly group
timeline (not a table of the warehouse) hides every point under the minimum cell size
and is drawn only for programmes whose own group count is published.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.charts import plots_programme
from pipelines.charts.info import ChartInfo, save_chart
from pipelines.files import slugs
from pipelines.publish.readers import latest_wave
from pipelines.publish.i18n import Translator, digits

RETENTION = ("P.retention_3m", "P.retention_6m", "P.return_after_gap", "P.attendance_rate")


def _total(indicators: pd.DataFrame, code: str) -> pd.DataFrame:
    return indicators[(indicators["indicator"] == code) & ~indicators["suppressed"]]


def groups_chart(timeline: pd.DataFrame, indicators: pd.DataFrame, programmes: list[str], out_dir: Path,
                 tr: Translator, min_cell: int) -> ChartInfo:
    info = ChartInfo(key="groups", section="sustainability", title=tr("Groups started and still meeting"))
    published = _total(indicators, "P.groups_started")
    shown = sorted(set(published["programme_id"]) & set(programmes))
    timeline = timeline[timeline["programme_id"].isin(shown)]
    if timeline.empty:
        info.message = tr("Groups over time are not shown: no programme here has %(min)s or more registered groups.",
                          min=min_cell)
        return info
    years = timeline.groupby("year", as_index=False)[["started", "meeting"]].sum()
    for column in ("started", "meeting"):
        years[column] = years[column].astype("Float64").mask(years[column] < min_cell)
    started = int(published[published["programme_id"].isin(shown)]["value"].sum())
    meeting = _share_count(indicators, "P.groups_meeting", shown)
    self_run = _share_count(indicators, "P.groups_self_run", shown)
    first = int(timeline.loc[timeline["started"] > 0, "year"].min())
    info.title = tr("%(started)s groups started since %(first)s; %(meeting)s still meeting, %(self_run)s run by "
                    "their members", started=tr.number(started), first=first,
                    meeting=tr.number(meeting) if meeting is not None else tr("suppressed"),
                    self_run=tr.number(self_run) if self_run is not None else tr("suppressed"))
    info.n = started
    hidden = sorted(set(programmes) - set(shown))
    info.caption = " ".join(filter(None, [
        tr("Groups started (cumulative) and groups without an end date, by year; still meeting means a session "
           "in the last 8 weeks of the data period; self-run is the group's status today."),
        tr("Years with fewer than %(min)s groups are not drawn.", min=min_cell),
        tr("Not shown (fewer than %(min)s groups): %(list)s.", min=min_cell, list=", ".join(hidden)) if hidden else "",
        tr("Source: group register; warehouse tables groups and indicators_public."),
    ]))
    info.alt = tr("Step chart of groups started and groups not yet ended per year.") + " " + " ".join(
        tr("%(year)s: %(started)s started, %(meeting)s not ended.", year=int(r.year),
           started=tr.number(r.started) if pd.notna(r.started) else tr("suppressed"),
           meeting=tr.number(r.meeting) if pd.notna(r.meeting) else tr("suppressed"))
        for r in years.itertuples())
    fig = plots_programme.groups_timeline(
        years, title=info.title, started_label=tr("groups started"), meeting_label=tr("groups not ended"),
        ylabel=tr("Groups"), hidden_label=tr("fewer than %(min)s", min=min_cell))
    return save_chart(info, fig, out_dir)


def _share_count(indicators: pd.DataFrame, code: str, programmes: list[str]) -> int | None:
    """Groups meeting or self-run, from the published share and its published base."""
    rows = _total(indicators, code)
    rows = rows[rows["programme_id"].isin(programmes)]
    if len(rows) < len(programmes) or rows.empty:
        return None
    return int(round((rows["value"] * rows["n"] / 100).sum()))


def retention_chart(indicators: pd.DataFrame, out_dir: Path, tr: Translator, min_cell: int) -> ChartInfo:
    info = ChartInfo(key="retention", section="sustainability", title=tr("Retention and return"))
    df = indicators[indicators["indicator"].isin(RETENTION)].copy()
    if df.empty:
        info.message = tr("No retention figures yet: the attendance registers are empty or missing.")
        return info
    df["label"] = df["indicator"].map(tr.indicator)
    df["order"] = df["indicator"].map(RETENTION.index)
    df = df.sort_values(["order", "programme_id"])
    r6 = df[(df["indicator"] == "P.retention_6m") & ~df["suppressed"]]
    if not r6.empty:
        low = r6.loc[r6["value"].idxmin()]
        info.title = tr("%(share)s of participants or more were still attending 6 months after they joined",
                        share=tr.percent(low["value"], 0))
    info.n = int(df.loc[~df["suppressed"], "n"].max()) if (~df["suppressed"]).any() else None
    info.caption = " ".join([
        tr("Retention: still attending 3 and 6 months after the first session; return: came back after 4 weeks or "
           "more away while the group met; attendance rate: sessions attended of those held. 95%% intervals."),
        tr("n (memberships): %(list)s.", list="; ".join(
            f"{r.programme_id} {tr.number(r.n)}" for r in df[df["indicator"] == "P.retention_3m"].itertuples()
            if not r.suppressed) or "–"),
        tr("Figures for fewer than %(min)s people are suppressed.", min=min_cell),
        tr("Source: attendance registers; warehouse view indicators_public."),
    ])
    hidden = tr("suppressed")
    info.alt = tr("Bar chart of retention, return after a gap and attendance rate.") + " " + " ".join(
        f"{r.label}, {r.programme_id}: {hidden if r.suppressed else tr.percent(r.value)}."
        for r in df.itertuples())
    fig = plots_programme.share_bars(df, title=info.title, xlabel=tr("Percent"),
                                     suppressed_label=tr("suppressed"))
    return save_chart(info, fig, out_dir)


def dose_title(tr: Translator, programme: str, tests: int) -> str:
    """A dose chart's title states no trend, whatever its p-values: dose-response is
    exploratory (``pipelines.impact.claims``), so the smallest of many uncorrected trend tests
    is never a finding; the title says so and how many tests the chart draws from."""
    return tr("%(programme)s: change by sessions attended, exploratory and not corrected (trend tests: %(k)s)",
              programme=programme, k=tr.number(tests))


def dose_charts(dose: pd.DataFrame, out_dir: Path, tr: Translator, top: int = 8) -> list[ChartInfo]:
    """One chart per programme: the indicators with the strongest trend by attendance."""
    charts = []
    names = slugs(dose["programme_id"].unique())  # one file each, even where case is not told apart
    for programme, rows in dose.groupby("programme_id"):
        wave = latest_wave(rows)
        rows = rows[rows["wave"] == wave]
        tests = rows.loc[rows["trend_p"].notna(), "indicator"].nunique()
        info = ChartInfo(key=f"dose_response_{names[str(programme)]}", section="impact", programme_id=str(programme),
                         title=dose_title(tr, str(programme), tests))
        strongest = rows.drop_duplicates("indicator").sort_values(["trend_p", "indicator"]).head(top)["indicator"]
        df = rows[rows["indicator"].isin(strongest)].copy()
        df["label"] = df["indicator"].map(tr.indicator)
        people = df.groupby("indicator")["n"].sum()
        info.n = int(people.max())
        info.caption = " ".join([
            tr("Change from baseline to %(wave)s among participants interviewed in both waves, by third of sessions "
               "attended, with 95%% intervals; the %(k)s indicators with the strongest trend.",
               wave=tr.wave(wave), k=tr.number(len(strongest))),
            tr("n (people in the three thirds): up to %(n)s.", n=tr.number(info.n)),
            tr("Exploratory and observational: people who attend more may differ in other ways, and the trend "
               "p-values are not corrected for the report's many tests, so no trend here is a finding."),
            tr("Source: programme surveys and attendance registers; warehouse table dose_response."),
        ])
        thirds = {k: tr("third %(k)s", k=k) for k in (1, 2, 3)}
        info.alt = tr("Dot chart of change by third of sessions attended.") + " " + " ".join(
            tr("%(indicator)s: %(values)s.", indicator=label, values=", ".join(
                f"{thirds[int(r.tertile)]} {tr.number(r.change, digits(r.indicator))}"
                for r in part.itertuples()))
            for label, part in df.groupby("label", sort=False))
        fig = plots_programme.dose_response(df, title=info.title, xlabel=tr("Change (percentage points or score)"),
                                            third_labels=thirds)
        charts.append(save_chart(info, fig, out_dir))
    return charts
