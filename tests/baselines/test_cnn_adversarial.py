"""CNN (im2col, max pooling), PGD, adversarial training and TRADES: gradients, references, short runs."""
import numpy as np
import pytest
from scipy.special import rel_entr

from neurosim.baselines import autodiff as ad
from neurosim.baselines.adversarial import (
    accuracy_vs_epsilon,
    adversarial_batch_loss,
    fgsm,
    kl_divergence,
    pgd,
    trades_attack,
    trades_batch_loss,
    trades_loss,
)
from neurosim.baselines.cnn import CNN, train_cnn
from neurosim.baselines.layers import MaxPool2d
from neurosim.baselines.losses import cross_entropy
from neurosim.baselines.mlp import MLP, train_mlp
from neurosim.datasets import load_digits_split
from neurosim.errors import ParameterError

from .gradcheck import gradient_error, params

TOLERANCE = 1e-6


@pytest.mark.parametrize("stride", [1, 2])
def test_im2col_gradient_and_layout(stride):
    rng = np.random.default_rng(0)
    (x,) = params(rng, (2, 3, 5, 6))
    assert gradient_error(lambda x: ad.im2col(x, 3, stride), x) < TOLERANCE
    columns = ad.im2col(x, 3, stride).data
    out_w = (6 - 3) // stride + 1
    # row (n, i, j) holds the field at (i * stride, j * stride), flattened channel-major
    n, i, j = 1, 1, 1
    field = x.data[n, :, i * stride:i * stride + 3, j * stride:j * stride + 3].reshape(-1)
    np.testing.assert_array_equal(columns[(n * ((5 - 3) // stride + 1) + i) * out_w + j], field)


def test_max_pool_matches_loop_and_gradient():
    rng = np.random.default_rng(1)
    (x,) = params(rng, (2, 3, 4, 6))
    out = MaxPool2d(2)(x).data
    for i in range(2):
        for j in range(3):
            window = x.data[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            np.testing.assert_array_equal(out[:, :, i, j], window.max(axis=(2, 3)))
    assert gradient_error(lambda x: ad.max_pool2d(x, 2), x) < TOLERANCE  # continuous draws: no ties


def test_max_pool_rejects_indivisible_size():
    with pytest.raises(ParameterError, match="MaxPool2d: input shape"):
        MaxPool2d(2)(np.zeros((1, 1, 5, 4)))


def test_cnn_gradient_all_parameters_and_input():
    rng = np.random.default_rng(0)
    model = CNN(3, rng, side=4, channels=(2, 3), hidden=4)
    (x,) = params(rng, (3, 16))
    assert gradient_error(lambda x, *_: model(x), x, *model.parameters()) < TOLERANCE


def test_cnn_rejects_wrong_input_width():
    model = CNN(10, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="CNN: input shape"):
        model(np.zeros((2, 63)))


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_short_cnn_training_on_digits(digits):
    X_train, X_test, y_train, y_test = digits
    model, curves = train_cnn(X_train, y_train, np.random.default_rng(0), channels=(8, 16), hidden=32, epochs=4,
                              X_test=X_test, y_test=y_test)
    assert curves["test_accuracy"][-1] == model.accuracy(X_test, y_test) >= 0.9  # chance is 0.1
    assert curves["train_loss"][-1] < 0.3 * curves["train_loss"][0]


@pytest.fixture(scope="module")
def plain_mlp(digits):
    X_train, _, y_train, _ = digits
    model, _ = train_mlp(X_train, y_train, np.random.default_rng(2), hidden=(50,), epochs=15)
    return model


def test_pgd_stays_in_the_ball_and_beats_fgsm(digits, plain_mlp):
    _, X_test, _, y_test = digits
    eps = 0.1
    X_adv = pgd(plain_mlp, X_test, y_test, eps, steps=10, rng=np.random.default_rng(0))
    assert np.abs(X_adv - X_test).max() <= eps + 1e-12
    assert X_adv.min() >= 0
    assert X_adv.max() <= 1
    fgsm_acc, pgd_acc = (accuracy_vs_epsilon(plain_mlp, X_test, y_test, [eps], attack=a)[0] for a in (fgsm, pgd))
    # PGD-10 (a multi-step FGSM) finds at least the adversarial examples FGSM finds, up to a few test digits
    assert pgd_acc <= fgsm_acc + 0.01
    assert pgd_acc < 0.8 * plain_mlp.accuracy(X_test, y_test)


def test_attacks_inside_a_training_step_leave_parameter_gradients_alone(digits, plain_mlp):
    X_train, _, y_train, _ = digits
    X, y = X_train[:16], y_train[:16]
    plain_mlp.zero_grad()
    for loss in (adversarial_batch_loss(0.1, np.random.default_rng(0), steps=2),
                 trades_batch_loss(0.1, 1.0, np.random.default_rng(0), steps=2)):
        X_adv = pgd(plain_mlp, X, y, 0.1, 2, rng=np.random.default_rng(0))
        assert all(p.grad is None for p in plain_mlp.parameters())
        loss(plain_mlp, X, y)  # builds the graph only; the attack ran its own backward passes
        assert all(p.grad is None for p in plain_mlp.parameters())
    assert X_adv.shape == X.shape


def test_kl_divergence_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 5))
    p, q = (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True) for z in (a, b))
    np.testing.assert_allclose(kl_divergence(a, b).data, rel_entr(p, q).sum(axis=1), rtol=1e-12)


def test_trades_loss_gradient_and_natural_limit():
    rng = np.random.default_rng(0)
    model = MLP([6, 5, 3], rng)
    X, y = rng.random((4, 6)), np.array([0, 1, 2, 1])
    X_adv = np.clip(X + 0.1 * rng.standard_normal(X.shape), 0, 1)
    assert gradient_error(lambda *_: trades_loss(model, X, y, X_adv, beta=2.0), *model.parameters()) < TOLERANCE
    # x' = x: the regulariser vanishes and the loss is the natural cross-entropy
    np.testing.assert_allclose(trades_loss(model, X, y, X, 6.0).item(), cross_entropy(model(X), y).item(), rtol=1e-12)


def test_trades_attack_raises_the_divergence_inside_the_ball(digits, plain_mlp):
    _, X_test, _, _ = digits
    X = X_test[:50]
    X_adv = trades_attack(plain_mlp, X, 0.1, steps=5, step_size=0.025, rng=np.random.default_rng(0))
    assert np.abs(X_adv - X).max() <= 0.1 + 1e-12
    start = np.clip(X + 0.001 * np.random.default_rng(0).standard_normal(X.shape), 0, 1)
    clean = plain_mlp(X).data
    assert kl_divergence(clean, plain_mlp(X_adv)).data.mean() > 10 * kl_divergence(clean, plain_mlp(start)).data.mean()


def test_trades_training_buys_robustness(digits):
    X_train, X_test, y_train, y_test = digits
    robust = {}
    for name, loss in (("plain", None), ("trades", trades_batch_loss(0.1, 6.0, np.random.default_rng(1), steps=3))):
        model, _ = train_mlp(X_train, y_train, np.random.default_rng(1), hidden=(50,), epochs=12, batch_loss=loss)
        robust[name] = model.accuracy(pgd(model, X_test, y_test, 0.1, 10, rng=np.random.default_rng(0)), y_test)
    # measured: plain about 0.35, TRADES about 0.75 (full protocol: 0.39 and 0.81)
    assert robust["trades"] > robust["plain"] + 0.2


def test_defence_parameters_are_checked():
    with pytest.raises(ParameterError, match="trades: beta"):
        trades_batch_loss(0.1, -1.0, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="adversarial training: weight"):
        adversarial_batch_loss(0.1, np.random.default_rng(0), weight=1.5)
    with pytest.raises(ParameterError, match="pgd: epsilon"):
        pgd(None, np.zeros((1, 4)), np.zeros(1, dtype=int), -0.1)
