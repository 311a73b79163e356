import numpy as np
import pytest

from neurosim.core.dense_plasticity import LearningDenseProjection
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.binary import BinaryPopulation
from neurosim.core.neurons.rate import rate_population
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError
from neurosim.learning.data import random_patterns
from neurosim.learning.hopfield import Hopfield
from neurosim.rng import generator

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


def storkey_reference(X):
    """Storkey (1997), written from the paper: W^mu = W^(mu-1) + (1/n)(x x^T - x h^T - h x^T),
    h_ij = sum_{k != i, j} W_ik x_k, diagonal zero."""
    n = X.shape[1]
    W = np.zeros((n, n))
    for x in X:
        field = W @ x  # W has a zero diagonal: the k = i term is absent
        H = field[:, None] - W * x[None, :]  # H[i, j] = h_ij
        dW = (np.outer(x, x) - x[:, None] * H.T - H * x[None, :]) / n
        np.fill_diagonal(dW, 0.0)
        W = W + dW
    return W


def test_storkey_rule_on_the_core_equals_the_papers_update():
    X = random_patterns(12, 40, generator(0, "build", "patterns"))
    np.testing.assert_allclose(Hopfield(40).store(X, rule="storkey").weights, storkey_reference(X), rtol=0, atol=1e-14)


def test_hebbian_rule_between_two_populations_sums_outer_products_of_the_presented_states():
    net = Network()
    pre = net.add(BinaryPopulation("pre", 5, mode="sign", update="clamped", initial={"rate": [1, -1, 1, 1, -1]}))
    post = net.add(BinaryPopulation("post", 3, mode="sign", update="clamped", initial={"rate": [-1, 1, 1]}))
    net.add(LearningDenseProjection(pre, post, np.full((3, 5), 0.5), "hebbian", 0.25))
    simulator = Simulator(net, dt=1e-3)
    simulator.run(3e-3)  # three steps with the same states; no diagonal skipped between two populations
    expected = 0.5 + 3 * 0.25 * np.outer([-1, 1, 1], [1, -1, 1, 1, -1])
    np.testing.assert_array_equal(simulator.network.projections[0].encode, expected)


def test_bad_learning_projections_are_refused():
    net = Network()
    a = net.add(rate_population("a", 3))
    b = net.add(rate_population("b", 2))
    lif = net.add(models()["lif_dimensionless"]("lif", 2))
    with pytest.raises(ParameterError, match="rule"):
        LearningDenseProjection(a, b, np.zeros((2, 3)), "oja")
    with pytest.raises(ParameterError, match="recurrent"):
        LearningDenseProjection(a, b, np.zeros((2, 3)), "storkey")
    with pytest.raises(ParameterError, match="rate or binary"):
        LearningDenseProjection(a, lif, np.zeros((2, 3)))
    with pytest.raises(ParameterError, match="learning_rate"):
        LearningDenseProjection(a, b, np.zeros((2, 3)), learning_rate=float("nan"))
