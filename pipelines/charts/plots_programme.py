"""Plots of what a programme delivered and for whom it worked: groups over time,
retention, dose-response. Same contract as ``plots``: a DataFrame and every visible
word in, a Figure out; suppressed values arrive as NULL and are never drawn.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pipelines.charts.plots import wrap
from pipelines.charts.style import MUTED, OKABE_ITO, PALETTE, chart_style, new_figure, rows_height


def groups_timeline(df: pd.DataFrame, *, title: str, started_label: str, meeting_label: str, ylabel: str,
                    hidden_label: str) -> Figure:
    """Groups started (cumulative) and groups not yet ended, per year; one colour per
    series. ``df``: year, started, meeting (NULL where hidden: a grey cross above the panel)."""
    with chart_style():
        fig, ax = new_figure(3.0)
        for column, label, colour, marker in (("started", started_label, OKABE_ITO["blue"], "o"),
                                              ("meeting", meeting_label, OKABE_ITO["bluish_green"], "s")):
            values = df[column].astype("float64")
            ax.step(df["year"], values, where="post", color=colour, label=label)
            ax.plot(df["year"], values, marker=marker, markersize=3.5, linestyle="none", color=colour)
        hidden = df[df["started"].isna()]
        if not hidden.empty:
            # above the panel, not on the axis, where it would read as "none"
            ax.plot(hidden["year"], [1.04] * len(hidden), marker="x", linestyle="none", color=MUTED, clip_on=False,
                    label=hidden_label, transform=ax.get_xaxis_transform())
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="upper left", fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def share_bars(df: pd.DataFrame, *, title: str, xlabel: str, suppressed_label: str) -> Figure:
    """One row per (label, programme): a share with its 95% interval, 0–100.

    ``df``: label, programme_id, value, ci_low, ci_high (NULL where suppressed)."""
    programmes = sorted(df["programme_id"].unique())
    colours = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(programmes)}
    labels = list(dict.fromkeys(df["label"]))
    band = 0.8 / max(1, len(programmes))
    with chart_style():
        fig, ax = new_figure(rows_height(len(labels) * len(programmes), per_row=0.28))
        for i, label in enumerate(labels):
            for p, programme in enumerate(programmes):
                y = i - 0.4 + band * (p + 0.5)
                row = df[(df["label"] == label) & (df["programme_id"] == programme)]
                if row.empty:
                    continue
                r = row.iloc[0]
                if pd.isna(r["value"]):
                    ax.text(1, y, suppressed_label, va="center", fontsize=7.5, color=MUTED, style="italic")
                    continue
                ax.barh(y, r["value"], height=band * 0.85, color=colours[programme], alpha=0.85)
                if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]):
                    ax.hlines(y, r["ci_low"], r["ci_high"], color="black", linewidth=1)
                # inside the bar's start: a value near 100 would collide with its interval
                ax.text(1.5, y, f"{r['value']:.1f}", va="center", fontsize=7.5, color="white", fontweight="bold")
        ax.set_yticks(range(len(labels)), [wrap(lab, 34) for lab in labels])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        if len(programmes) > 1:
            ax.legend(handles=[Line2D([], [], color=colours[p], linewidth=6, label=p) for p in programmes],
                      loc="lower right", fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def dose_response(df: pd.DataFrame, *, title: str, xlabel: str, third_labels: Mapping[int, str]) -> Figure:
    """Change (with 95% interval) per third of sessions attended, one line per indicator.

    ``df``: label, tertile (1–3), change, ci_low, ci_high."""
    labels = list(dict.fromkeys(df["label"]))
    colours = {1: OKABE_ITO["sky_blue"], 2: OKABE_ITO["blue"], 3: OKABE_ITO["black"]}
    offsets = {1: -0.22, 2: 0.0, 3: 0.22}
    with chart_style():
        fig, ax = new_figure(rows_height(len(labels) * 1.6, per_row=0.28))
        for i, label in enumerate(labels):
            for r in df[df["label"] == label].itertuples():
                y = i + offsets.get(int(r.tertile), 0.0)
                if pd.isna(r.change):
                    continue
                if pd.notna(r.ci_low) and pd.notna(r.ci_high):
                    ax.hlines(y, r.ci_low, r.ci_high, color=colours[int(r.tertile)], linewidth=1.1)
                ax.plot(r.change, y, marker="o", markersize=4.5, color=colours[int(r.tertile)])
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.set_yticks(np.arange(len(labels)), [wrap(lab, 34) for lab in labels])
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.legend(handles=[Line2D([], [], color=colours[t], marker="o", label=third_labels[t]) for t in (1, 2, 3)],
                  loc="lower right", fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


# the results table's progress labels (publish/results.py), in the order of the legend
PROGRESS_COLOURS = {"target_met": OKABE_ITO["bluish_green"], "on_track": OKABE_ITO["blue"],
                    "no_clear_progress": MUTED, "not_on_track": OKABE_ITO["vermillion"]}


def progress_rows(df: pd.DataFrame, *, title: str, labels: Mapping[str, str], baseline_label: str,
                  target_label: str) -> Figure:
    """One panel per target, each in its own unit: the baseline (hollow circle), the
    target (black line) and the latest figure with its interval, coloured by its
    progress label; a figure not published is not drawn (``text`` says so).

    ``df``: label, text (written under the label), progress, value, low, high,
    baseline, target (NULL where not published), tick (formats the panel's numbers)."""
    with chart_style():
        fig, axes = new_figure(max(2.0, 0.62 * len(df) + 1.0), nrows=len(df))
        axes = np.atleast_1d(axes)
        for ax, r in zip(axes, df.itertuples(), strict=True):
            known = [v for v in (r.baseline, r.target, r.value, r.low, r.high) if v is not None and pd.notna(v)]
            span = (max(known) - min(known)) or max(abs(r.target) * 0.5, 1.0)
            ax.set_xlim(min(known) - 0.15 * span, max(known) + 0.15 * span)
            ax.set_ylim(-1, 1)
            ax.axvline(r.target, color="black", linewidth=1.4)
            if pd.notna(r.baseline):
                ax.plot([r.baseline], [0], marker="o", markersize=6, markerfacecolor="white", color=MUTED,
                        linestyle="none")
            if pd.notna(r.value):
                colour = PROGRESS_COLOURS.get(r.progress, MUTED)
                if pd.notna(r.low) and pd.notna(r.high):
                    ax.hlines(0, r.low, r.high, color=colour, linewidth=2, alpha=0.6)
                ax.plot([r.value], [0], marker="o", markersize=6, color=colour, linestyle="none")
            ax.set_yticks([0], [f"{wrap(str(r.label), 34)}\n{r.text}"], fontsize=7.5)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _, tick=r.tick: tick(x)))
            ax.tick_params(axis="x", labelsize=7)
            ax.grid(axis="y", visible=False)
        shown = [code for code in PROGRESS_COLOURS if code in set(df.loc[df["value"].notna(), "progress"])]
        handles = [Line2D([], [], marker="o", markerfacecolor="white", color=MUTED, linestyle="none",
                          label=baseline_label),
                   Line2D([], [], color="black", linewidth=1.4, label=target_label),
                   *(Line2D([], [], color=PROGRESS_COLOURS[c], marker="o", linestyle="none", label=labels[c])
                     for c in shown)]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), fontsize=7.5,
                   frameon=False)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig
