"""Dagster assets of the impact stage: impact_estimates, attrition, dose_response."""


import dagster as dg

from pipelines.impact.claims import check_config
from pipelines.impact.estimates import ImpactTables, build_impact
from pipelines.impact.tables import write_impact
from pipelines.defs.resources import AaiSettings
from pipelines.warehouse import WAREHOUSE_POOL, markdown_table

# indicators: estimates are withheld where its cells are suppressed (visible.sql)
INPUTS = ["indicator_observations", "indicators", "survey", "attendance", "groups"]
PREVIEW_ROWS = 20

DESCRIPTIONS = {
    "impact_estimates": (
        "What changed, for whom, and how sure we are: per indicator, programme, follow-up wave and "
        "breakdown (group, sex, age band; `all` for totals), the change from baseline among all "
        "participants (`change`), among people seen in both waves (`paired_change`) and against the "
        "comparison group (`did`), in percentage points for shares and score points for means, with "
        "95% intervals, p-values, the minimum detectable effect and a plain-language sentence. `role` "
        "says whether a row is one of the programme's primary tests (declared in the data root's aai.toml; "
        "by default every survey indicator at the programme total by the design's method) and `survives` "
        "whether it holds after Benjamini–Hochberg over those `family_size` tests: only those are findings. Intervals and tests count groups, not only people "
        "(CR2 with groups as clusters); a single group's change, or a programme with fewer than 4 groups, is "
        "described but not tested. No estimate from an arm-wave cell under the minimum cell size: the note says "
        "why. Methods: docs/impact.md."
    ),
    "attrition": (
        "Who was lost between waves: per programme, arm and follow-up wave, baseline respondents not "
        "interviewed again (indicator `all`), and per indicator whether those lost differed at baseline "
        "from those retained (lost minus retained, with a 95% interval; groups as clusters)."
    ),
    "dose_response": (
        "Change by attendance: participants seen in both waves split into thirds by sessions attended "
        "before their follow-up interview; mean change per third with a 95% interval and a trend test "
        "(the OLS slope of change on the third's rank), with groups as clusters."
    ),
}


@dg.multi_asset(
    specs=[dg.AssetSpec(name, deps=INPUTS, description=DESCRIPTIONS[name], kinds={"duckdb"})
           for name in ("impact_estimates", "attrition", "dose_response")],
    group_name="impact",
    pool=WAREHOUSE_POOL,
)
def impact_tables(context: dg.AssetExecutionContext, settings: AaiSettings):
    """Estimate change, DiD, attrition and dose-response from the warehouse and write them."""
    min_cell = settings.min_cell
    config = settings.claims()
    check_config(config)
    with settings.connect() as con:
        tables = build_impact(con, min_cell, config)
        hidden = write_impact(con, tables, min_cell)
    if hidden:
        context.log.info(f"{hidden} impact sizes hidden: with the published cells they would pin a small count")
    for note in tables.notes:
        context.log.info(note)
    yield dg.MaterializeResult(asset_key="impact_estimates", metadata=estimates_metadata(tables, min_cell))
    yield dg.MaterializeResult(asset_key="attrition", metadata={
        "rows": len(tables.attrition),
        "lost": dg.MetadataValue.md(markdown_table(tables.attrition[tables.attrition["indicator"] == "all"][
            ["programme_id", "arm", "wave", "n_baseline", "n_lost", "lost_pct"]])),
    })
    yield dg.MaterializeResult(asset_key="dose_response", metadata={
        "rows": len(tables.dose_response),
        "why_empty": _why_empty(tables) if tables.dose_response.empty else "",
    })


def estimates_metadata(tables: ImpactTables, min_cell: int) -> dict:
    est = tables.estimates
    meta: dict = {
        "rows": len(est),
        "min_cell": min_cell,
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in tables.notes) or "_none_"),
    }
    if est.empty:
        meta["why_empty"] = _why_empty(tables)
        return meta
    totals = est[(est["group_id"] == "all") & (est["sex"] == "all") & (est["age_band"] == "all")]
    meta.update(
        estimated=int(est["estimate"].notna().sum()),
        not_estimated=int(est["estimate"].isna().sum()),
        findings=int(est["survives"].fillna(False).sum()),
        claim_families=dg.MetadataValue.md(markdown_table(
            est[est["role"] == "primary"].groupby("programme_id", as_index=False)
            .agg(primary_tests=("family_size", "first"), findings=("survives", "sum"),
                 outcomes_tested=("n_outcomes", "first")))),
        totals=dg.MetadataValue.md(
            markdown_table(totals[["programme_id", "wave", "method", "sentence"]].head(PREVIEW_ROWS))),
    )
    return meta


def _why_empty(tables: ImpactTables) -> str:
    return " ".join(tables.notes) or "No input rows."
