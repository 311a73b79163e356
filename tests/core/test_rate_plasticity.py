"""Oja and BCM (rule files ``oja``, ``bcm``) on rate populations inside the engine, against the numpy
rules of neurosim.learning.rules applied step by step, and Oja's convergence to the first principal
component (numpy's eigenvector).

Timing (documented in docs/models.md): in step k the summed input uses w and the pre rates at the
start of the step, then w takes one Euler step with the rates at the start of the step; rates are
recorded at the start of each step. So post[k+1] = pre[k] @ W[k] for linear units with tau = 0.
"""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons.rate import rate_population
from neurosim.core.plasticity import PlasticProjection, Rule
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Waveform
from neurosim.equations.parse import EquationError
from neurosim.learning import rules

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-3


class Samples(Waveform):
    """Row ``step // hold`` of ``x`` as the input of step ``step``."""

    def __init__(self, target, x, hold=1):
        super().__init__(target, name="samples")
        self.x, self.hold = x, hold

    def values(self, t):
        return self.x[np.round(t / DT).astype(np.int64) // self.hold]


def network(rule, x, w0, params, hold=1, n_post=1):
    net = Network(seed=0)
    pre = net.add(rate_population("pre", x.shape[1], activation="linear"))
    post = net.add(rate_population("post", n_post, activation="linear"))
    net.add(Samples(pre, x, hold))
    net.add(PlasticProjection(pre, post, None, rule, params=params, weight=w0, name="syn"))
    for pop in (pre, post):
        net.record_state(pop, "rate")
    return net


@pytest.mark.parametrize("name", ["oja", "bcm"])
def test_engine_matches_numpy_rule_step_by_step(name):
    rng = np.random.default_rng(4)
    steps, n_pre, n_post, eta, tau_theta = 400, 4, 3, 5.0, 0.05
    x = rng.uniform(0.0, 1.0, (steps + 1, n_pre))
    w0 = rng.uniform(0.1, 0.5, n_pre * n_post)  # CSR order: synapse i*n_post + j
    params = {"eta": f"{eta} Hz"} if name == "oja" else {"eta": f"{eta} Hz", "tau_theta": f"{tau_theta} s"}
    sim = Simulator(network(name, x, w0, params, n_post=n_post), dt=DT)
    results = sim.run(steps * DT)
    pre, post = results.states["pre"]["rate"].data, results.states["post"]["rate"].data
    weights, theta = w0.reshape(n_pre, n_post).copy(), np.zeros(n_post)
    for k in range(steps):
        if k + 1 < steps:
            np.testing.assert_allclose(post[k + 1], pre[k] @ weights, rtol=0, atol=1e-12)
        if name == "oja":
            weights = weights + DT * eta * rules.oja(pre[k], post[k], weights)
        else:
            weights = weights + DT * eta * rules.bcm(pre[k], post[k], theta)
            theta = theta + DT * (post[k] - theta) / tau_theta
    learned = sim.network.projections[0].state["w"].reshape(n_pre, n_post)
    assert np.max(np.abs(learned - w0.reshape(n_pre, n_post))) > 1e-2
    np.testing.assert_allclose(learned, weights, rtol=0, atol=1e-12)


def test_oja_finds_the_first_principal_component():
    """Inputs x ~ N(0, C), each held for H steps, C with eigenvalues 4, 1, 0.25 in a random basis.
    Linearised around e1, the weight's component along e_j (j > 1) has a stationary variance
    eps*H*l1*lj / (2 (l1 - lj)) with eps = eta*dt (noise of H steps per sample); the angle's square
    is their sum. Bound: 4 times that standard deviation, well below the pi/2 of any other eigenvector."""
    rng = np.random.default_rng(5)
    eigenvalues, hold, eta, steps = np.array([4.0, 1.0, 0.25]), 10, 0.1, 60_000
    basis = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    cov = basis @ np.diag(eigenvalues) @ basis.T
    x = rng.multivariate_normal(np.zeros(3), cov, steps // hold + 2)
    w0 = rng.normal(0, 0.3, 3)
    sim = Simulator(network("oja", x, w0, {"eta": f"{eta} Hz"}, hold=hold), dt=DT)
    sim.run(steps * DT)
    w = sim.network.projections[0].state["w"]
    first = np.linalg.eigh(np.cov(x.T))[1][:, -1]
    angle = np.arccos(min(1.0, abs(w @ first) / np.linalg.norm(w)))
    eps = eta * DT
    sd = np.sqrt(np.sum(eps * hold * eigenvalues[0] * eigenvalues[1:] / (2 * (eigenvalues[0] - eigenvalues[1:]))))
    assert angle < 4 * sd, (angle, sd)
    assert abs(np.linalg.norm(w) - 1.0) < 0.2  # |w| -> 1/sqrt(beta) (less a little: 1 step in H has a stale y)


def test_neuron_reference_errors_name_model_statement_and_variable():
    net = Network(seed=0)
    pre = net.add(rate_population("pre", 2, activation="linear"))
    post = net.add(rate_population("post", 1, activation="linear"))
    rule = Rule("bad_rate", "dw/dt = rate_post*vm_pre : 1 (clock-driven)\ni_ext_post = w*rate_pre : 1 (summed)")
    with pytest.raises(EquationError, match=r"bad_rate.*'vm_pre' is not a variable of the presynaptic population"):
        PlasticProjection(pre, post, None, rule)
    with pytest.raises(EquationError, match="event-driven trace"):
        Rule("stale", "w : 1\ndA/dt = -A/tau : 1 (event-driven)\ndx/dt = A/tau : 1 (clock-driven)\ntau : second",
             on_post="A += 1", parameters={"tau": "10 ms"})
    with pytest.raises(EquationError, match="i_ext_post = expression"):
        Rule("sub", "w : 1\ny = 2*w : 1")
