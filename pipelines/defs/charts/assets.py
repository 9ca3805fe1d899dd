"""The ``charts`` asset: every report chart as PNG and SVG under ``processed/charts/``."""

import base64
import io

import dagster as dg
from PIL import Image

from pipelines.charts.build import ChartInfo, build_charts
from pipelines.defs.resources import AaiSettings

CHART_INPUTS = ["indicators", "domain_scores", "ingest_log", "quarantine", "attendance", "groups"]
PREVIEW_WIDTH = 480


@dg.asset(deps=CHART_INPUTS, kinds={"matplotlib", "duckdb"}, group_name="report")
def charts(context: dg.AssetExecutionContext, settings: AaiSettings) -> dg.MaterializeResult:
    """Charts for the report, drawn from the warehouse as PNG and SVG.

    - **attendance** — sessions held and people attending per month, per programme.
    - **groups** — groups started and not yet ended per year; **retention** — retention
      at 3 and 6 months, return after a gap, attendance rate.
    - **domain_profile** — AAI domain scores D1–D4 of participants at the latest wave;
      hatched bars are partial domains (not every indicator available); black diamonds
      are published EU figures.
    - **indicator_change_<programme>** — each AAI indicator at baseline and the latest
      follow-up with 95% intervals, participants against the comparison group.
    - **dose_response_<programme>** — change by third of sessions attended.
    - **data_quality** — rows loaded and quarantined per file, top quarantine rules.

    Reads `indicators_public`, never `indicators`: a suppressed cell (fewer than
    `$AAI_MIN_CELL` respondents, default 5) is never drawn, only labelled. A chart
    whose data is not there yet (no follow-up wave, no attendance) is skipped and the
    report says what is missing. `manifest.json` lists titles, captions and alt text.
    """
    out_dir = settings.paths.charts
    with settings.connect(read_only=True) as con:
        built = build_charts(con, out_dir, min_cell=settings.min_cell)
    drawn = [c for c in built if c.available]
    for chart in built:
        if not chart.available:
            context.log.info("Chart %s not drawn: %s", chart.key, chart.message)
    metadata: dict[str, object] = {
        "charts_dir": dg.MetadataValue.path(str(out_dir)),
        "charts_drawn": len(drawn),
        "charts_missing": dg.MetadataValue.md(
            "\n".join(f"- **{c.key}**: {c.message}" for c in built if not c.available) or "none"
        ),
        "files": dg.MetadataValue.md("\n".join(f"- `{c.png}`\n- `{c.svg}`" for c in drawn) or "none"),
    }
    if drawn:
        metadata["preview"] = dg.MetadataValue.md(_preview(drawn[0]))
    return dg.MaterializeResult(metadata=metadata)


def _preview(chart: ChartInfo) -> str:
    """A small PNG of one chart, inline, so the UI shows it without opening files."""
    with Image.open(chart.png) as image:
        image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 4))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"**{chart.title}**\n\n![{chart.key}](data:image/png;base64,{encoded})"
