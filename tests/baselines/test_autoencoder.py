"""Autoencoders: gradients, tied weights, the linear tied autoencoder reaching PCA, PCA itself."""
import numpy as np
import pytest

from neurosim.baselines import autodiff as ad
from neurosim.baselines.autoencoder import (
    Autoencoder,
    TiedAutoencoder,
    pca_reconstruction,
    reconstruction_mse,
    train_autoencoder,
)
from neurosim.baselines.losses import mse
from neurosim.errors import ParameterError

from .gradcheck import gradient_error


@pytest.mark.parametrize("cls", [Autoencoder, TiedAutoencoder])
@pytest.mark.parametrize("output", ["logistic", "linear"])
def test_autoencoder_gradient(cls, output):
    rng = np.random.default_rng(0)
    model = cls(5, (4,), 2, rng, output=output)
    x = rng.random((3, 5))
    assert gradient_error(lambda *_: mse(model(x), x), *model.parameters()) < 1e-6


def test_tied_decoder_uses_the_transposed_encoder_matrices():
    rng = np.random.default_rng(0)
    tied, plain = TiedAutoencoder(6, (4,), 2, rng), Autoencoder(6, (4,), 2, rng)
    # tied: two matrices (6x4, 4x2) and four bias vectors; separate: four matrices and four biases
    assert sum(p.size for p in tied.parameters()) == 6 * 4 + 4 * 2 + (4 + 2) + (6 + 4)
    assert sum(p.size for p in plain.parameters()) == 2 * (6 * 4 + 4 * 2) + (4 + 2) + (4 + 6)
    linear = TiedAutoencoder(6, (), 2, rng, output="linear")
    x = rng.random((3, 6))
    w, b, c = linear.weights[0].data, linear.encoder_biases[0].data, linear.decoder_biases[0].data
    np.testing.assert_allclose(linear(x).data, (x @ w + b) @ w.T + c, rtol=1e-12)


def test_linear_tied_autoencoder_reaches_the_pca_error_and_not_below():
    """Baldi & Hornik (1989): the optimum of a linear autoencoder is the projection onto the leading
    principal subspace, so its training MSE converges to PCA's and cannot go below it."""
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    scales = np.array([3.0, 2.0, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05])  # a clear gap after two components
    X = 0.5 + (rng.standard_normal((300, 8)) * scales) @ basis.T
    pca_mse = float(((pca_reconstruction(X, X, 2) - X) ** 2).mean())
    model = TiedAutoencoder(8, (), 2, rng, output="linear")
    train_autoencoder(model, X, X, rng, epochs=150, batch_size=50, learning_rate=1e-2)
    ae_mse = reconstruction_mse(model, X)
    assert pca_mse * (1 - 1e-9) <= ae_mse < 1.02 * pca_mse


def test_pca_reconstruction_is_exact_at_full_rank_and_checks_latent():
    rng = np.random.default_rng(0)
    X = rng.random((20, 5))
    np.testing.assert_allclose(pca_reconstruction(X, X, 5), X, atol=1e-12)
    with pytest.raises(ParameterError, match="latent"):
        pca_reconstruction(X, X, 6)


def test_unknown_output_rejected():
    with pytest.raises(ParameterError, match="autoencoder: output"):
        Autoencoder(4, (), 2, np.random.default_rng(0), output="relu")


def test_reconstruction_mse_is_pixel_mean():
    model = TiedAutoencoder(3, (), 1, np.random.default_rng(0), output="linear")
    x = np.ones((2, 3))
    expected = ((model(ad.Tensor(x)).data - x) ** 2).mean()
    assert reconstruction_mse(model, x) == pytest.approx(expected)
