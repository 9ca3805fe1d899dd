"""The exploration notebook runs top to bottom against a real warehouse and shows its chart."""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "explore.ipynb"


def test_exploration_notebook_executes(demo_root: Path, monkeypatch) -> None:
    monkeypatch.setenv("AAI_DATA_DIR", str(demo_root))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert str(demo_root / "processed" / "warehouse.duckdb") in text
    assert "programme-level cells" in text
    # the chart is drawn inline, not closed or written to an unseen backend
    images = [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]
    assert len(images) == 1
