"""CUBA (Brette et al. 2007) in neurosim and in Brian2 given neurosim's built network (same
synapses and initial values, ``--same-network`` mode): the two produce the same spike trains, so
they agree spike by spike; a 10 % longer tau_m in neurosim alone makes the comparison fail."""
from __future__ import annotations

import pytest

from neurosim.compare.brian2 import Brian2Model
from neurosim.compare.metrics import Tolerances, deterministic_agreement
from neurosim.core.simulator import Simulator

from .networks import cuba

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

SEED, DURATION = 1, 1.0


@pytest.fixture(scope="module")
def reference():
    return Brian2Model(Simulator(cuba(SEED), dt=1e-4)).run(DURATION, codegen="numpy")


def test_cuba_same_network_agrees_spike_by_spike(reference):
    ours = Simulator(cuba(SEED), dt=1e-4).run(DURATION)
    report = deterministic_agreement(ours, reference, Tolerances(spike_steps=0))
    for row in report["spikes"]:
        assert row["spikes"][0] > 1000, row  # Brian2's CUBA: 5.5-6 Hz
    assert report["passed"], report["spikes"]


def test_cuba_with_wrong_tau_m_fails(reference):
    wrong = Simulator(cuba(SEED, tau_m=22e-3), dt=1e-4).run(DURATION)
    assert not deterministic_agreement(wrong, reference, Tolerances())["passed"]
