"""The results-framework chart: how far each target of a programme's logframe has come.

Targets are in different units (percent, a 0–25 score, people), so each is drawn on its
own baseline-to-target scale: 0 % is the baseline, 100 % the target, and the latest
published figure (with its 95% interval, rescaled the same way) sits where it has got
to. The colour is the progress label of the ``results`` table, which claims no more than
the report may (publish/results.py); the chart draws no label of its own. A target
without a published figure or baseline is written out as "not yet measurable", never
drawn as a point.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.charts import plots_programme
from pipelines.charts.info import ChartInfo, save_chart
from pipelines.publish.i18n import Translator, digits
from pipelines.publish.results import PROGRESS


def way_to_target(value: float | None, baseline: float | None, target: float) -> float | None:
    """``value`` as a percentage of the way from ``baseline`` (0) to ``target`` (100);
    None where it cannot be placed (no value, no baseline, or a target equal to the
    baseline). A fall towards a lower target is progress as much as a rise."""
    if value is None or baseline is None or pd.isna(value) or pd.isna(baseline) or target == baseline:
        return None
    return 100.0 * (float(value) - float(baseline)) / (float(target) - float(baseline))


def results_chart(results: pd.DataFrame, programmes: list[str], out_dir: Path, tr: Translator) -> list[ChartInfo]:
    """The chart of a programme's report; none for the all-programmes report, which has
    no results table (each programme's progress rests on its own claim family)."""
    if len(programmes) != 1 or results.empty:
        return []
    counts = results["progress"].value_counts()
    met, on_track = int(counts.get("target_met", 0)), int(counts.get("on_track", 0))
    info = ChartInfo(key="results", section="results", programme_id=programmes[0],
                     title=tr("%(met)s of %(total)s targets met, %(on_track)s more on track", met=tr.number(met),
                              total=tr.number(len(results)), on_track=tr.number(on_track)))
    rows = []
    for r in results.itertuples():
        place = way_to_target(r.actual, r.baseline, r.target)
        ends = [way_to_target(v, r.baseline, r.target) for v in (r.ci_low, r.ci_high)]
        low, high = (min(ends), max(ends)) if None not in ends else (None, None)
        rows.append({"label": r.name, "progress": r.progress, "way": place, "low": low, "high": high,
                     "text": _figure_text(tr, r)})
    frame = pd.DataFrame(rows)
    info.caption = " ".join([
        tr("Each target on its own scale: 0%% is the baseline, 100%% the target; the point is the latest published "
           "figure with its 95%% interval (register counts have none)."),
        tr("Colours are the progress labels of the results table, given only where the interval or a finding of "
           "this report supports them (see the results framework section)."),
        tr("Source: the programme's results framework file; warehouse table results."),
    ])
    info.alt = tr("Chart of progress towards each target.") + " " + " ".join(
        f"{r.name}: {tr(PROGRESS[r.progress])}; {text}." for r, text in zip(results.itertuples(), frame["text"],
                                                                          strict=True))
    fig = plots_programme.progress_rows(
        frame, title=info.title, xlabel=tr("Way from baseline (0%%) to target (100%%)"),
        labels={code: tr(text) for code, text in PROGRESS.items()}, unplaced=tr("not yet measurable"))
    return [save_chart(info, fig, out_dir)]


def _figure_text(tr: Translator, r) -> str:
    """The latest figure and the target as the results table prints them."""
    d = digits(r.indicator)

    def show(value) -> str:
        if value is None or pd.isna(value):
            return "–"
        return tr.percent(value, d) if r.unit == "percent" else tr.number(value, d)

    return tr("%(actual)s against a target of %(target)s", actual=show(r.actual), target=show(r.target))
