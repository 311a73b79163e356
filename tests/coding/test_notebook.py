"""The population-coding tutorial runs top to bottom."""
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # executes a notebook

NOTEBOOK = pathlib.Path(__file__).resolve().parents[2] / "notebooks" / "02_population_coding.ipynb"


def test_notebook_runs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("value held" in o.get("text", "") for o in outputs)
