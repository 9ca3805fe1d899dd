"""Data flows one way: ingest → validate → indicators → impact → publish → charts →
report. A module may import its own stage, an earlier one, or a shared module; never a
later stage. ``defs`` (the Dagster graph), ``cli``, ``definitions`` and ``instance``
(the check of the Dagster instance) wire the stages together and may import any of
them; ``sample`` generates the demo's raw files and is
used only by them and the tests.

Imports inside functions count too: a lazy import that climbs back is still a cycle in
the design, only hidden from the interpreter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "pipelines"

# rank in the flow; mapping (questionnaire mapping files) is read by ingest, inference and
# disclosure are the libraries indicators and impact use, review (outlier flags and the
# reviewer's exclusions) reads the validated tables and says which rows they analyse
STAGES = {"mapping": 0, "ingest": 0, "validate": 1, "review": 2, "inference": 2, "disclosure": 2, "indicators": 3,
          "impact": 4,
          "publish": 5, "charts": 6, "report": 7}
SHARED = {"catalogue", "settings", "vocabulary", "warehouse", "files", "periods", "reference", "yamlfile"}
WIRING = {"defs", "cli", "definitions", "sample", "instance"}


def _imports(path: Path) -> list[tuple[str, int]]:
    """(first package under ``pipelines``, line) for every import of the project's code."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pipelines":
            parts = node.module.split(".")
            targets = [parts[1]] if len(parts) > 1 else [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1] for a in node.names
                       if a.name.startswith("pipelines.") and len(a.name.split(".")) > 1]
        else:
            continue
        found += [(target, node.lineno) for target in targets]
    return found


def _stage(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_package_has_a_place_in_the_flow():
    packages = {_stage(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert packages <= STAGES.keys() | SHARED | WIRING, packages - (STAGES.keys() | SHARED | WIRING)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_no_stage_imports_a_later_one(stage):
    climbing = []
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        for target, line in _imports(path):
            if target in WIRING or STAGES.get(target, -1) > STAGES[stage]:
                climbing.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports pipelines.{target}")
    assert not climbing, "\n".join(climbing)


def test_shared_modules_import_no_stage():
    climbing = [f"{path.name}:{line} imports pipelines.{target}"
                for path in sorted(PACKAGE.glob("*.py")) if path.stem in SHARED
                for target, line in _imports(path) if target in STAGES or target in WIRING]
    assert not climbing, "\n".join(climbing)


def test_the_check_sees_a_climbing_import(tmp_path):
    """The parser finds both spellings and lazy imports (a check that cannot fail is no check)."""
    module = tmp_path / "m.py"
    module.write_text("from pipelines.report import build\n"
                      "def f():\n    import pipelines.charts.style\n    from pipelines import publish\n")
    assert _imports(module) == [("report", 1), ("charts", 3), ("publish", 4)]
