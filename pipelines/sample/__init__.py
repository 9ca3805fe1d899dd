"""Sample data: the bundled demo data set and large files for benchmarks.

``generate`` writes the demo files that ``make sample`` puts in ``data/raw/`` (and
``write_frameworks`` the results frameworks beside it, in ``data/frameworks/``): three
programmes' groups, surveys and attendance registers, messy the way real files are,
with the mistakes listed in ``PLANTED_PROBLEMS`` and a programme effect whose size is
in ``EFFECTS``, and the implausible values of ``PLANTED_OUTLIERS``. ``write_groups`` and ``write_attendance`` write large canonical files
for the ingestion benchmark.
"""

from pipelines.sample.bulk import write_attendance, write_groups
from pipelines.sample.frameworks import write_frameworks
from pipelines.sample.generator import generate
from pipelines.sample.outliers import PLANTED_OUTLIERS, PlantedOutlier
from pipelines.sample.people import EFFECTS, PlantedEffect
from pipelines.sample.problems import PLANTED_PROBLEMS, PlantedProblem
from pipelines.sample.world import AS_OF

__all__ = [
    "AS_OF",
    "EFFECTS",
    "PLANTED_OUTLIERS",
    "PLANTED_PROBLEMS",
    "PlantedEffect",
    "PlantedOutlier",
    "PlantedProblem",
    "generate",
    "write_attendance",
    "write_frameworks",
    "write_groups",
]
