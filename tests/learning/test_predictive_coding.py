import copy
import math

import numpy as np
import pytest

from neurosim.baselines import autodiff as ad
from neurosim.core.activations import SLOPES, VALUES
from neurosim.errors import ParameterError
from neurosim.learning.data import one_hot, scaled_digits
from neurosim.learning.predictive_coding import (
    PredictiveCodingNetwork,
    backprop_gradients,
    train,
    train_backprop,
)


def cosine(a, b):
    return float(np.vdot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def digits():
    return scaled_digits()


CLOSED_FORMS = {"logistic": lambda x: 1 / (1 + math.exp(-x)), "tanh": math.tanh, "relu": lambda x: max(x, 0.0),
                "softplus": lambda x: math.log(1 + math.exp(x)), "linear": lambda x: x}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_activation_curves_and_slopes_against_closed_forms(name):
    # the curves against their textbook formulas point by point, the slopes against central
    # differences of those (step 1e-5: truncation ~1e-10 times the third derivative, rounding ~1e-11);
    # x avoids relu's kink at 0
    x = np.linspace(-6, 6, 100)
    fx = VALUES[name](x)
    np.testing.assert_allclose(fx, [CLOSED_FORMS[name](v) for v in x], rtol=1e-13, atol=1e-15)
    h = 1e-5
    numeric = [(CLOSED_FORMS[name](v + h) - CLOSED_FORMS[name](v - h)) / (2 * h) for v in x]
    np.testing.assert_allclose(SLOPES[name](x, fx), numeric, atol=1e-8)


def autodiff_gradients(network, X, Y):
    """The same gradients by the baselines' reverse-mode autodiff (independent of the PC code)."""
    W = [ad.parameter(w.copy()) for w in network.W]
    b = [ad.parameter(v.copy()) for v in network.b]
    h = ad.Tensor(np.asarray(X, float))
    act = {"logistic": ad.logistic, "tanh": ad.tanh, "relu": ad.relu, "softplus": ad.softplus}[network.activation]
    for l in range(network.n_layers):
        h = (act(h) if l > 0 else h) @ W[l] + b[l]
    diff = h - np.asarray(Y, float)
    ((diff * diff).sum() * (0.5 / len(diff.data))).backward()
    return [w.grad for w in W], [v.grad for v in b]


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "softplus"])
def test_backprop_gradients_equal_autodiff(digits, activation):
    X_train, _, y_train, _ = digits
    net = PredictiveCodingNetwork([64, 32, 16, 10], np.random.default_rng(5), activation)
    X, Y = X_train[:40], one_hot(y_train[:40])
    (gW, gb), (aW, ab) = backprop_gradients(net, X, Y), autodiff_gradients(net, X, Y)
    for mine, reference in zip([*gW, *gb], [*aW, *ab], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-14)


def pc_and_backprop(digits, activation, scale, gamma):
    X_train, _, y_train, _ = digits
    net = PredictiveCodingNetwork([64, 32, 16, 10], np.random.default_rng(4), activation)
    for w in net.W:
        w *= scale
    X, Y = X_train[:50], one_hot(y_train[:50])
    x = net.forward(X)
    x[-1] = Y.copy()
    relaxation = net.relax(x, {0, 3}, gamma, rate=1.0, tol=1e-10, max_iterations=20000)
    assert relaxation.iterations < 20000
    assert np.all(np.diff(relaxation.energy) <= 1e-12)  # every Euler step descends F
    return net.weight_updates(relaxation, gamma), autodiff_gradients(net, X, Y)


@pytest.mark.parametrize(("activation", "scale", "gamma"),
                         [("logistic", 1.0, 0.1), ("tanh", 1.0, 0.01), ("tanh", 2.0, 0.001)])
def test_weight_updates_after_relaxation_equal_backprop_gradients(digits, activation, scale, gamma):
    """Independent reference: the baselines' reverse-mode autodiff on the same weights and loss."""
    (dW, db), (gW, gb) = pc_and_backprop(digits, activation, scale, gamma)
    for layer in range(3):
        assert cosine(dW[layer], -gW[layer]) > 0.999
        assert cosine(db[layer], -gb[layer]) > 0.999


def test_agreement_with_backprop_improves_as_the_output_precision_shrinks(digits):
    worst = []
    for gamma in (1.0, 0.1, 0.01):
        (dW, _), (gW, _) = pc_and_backprop(digits, "tanh", 1.0, gamma)
        worst.append(min(cosine(a, -g) for a, g in zip(dW, gW, strict=True)))
    # REFERENCE_FACTS: 0.80-0.97 at gamma 1, 0.993-0.998 at 0.1, > 0.9999 at 0.01
    assert worst[0] < 0.95 < worst[1] < worst[2]
    assert worst[2] > 0.999


def test_inference_relaxes_to_the_feed_forward_pass(digits):
    _, X_test, _, _ = digits
    net = PredictiveCodingNetwork([64, 32, 10], np.random.default_rng(0), "tanh")
    relaxation = net.infer(X_test[:40], tol=1e-9)
    np.testing.assert_allclose(relaxation.x[-1], net.forward(X_test[:40])[-1], atol=1e-7)
    assert relaxation.iterations > 10  # it started from zero and really relaxed


@pytest.mark.slow  # 30 epochs on digits, twice
def test_pc_on_digits_within_two_points_of_backprop_and_generates_its_labels(digits):
    X_train, X_test, y_train, y_test = digits
    pc = PredictiveCodingNetwork([64, 64, 10], np.random.default_rng(1))
    bp = copy.deepcopy(pc)
    settings = {"epochs": 30, "batch_size": 20, "learning_rate": 0.2}
    pc_curves = train(pc, X_train, y_train, np.random.default_rng(2), gamma=0.1, rate=0.3, tol=1e-4,
                      X_test=X_test, y_test=y_test, **settings)
    bp_curves = train_backprop(bp, X_train, y_train, np.random.default_rng(2), X_test=X_test, y_test=y_test, **settings)
    pc_accuracy, bp_accuracy = pc_curves["test_accuracy"][-1], bp_curves["test_accuracy"][-1]
    assert abs(pc_accuracy - bp_accuracy) <= 0.02
    assert pc_accuracy > 0.93  # REFERENCE_FACTS: PC with gamma 0.1 0.958-0.967, backprop 0.956-0.964
    assert pc_curves["train_loss"][-1] < 0.3 * pc_curves["train_loss"][0]
    generated = pc.generate(np.arange(10), X_train.mean(axis=0, keepdims=True)).x[0]
    np.testing.assert_array_equal(pc.forward(generated)[-1].argmax(axis=1), np.arange(10))
    assert np.all(np.abs(generated - X_train.mean(axis=0)).max(axis=1) > 0.2)  # moved away from the prior mean


@pytest.mark.parametrize(("call", "name"), [
    (lambda n, X: train(n, X, np.zeros(4, int), np.random.default_rng(), learning_rate=0.0), "learning_rate"),
    (lambda n, X: train(n, X, np.zeros(4, int), np.random.default_rng(), gamma=-1.0), "gamma"),
    (lambda n, X: n.infer(X[:, :5]), "X shape"),
    (lambda n, X: n.train_step(X, np.ones((4, 3)), 0.1), "Y shape"),
    (lambda n, X: PredictiveCodingNetwork([8, 4], np.random.default_rng(), "sigmoidal"), "activation"),
    (lambda n, X: PredictiveCodingNetwork([8, 0], np.random.default_rng()), "sizes"),
])
def test_bad_input_raises_parameter_error(call, name):
    net = PredictiveCodingNetwork([8, 6, 2], np.random.default_rng(0))
    with pytest.raises(ParameterError) as info:
        call(net, np.ones((4, 8)))
    assert info.value.name == name
