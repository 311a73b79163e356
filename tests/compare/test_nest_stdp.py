"""Pair STDP against NEST 3.10's ``stdp_synapse`` on the same pre/post spike trains.

Convention difference: NEST treats a synapse's whole delay d as *dendritic* (a pre spike emitted at
t_pre meets the synapse at t_pre, a post spike at t_post + d, so it pairs t_post + d - t_pre), neurosim
as Brian2 treats it as *axonal* (the pair is t_post - (t_pre + d)). So NEST with delay d equals neurosim
with delay 0 on the post train shifted by +d, which is what is tested. NEST's parametrisation of the
additive rule (mu_plus = mu_minus = 0): a pre trace K+ += 1 (tau_plus), a post trace K- += 1
(tau_minus, set on the post neuron), potentiation w += lambda*Wmax*K+, depression
w -= alpha*lambda*Wmax*K-, w clipped to [0, Wmax]; i.e. ``stdp_additive`` with dApre = lambda*Wmax,
dApost = -alpha*lambda*Wmax, taupre = tau_plus, taupost = tau_minus. NEST applies potentiation
lazily, at the next pre spike; the trains end with a pre spike on every synapse after its last post
spike, so both sides have applied every pair. Times: NEST's parrots repeat the generators' spikes one
step (dt) later; neurosim's sources get the parrots' times.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from neurosim.compare.nest import available
from neurosim.core.connectivity import OneToOne
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.plasticity import PlasticProjection
from neurosim.core.simulator import Simulator

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

CHILD = pathlib.Path(__file__).with_name("nest_stdp_child.py")
DT = 0.1  # ms


def trains(n: int, duration: float, rate: float, delay_steps: int, seed: int):
    """Random pre/post step indices per synapse (Bernoulli per step), no pair at exactly zero lag after
    the dendritic shift, and a final pre spike after every post spike."""
    rng = np.random.default_rng(seed)
    steps = int(duration / DT)
    pre, post = [], []
    for _ in range(n):
        p = np.flatnonzero(rng.random(steps) < rate * DT * 1e-3) + 10
        q = np.flatnonzero(rng.random(steps) < rate * DT * 1e-3) + 10
        q = q[~np.isin(q + delay_steps, p)]  # NEST and Brian2 order coincident pre and post spikes differently
        p = np.append(p, max(p.max(initial=0), q.max(initial=0) + delay_steps) + 50)
        pre.append(p), post.append(q)
    return pre, post


@pytest.mark.slow
@pytest.mark.skipif(not available(), reason="NEST is not installed")
@pytest.mark.parametrize("bounded", [False, True])
def test_additive_stdp_matches_nest_stdp_synapse(bounded):
    n, duration, rate, delay_steps = 30, 3000.0, 20.0, 15  # 3 s, 20 Hz both sides, d = 1.5 ms
    wmax, lam, alpha, tau_plus, tau_minus = 1.0, 0.01, 1.05, 16.8, 33.7
    if bounded:  # large steps: the hard bounds clip often, and the order of clipping must agree
        lam, alpha = 0.2, 0.5
    pre, post = trains(n, duration, rate, delay_steps, seed=7 + bounded)
    w0 = np.random.default_rng(1).uniform(0.2, 0.8, n)
    spec = {"dt": DT, "n": n, "duration": duration + 100.0, "delay": delay_steps * DT, "w0": w0.tolist(),
            "tau_plus": tau_plus, "tau_minus": tau_minus, "lambda": lam, "alpha": alpha, "mu_plus": 0.0,
            "mu_minus": 0.0, "Wmax": wmax,
            # generator times one step before the parrots' spikes
            "pre": [((p - 1) * DT).round(10).tolist() for p in pre],
            "post": [((q - 1) * DT).round(10).tolist() for q in post]}
    child = subprocess.run([sys.executable, str(CHILD)], input=json.dumps(spec), capture_output=True, text=True,
                           timeout=600, check=False)
    assert child.returncode == 0, child.stderr[-2000:]
    theirs = np.array(json.loads(child.stdout.strip().splitlines()[-1]))

    def neurosim(upper):
        net = Network(seed=0)
        index = (lambda ts: np.concatenate([np.full(len(t), k) for k, t in enumerate(ts)]))
        times = (lambda ts, shift: np.concatenate(ts) * DT * 1e-3 + shift)
        source = net.add(SpikeSource("pre", n, index(pre), times(pre, 0.0)))
        target = net.add(SpikeSource("post", n, index(post), times(post, delay_steps * DT * 1e-3)))  # + dendritic delay
        params = {"wmax": upper, "taupre": f"{tau_plus} ms", "taupost": f"{tau_minus} ms",
                  "dApre": lam * wmax, "dApost": -alpha * lam * wmax}
        net.add(PlasticProjection(source, target, None, "stdp_additive", params=params, rule=OneToOne(), weight=w0,
                                  delay=0.0))
        sim = Simulator(net, dt=DT * 1e-3)
        sim.run((duration + 100.0) * 1e-3)
        return sim.network.projections[0].state["w"]

    ours = neurosim(wmax)
    assert np.max(np.abs(theirs - w0)) > 0.05  # the trains changed the weights
    if bounded:  # the bounds mattered: without the upper one (and with it far away) the weights differ
        assert np.max(np.abs(neurosim(1e9) - ours)) > 0.05
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
