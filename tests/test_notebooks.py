"""The notebooks run top to bottom."""
from __future__ import annotations

import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # executes a notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]

NOTEBOOKS = sorted((ROOT / "notebooks").glob("01_quickstart.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                   ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert sum(output.output_type == "display_data" for output in outputs) >= 2  # raster and tuning curve


def test_notebooks_are_numbered_without_gaps_and_the_quickstart_stores_its_outputs():
    names = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [int(name[:2]) for name in names] == list(range(1, len(names) + 1))
    notebook = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code[1:])  # stored with outputs (the first cell only imports)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
