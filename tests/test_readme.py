"""The README's Python API example runs and does what it says."""
from __future__ import annotations

import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

MARKER = "<!-- api-example: executed by tests/test_readme.py -->"


def test_readme_api_example_runs(strict_units):
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r"\s*```python\n(.*?)```", text, re.DOTALL).group(1)
    assert len(block.strip().splitlines()) <= 17  # imports + the 15-line example
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    times, ids, v = namespace["times"], namespace["ids"], namespace["v"]
    assert isinstance(times, np.ndarray)
    assert times.shape == ids.shape
    assert times.size > 0
    assert times.min() >= 0
    assert times.max() < 1.0
    assert ids.max() < 400
    assert v.shape == (10000, 2)
    assert np.all((v > -0.08) & (v < -0.04))


def test_readme_names_the_set_up_commands():
    text = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert f"make {target}" in text
        assert f"\n{target}:" in makefile
