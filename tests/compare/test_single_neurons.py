"""Single neurons against real Brian2 runs: spike times within one step, traces to rounding level.

Tolerances (derived, not read off the output):

- LIF with exponential current synapses, Brian2 ``exact``: both compute the same affine map per
  step, associated differently, so each step adds a few ulp of |v| (ulp(65 mV) = 1.4e-17 V; call it
  10 ulp = 1.4e-16 V). Errors contract by exp(-dt/tau_m) = 0.995 per step, so they stay below
  1.4e-16 V / (1 - 0.995) = 2.8e-14 V, and a spike resets them. Tolerance 1e-12 V.
- Squid HH, exponential Euler with the same equations: rounding differences of ~1e-16 V per step
  are amplified by the spike dynamics. A one-time perturbation of v at the onset of the step
  current grew at most 1.3e3-fold over the run (measured with neurosim, perturbations of 1e-16
  to 1e-13 V, dt 0.01 and 0.025 ms). Linear accumulation over N = 40 000 steps bounds the
  difference by 1.3e3 * 4e4 * 1e-16 V = 5e-9 V. Tolerance 1e-8 V, far below the 0.5 mV Brian2's
  own HH tests accept.
"""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.compare.brian2 import Brian2Model, NoBrian2Counterpart
from neurosim.compare.metrics import Tolerances, deterministic_agreement, spike_agreement, trace_agreement
from neurosim.core import connectivity
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant, Step
from neurosim.core.synapses import Synapse

from .networks import poisson_spike_list

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

DURATION = 1.0
LIF_DT = 1e-4
HH_DT = 2.5e-5


def lif_network(tau_m: float = 20e-3) -> Network:
    """One LIF neuron driven by 20 Poisson trains (drawn once): 15 excitatory with a 1 ms delay, 5
    inhibitory without delay, plus a current step from 100 to 600 ms."""
    indices, times = poisson_spike_list(20, 20.0, DURATION, LIF_DT, seed=11)
    net = Network(seed=3)
    source = net.add(SpikeSource("source", 20, indices, times))
    post = net.add_population("post", 1, "lif", params={"tau_m": tau_m, "tau_refrac": 2e-3, "v_thresh": -55e-3},
                              receptors={"E": Synapse("exponential", 5e-3), "I": Synapse("exponential", 10e-3)})
    net.connect(source, post, receptor="E", weight=0.6e-9, delay=1e-3,
                rule=connectivity.rule("explicit", pre=np.arange(15), post=np.zeros(15, int)))
    net.connect(source, post, receptor="I", weight=-0.3e-9,
                rule=connectivity.rule("explicit", pre=np.arange(15, 20), post=np.zeros(5, int)))
    net.add(Constant(post, 0.3e-9, start=0.1, stop=0.6))
    net.record_spikes(post)
    net.record_state(post, "v")
    net.record_state(post, "syn_E")
    return net


@pytest.fixture(scope="module")
def lif_runs():
    simulator = Simulator(lif_network(), dt=LIF_DT)
    reference = Brian2Model(simulator).run(DURATION, codegen="numpy")
    return simulator.run(DURATION), reference


def test_lif_spike_source_matches_brian2(lif_runs):
    ours, reference = lif_runs
    spikes = spike_agreement(ours.spikes["post"], reference.spikes["post"], LIF_DT)
    assert spikes["spikes"][0] >= 20  # enough spikes for the comparison to mean something
    assert spikes["spikes"][0] == spikes["spikes"][1]
    assert spikes["unpaired"] == 0
    assert spikes["max_shift_steps"] <= 1
    voltage = trace_agreement(ours.states["post"]["v"], reference.states["post"]["v"])
    assert voltage["max_abs"] < 1e-12
    current = trace_agreement(ours.states["post"]["syn_E"], reference.states["post"]["syn_E"])
    assert current["relative_to_range"] < 1e-12
    assert deterministic_agreement(ours, reference, Tolerances(voltage=1e-12))["passed"]


def test_wrong_tau_m_fails_the_comparison(lif_runs):
    _, reference = lif_runs
    wrong = Simulator(lif_network(tau_m=22e-3), dt=LIF_DT).run(DURATION)
    report = deterministic_agreement(wrong, reference, Tolerances())
    assert not report["passed"]
    assert report["traces"][0]["max_abs"] > 1e-3  # millivolts, not rounding


def test_hh_squid_step_current_matches_brian2():
    net = Network(seed=0)
    pop = net.add_population("hh", 3, "hh_squid")
    for i, density in enumerate(("10 uA/cm^2", "6.5 uA/cm^2", "2.5 uA/cm^2")):  # tonic, near onset, one spike
        net.add(Step(pop, [0.0, 0.9], [pop.current(density)[0], 0.0], neurons=[i], name=f"step{i}"))
    net.record_spikes(pop)
    net.record_state(pop, "v")
    net.record_state(pop, "n")
    simulator = Simulator(net, dt=HH_DT)
    reference = Brian2Model(simulator).run(DURATION, codegen="numpy")
    ours = simulator.run(DURATION)
    counts = ours.spikes["hh"].counts()
    assert counts[0] > 50
    assert counts[1] > 30
    assert counts[2] == 1
    report = deterministic_agreement(ours, reference, Tolerances(voltage=1e-8, relative=1e-7))
    assert report["spikes"][0]["max_count_difference"] == 0
    assert report["spikes"][0]["unpaired"] == 0
    assert report["spikes"][0]["max_shift_steps"] <= 1
    assert report["traces"][0]["max_abs"] < 1e-8
    assert report["passed"]


def test_untranslatable_parts_are_named():
    net = Network(seed=0)
    net.add_population("x", 4, "lif_dimensionless")  # precise spike timing by default
    with pytest.raises(NoBrian2Counterpart, match="population 'x': spike_timing 'precise'"):
        Brian2Model(Simulator(net, dt=1e-4))
    net = Network(seed=0)
    net.add_population("r", 4, "rate")
    with pytest.raises(NoBrian2Counterpart, match="population 'r' \\(model 'rate_logistic'\\): tau = 0"):
        Brian2Model(Simulator(net, dt=1e-4))


def test_nef_lif_with_active_min_voltage_clamp_matches_brian2():
    """lif_dimensionless (step timing) driven below min_voltage half of the time: the clamp (an
    after_groups operation in Brian2, skipped while refractory) holds v at min_voltage exactly, and
    the firing half agrees to the step. Both compute the same exact exponential per step:
    rounding level, tolerance 1e-12 (v is of order 1)."""
    net = Network(seed=0)
    pop = net.add_population("nef", 3, "lif_dimensionless", params={"min_voltage": [-0.3, -0.5, 0.0]},
                             initial={"v": [0.2, 0.9, 0.5]}, spike_timing="step")
    net.add(Step(pop, [0.0, 0.2, 0.5], [-1.0, 2.5, -2.0], name="drive"))
    net.record_spikes(pop)
    net.record_state(pop, "v")
    simulator = Simulator(net, dt=LIF_DT)
    reference = Brian2Model(simulator).run(0.8, codegen="numpy")
    ours = simulator.run(0.8)
    v = ours.states["nef"]["v"].data
    assert np.sum(v[:, 0] == -0.3) > 1000  # the clamp acts
    assert np.sum(v[:, 2] == 0.0) > 1000
    assert ours.spikes["nef"].counts().min() > 10
    report = deterministic_agreement(ours, reference, Tolerances(voltage=1e-12))
    assert report["spikes"][0]["max_shift_steps"] == 0
    assert report["traces"][0]["max_abs"] < 1e-12
    assert report["passed"]
