"""Inference that respects the design: people sit in a few groups.

Pure functions, no Dagster, shared by the indicator and impact stages:

- ``cr2``: CR2 cluster-robust variance with Satterthwaite degrees of freedom for any
  contrast of cell means, from per-(cluster, cell) aggregates, vectorised over many
  estimates (Bell & McCaffrey 2002; Imbens & Kolesár 2016; Pustejovsky & Tipton 2018).
- ``contrast``: the interval, the p-value and the minimum detectable effect of a
  contrast from one t, so an interval and its test never disagree.
- ``levels``: intervals for a share or a mean that stay inside the scale (Wilson;
  Korn & Graubard 1998).

``MIN_CLUSTERS``: below this many groups no interval or test is published. In the
coverage study (``bench/inference.py``; docs/impact.md, "Coverage study") every
published interval covers 94.0–96.8 % from 4 groups on; with 3 groups the DiD interval
over-covers (97.5 %), the intervals rest on two degrees of freedom for the spread
between groups, and the tests have almost no power.
"""

from pipelines.inference.contrast import contrast_range, mde, t_test
from pipelines.inference.cr2 import Blocks, Fit, Singletons, cr2
from pipelines.inference.levels import level_interval, scale_family, wilson

MIN_CLUSTERS = 4

__all__ = [
    "MIN_CLUSTERS",
    "Blocks",
    "Fit",
    "Singletons",
    "contrast_range",
    "cr2",
    "level_interval",
    "mde",
    "scale_family",
    "t_test",
    "wilson",
]
