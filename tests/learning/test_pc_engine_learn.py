"""The predictive-coding learn phase on the engine (PredictiveCodingProjection) against the numpy rule."""
import copy

import numpy as np
import pytest

from neurosim.core.dense import DenseProjection
from neurosim.core.dense_plasticity import PredictiveCodingProjection
from neurosim.core.network import Network
from neurosim.errors import ParameterError
from neurosim.learning import pc_engine
from neurosim.learning.data import one_hot
from neurosim.learning.predictive_coding import PredictiveCodingNetwork
from neurosim.rng import generator


def relative(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(a)))


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
def test_learned_weights_persist_in_one_simulator_and_equal_the_reference_rule(activation):
    """Three layers of weights, one compiled simulator for every mini-batch: settled runs, a short
    batch (padded copies the rule must skip) and a run cut at max_iterations (learning at its last step)."""
    rng = np.random.default_rng(3)
    reference = PredictiveCodingNetwork([7, 6, 5, 3], generator(2, "build", "pc:weights"), activation)
    reference.b = [rng.normal(0, 0.3, b.shape) for b in reference.b]  # nonzero biases: their rule shows
    twin = copy.deepcopy(reference)
    engine = pc_engine.EnginePredictiveCoding(twin, 6, gamma=0.2)
    simulator = engine.train_net.simulator
    X, Y = rng.uniform(0, 1, (6, 7)), one_hot(rng.integers(0, 3, 6), 3)
    for rows, max_iterations in ((slice(0, 6), 500), (slice(1, 5), 500), (slice(0, 6), 4), (slice(2, 6), 500)):
        W0, b0 = [w.copy() for w in reference.W], [b.copy() for b in reference.b]
        theirs = reference.train_step(X[rows], Y[rows], 0.5, 0.2, rate=0.2, tol=1e-6, max_iterations=max_iterations)
        ours = engine.train_step(X[rows], Y[rows], 0.5, rate=0.2, tol=1e-6, max_iterations=max_iterations)
        assert ours.iterations == theirs.iterations
        assert (ours.iterations == 4) == (max_iterations == 4)
        W, b = engine.train_net.weights()  # what the projections hold
        for l in range(3):
            assert relative(reference.W[l] - W0[l], W[l] - W0[l]) < 1e-12
            assert relative(reference.b[l] - b0[l], b[l] - b0[l]) < 1e-12
            np.testing.assert_array_equal(twin.W[l], W[l])
        # the tied feedback e_{l+1} -> x_l holds rate W_{l+1}: it learned with the forward weights
        back = engine.train_net.encode[("back", 1)]
        assert relative(engine.train_net.feedback_rate * reference.W[1], back) < 1e-12
    assert engine.train_net.simulator is simulator


def test_no_learning_at_learning_rate_zero():
    reference = PredictiveCodingNetwork([4, 3, 2], generator(2, "build", "pc:weights"), "logistic")
    network = pc_engine.EngineNetwork(reference, 2, {0, 2}, [1.0, 0.5], plastic=True)
    before = network.weights()
    x = reference.forward(np.full((2, 4), 0.5))
    x[-1] = one_hot([0, 1], 2)
    network.relax(x, 0.2, 1e-6, 200)
    for a, b in zip(before[0] + before[1], network.weights()[0] + network.weights()[1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_projection_checks_its_tied_projections():
    net = Network(batch=2)
    one = net.add_population("one", 1, "rate")
    a, b = net.add_population("a", 3, "rate"), net.add_population("b", 2, "rate")
    bias = DenseProjection(one, b, matrix=np.zeros((2, 1)))
    with pytest.raises(ParameterError, match="bias"):
        PredictiveCodingProjection(a, b, np.zeros((2, 3)), DenseProjection(a, b, matrix=np.zeros((2, 3))), 1.0)
    with pytest.raises(ParameterError, match="feedback"):
        PredictiveCodingProjection(a, b, np.zeros((2, 3)), bias, 1.0,
                                   feedback=DenseProjection(a, b, matrix=np.zeros((2, 3))))
    with pytest.raises(ParameterError, match="precision"):
        PredictiveCodingProjection(a, b, np.zeros((2, 3)), bias, 0.0)
