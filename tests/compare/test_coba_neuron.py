"""A conductance-based LIF neuron (COBA) driven by a spike source, against Brian2 equations written
here from the same parameters (nothing taken from neurosim's build).

Both integrate ``cm dv/dt = gL (El - v) + ge (Ee - v) + gi (Ei - v) + I`` by exponential Euler with
the conductances held over the step, and decay the conductances exactly. The arithmetic is the
same up to association, so differences stay at rounding level: a few ulp of |v| (1.4e-17 V at
65 mV) per step, contracted by the leak and the conductances; 1e-9 V is far above that and far
below the effect of any modelling error (halving the conductances' shunt moves v by millivolts).
"""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.core import connectivity
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse

from .networks import poisson_spike_list

pytestmark = [pytest.mark.slow, pytest.mark.si_floats]  # Brian2/NEST comparison runs

DT, DURATION = 1e-4, 0.5
mV, ms, nS, pF, nA = 1e-3, 1e-3, 1e-9, 1e-12, 1e-9
PARAMS = {"cm": 200 * pF, "tau_m": 20 * ms, "v_rest": -60 * mV, "v_reset": -63 * mV, "v_thresh": -50 * mV,
          "tau_refrac": 5 * ms}
N_EXC, N_INH = 40, 10
W_EXC, W_INH, DELAY = 6 * nS, 30 * nS, 1 * ms
I_STEP = (0.05 * nA, 0.1, 0.4)  # amplitude, start, stop


def spikes():
    return poisson_spike_list(N_EXC + N_INH, 15.0, DURATION, DT, seed=5)


def neurosim_run():
    indices, times = spikes()
    net = Network(seed=1)
    source = net.add(SpikeSource("source", N_EXC + N_INH, indices, times))
    post = net.add_population("post", 1, "lif", params=PARAMS,
                              receptors={"exc": Synapse("exponential", 5 * ms, kind="conductance", e_rev=0.0),
                                         "inh": Synapse("exponential", 10 * ms, kind="conductance", e_rev=-80 * mV)})
    net.connect(source, post, receptor="exc", weight=W_EXC, delay=DELAY,
                rule=connectivity.rule("explicit", pre=np.arange(N_EXC), post=np.zeros(N_EXC, int)))
    net.connect(source, post, receptor="inh", weight=W_INH,
                rule=connectivity.rule("explicit", pre=np.arange(N_EXC, N_EXC + N_INH), post=np.zeros(N_INH, int)))
    net.add(Constant(post, I_STEP[0], start=I_STEP[1], stop=I_STEP[2]))
    net.record_spikes(post)
    net.record_state(post, "v")
    return Simulator(net, dt=DT).run(DURATION)


def brian2_run():
    b2 = pytest.importorskip("brian2")
    from brian2 import amp, second
    from brian2 import ms as b2_ms
    from brian2 import mV as b2_mV
    from brian2 import nS as b2_nS
    from brian2 import pF as b2_pF

    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = DT * second
    indices, times = spikes()
    source = b2.SpikeGeneratorGroup(N_EXC + N_INH, indices, times * second)
    neuron = b2.NeuronGroup(1, """
        dv/dt = (gl*(El - v) + ge*(Ee - v) + gi*(Ei - v) + I)/C : volt (unless refractory)
        dge/dt = -ge/(5*ms) : siemens
        dgi/dt = -gi/(10*ms) : siemens
        I = I_amp*int(t >= t_on)*int(t < t_off) : amp
        """, threshold="v > -50*mV", reset="v = -63*mV", refractory=5 * b2_ms, method="exponential_euler",
        namespace={"gl": 200 * b2_pF / (20 * b2_ms), "El": -60 * b2_mV, "Ee": 0 * b2_mV, "Ei": -80 * b2_mV,
                   "C": 200 * b2_pF, "I_amp": I_STEP[0] * amp, "t_on": (I_STEP[1] - DT / 2) * second,
                   "t_off": (I_STEP[2] - DT / 2) * second})
    neuron.v = -60 * b2_mV
    exc = b2.Synapses(source, neuron, on_pre="ge += 6*nS", delay=DELAY * second)
    exc.connect(i=np.arange(N_EXC), j=0)
    inh = b2.Synapses(source, neuron, on_pre="gi += 30*nS")
    inh.connect(i=np.arange(N_EXC, N_EXC + N_INH), j=0)
    state = b2.StateMonitor(neuron, "v", record=0, when="start")
    fired = b2.SpikeMonitor(neuron)
    b2.Network(source, neuron, exc, inh, state, fired).run(DURATION * second, namespace={"nS": b2_nS})
    return np.asarray(state.v_[0]), np.round(np.asarray(fired.t_) / DT).astype(int)


def test_coba_neuron_matches_brian2_equations():
    ours = neurosim_run()
    v_ref, steps_ref = brian2_run()
    v = ours.states["post"]["v"].data[:, 0]
    steps = np.round(ours.spikes["post"].times / DT).astype(int)
    assert len(steps_ref) >= 10  # enough spikes for the comparison to mean something
    np.testing.assert_array_equal(steps, steps_ref)
    assert np.abs(v - v_ref).max() < 1e-9
    # the input matters: conductances move v by millivolts between spikes
    assert np.ptp(v) > 5 * mV

