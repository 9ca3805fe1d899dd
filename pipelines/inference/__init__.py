"""Inference that respects the design: people sit in a few groups.

Pure functions, no Dagster, shared by the indicator and impact stages:

- ``cr2``: CR2 cluster-robust variance with Satterthwaite degrees of freedom for any
  contrast of cell means, from per-(cluster, cell) aggregates, vectorised over many
  estimates (Bell & McCaffrey 2002; Imbens & Kolesár 2016; Pustejovsky & Tipton 2018).
- ``contrast``: the interval, the p-value and the minimum detectable effect of a
  contrast from one t, so an interval and its test never disagree.
- ``levels``: intervals for a share or a mean that stay inside the scale (Wilson;
  Korn & Graubard 1998).

``MIN_CLUSTERS``: below this many groups no interval is honest, so none is given.
With 3 groups the study in ``bench/inference.py`` finds intervals that cover more
than 97 % (they are almost uninformative), and no method can tell a programme from
what happened to each of its groups; from 4 groups coverage is 93–97 % in every
setting (docs/impact.md, "Coverage study").
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
