import itertools

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.neural_network import BernoulliRBM

from neurosim.errors import ParameterError
from neurosim.learning.data import binary_digits
from neurosim.learning.experiments import feature_accuracy
from neurosim.learning.rbm import RBM


def small_rbm():
    rbm = RBM(5, 3, np.random.default_rng(0), scale=1.0)
    rbm.b, rbm.c = np.random.default_rng(1).normal(size=5), np.random.default_rng(2).normal(size=3)
    return rbm


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def test_energy_gaps_and_conditionals_follow_the_energy():
    rbm = small_rbm()
    v, h = all_states(5)[[3, 17, 30]], all_states(3)[[1, 4, 6]]
    for i in range(5):
        on, off = v.copy(), v.copy()
        on[:, i], off[:, i] = 1, 0
        np.testing.assert_allclose(rbm.energy(on, h) - rbm.energy(off, h), rbm.energy_gap_visible(h)[:, i])
        np.testing.assert_allclose(rbm.visible_probabilities(h)[:, i],
                                   1 / (1 + np.exp(rbm.energy_gap_visible(h)[:, i])))
    for j in range(3):
        on, off = h.copy(), h.copy()
        on[:, j], off[:, j] = 1, 0
        np.testing.assert_allclose(rbm.energy(v, on) - rbm.energy(v, off), rbm.energy_gap_hidden(v)[:, j])


def test_free_energy_and_pseudo_likelihood_against_brute_force():
    rbm = small_rbm()
    V, H = all_states(5), all_states(3)
    E = np.array([[rbm.energy(v, h)[0] for h in H] for v in V])
    np.testing.assert_allclose(rbm.free_energy(V), -logsumexp(-E, axis=1))
    data = V[[2, 9, 21, 31]]
    expected = 0.0
    for v in data:
        for i in range(5):
            flipped = v.copy()
            flipped[i] = 1 - v[i]
            a, b = -rbm.free_energy(v)[0], -rbm.free_energy(flipped)[0]
            expected += a - np.logaddexp(a, b)
    assert rbm.pseudo_log_likelihood(data) == pytest.approx(expected / len(data))


def test_gibbs_sampling_reaches_the_model_distribution():
    rbm = small_rbm()
    V = all_states(5)
    p = np.exp(-rbm.free_energy(V) - logsumexp(-rbm.free_energy(V)))
    rng = np.random.default_rng(3)
    v, _ = rbm.gibbs(rbm.sample(np.full((4000, 5), 0.5), rng), 30, rng)
    counts = np.bincount((v @ (2 ** np.arange(4, -1, -1))).astype(int), minlength=32) / 4000
    # 4000 independent chains: each frequency within 5 binomial standard deviations
    assert np.all(np.abs(counts - p) <= 5 * np.sqrt(p * (1 - p) / 4000) + 1e-3)


@pytest.fixture(scope="module")
def digits():
    return binary_digits()


def test_cd1_lowers_reconstruction_error_and_raises_pseudo_likelihood_on_held_out_digits(digits):
    X_train, X_test, _, _ = digits
    curves = RBM(64, 100, np.random.default_rng(0)).fit(X_train, np.random.default_rng(1), epochs=10,
                                                         V_valid=X_test)
    recon, pll = curves["reconstruction_error"], curves["pseudo_log_likelihood"]
    assert recon[-1] < 0.6 * recon[1] < recon[0]
    assert pll[-1] > pll[1] + 5 > pll[0]
    # REFERENCE_FACTS: scikit-learn's PLL on digits -25.6 after one epoch, -20.2 after ten
    assert -30 < pll[1] < -20
    assert pll[-1] > -20.2


@pytest.mark.slow  # 3 seeds x 2 RBMs, 10 epochs on digits
def test_hidden_features_classify_at_least_as_well_as_sklearn_bernoulli_rbm(digits):
    X_train, X_test, y_train, y_test = digits
    ours, theirs = [], []
    for seed in range(3):  # same hyperparameters: 100 hidden, lr 0.06, batch 10, 10 epochs
        rbm = RBM(64, 100, np.random.default_rng(seed))
        rbm.fit(X_train, np.random.default_rng(seed + 100), epochs=10, learning_rate=0.06, batch_size=10)
        ours.append(feature_accuracy(rbm.transform(X_train), y_train, rbm.transform(X_test), y_test))
        reference = BernoulliRBM(n_components=100, learning_rate=0.06, batch_size=10, n_iter=10, random_state=seed)
        reference.fit(X_train)
        theirs.append(feature_accuracy(reference.transform(X_train), y_train, reference.transform(X_test), y_test))
    pixels = feature_accuracy(X_train, y_train, X_test, y_test)
    assert np.mean(ours) >= np.mean(theirs)
    assert np.mean(ours) > pixels


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"epochs": 0}, "epochs"),
    ({"momentum": 1.0}, "momentum"),
    ({"V_valid": np.ones((3, 63))}, "V_valid shape"),
])
def test_bad_training_input_raises_parameter_error(kwargs, name):
    with pytest.raises(ParameterError) as info:
        RBM(64, 5, np.random.default_rng(0)).fit(np.zeros((4, 64)), np.random.default_rng(0), **kwargs)
    assert info.value.name == name


def test_bad_data_raise_parameter_error():
    rbm = RBM(4, 2, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="data shape"):
        rbm.transform(np.ones((2, 5)))
    with pytest.raises(ParameterError, match="data"):
        rbm.reconstruction_error(np.full((2, 4), 2.0))
