"""The notebooks import only neurosim, are stored with their outputs, and a fresh execution prints
what their stored outputs say (so the numbers a reader sees on the web page are what the code
prints now; regenerate them with ``python scripts/docs_figures.py notebooks``)."""
from __future__ import annotations

import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Imports a notebook may have besides ``import neurosim as ns``.
OTHER_IMPORTS = {"import numpy as np", "import matplotlib.pyplot as plt", "from threadpoolctl import threadpool_limits"}


def _code(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _printed(notebook) -> list[str]:
    return ["".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream") for cell in _code(notebook)]


@pytest.mark.slow  # executes a notebook (the Brunel tutorial: two 12 500-neuron runs of 300 ms)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_prints_its_stored_outputs(path):
    stored = nbformat.read(path, as_version=4)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
                   ).execute()
    outputs = [output for cell in _code(notebook) for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    assert _printed(notebook) == _printed(stored)
    figures = [[o.output_type for o in cell.outputs if "image/png" in o.get("data", {})] for cell in _code(notebook)]
    assert all(len(shown) <= 1 for shown in figures)  # every figure shown once


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_imports_only_neurosim_and_stores_its_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    source = "\n".join(cell.source for cell in _code(notebook))
    imports = {line.strip() for line in source.splitlines() if re.match(r"\s*(import|from)\s", line)}
    assert "import neurosim as ns" in imports
    assert imports - {"import neurosim as ns"} <= OTHER_IMPORTS
    code = _code(notebook)
    assert all(cell.outputs for cell in code[1:])  # executed (the first cell may only import)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for cell in code for o in cell.outputs) >= 1


def test_notebooks_are_numbered_without_gaps():
    numbers = [int(path.name[:2]) for path in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1))
