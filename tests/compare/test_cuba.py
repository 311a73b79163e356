"""CUBA (Brette et al. 2007) in neurosim and Brian2 over three seeds: rate, ISI-CV and correlation
distributions indistinguishable (KS p > 0.01 pooled over seeds and neurons), mean rates within 5 %;
a 10 % longer tau_m in neurosim alone makes the comparison fail."""
from __future__ import annotations

import pytest

from neurosim.compare.brian2 import Brian2Model
from neurosim.compare.metrics import Tolerances, statistical_agreement
from neurosim.core.simulator import Simulator

from .networks import cuba

SEEDS = (1, 2, 3)
DURATION = 1.0


@pytest.fixture(scope="module")
def runs():
    ours, reference = [], []
    for seed in SEEDS:
        simulator = Simulator(cuba(seed), dt=1e-4)
        model = Brian2Model(simulator)
        ours.append(simulator.run(DURATION))
        reference.append(model.run(DURATION, codegen="numpy"))
    return ours, reference


def test_cuba_statistics_match_brian2(runs):
    report = statistical_agreement(*runs, Tolerances())
    assert report["seeds"] == list(SEEDS)
    for row in report["distributions"]:
        assert row["p_value"] > 0.01, row
        assert abs(row["cohen_d"]) < 0.1, row
        if row["metric"] == "rate":
            assert 4.0 < row["mean"][1] < 8.0  # Brian2's CUBA: 5.5-6 Hz
            assert abs(row["relative_mean_difference"]) < 0.05
    assert report["passed"]


def test_cuba_with_wrong_tau_m_fails(runs):
    wrong = [Simulator(cuba(seed, tau_m=22e-3), dt=1e-4).run(DURATION) for seed in SEEDS]
    report = statistical_agreement(wrong, runs[1], Tolerances())
    assert not report["passed"]
