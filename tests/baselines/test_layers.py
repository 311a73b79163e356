"""Gradient checks for layers and losses; input validation errors."""
import numpy as np
import pytest

from neurosim.baselines import autodiff as ad
from neurosim.baselines import losses
from neurosim.baselines.data import check_dataset, minibatches
from neurosim.baselines.layers import (
    BatchNorm,
    Conv2d,
    Dense,
    Dropout,
    Embedding,
    LayerNorm,
    Sequential,
    activation,
)
from neurosim.baselines.optim import SGD, Adam, clip_grad_norm
from neurosim.errors import ParameterError

from .gradcheck import gradient_error, params

TOLERANCE = 1e-6


def layer_error(layer, x):
    """Gradient error with respect to the layer input and all its parameters."""
    parameters = layer.parameters()
    return gradient_error(lambda x, *_: layer(x), x, *parameters)


def test_dense_gradient():
    rng = np.random.default_rng(0)
    assert layer_error(Dense(4, 3, rng), *params(rng, (5, 4))) < TOLERANCE


def test_conv2d_gradient_with_stride_and_padding():
    rng = np.random.default_rng(0)
    conv = Conv2d(2, 3, 3, rng, stride=2, padding=1)
    assert layer_error(conv, *params(rng, (2, 2, 5, 5))) < TOLERANCE


def test_conv2d_matches_direct_correlation():
    rng = np.random.default_rng(1)
    conv = Conv2d(2, 3, 3, rng)
    x = rng.standard_normal((2, 2, 6, 5))
    out = conv(x).data
    w, b = conv.weight.data, conv.bias.data
    direct = np.zeros_like(out)
    for i in range(4):
        for j in range(3):
            direct[:, :, i, j] = np.einsum("nchw,ochw->no", x[:, :, i:i + 3, j:j + 3], w) + b
    np.testing.assert_allclose(out, direct, rtol=1e-12)


def test_embedding_gradient_with_repeated_tokens():
    rng = np.random.default_rng(0)
    table = Embedding(5, 3, rng)
    tokens = np.array([[0, 1, 1], [4, 0, 1]])
    assert gradient_error(lambda w: w[tokens], table.weight) < TOLERANCE


@pytest.mark.parametrize("norm", [BatchNorm, LayerNorm])
def test_normalisation_gradient(norm):
    rng = np.random.default_rng(0)
    layer = norm(4)
    layer.gamma.data = rng.standard_normal(4)
    assert layer_error(layer, *params(rng, (6, 4))) < TOLERANCE


def test_batchnorm_normalises_then_uses_running_statistics():
    rng = np.random.default_rng(0)
    layer = BatchNorm(3, momentum=1.0)
    x = rng.normal(5.0, 3.0, (200, 3))
    out = layer(x).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-4)
    layer.eval()
    np.testing.assert_allclose(layer(x).data, out * np.sqrt(199 / 200), atol=1e-3)


def test_dropout_scales_kept_units_and_is_identity_in_eval():
    drop = Dropout(0.25, np.random.default_rng(0))
    out = drop(ad.Tensor(np.ones((400, 50)))).data
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.01
    drop.eval()
    np.testing.assert_array_equal(drop(ad.Tensor(np.ones(3))).data, np.ones(3))


@pytest.mark.parametrize("loss", [
    lambda z, t: losses.mse(z, t),
    lambda z, t: losses.binary_cross_entropy_with_logits(z, (t > 0).astype(float)),
    lambda z, t: losses.cross_entropy(z, np.array([0, 2, 1, 2])),
])
def test_loss_gradients(loss):
    rng = np.random.default_rng(0)
    target = rng.standard_normal((4, 3))
    assert gradient_error(lambda z: loss(z, target), *params(rng, (4, 3))) < TOLERANCE


def test_gaussian_kl_gradient_and_value():
    rng = np.random.default_rng(0)
    assert gradient_error(losses.gaussian_kl, *params(rng, (3, 2), (3, 2))) < TOLERANCE
    mu, log_var = np.array([[1.0]]), np.array([[np.log(4.0)]])  # KL = (4 + 1 - ln 4 - 1) / 2
    np.testing.assert_allclose(losses.gaussian_kl(mu, log_var).item(), (4 - np.log(4)) / 2)


def test_cross_entropies_are_stable_from_logits():
    z = ad.Tensor(np.array([[800.0, -800.0]]))
    assert losses.cross_entropy(z, np.array([0])).item() == pytest.approx(0.0, abs=1e-12)
    assert losses.cross_entropy(z, np.array([1])).item() == pytest.approx(1600.0)
    assert losses.binary_cross_entropy_with_logits(z, np.array([[0.0, 1.0]])).item() == pytest.approx(1600.0)


def test_sgd_momentum_and_adam_steps():
    w = ad.parameter(np.array([1.0]))
    sgd = SGD([w], learning_rate=0.1, momentum=0.9)
    for _ in range(2):
        sgd.zero_grad()
        (w * 2.0).sum().backward()  # gradient 2 each step (zero_grad stops accumulation)
        sgd.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.2 - 0.1 * (0.9 * 2 + 2)])
    v = ad.parameter(np.array([3.0]))
    adam = Adam([v], learning_rate=0.01)
    (v * 5.0).sum().backward()
    adam.step()  # first Adam step moves by learning_rate in the sign of the gradient
    np.testing.assert_allclose(v.data, [2.99], rtol=1e-6)


def test_weight_decay_shrinks_weights_without_gradient_signal():
    w = ad.parameter(np.array([2.0]))
    sgd = SGD([w], learning_rate=0.1, weight_decay=0.5)
    w.grad = np.zeros(1)
    sgd.step()
    np.testing.assert_allclose(w.data, [2.0 * (1 - 0.05)])


def test_clip_grad_norm():
    w = ad.parameter(np.zeros(2))
    w.grad = np.array([3.0, 4.0])
    assert clip_grad_norm([w], 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(w.grad, [0.6, 0.8])


def test_minibatches_cover_everything_and_repeat_with_seed():
    first = list(minibatches(10, 3, np.random.default_rng(5)))
    second = list(minibatches(10, 3, np.random.default_rng(5)))
    assert [len(b) for b in first] == [3, 3, 3, 1]
    assert sorted(np.concatenate(first)) == list(range(10))
    assert all((a == b).all() for a, b in zip(first, second, strict=True))


# bad input
@pytest.mark.parametrize("optimizer", [SGD, Adam])
@pytest.mark.parametrize("rate", [0.0, -1e-3, np.nan])
def test_nonpositive_learning_rate_raises(optimizer, rate):
    with pytest.raises(ParameterError, match=f"{optimizer.__name__}: learning_rate"):
        optimizer([ad.parameter(np.ones(1))], learning_rate=rate)


def test_dense_shape_mismatch_names_layer():
    layer = Dense(4, 3, np.random.default_rng(0))
    with pytest.raises(ParameterError, match=r"Dense\(4->3\): input shape"):
        layer(np.ones((2, 5)))


def test_sequential_shape_mismatch_between_layers():
    rng = np.random.default_rng(0)
    with pytest.raises(ParameterError, match="Dense layer 1 in_features"):
        Sequential(Dense(4, 3, rng), ad.relu, Dense(5, 2, rng))


def test_conv_channel_mismatch_raises():
    with pytest.raises(ParameterError, match=r"Conv2d\(3->2\)"):
        Conv2d(3, 2, 3, np.random.default_rng(0))(np.ones((1, 1, 5, 5)))


def test_dataset_with_nan_raises():
    X = np.ones((4, 3))
    X[2, 1] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        check_dataset("train_mlp", X)


def test_unknown_activation_suggests_name():
    with pytest.raises(ParameterError, match="did you mean 'relu'"):
        activation("rellu")


def test_label_shape_mismatch_raises():
    with pytest.raises(ParameterError, match="cross_entropy: labels shape"):
        losses.cross_entropy(np.zeros((4, 3)), np.zeros(5, dtype=int))
