"""Off-grid times against Brian2 2.9, step by step: input spike times between steps, delays on half
steps and refractory periods that are not multiples of ``dt``.

The Brian2 model is written here from the parameters below (not from neurosim's built arrays):
four LIF neurons with an exponential current synapse, each driven by its own spike generator and
a constant current, one scenario each. Tolerance 1e-12 V: both simulators compute the same affine
map per step to rounding (see ``test_single_neurons.py`` for the bound); a one-step difference
in any spike arrival or refractory end would move ``v`` by millivolts.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from neurosim.core import connectivity
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.errors import TimeGridWarning

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

mV, ms, nA, nF = 1e-3, 1e-3, 1e-9, 1e-9
DURATION = 0.12
TAU_M, CM, TAU_SYN = 10 * ms, 0.25 * nF, 2 * ms
V_REST, V_RESET, V_THRESH = -65 * mV, -70 * mV, -55 * mV
I_OFFSET = np.array([0.6, 0.6, 0.7, 0.65]) * nA  # R I = 24-28 mV: regular firing, ISIs near 8 ms
WEIGHT = 0.3 * nA  # 12 mV peak current step: each input moves the next spike


def scenario(dt: float):
    """Per neuron: refractory period, input spike times (s) and synaptic delays (s)."""
    grid = np.arange(5, 110, 7) * dt * 10.0  # input times on the grid (multiples of dt)
    off = grid + 0.63 * dt                   # input times between two steps (floor != nearest)
    half = (np.arange(len(grid)) % 5 + 2.5) * dt  # delays on half steps
    refractory = np.array([2 * ms, 2 * ms, 2.07 * ms, 1.78 * ms])  # the last two off the grid
    times = [off, grid, grid, grid + 0.81 * dt]
    delays = [np.zeros(len(grid)), half, np.full(len(grid), 1 * ms), half + 0.2 * dt]
    return refractory, times, delays


def run_neurosim(dt: float):
    refractory, times, delays = scenario(dt)
    net = Network(seed=0)
    indices = np.concatenate([np.full(len(t), k) for k, t in enumerate(times)])
    source = net.add(SpikeSource("source", len(indices), np.arange(len(indices)), np.concatenate(times)))
    post = net.add_population("post", 4, "lif", receptors={"E": Synapse("exponential", TAU_SYN)},
                              params={"cm": CM, "tau_m": TAU_M, "v_rest": V_REST, "v_reset": V_RESET,
                                      "v_thresh": V_THRESH, "tau_refrac": refractory, "i_offset": I_OFFSET})
    net.connect(source, post, receptor="E", weight=WEIGHT, delay=np.concatenate(delays),
                rule=connectivity.rule("explicit", pre=np.arange(len(indices)), post=indices))
    net.record_spikes(post)
    net.record_state(post, "v")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = Simulator(net, dt=dt).run(DURATION)
    return results, [str(w.message) for w in caught if issubclass(w.category, TimeGridWarning)]


def run_brian2(dt: float):
    b2 = pytest.importorskip("brian2")
    refractory, times, delays = scenario(dt)
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = dt * b2.second
    eqs = """dv/dt = (v_rest - v)/tau_m + (I + i_offset)/c_m : volt (unless refractory)
             dI/dt = -I/tau_syn : amp
             i_offset : amp (constant)
             ref : second (constant)"""
    namespace = {"v_rest": V_REST * b2.volt, "tau_m": TAU_M * b2.second, "c_m": CM * b2.farad,
                 "tau_syn": TAU_SYN * b2.second, "v_thresh": V_THRESH * b2.volt, "v_reset": V_RESET * b2.volt}
    group = b2.NeuronGroup(4, eqs, threshold="v > v_thresh", reset="v = v_reset", refractory="ref",
                           method="exact", namespace=namespace)
    group.v = V_REST * b2.volt
    group.i_offset = I_OFFSET * b2.amp
    group.ref = refractory * b2.second
    indices = np.concatenate([np.full(len(t), k) for k, t in enumerate(times)])
    source = b2.SpikeGeneratorGroup(len(indices), np.arange(len(indices)), np.concatenate(times) * b2.second)
    synapses = b2.Synapses(source, group, "w : amp", on_pre="I_post += w")
    synapses.connect(i=np.arange(len(indices)), j=indices)
    synapses.w = WEIGHT * b2.amp
    synapses.delay = np.concatenate(delays) * b2.second
    spikes = b2.SpikeMonitor(group)
    trace = b2.StateMonitor(group, "v", record=True)
    b2.run(DURATION * b2.second)
    steps = np.round(np.asarray(spikes.t / b2.second) / dt).astype(np.int64)
    return np.asarray(spikes.i), steps, np.asarray(trace.v / b2.volt).T


@pytest.mark.slow
@pytest.mark.parametrize("dt", [1e-4, 2.0**-13], ids=["0.1ms", "2^-13s"])
def test_off_grid_times_agree_with_brian2_step_by_step(dt):
    ours, warned = run_neurosim(dt)
    ids, steps, v = run_brian2(dt)
    mine = ours.spikes["post"]
    for neuron in range(4):
        np.testing.assert_array_equal(np.round(mine.times[mine.node_ids == neuron] / dt).astype(np.int64),
                                      steps[ids == neuron], err_msg=f"spike steps of neuron {neuron}")
    assert len(mine.times) > 40  # every neuron fires repeatedly (refractoriness matters)
    np.testing.assert_allclose(ours.states["post"]["v"].data, v, rtol=0, atol=1e-12)
    # every off-grid quantity was reported, by parameter name
    assert any("population 'source': times" in text for text in warned)
    assert any("delay" in text for text in warned)
    assert any("population 'post': tau_refrac" in text for text in warned)
