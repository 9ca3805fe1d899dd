"""Plotting functions: a DataFrame and the words to print in, a Figure out.

Nothing here touches the warehouse, the file system or the translation catalogue:
callers pass every visible string, already translated and already stating the
finding, so the same function draws an English or a Ukrainian chart. Suppressed cells
arrive with NULL values and are never drawn; the chart says "suppressed" where they
would have been.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from pipelines.charts.style import ARM_COLOURS, MUTED, OKABE_ITO, PALETTE, chart_style, new_figure, rows_height

DOMAINS = ("D1", "D2", "D3", "D4")


def _colours(keys: Sequence[str]) -> dict[str, str]:
    return {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(keys)}


def domain_profile(
    df: pd.DataFrame,
    *,
    title: str,
    xlabel: str,
    domain_labels: Mapping[str, str],
    partial_label: str,
    partial_note: str,
    no_score_label: str,
    benchmarks: pd.DataFrame | None = None,
    benchmark_label: str = "",
) -> Figure:
    """Bars of the AAI domains (and the AAI), 0–100, in one panel per programme.

    Programmes get panels of their own, not bars side by side: each programme's scores
    rest on the indicators its own survey measured, so two programmes' bars are not a
    comparison, and the chart does not lay them out as one.

    ``benchmarks`` (item, value): published national or EU figures, drawn as black
    diamonds so the programme's bars can be read against them.

    ``df``: programme_id, item (D1–D4), value, partial, indicators_used,
    indicators_total. A partial domain is hatched and labelled with ``partial_note``
    (``%(used)s``/``%(total)s`` placeholders); a missing score is written, not drawn.
    """
    programmes = sorted(df["programme_id"].dropna().unique()) or [""]
    colours = _colours(programmes)
    items = DOMAINS + ("AAI",)
    marks = benchmarks if benchmarks is not None else pd.DataFrame(columns=["item", "value"])
    with chart_style():
        fig, axes = new_figure(rows_height(len(items) * len(programmes), per_row=0.42),
                               nrows=len(programmes), sharex=True, squeeze=False)
        for ax, programme in zip(axes[:, 0], programmes, strict=True):
            rows = df[df["programme_id"] == programme].set_index("item")
            for y, item in enumerate(items):
                value = rows.at[item, "value"] if item in rows.index else np.nan
                if pd.isna(value):
                    ax.text(1, y, no_score_label, va="center", fontsize=8, color=MUTED, style="italic")
                    continue
                partial = bool(rows.at[item, "partial"])
                ax.barh(y, value, height=0.7, color=colours[programme], alpha=0.55 if partial else 1.0,
                        hatch="///" if partial else None, edgecolor=colours[programme], linewidth=0.8)
                text = f"{value:.1f}"
                if partial:
                    text += "  " + partial_note % {"used": _whole(rows.at[item, "indicators_used"]),
                                                   "total": _whole(rows.at[item, "indicators_total"])}
                ax.text(value + 1, y, text, va="center", fontsize=8)
            for b in marks.itertuples():
                if b.item in items:
                    y = items.index(b.item)
                    ax.plot(b.value, y, marker="D", markersize=6, color=OKABE_ITO["black"], zorder=4, linestyle="none")
                    ax.vlines(b.value, y - 0.45, y + 0.45, color=OKABE_ITO["black"], linewidth=0.8, linestyle="--")
            ax.set_yticks(range(len(items)), [textwrap.fill(domain_labels.get(d, d), 28) for d in items])
            ax.set_ylim(len(items) - 0.5, -0.5)
            ax.set_xlim(0, 100)
            ax.grid(axis="y", visible=False)
            if len(programmes) > 1:
                ax.set_title(programme, loc="left", fontsize=9, fontweight="bold")
        axes[-1, 0].set_xlabel(xlabel)
        handles = [Patch(facecolor="white", edgecolor=MUTED, hatch="///", label=partial_label)]
        if not marks.empty:
            handles.append(Line2D([], [], marker="D", color=OKABE_ITO["black"], linestyle="none", label=benchmark_label))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def _whole(value: object) -> str:
    return "?" if value is None or pd.isna(value) else str(int(value))


def indicator_change(
    df: pd.DataFrame,
    *,
    title: str,
    panels: Sequence[tuple[str, str, float, float]],
    arm_labels: Mapping[str, str],
    baseline_label: str,
    followup_label: str,
    suppressed_label: str,
    suppressed_note: str,
    n_header: str,
) -> Figure:
    """Dumbbell chart: baseline (open) → follow-up (filled) with 95% intervals.

    ``df``: label (indicator, in display order), panel, arm, stage (``baseline`` or
    ``followup``), value, ci_low, ci_high, n, suppressed. One line per indicator and
    arm, participants above comparison. ``panels`` (key, x label, lowest, highest), in
    the order drawn: the rows whose ``panel`` is the key share one axis over that
    range, so a mean on its own scale (K6 distress, UCLA-3 3–9) is never read against the
    percentages. The right-hand column gives n at baseline → follow-up, or
    ``suppressed_label`` for a suppressed cell (its n is not shown).
    """
    arms = [arm for arm in ("participant", "comparison") if arm in set(df["arm"])]
    offsets = {"participant": -0.17, "comparison": 0.17} if len(arms) > 1 else {arms[0]: 0.0} if arms else {}
    labels = {key: list(dict.fromkeys(df.loc[df["panel"] == key, "label"])) for key, *_ in panels}
    lines = [max(1, len(labels[key])) * max(1, len(arms)) for key, *_ in panels]
    with chart_style():
        fig, axes = new_figure(
            rows_height(sum(lines), per_row=0.24) + 0.5 * (len(panels) - 1),
            nrows=len(panels), ncols=2, sharey="row", gridspec_kw={"width_ratios": [4.2, 1.0], "height_ratios": lines},
        )
        axes = np.atleast_2d(axes)
        for (key, xlabel, low, high), (ax, note_ax) in zip(panels, axes, strict=True):
            _change_panel(ax, note_ax, df[df["panel"] == key], labels[key], arms, offsets, suppressed_label)
            ax.set_xlim(low, high)
            ax.set_xlabel(xlabel)
        axes[0][1].set_title(n_header, fontsize=8, loc="left", fontweight="normal")
        handles = [Line2D([], [], color=ARM_COLOURS.get(a, "black"), marker="o", label=arm_labels.get(a, a)) for a in arms]
        handles += [
            Line2D([], [], color=MUTED, marker="o", markerfacecolor="white", linestyle="none", label=baseline_label),
            Line2D([], [], color=MUTED, marker="o", linestyle="none", label=followup_label),
            Line2D([], [], color="none", label=f"{suppressed_label}: {suppressed_note}"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(5, len(handles)), fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def _change_panel(ax, note_ax, df: pd.DataFrame, labels: list[str], arms: list[str], offsets: Mapping[str, float],
                  suppressed_label: str) -> None:
    """One axis of ``indicator_change``: its indicators' dumbbells, and their n beside."""
    for i, label in enumerate(labels):
        for arm in arms:
            y = i + offsets[arm]
            colour = ARM_COLOURS.get(arm, OKABE_ITO["black"])
            rows = df[(df["label"] == label) & (df["arm"] == arm)].set_index("stage")
            points = {}
            for stage in ("baseline", "followup"):
                if stage not in rows.index:
                    continue
                row = rows.loc[stage]
                if bool(row["suppressed"]) or pd.isna(row["value"]):
                    continue
                points[stage] = row["value"]
                if pd.notna(row["ci_low"]) and pd.notna(row["ci_high"]):
                    ax.hlines(y, row["ci_low"], row["ci_high"], color=colour, linewidth=1.1, alpha=0.6)
                ax.plot(
                    row["value"], y, marker="o", markersize=5.5, linestyle="none",
                    markerfacecolor="white" if stage == "baseline" else colour,
                    markeredgecolor=colour, markeredgewidth=1.3, zorder=3,
                )
            if len(points) == 2:
                ax.annotate(
                    "", xy=(points["followup"], y), xytext=(points["baseline"], y),
                    arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 1.6, "alpha": 0.8},
                )
            note_ax.text(0.0, y, _n_note(rows, suppressed_label), va="center", fontsize=7.5, color=colour)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    note_ax.set_axis_off()


def _n_note(rows: pd.DataFrame, suppressed_label: str) -> str:
    """n at baseline → follow-up; a suppressed cell shows its label, never its n."""
    parts = []
    for stage in ("baseline", "followup"):
        if stage not in rows.index:
            parts.append("–")
        elif bool(rows.loc[stage, "suppressed"]):
            parts.append(suppressed_label)
        else:
            parts.append(_whole(rows.loc[stage, "n"]))
    return " → ".join(parts)


def wrap(title: str, width: int = 68) -> str:
    """Break a long finding over lines so the figure keeps the A4 text width."""
    return "\n".join(textwrap.wrap(title, width)) or title


def attendance(
    df: pd.DataFrame,
    *,
    title: str,
    sessions_label: str,
    people_label: str,
    suppressed_label: str,
    month_tick: Callable[[date], str],
    partial: Sequence[pd.Timestamp] = (),
    partial_label: str = "",
) -> Figure:
    """Two panels sharing the month axis: sessions held, people attending.

    ``df``: month, programme_id, sessions, people (NULL where suppressed),
    people_suppressed. One line per programme; a suppressed month is a grey cross
    above the panel, never a value on the axis (where it would read as nobody). A
    ``partial`` month (registers start or stop within it) gets hollow markers, so a
    half month does not read as a drop. ``month_tick`` writes the axis's months in the
    report's language.
    """
    programmes = sorted(df["programme_id"].dropna().unique())
    colours = _colours(programmes)
    with chart_style():
        fig, (ax_s, ax_p) = new_figure(4.6, nrows=2, sharex=True)
        for programme in programmes:
            part = df[df["programme_id"] == programme].sort_values("month")
            ax_s.plot(part["month"], part["sessions"], marker="o", markersize=3, color=colours[programme], label=programme)
            people = part["people"].astype("float64")
            ax_p.plot(part["month"], people, marker="o", markersize=3, color=colours[programme])
            cut = part["month"].isin(partial)
            for ax, values in ((ax_s, part["sessions"]), (ax_p, people)):
                ax.plot(part["month"][cut], values[cut], marker="o", markersize=5, linestyle="none",
                        markerfacecolor="white", color=colours[programme], zorder=3)
            hidden = part[part["people_suppressed"].astype(bool)]
            if not hidden.empty:
                ax_p.plot(hidden["month"], [1.04] * len(hidden), marker="x", linestyle="none", color=MUTED,
                          clip_on=False, transform=ax_p.get_xaxis_transform())
        ax_s.set_ylabel(sessions_label)
        ax_p.set_ylabel(people_label)
        for ax in (ax_s, ax_p):
            ax.set_ylim(bottom=0)
            ax.yaxis.get_major_locator().set_params(integer=True)
        ax_p.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax_p.xaxis.set_major_formatter(FuncFormatter(lambda x, _: month_tick(mdates.num2date(x).date())))
        handles, _ = ax_s.get_legend_handles_labels()
        if df["people_suppressed"].astype(bool).any():
            handles.append(Line2D([], [], marker="x", linestyle="none", color=MUTED, label=suppressed_label))
        if df["month"].isin(partial).any():
            handles.append(Line2D([], [], marker="o", markersize=5, linestyle="none", color=MUTED,
                                  markerfacecolor="white", label=partial_label))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
    return fig


def data_quality(
    files: pd.DataFrame,
    rules: pd.DataFrame,
    *,
    title: str,
    loaded_label: str,
    quarantined_label: str,
    rows_label: str,
    rules_title: str,
    problems_label: str,
    no_problems_label: str,
) -> Figure:
    """Top: rows loaded and quarantined per file (stacked). Bottom: top quarantine rules.

    ``files``: source_file, rows_loaded, rows_quarantined. ``rules``: label,
    problems — counts only; values never reach a chart.
    """
    n_files, n_rules = max(1, len(files)), max(1, len(rules))
    with chart_style():
        fig, (ax_f, ax_r) = new_figure(
            rows_height(n_files + n_rules, per_row=0.25, base=1.8, minimum=3.2),
            nrows=2, gridspec_kw={"height_ratios": [n_files + 0.8, n_rules + 0.8]},
        )
        y = np.arange(len(files))
        ax_f.barh(y, files["rows_loaded"], color=OKABE_ITO["bluish_green"], label=loaded_label)
        ax_f.barh(y, files["rows_quarantined"], left=files["rows_loaded"], color=OKABE_ITO["vermillion"],
                  label=quarantined_label)
        for yi, (loaded, quarantined) in enumerate(zip(files["rows_loaded"], files["rows_quarantined"], strict=True)):
            ax_f.text(loaded + quarantined, yi, f" {int(loaded):,} + {int(quarantined):,}", va="center", fontsize=7.5)
        ax_f.set_yticks(y, [_shorten(f) for f in files["source_file"]])
        ax_f.invert_yaxis()
        ax_f.set_xlabel(rows_label)
        ax_f.margins(x=0.18)
        ax_f.grid(axis="y", visible=False)
        ax_f.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, fontsize=8)
        fig.suptitle(wrap(title), x=0.01, ha="left", fontsize=11, fontweight="bold")
        if rules.empty:
            ax_r.set_axis_off()
            ax_r.text(0, 0.5, no_problems_label, fontsize=9, color=MUTED, transform=ax_r.transAxes)
        else:
            yr = np.arange(len(rules))
            ax_r.barh(yr, rules["problems"], color=OKABE_ITO["vermillion"])
            for yi, count in enumerate(rules["problems"]):
                ax_r.text(count, yi, f" {int(count):,}", va="center", fontsize=7.5)
            ax_r.set_yticks(yr, rules["label"])
            ax_r.invert_yaxis()
            ax_r.set_xlabel(problems_label)
            ax_r.margins(x=0.12)
            ax_r.grid(axis="y", visible=False)
            ax_r.xaxis.get_major_locator().set_params(integer=True)
            ax_r.set_title(rules_title, fontsize=9.5)
    return fig


def _shorten(text: str, width: int = 42) -> str:
    """Long paths keep their end, which names the file."""
    return text if len(text) <= width else "…" + text[-(width - 1):]
