"""Delta (voltage-jump) receptors: analytic membrane, refractory dropping, Brian2's ``v += w``."""
import numpy as np
import pytest

from neurosim.core.connectivity import Projection
from neurosim.core.network import Network
from neurosim.core.neurons import make_population, models
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT, TAU_M, V_REST, V_RESET, V_TH = 1e-4, 20e-3, -65e-3, -70e-3, -50e-3
PARAMS = {"tau_m": TAU_M, "v_rest": V_REST, "v_reset": V_RESET, "v_thresh": V_TH, "tau_refrac": 2e-3}
REF_STEPS = 20


def run(spike_steps, weights, delay_steps=0, steps=600, params=PARAMS):
    """One LIF driven through a delta receptor by spikes at the given steps; v recorded every step."""
    net = Network(seed=0)
    source = net.add(SpikeSource("src", len(spike_steps), np.arange(len(spike_steps)), np.array(spike_steps) * DT))
    post = net.add(LIF("post", 1, params=params, receptors={"d": Synapse(kind="delta")}))
    net.add(Projection(source, post, "d", rule=_Explicit(len(spike_steps)), weight=np.array(weights),
                       delay=delay_steps * DT))
    net.record_state(post, "v")
    net.record_spikes(post)
    results = Simulator(net, dt=DT).run(steps * DT)
    return results.states["post"]["v"].data[:, 0], results.spikes["post"].times


class _Explicit:
    """Every source neuron onto post neuron 0 (source j carries weight j)."""

    def __init__(self, n):
        self.n = n

    def pairs(self, n_pre, n_post, rng):
        return np.arange(self.n), np.zeros(self.n, np.int64)


def analytic(arrival_steps, weights, steps):
    """v recorded at the start of step k: each jump w arriving in step a (after its update) is in
    v from step a + 1 on and decays as exp(-(k - a - 1) dt / tau_m)."""
    k = np.arange(steps)
    v = np.full(steps, V_REST)
    for a, w in zip(arrival_steps, weights, strict=True):
        after = k >= a + 1
        v[after] += w * np.exp(-(k[after] - a - 1) * DT / TAU_M)
    return v


@pytest.mark.parametrize("delay_steps", [0, 15])
def test_jumps_then_exponential_decay(delay_steps):
    spike_steps, weights = [50, 120, 125, 300], [2e-3, 3e-3, -4e-3, 1.5e-3]
    v, spikes = run(spike_steps, weights, delay_steps)
    expected = analytic(np.array(spike_steps) + delay_steps, weights, len(v))
    assert spikes.size == 0
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-12)


def test_jumps_during_refractoriness_are_dropped():
    # A 20 mV jump arriving in step 100 lifts v to -45 mV; the neuron spikes in step 101 (the
    # next threshold). Jumps arriving from the spike step through the last refractory step
    # (101 ... 101 + 20 - 1) are dropped; one arriving in step 121 is kept.
    s = 101
    spike_steps = [100, s, s + 5, s + REF_STEPS - 1, s + REF_STEPS]
    weights = [20e-3, 1e-3, 2e-3, 3e-3, 4e-3]
    v, spikes = run(spike_steps, weights, steps=400)
    np.testing.assert_allclose(spikes, [s * DT], rtol=0, atol=1e-15)
    k = np.arange(len(v))
    assert np.all(v[s + 1: s + REF_STEPS + 1] == V_RESET)  # clamped and nothing added
    after = k >= s + REF_STEPS + 1  # integrates from v_reset from step s + R on, plus the kept jump
    expected = V_REST + (V_RESET - V_REST) * np.exp(-(k[after] - s - REF_STEPS) * DT / TAU_M) \
        + 4e-3 * np.exp(-(k[after] - s - REF_STEPS - 1) * DT / TAU_M)
    np.testing.assert_allclose(v[after], expected, rtol=0, atol=1e-12)


@pytest.mark.slow  # a Brian2 comparison
def test_matches_brian2_on_pre_v_plus_w_with_unless_refractory():
    """Brian2's own semantics, written here from the parameters: ``on_pre='v += w'`` writes to ``v``
    only where ``not_refractory`` (conditional write of a ``(unless refractory)`` variable)."""
    b2 = pytest.importorskip("brian2")
    b2.prefs.codegen.target = "numpy"
    spike_steps = [100, 101, 106, 120, 121, 200, 260]
    weights = [20e-3, 1e-3, 2e-3, 3e-3, 4e-3, -3e-3, 25e-3]
    ours, spikes = run(spike_steps, weights, delay_steps=7, steps=400)
    b2.start_scope()
    b2.defaultclock.dt = DT * b2.second
    group = b2.NeuronGroup(1, "dv/dt = (v_rest - v) / tau_m : volt (unless refractory)", threshold="v > v_th",
                           reset="v = v_reset", refractory=2 * b2.ms, method="exact",
                           namespace={"v_rest": V_REST * b2.volt, "tau_m": TAU_M * b2.second,
                                      "v_th": V_TH * b2.volt, "v_reset": V_RESET * b2.volt})
    group.v = V_REST * b2.volt
    source = b2.SpikeGeneratorGroup(len(spike_steps), np.arange(len(spike_steps)),
                                    np.array(spike_steps) * DT * b2.second)
    synapses = b2.Synapses(source, group, "w : volt", on_pre="v += w")
    synapses.connect(i=np.arange(len(spike_steps)), j=0)
    synapses.w = np.array(weights) * b2.volt
    synapses.delay = 7 * DT * b2.second
    state, spike_monitor = b2.StateMonitor(group, "v", record=0), b2.SpikeMonitor(group)
    b2.run(400 * DT * b2.second)
    assert len(spikes) == 2  # the test exercises two refractory periods
    np.testing.assert_array_equal(np.round(spikes / DT), np.round(np.asarray(spike_monitor.t) / DT))
    np.testing.assert_allclose(ours, np.asarray(state.v[0]), rtol=0, atol=1e-12)


def test_nan_weight_is_refused_at_build():
    with pytest.raises(ParameterError, match="weight"):
        run([10], [np.nan])


def test_negative_weights_are_inhibitory_jumps():
    v, _ = run([10], [-2e-3], steps=20)
    assert v[11] == pytest.approx(V_REST - 2e-3, abs=1e-15)


def test_models_without_delta_receptors_refuse_them():
    with pytest.raises(ParameterError, match="delta"):
        make_population("rate_logistic", "h", 1, receptors={"d": Synapse(kind="delta")})


def test_delta_receptor_has_no_recordable_current():
    pop = LIF("p", 1, receptors={"d": Synapse(kind="delta"), "e": Synapse()})
    assert "syn_d" not in pop.recordable()
    assert "syn_e" in pop.recordable()
