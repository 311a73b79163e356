"""COBAHH (Brette et al. 2007, Traub-Miles HH with conductance synapses) in neurosim and in
Brian2 given neurosim's built network (``--same-network`` mode): the same spike trains.

150 ms to fit the test budget (Brian2's numpy target needs about 35 ms per step here; a rounding
difference anywhere in the chaotic network reaches the spike trains well within that)."""
from __future__ import annotations

import pytest

from neurosim.compare.brian2 import Brian2Model
from neurosim.compare.metrics import Tolerances, deterministic_agreement
from neurosim.core.simulator import Simulator

from .networks import cobahh

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

SEED, DURATION = 1, 0.15


def test_cobahh_same_network_agrees_spike_by_spike():
    simulator = Simulator(cobahh(SEED), dt=1e-4)
    reference = Brian2Model(simulator).run(DURATION, codegen="numpy")
    ours = simulator.run(DURATION)
    report = deterministic_agreement(ours, reference, Tolerances(spike_steps=0))
    for row in report["spikes"]:
        assert row["spikes"][0] > 1000, row  # Brian2's COBAHH: about 37 Hz
    assert report["passed"], report["spikes"]
