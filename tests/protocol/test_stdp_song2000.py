"""protocols/stdp_song2000.yaml against Brian2's examples/synapses/STDP.py (same set-up), over seeds.

Reference: Brian2 2.9 cpp_standalone (tests/reference/stdp_song2000_brian2.json, 20 s seeds 1-5 or more, made by
tests/reference/stdp_song2000_brian2.py; 20 s runs for the suite, 100 s runs quoted in docs/models.md).
Per realisation, statistics of the final weights w/gmax: the fraction in [0, 0.1) ("low"), in
[0.9, 1] ("high"), the mean of the four middle bins [0.3, 0.7) ("middle") and the mean weight.

1. The published outcome (Song, Miller & Abbott 2000, Fig. 2): weights pushed to the bounds, a
   bimodal distribution: over the neurosim seeds, low - middle and high - middle are positive by a
   one-sided t test at alpha = 0.001 (the spread of the realisations sets the scale).
2. Indistinguishable from Brian2: Welch's t test on each statistic between the neurosim and the
   Brian2 realisations, p > 0.001 for each (4 statistics: family-wise alpha < 0.004).
"""
import json
import pathlib

import numpy as np
import pytest
from scipy import stats

from neurosim.protocol.build import build
from neurosim.protocol.load import load

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = json.loads((ROOT / "tests" / "reference" / "stdp_song2000_brian2.json").read_text())["runs"]
DURATION = 20.0
SEEDS = (1, 2, 3, 4, 5)
KEYS = ("low", "high", "middle", "mean")


def statistics(histogram, mean):
    counts = np.asarray(histogram, float)
    fractions = counts / counts.sum()
    return {"low": fractions[0], "high": fractions[-1], "middle": fractions[3:7].mean(), "mean": mean}


def run(seed):
    protocol = load(ROOT / "protocols" / "stdp_song2000.yaml", sets=[f"duration={DURATION} s", f"seed={seed}"])
    w = build(protocol).run(DURATION).synapses["input_to_neuron"]["w"] / 0.2e-9
    return statistics(np.histogram(w, bins=10, range=(0, 1))[0], float(w.mean()))


@pytest.mark.slow
def test_song2000_bimodal_over_seeds_and_indistinguishable_from_brian2():
    ours = [run(seed) for seed in SEEDS]
    theirs = [statistics(r["histogram"], r["mean"]) for r in REFERENCE.values() if r["duration_s"] == DURATION]
    assert len(theirs) >= 3
    for side in ("low", "high"):
        excess = np.array([run_[side] - run_["middle"] for run_ in ours])
        assert stats.ttest_1samp(excess, 0.0, alternative="greater").pvalue < 1e-3, side
    for key in KEYS:
        a, b = np.array([r[key] for r in ours]), np.array([r[key] for r in theirs])
        assert stats.ttest_ind(a, b, equal_var=False).pvalue > 1e-3, (key, a, b)
