"""The numbers the docs quote are what scripts/docs_figures.py (the code, now) prints."""
from __future__ import annotations

import importlib.util
import re

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("docs_figures", ROOT / "scripts" / "docs_figures.py")
docs_figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(docs_figures)


@pytest.mark.slow  # 8 runs of CUBA (4000 LIF, 1 s)
def test_compare_page_quotes_the_cuba_realisations_the_code_gives():
    text = (ROOT / "docs" / "compare.md").read_text()
    quoted = re.search(r"neurosim (E [\d.]+ ± [\d.]+, I [\d.]+ ± [\d.]+) Hz", text).group(1)
    assert docs_figures.cuba_text(docs_figures.cuba_rates("0.1 ms")) == quoted


def test_the_brunel_table_and_figure_come_from_a_sweep_summary(tmp_path):
    pandas = pytest.importorskip("pandas")
    columns = {"point": ["a", "b"], "population": ["E", "E"], "network.connections.2.weight [V]": [-3e-4, -6e-4],
               "stimuli.0.rate [Hz]": [20.0, 40.0], "mean_rate": [300.0, 60.0], "isi_cv.mean": [0.01, 0.9],
               "population_rate.modulation": [1.1, 1.5], "population_rate.peak_frequency": [375.0, 172.0],
               "synchrony.chi": [0.27, 0.06]}
    rows = docs_figures.brunel_table(pandas.DataFrame(columns))
    assert [(r["g"], r["eta"], r["regime"]) for r in rows] == [(3, 2, "SR"), (6, 4, "SI fast")]
    assert docs_figures.brunel_figure(rows, tmp_path / "phase.png").stat().st_size > 10_000
    quoted = (ROOT / "docs" / "sweeps.md").read_text()
    for g, eta, state in ((3, 2, "SR"), (5, 2, "AI"), (6, 4, "SI fast"), (4.5, 0.9, "SI slow")):  # Fig. 8
        assert re.search(rf"\| {g:g} \| {eta:g} \| [^\n]* \| {state} \|", quoted)
