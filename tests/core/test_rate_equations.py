"""Rate units, the equation models rate_<activation> (model 'rate' with activation=...), against the
exact relaxation and, at tau = 0, the analytic x = J + bias."""
import numpy as np
import pytest

from neurosim.core.activations import VALUES
from neurosim.core.dense import DenseProjection
from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.neurons.rate import lif_rate
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Step
from neurosim.errors import ParameterError


def activation_values(name, x):
    """The numpy curve of an activation (the LIF rate curve in Hz for "lif")."""
    return lif_rate(x) if name == "lif" else VALUES[name](np.asarray(x, float))

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def run(model, tau, scale, **options):
    net = Network(seed=4)
    pop = net.add_population("R", 6, model, params={"tau": tau, "bias": 0.5}, initial={"x": np.linspace(-2, 3, 6)},
                             **options)
    net.add(Step(pop, times=[0.0, 0.02], amplitudes=[1.0, -0.5]))
    # a recurrent dense projection: the next step's input depends on the rate output
    rng = np.random.default_rng(0)
    net.add(DenseProjection(pop, pop, matrix=rng.normal(0, 0.3, (6, 6)) * scale))
    net.record_state(pop, "x")
    net.record_state(pop, "rate")
    return Simulator(net, dt=DT).run(0.05)


def reference(activation, tau, scale, steps):
    """The exact step for input held over it, iterated with numpy: x <- T + (x - T) exp(-dt/tau),
    T = I + bias + W f(x) (f: the numpy curves of neurosim.core.neurons.rate)."""
    w = np.random.default_rng(0).normal(0, 0.3, (6, 6)) * scale
    x = np.linspace(-2, 3, 6)
    decay = np.exp(-DT / tau) if tau > 0 else 0.0
    xs = [x]
    for k in range(steps - 1):
        target = (1.0 if k * DT < 0.02 - DT / 2 else -0.5) + 0.5 + w @ activation_values(activation, x)
        x = target + (x - target) * decay
        xs.append(x)
    return np.array(xs)


@pytest.mark.parametrize(("activation", "scale"), [("logistic", 1.0), ("lif", 5e-3), ("tanh", 1.0), ("relu", 1.0),
                                                   ("softplus", 1.0), ("linear", 1.0)])
@pytest.mark.parametrize("tau", [5e-3, 0.0])
def test_rate_equations_match_the_exact_relaxation(activation, scale, tau):
    """rate_<activation> (and make_population('rate', activation=...), the same model) against the
    numpy iteration of the exact solution; x is O(1-10), rounding differs in the curves: 1e-12."""
    generated = run(f"rate_{activation}", tau, scale)
    alias = run("rate", tau, scale, activation=activation)
    x = generated.states["R"]["x"].data
    expected = reference(activation, tau, scale, x.shape[0])
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(generated.states["R"]["rate"].data, activation_values(activation, expected),
                               rtol=1e-12, atol=1e-12)
    for variable in ("x", "rate"):
        assert np.array_equal(alias.states["R"][variable].data, generated.states["R"][variable].data)
    assert np.ptp(generated.states["R"]["rate"].data) > 0.1  # the output moves (the comparison is not of constants)


def test_rate_alias_defaults_to_tau_zero_and_names_unknown_activations():
    pop = make_population("rate", "r", 2, activation="tanh")
    assert pop.model == "rate_tanh"
    assert pop.params["tau"][0] == 0.0
    with pytest.raises(ParameterError, match="softplus"):
        make_population("rate", "r", 2, activation="softplus2")


def test_rate_equation_with_tau_zero_follows_its_input_exactly():
    """tau = 0: x = J + bias in every step (no division by tau), against the analytic answer."""
    net = Network(seed=4)
    pop = net.add_population("R", 3, "rate_tanh", params={"tau": "0 ms", "bias": [0.5, -1.0, 0.0]},
                             initial={"x": [2.0, -3.0, 7.0]})
    net.add(Step(pop, times=[0.0, 0.02], amplitudes=[1.0, -0.5]))
    net.record_state(pop, "x")
    net.record_state(pop, "rate")
    with np.errstate(all="raise"):  # a division by tau = 0 at build would raise here
        result = Simulator(net, dt=DT).run(0.04)
    x = result.states["R"]["x"].data
    t = np.arange(x.shape[0]) * DT
    amplitude = np.where(t < 0.02 - DT / 2, 1.0, -0.5)
    # row k: the state at the start of step k, after step k - 1 with the input at (k - 1) dt
    expected = amplitude[:-1, None] + np.array([0.5, -1.0, 0.0])[None, :]
    assert np.array_equal(x[0], [2.0, -3.0, 7.0])
    assert np.array_equal(x[1:], expected)
    np.testing.assert_allclose(result.states["R"]["rate"].data[1:], np.tanh(expected), rtol=0, atol=1e-15)


def test_rate_equation_with_tau_zero_in_a_recurrent_net_is_the_map_x_of_w_f_x():
    """tau = 0 with a recurrent projection: x_k = I + bias + W f(x_{k-1}), iterated with numpy."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.5, (5, 5))
    net = Network(seed=4)
    pop = net.add_population("R", 5, "rate_logistic", params={"tau": "0 ms", "bias": 0.2},
                             initial={"x": np.linspace(-1, 1, 5)})
    net.add(Step(pop, times=[0.0], amplitudes=[0.3]))
    net.add(DenseProjection(pop, pop, matrix=w))
    net.record_state(pop, "x")
    x = Simulator(net, dt=DT).run(0.002).states["R"]["x"].data
    state = np.linspace(-1, 1, 5)
    expected = [state]  # row k: the state at the start of step k
    for _ in range(x.shape[0] - 1):
        state = 0.3 + 0.2 + w @ (1 / (1 + np.exp(-state)))
        expected.append(state)
    np.testing.assert_allclose(x, np.array(expected), rtol=1e-13, atol=1e-13)
