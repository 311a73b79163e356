"""Rate units as equation models (rate_<activation>) against the hand-written rate units."""
import numpy as np
import pytest

from neurosim.core.dense import DenseProjection
from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Step

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


@pytest.mark.parametrize(("model", "activation", "scale"),
                         [("rate_logistic", "logistic", 1.0), ("rate_lif", "lif", 5e-3), ("rate_tanh", "tanh", 1.0),
                          ("rate_relu", "relu", 1.0), ("rate_softplus", "softplus", 1.0),
                          ("rate_linear", "linear", 1.0)])
def test_rate_equations_match_handwritten_rate_units(model, activation, scale):
    generated = run(model, "5 ms", scale)
    hand = run("rate", "5 ms", scale, activation=activation)
    for variable in ("x", "rate"):
        np.testing.assert_allclose(generated.states["R"][variable].data, hand.states["R"][variable].data,
                                   rtol=1e-12, atol=1e-12)
    assert np.ptp(hand.states["R"]["rate"].data) > 0.1  # the output moves (the comparison is not of constants)
