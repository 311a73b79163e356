"""The digits MLP reaches the target accuracy; FGSM hurts it far more than random noise."""
import numpy as np
import pytest

from neurosim.baselines.adversarial import accuracy_vs_epsilon, fgsm
from neurosim.baselines.mlp import train_mlp
from neurosim.datasets import load_digits_split
from neurosim.errors import ParameterError


@pytest.fixture(scope="module")
def trained():
    X_train, X_test, y_train, y_test = load_digits_split()
    model, curves = train_mlp(X_train, y_train, np.random.default_rng(1), hidden=(100,), epochs=60)
    return model, curves, X_test, y_test


def test_mlp_reaches_97_percent_on_held_out_digits(trained):
    model, curves, X_test, y_test = trained
    assert model.accuracy(X_test, y_test) >= 0.97
    assert curves["train_loss"][-1] < 0.05 * curves["train_loss"][0]


def test_fgsm_drops_accuracy_much_more_than_noise(trained):
    model, _, X_test, y_test = trained
    clean, attacked = accuracy_vs_epsilon(model, X_test, y_test, [0.0, 0.1])
    noisy = model.accuracy(np.clip(X_test + 0.1 * np.random.default_rng(0).choice([-1, 1], X_test.shape), 0, 1),
                           y_test)
    assert attacked < 0.6
    assert 0.9 < noisy <= clean
    adversarial = fgsm(model, X_test, y_test, 0.1)
    assert np.abs(adversarial - X_test).max() <= 0.1 + 1e-12
    assert adversarial.min() >= 0
    assert adversarial.max() <= 1


def test_fgsm_rejects_negative_epsilon(trained):
    model, _, X_test, y_test = trained
    with pytest.raises(ParameterError, match="fgsm: epsilon"):
        fgsm(model, X_test, y_test, -0.1)


def test_train_mlp_rejects_nan_data():
    X = np.zeros((10, 4))
    X[3, 3] = np.nan
    with pytest.raises(ParameterError, match="train_mlp: data"):
        train_mlp(X, np.arange(10) % 2, np.random.default_rng(0))


def test_train_mlp_rejects_nonpositive_learning_rate():
    with pytest.raises(ParameterError, match="Adam: learning_rate"):
        train_mlp(np.zeros((10, 4)), np.arange(10) % 2, np.random.default_rng(0), learning_rate=0)
