"""Impact: what changed, for whom, and how sure we are.

`build_impact(con, min_cell)` computes the tables `impact_estimates`, `attrition` and
`dose_response` from `indicator_observations`, `survey` and `attendance`; `assets.py`
writes them. Methods and wording: docs/impact.md.
"""

from pipelines.impact.estimates import ImpactTables, build_impact

__all__ = ["ImpactTables", "build_impact"]
