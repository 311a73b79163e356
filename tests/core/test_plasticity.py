"""Plastic projections: analytic STDP windows, Tsodyks-Markram PSC amplitudes, delay convention,
bad input. Every expected value is computed here from the rule's formula, not from neurosim."""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.core.connectivity import OneToOne
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.rate import rate_population
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.plasticity import PlasticProjection, Rule
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.equations.parse import EquationError
from neurosim.errors import ParameterError

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4
TAU = 20e-3
WMAX, W0 = 1.0, 0.5
LAGS = np.arange(-1000, 1001, 10)  # t_post - t_pre in steps: -100 ms .. +100 ms by 1 ms
PRE_STEP = 1500


def window_run(model, lags=LAGS, delay_steps=0, params=None, w0=W0):
    """One synapse per lag: pre neuron k spikes at PRE_STEP, post neuron k at PRE_STEP + lags[k]."""
    n = len(lags)
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", n, np.arange(n), np.full(n, PRE_STEP) * DT))
    post = net.add(SpikeSource("post", n, np.arange(n), (PRE_STEP + lags) * DT))
    net.add(PlasticProjection(pre, post, None, model, params=params or {"wmax": WMAX}, rule=OneToOne(),
                              weight=w0, delay=delay_steps * DT, name="syn"))
    sim = Simulator(net, dt=DT)
    sim.run((PRE_STEP + lags.max() + np.max(delay_steps) + 10) * DT)
    return sim.network.projections[0].state["w"]


def elapsed(lags, delay_steps=0):
    """|t_post - t_arrival| as the code sees it: differences of the grid times step*dt."""
    arrival, post = (PRE_STEP + delay_steps) * DT, (PRE_STEP + lags) * DT
    return np.where(post >= arrival, post - arrival, arrival - post), post >= arrival


def test_additive_window_matches_formula():
    d_pre = 0.01 * WMAX
    d_post = -d_pre * 1.05
    dw = window_run("stdp_additive") - W0
    gap, causal = elapsed(LAGS)
    expected = np.where(causal, d_pre * np.exp(-gap / TAU), d_post * np.exp(-gap / TAU))
    assert np.max(np.abs(dw - expected)) < 1e-12


def test_multiplicative_window_matches_formula():
    dw = window_run("stdp_multiplicative") - W0
    gap, causal = elapsed(LAGS)
    expected = np.where(causal, (WMAX - W0) * 0.01 * np.exp(-gap / TAU), W0 * -0.0105 * np.exp(-gap / TAU))
    assert np.max(np.abs(dw - expected)) < 1e-12


def test_axonal_delay_shifts_window():
    """Brian2's convention: on_pre runs at arrival, so the window is a function of t_post - (t_pre + d)."""
    delay = 50  # 5 ms
    lags = np.array([-200, 0, 30, 50, 80, 300])
    dw = window_run("stdp_additive", lags, delay_steps=delay) - W0
    gap, causal = elapsed(lags, delay)
    expected = np.where(causal, 0.01 * np.exp(-gap / TAU), -0.0105 * np.exp(-gap / TAU))
    assert np.max(np.abs(dw - expected)) < 1e-12
    assert dw[2] < 0 < dw[4]  # a post spike 3 ms after the pre spike precedes its arrival: depression


def test_heterogeneous_axonal_delays_shift_each_window():
    """One delay per synapse (0 to 10 ms): synapse k's window is a function of t_post - (t_pre + d_k)."""
    delays = np.array([0, 17, 50, 100, 3, 64])
    lags = np.array([-200, 10, 30, 80, 0, 300])
    dw = window_run("stdp_additive", lags, delay_steps=delays) - W0
    gap, causal = elapsed(lags, delays)
    expected = np.where(causal, 0.01 * np.exp(-gap / TAU), -0.0105 * np.exp(-gap / TAU))
    assert np.max(np.abs(dw - expected)) < 1e-12
    assert dw[1] < 0 < dw[5]  # post 1 ms after its pre but before the 1.7 ms arrival: depression


def test_hard_bounds_clip():
    w = window_run("stdp_additive", np.array([10, -10]), w0=0.995, params={"wmax": 1.0, "dApost": -2.0})
    assert w[0] == 1.0
    assert w[1] == 0.0


def _two_pre_one_post(model):
    """Pre spikes at 100 and 150 steps, post at 200: all-to-all sums both pairs, nearest only the latest."""
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 1, [0, 0], [0.0100, 0.0150]))
    post = net.add(SpikeSource("post", 1, [0], [0.0200]))
    net.add(PlasticProjection(pre, post, None, model, params={"wmax": WMAX}, weight=W0, name="syn"))
    sim = Simulator(net, dt=DT)
    sim.run(0.03)
    return sim.network.projections[0].state["w"][0] - W0


def test_all_to_all_and_nearest_pairing():
    first, second = 0.0200 - 0.0100, 0.0200 - 0.0150
    d_pre = 0.01 * WMAX
    assert abs(_two_pre_one_post("stdp_additive") - d_pre * (np.exp(-first / TAU) + np.exp(-second / TAU))) < 1e-12
    assert abs(_two_pre_one_post("stdp_additive_nearest") - d_pre * np.exp(-second / TAU)) < 1e-12


TM_SETS = {"depression": {"U": 0.5, "tau_d": "800 ms", "tau_f": "10 ms"},
           "facilitation": {"U": 0.1, "tau_d": "50 ms", "tau_f": "750 ms"}}


@pytest.mark.parametrize("name", TM_SETS)
def test_tsodyks_markram_psc_amplitudes(name):
    """Regular 20 Hz train through an exponential current receptor: the jump of the receptor current
    at spike n equals w*u_n*x_n of the exact between-spike solution."""
    values = {"U": TM_SETS[name]["U"], "tau_d": float(TM_SETS[name]["tau_d"].split()[0]) * 1e-3,
              "tau_f": float(TM_SETS[name]["tau_f"].split()[0]) * 1e-3}
    period, n_spikes, weight, tau_syn = 500, 12, 1e-9, 5e-3  # steps, -, A, s
    steps = 100 + period * np.arange(n_spikes)
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 1, np.zeros(n_spikes, int), steps * DT))
    post = net.add(LIF("post", 1, params={"v_thresh": 1.0}, receptors={"e": Synapse("exponential", tau_syn)}))
    net.add(PlasticProjection(pre, post, "e", "tsodyks_markram", params=TM_SETS[name], weight=weight))
    net.record_state(post, "syn_e")
    current = Simulator(net, dt=DT).run((steps[-1] + 2) * DT).states["post"]["syn_e"].data[:, 0]
    jumps = current[steps + 1] - current[steps] * np.exp(-DT / tau_syn)
    u, x, last, expected = 0.0, 1.0, None, []
    for step in steps:
        if last is not None:
            gap = step * DT - last * DT
            u *= np.exp(-gap / values["tau_f"])
            x = 1 - (1 - x) * np.exp(-gap / values["tau_d"])
        u += values["U"] * (1 - u)
        expected.append(weight * u * x)
        x -= u * x
        last = step
    assert np.max(np.abs(jumps - expected)) < 1e-9 * weight
    trend = np.diff(expected)
    assert np.all(trend < 0) if name == "depression" else trend[0] > 0


def _pair():
    net = Network(seed=0)
    return net, net.add(SpikeSource("a", 2, [0], [0.01])), net.add(SpikeSource("b", 2, [0], [0.02]))


def test_bad_input_is_located():
    net, a, b = _pair()
    with pytest.raises(ParameterError, match="wmax"):
        PlasticProjection(a, b, None, "stdp_additive")  # required parameter missing
    with pytest.raises(ParameterError, match="taupre"):
        PlasticProjection(a, b, None, "stdp_additive", params={"wmax": 1.0, "taupre": "20 mV"})
    with pytest.raises(ParameterError, match="lower <= upper"):
        PlasticProjection(a, b, None, "stdp_additive", params={"wmax": -1.0})
    with pytest.raises(ParameterError, match="stdp_additive"):
        PlasticProjection(a, b, None, "stdp_additiv", params={"wmax": 1.0})
    with pytest.raises(ParameterError, match="tau_x"):
        PlasticProjection(a, b, None, "stdp_additive", params={"wmax": 1.0, "tau_x": "1 ms"})
    with pytest.raises(EquationError, match="undefined symbol 'Apot'"):
        Rule("bad", "w : 1\ndApre/dt = -Apre/tau : 1 (event-driven)\ntau : second", on_pre="w += Apot",
             parameters={"tau": "10 ms"})
    with pytest.raises(EquationError, match="event-driven"):
        Rule("bad", "w : 1\ndApre/dt = -Apre/tau : 1\ntau : second", parameters={"tau": "10 ms"})
    rates = net.add(rate_population("r", 2))
    with pytest.raises(ParameterError, match="spikes"):
        PlasticProjection(a, rates, None, "stdp_additive", params={"wmax": 1.0})
    lif = net.add(LIF("post", 2, receptors={"g": Synapse(kind="conductance")}))
    with pytest.raises(ParameterError, match="wmax"):  # conductance receptor: wmax in siemens, not amperes
        PlasticProjection(a, lif, "g", "stdp_additive", params={"wmax": "1 nA"})
    PlasticProjection(a, lif, "g", "stdp_additive", params={"wmax": "1 nS"})


@pytest.mark.slow
@pytest.mark.parametrize("heterogeneous", [False, True])
def test_stdp_matches_brian2_on_same_spike_trains(heterogeneous):
    """Brian2 (numpy codegen) runs the same rule, written here from its parameters, on the same
    random pre/post trains of 20 independent synapses, with one delay (3 ms) or a delay per synapse
    (0 to 9.5 ms, axonal in both); final weights agree to rounding."""
    brian2 = pytest.importorskip("brian2")
    rng = np.random.default_rng(3)
    n, duration, rate, wmax = 20, 2.0, 20.0, 1.0
    trains = []
    for _ in range(2):
        spikes = rng.random((n, int(duration / DT))) < rate * DT
        index, step = np.nonzero(spikes)
        trains.append((index, step))
    w0 = rng.uniform(0.2, 0.8, n)
    delay = rng.integers(0, 96, n) * DT if heterogeneous else 3e-3

    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", n, trains[0][0], trains[0][1] * DT))
    post = net.add(SpikeSource("post", n, trains[1][0], trains[1][1] * DT))
    net.add(PlasticProjection(pre, post, None, "stdp_additive", params={"wmax": wmax}, rule=OneToOne(),
                              weight=w0, delay=delay))
    sim = Simulator(net, dt=DT)
    sim.run(duration)
    ours = sim.network.projections[0].state["w"]

    b2 = brian2
    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = DT * b2.second
    g_pre = b2.SpikeGeneratorGroup(n, trains[0][0], trains[0][1] * DT * b2.second)
    g_post = b2.SpikeGeneratorGroup(n, trains[1][0], trains[1][1] * DT * b2.second)
    namespace = {"taupre": 20e-3 * b2.second, "taupost": 20e-3 * b2.second, "wmax": wmax,
                 "dApre": 0.01 * wmax, "dApost": -0.01 * wmax * 1.05}
    synapses = b2.Synapses(g_pre, g_post, """w : 1
        dApre/dt = -Apre/taupre : 1 (event-driven)
        dApost/dt = -Apost/taupost : 1 (event-driven)""",
                           on_pre="Apre += dApre\nw = clip(w + Apost, 0, wmax)",
                           on_post="Apost += dApost\nw = clip(w + Apre, 0, wmax)", namespace=namespace)
    synapses.connect(j="i")
    synapses.w = w0
    synapses.delay = delay * b2.second
    b2.run(duration * b2.second, namespace=namespace)
    theirs = np.asarray(synapses.w[:])
    assert np.max(np.abs(ours - w0)) > 1e-3  # the trains did change the weights
    assert np.max(np.abs(ours - theirs)) < 1e-12


def test_triplet_post_pre_post_matches_formula():
    """Pre at 10 ms, posts at 20 and 30 ms, then a pre at 45 ms: Pfister & Gerstner's updates by hand."""
    p = {"tau_plus": 16.8e-3, "tau_x": 101e-3, "tau_minus": 33.7e-3, "tau_y": 125e-3,
         "A2p": 5e-10, "A3p": 6.2e-3, "A2m": 7e-3, "A3m": 2.3e-4}
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 1, [0, 0], [0.0100, 0.0450]))
    post = net.add(SpikeSource("post", 1, [0, 0], [0.0200, 0.0300]))
    net.add(PlasticProjection(pre, post, None, "stdp_triplet", params={"wmax": WMAX}, weight=W0))
    sim = Simulator(net, dt=DT)
    sim.run(0.05)
    t_pre, t_post = (100 * DT, 450 * DT), (200 * DT, 300 * DT)
    w = W0 + WMAX * np.exp(-(t_post[0] - t_pre[0]) / p["tau_plus"]) * p["A2p"]  # o2 = 0 before the first post
    w += WMAX * np.exp(-(t_post[1] - t_pre[0]) / p["tau_plus"]) * (
        p["A2p"] + p["A3p"] * np.exp(-(t_post[1] - t_post[0]) / p["tau_y"]))
    o1 = sum(np.exp(-(t_pre[1] - t) / p["tau_minus"]) for t in t_post)
    w -= WMAX * o1 * (p["A2m"] + p["A3m"] * np.exp(-(t_pre[1] - t_pre[0]) / p["tau_x"]))
    assert abs(sim.network.projections[0].state["w"][0] - w) < 1e-12


def test_static_projection_code_has_no_plasticity():
    """Static networks generate the same loop as before plasticity existed: no extra kernels or queues."""
    from neurosim.core.connectivity import Projection
    net, a, _ = _pair()
    post = net.add(LIF("post", 2, receptors={"e": Synapse("exponential", 5e-3)}))
    net.add(Projection(a, post, "e", weight=1e-9, delay=1e-3))
    source = Simulator(net, dt=DT).source
    assert source.count("def ") == 1
    assert "plasticity" not in source
    assert "enqueue" not in source
    net.add(PlasticProjection(a, post, "e", "stdp_additive", params={"wmax": "2 nA"}, weight=1e-9))
    assert Simulator(net, dt=DT).source.count("def ") == 3  # run_chunk, on_pre, on_post


def test_on_pre_assigns_a_post_neuron_variable():
    """Brian2's ``on_pre='v_post += w'``: the arriving spike (delay 2 ms) makes v jump by w exactly,
    then v relaxes to rest with tau_m; an unknown ``_post`` name is refused naming rule, block and name."""
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 1, [0], [10 * DT]))
    post = net.add(LIF("post", 1, params={"v_rest": -0.07, "v_thresh": 0.0, "tau_m": 0.01}))
    rule = Rule("jump", "w : volt", on_pre="v_post += w")
    net.add(PlasticProjection(pre, post, None, rule, weight=2e-3, delay=20 * DT, rule=OneToOne()))
    net.record_state(post, "v")
    sim = Simulator(net, dt=DT)
    v = sim.run(40 * DT).states["post"]["v"].data[:, 0]
    assert np.all(v[:31] == -0.07)  # recorded at the start of a step: the jump in step 30 shows at 31
    assert v[31] == pytest.approx(-0.07 + 2e-3, abs=1e-15)
    assert v[32] == pytest.approx(-0.07 + 2e-3 * np.exp(-DT / 0.01), abs=1e-15)
    bad = Rule("jump_typo", "w : volt", on_pre="vm_post += w")
    with pytest.raises(EquationError, match=r"jump_typo.*on_pre.*'vm_post' is not a variable of the postsynaptic"):
        PlasticProjection(pre, post, None, bad, rule=OneToOne())
