"""The results-framework chart: how far each target of a programme's logframe has come.

Targets are in different units (percent, a score, people) and aim up or down, so each
gets a panel in its own unit: the baseline, the target, and the latest published figure
with its 95% interval. The colour is the progress label of the ``results`` table, which
claims no more than the report may (publish/results.py); the chart decides no label of
its own. A target without a published figure is written out as "not yet measurable",
never drawn as a point.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.charts import plots_programme
from pipelines.charts.info import ChartInfo, save_chart
from pipelines.publish.i18n import Translator
from pipelines.publish.results import PROGRESS


def results_chart(results: pd.DataFrame, out_dir: Path, tr: Translator) -> list[ChartInfo]:
    """The chart of a programme's report with a results framework; none without one, as
    in the all-programmes report (each programme's progress rests on its own claim
    family, so the report stage sets ``results`` for a programme's report only)."""
    if results.empty:
        return []
    counts = results["progress"].value_counts()
    met, on_track = int(counts.get("target_met", 0)), int(counts.get("on_track", 0))
    info = ChartInfo(key="results", section="results", programme_id=str(results["programme_id"].iloc[0]),
                     title=tr("%(met)s of %(total)s targets met, %(on_track)s more on track", met=tr.number(met),
                              total=tr.number(len(results)), on_track=tr.number(on_track)))
    rows = []
    for r in results.itertuples():
        rows.append({"label": r.name, "text": _figure_text(tr, r), "progress": r.progress, "value": r.actual,
                     "low": r.ci_low, "high": r.ci_high, "baseline": r.baseline, "target": r.target,
                     "tick": lambda x, code=r.indicator: tr.figure(x, code)})
    frame = pd.DataFrame(rows)
    info.caption = " ".join([
        tr("Each target in its own unit: the hollow circle is the baseline, the black line the target, and the point "
           "the latest published figure with its 95%% interval (register counts, which count everyone, have none)."),
        tr("Colours are the progress labels of the results table, given only where the interval or a finding of "
           "this report supports them (see the results framework section)."),
        tr("Source: the programme's results framework file; warehouse table results."),
    ])
    info.alt = tr("Chart of progress towards each target.") + " " + " ".join(
        f"{r.name}: {text}." if r.progress == "not_measurable" else f"{r.name}: {tr(PROGRESS[r.progress])}; {text}."
        for r, text in zip(results.itertuples(), frame["text"], strict=True))
    fig = plots_programme.progress_rows(
        frame, title=info.title, labels={code: tr(text) for code, text in PROGRESS.items()},
        baseline_label=tr("baseline"), target_label=tr("target"))
    return [save_chart(info, fig, out_dir)]


def _figure_text(tr: Translator, r) -> str:
    """The latest figure and the target as the results table prints them."""
    target = tr.figure(r.target, r.indicator)
    if r.actual is None or pd.isna(r.actual):
        return tr("not yet measurable; target %(target)s", target=target)
    return tr("%(actual)s against a target of %(target)s", actual=tr.figure(r.actual, r.indicator), target=target)
