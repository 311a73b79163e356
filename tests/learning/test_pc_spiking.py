"""Predictive coding with LIF push-pull populations against the rate network's fixed point.

Tolerance: a neuron's rate read from a window of ``T`` seconds is uncertain by about one spike,
``1 / T``; with independent errors over the ``2 m`` neurons of a unit the decoded value is
uncertain by ``sqrt(2 m) max|d| / T`` (decoders ``d = 1 / (2 m gain r'(J))``); the tests allow 4 of
these on every unit.
"""
import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.learning.pc_spiking import SpikingRelaxation, slope
from neurosim.learning.predictive_coding import PredictiveCodingNetwork


def _setup(gamma):
    rng = np.random.default_rng(0)
    net = PredictiveCodingNetwork([8, 6, 4], rng, activation="linear")
    X, Y = rng.uniform(0, 1, 8), np.eye(4)[1]
    x = net.forward(X[None])
    x[-1] = Y[None].copy()
    return net, X, Y, net.relax(x, {0, 2}, gamma=gamma, rate=0.1, tol=1e-12, max_iterations=200000)


@pytest.mark.slow
@pytest.mark.parametrize("gamma", [1.0, 0.1])
def test_clamped_relaxation_reaches_the_rate_networks_fixed_point(gamma):
    net, X, Y, ref = _setup(gamma)
    m, window, gain = 40, 2.0, 0.5
    relaxation = SpikingRelaxation(net, [X, np.zeros(6), Y], {0, 2}, gamma=gamma, m=m, gain=gain, seed=1)
    decoded = relaxation.run("2.5 s", f"{window} s")
    tol = 4 * np.sqrt(2 * m) / (2 * m * gain * slope(4.0) * window)  # r' is smallest at J = 4
    np.testing.assert_allclose(decoded[("x", 1)], ref.x[1][0], atol=tol, rtol=0)
    np.testing.assert_allclose(decoded[("e", 1)], ref.eps[1][0], atol=tol, rtol=0)
    np.testing.assert_allclose(decoded[("e", 2)], ref.eps[2][0], atol=tol, rtol=0)
    # the fixed point is not the feed-forward sweep: the clamped label moved the hidden values
    assert np.abs(ref.x[1][0] - net.forward(X[None])[1][0]).max() > 3 * tol


def test_slope_is_the_derivative_of_the_lif_rate_curve():
    from neurosim.core.neurons.rate import lif_rate

    j = np.array([1.5, 3.0, 6.0])
    numeric = (lif_rate(j + 1e-6) - lif_rate(j - 1e-6)) / 2e-6
    np.testing.assert_allclose(slope(j), numeric, rtol=1e-6)


def test_nonlinear_networks_and_a_free_input_are_refused():
    net = PredictiveCodingNetwork([3, 2], np.random.default_rng(0), activation="logistic")
    with pytest.raises(ParameterError):
        SpikingRelaxation(net, [np.zeros(3), np.zeros(2)], {0})
    net = PredictiveCodingNetwork([3, 2], np.random.default_rng(0), activation="linear")
    with pytest.raises(ParameterError):
        SpikingRelaxation(net, [np.zeros(3), np.zeros(2)], {1})
