"""PES (Nengo's ``PES(learning_rate, pre_synapse)``) inside the engine.

1. Exact update: spikes of a source and a constant error; the decoders after K steps must equal
   ``D0 - learning_rate*dt/n_pre * sum_k outer(lowpass(spikes/dt)_k, e)``, computed here in numpy (1e-12).
2. Against Nengo 4.1 (tests/reference/pes_channel_nengo.json, made by pes_channel_nengo.py beside it,
   8 seeds): the learned communication channel f(x) = x, switched to f(x) = -x at 5 s; the RMS error
   of decoded b in 0.5 s windows, 4 neurosim seeds, Welch's t per window. Bound |t| < 4: with 20
   windows, about 10 degrees of freedom, a two-sided family-wise error of about 5% (Bonferroni).
"""
from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from neurosim.coding import PES, Model
from neurosim.core.network import Network
from neurosim.core.neurons.rate import rate_population
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.plasticity import PESProjection
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
NENGO = json.loads((ROOT / "tests" / "reference" / "pes_channel_nengo.json").read_text())["rms_by_seed"]


def test_pes_update_is_nengos_formula():
    dt, steps, n, k, lr, tau = 1e-3, 200, 7, 2, 3e-3, 0.005
    rng = np.random.default_rng(0)
    spikes = rng.random((steps, n)) < 0.05
    step, index = np.nonzero(spikes)
    error = np.array([0.3, -1.2])
    decoders = rng.normal(size=(k, n))
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", n, index, step * dt))
    post = net.add(rate_population("post", 3, activation="linear"))
    err = net.add(rate_population("err", k, params={"bias": error}, activation="linear"))
    net.add(PESProjection(pre, post, decoders, rng.normal(size=(3, k)), err, learning_rate=lr, pre_tau=tau, name="c"))
    sim = Simulator(net, dt=dt)
    sim.run(steps * dt)
    a, decay, expected = np.zeros(n), np.exp(-dt / tau), decoders.T.copy()
    for s in range(steps):
        a = decay * a + (1 - decay) * spikes[s] / dt
        expected += -lr * dt / n * np.outer(a, error)
    learned = sim.network.projections[0].decode
    assert np.max(np.abs(learned - decoders.T)) > 1e-3
    np.testing.assert_allclose(learned, expected, rtol=0, atol=1e-12)
    assert np.array_equal(sim.results().synapses["c"]["decoders"], learned)


def test_pes_bad_input():
    with pytest.raises(ParameterError, match="learning_rate"):
        PES(learning_rate=-1.0)
    model = Model(seed=0)
    stim = model.node("stim", 0.5)
    b = model.ensemble("b", 10)
    with pytest.raises(ParameterError, match="from an ensemble"):
        model.connect(stim, b, learning_rule=PES())
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 3, [0], [0.0]))
    post = net.add(rate_population("post", 2, activation="linear"))
    err = net.add(rate_population("err", 2, activation="linear"))
    with pytest.raises(ParameterError, match="one per decoded dimension"):
        PESProjection(pre, post, np.zeros((1, 3)), np.zeros((2, 1)), err)


def channel_error(seed, duration=10.0, switch=5.0, dt=0.001, n=100):
    """The set-up of pes_channel_nengo.py; RMS of decoded b minus target in 0.5 s windows."""
    model = Model(seed=seed)
    stim = model.node("stim", lambda t: np.sin(2 * np.pi * t))
    target = model.node("target", lambda t: np.where(t < switch, 1.0, -1.0) * np.sin(2 * np.pi * t))
    a, b, e = (model.ensemble(name, n) for name in "abe")
    model.connect(stim, a)
    conn = model.connect(a, b, function=lambda x: np.zeros_like(x), learning_rule=PES(learning_rate=1e-4))
    model.connect(b, e)
    model.connect(target, e, transform=-1)
    model.connect(e, conn.learning_rule)
    model.probe(b, synapse=0.01)
    data = model.run(duration, dt=dt)
    t = np.arange(len(data.t)) * dt
    err = data.decoded["b_probe"][:, 0] - np.where(t < switch, 1.0, -1.0) * np.sin(2 * np.pi * t)
    return np.sqrt((err.reshape(-1, 500) ** 2).mean(1))


def test_pes_channel_error_trajectory_matches_nengo():
    ours = np.array([channel_error(seed) for seed in (1, 2, 3, 4)])
    theirs = np.array(list(NENGO.values()))
    t = (ours.mean(0) - theirs.mean(0)) / np.sqrt(ours.var(0, ddof=1) / len(ours) + theirs.var(0, ddof=1) / len(theirs))
    assert np.all(np.abs(t) < 4), t.round(2)
    mean = ours.mean(0)
    assert mean[9] < 0.3 * mean[1]  # learned
    assert mean[19] < 0.3 * mean[11]  # relearned after the switch
    assert mean[10] > 5 * mean[9]  # the switch to f(x) = -x is an error again
