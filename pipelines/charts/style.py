"""One look for every chart: Okabe–Ito colours, A4-legible sizes, Cyrillic-safe fonts.

Figures are made with ``matplotlib.figure.Figure`` directly, never through pyplot, so
nothing is registered in pyplot's global figure list and nothing can leak between
runs (matplotlib's own advice for servers); ``save_figure`` still closes through
pyplot in case a caller handed it a pyplot figure. The Agg backend is set here, before
anything draws.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.figure import Figure  # noqa: E402

from pipelines.files import replacing  # noqa: E402

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common
# colour-vision deficiency, and in greyscale print when paired with markers/hatching.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Yellow last: it is hard to read as a thin line on white.
PALETTE = [
    OKABE_ITO[name]
    for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]
ARM_COLOURS = {"participant": OKABE_ITO["blue"], "comparison": OKABE_ITO["orange"]}
MUTED = "#6B6B6B"  # grey for notes such as "suppressed"
GRID = "#DDDDDD"

# A4 with 20 mm margins leaves 170 mm of text width: charts are drawn at that width so
# 9–11 pt text stays 9–11 pt on paper and in the PDF.
TEXT_WIDTH_IN = 170 / 25.4
PNG_DPI = 200
FONT_FAMILY = ["DejaVu Sans"]  # ships with matplotlib; covers Latin, Cyrillic, Greek

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILY,
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.5,
    "axes.edgecolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
    # Text as paths: the SVG needs no font on the reader's machine, and a fixed hash
    # salt keeps element ids (and so the file) the same from run to run.
    "svg.fonttype": "path",
    "svg.hashsalt": "aai-impact",
    "pdf.fonttype": 42,
}


@contextmanager
def chart_style() -> Iterator[None]:
    """Apply the shared style for the duration of drawing and saving."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(height_in: float, *, nrows: int = 1, ncols: int = 1, squeeze: bool = True,
               **subplot_kw) -> tuple[Figure, object]:
    """A figure at A4 text width; ``height_in`` grows with the rows a chart shows."""
    fig = Figure(figsize=(TEXT_WIDTH_IN, height_in), layout="constrained")
    axes = fig.subplots(nrows=nrows, ncols=ncols, squeeze=squeeze, **subplot_kw)
    return fig, axes


def rows_height(rows: int, *, per_row: float = 0.28, base: float = 1.4, minimum: float = 2.6) -> float:
    """Figure height for a chart with one line per category."""
    return max(minimum, base + per_row * rows)


def save_figure(fig: Figure, stem: Path, *, title: str, alt: str) -> tuple[Path, Path]:
    """Write ``stem.png`` and ``stem.svg``; keep the title and alt text inside both.

    Metadata that changes between runs (software version, date) is left out, so the
    same data gives the same files.
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    with chart_style(), replacing(png) as png_part, replacing(svg) as svg_part:
        fig.savefig(png_part, format="png", dpi=PNG_DPI, metadata={"Software": None, "Title": title, "Description": alt})
        fig.savefig(svg_part, format="svg", metadata={"Date": None, "Creator": None, "Title": title, "Description": alt})
    plt.close(fig)
    return png, svg
