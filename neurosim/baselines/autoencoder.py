"""Autoencoders on digits (pixels in [0, 1]): separate encoder and decoder, or tied weights (the
decoder uses the encoder's matrices transposed, in reverse order), trained on the reconstruction
mean squared error; PCA reconstruction at the same latent size as the linear reference.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .data import check_dataset, minibatches
from .layers import Dense, Module
from .losses import mse
from .optim import Adam


def _sizes(inputs: int, hidden, latent: int) -> list[int]:
    sizes = [int(inputs), *(int(h) for h in hidden), int(latent)]
    if min(sizes) < 1:
        raise ParameterError("autoencoder: layer sizes", sizes, "positive integers")
    return sizes


def _output(z: ad.Tensor, output: str) -> ad.Tensor:
    return ad.logistic(z) if output == "logistic" else z


def _check_output(output: str) -> str:
    if output not in ("logistic", "linear"):
        raise ParameterError("autoencoder: output", output, "'logistic' (pixels in [0, 1]) or 'linear'")
    return output


class Autoencoder(Module):
    """inputs -> hidden... -> latent (linear code) -> hidden... reversed -> inputs, ReLU between layers."""

    def __init__(self, inputs: int, hidden, latent: int, rng: np.random.Generator, output: str = "logistic"):
        sizes = _sizes(inputs, hidden, latent)
        self.output = _check_output(output)
        self.encoder = [Dense(a, b, rng, gain=np.sqrt(2.0) if i < len(sizes) - 2 else 1.0)
                        for i, (a, b) in enumerate(itertools.pairwise(sizes))]
        back = sizes[::-1]
        self.decoder = [Dense(a, b, rng, gain=np.sqrt(2.0) if i < len(back) - 2 else 1.0)
                        for i, (a, b) in enumerate(itertools.pairwise(back))]

    def encode(self, x) -> ad.Tensor:
        for i, layer in enumerate(self.encoder):
            x = layer(x) if i == len(self.encoder) - 1 else ad.relu(layer(x))
        return x

    def decode(self, z) -> ad.Tensor:
        for layer in self.decoder[:-1]:
            z = ad.relu(layer(z))
        return _output(self.decoder[-1](z), self.output)

    def forward(self, x) -> ad.Tensor:
        return self.decode(self.encode(ad.as_tensor(x)))


class TiedAutoencoder(Module):
    """Encoder h_{l+1} = relu(h_l W_l + b_l) (the last layer linear); decoder g_l = relu(g_{l+1} W_l^T + c_l)
    back down (the last, the output, logistic or linear): one matrix per layer pair, separate biases.
    With no hidden layers and a linear output this is the linear tied autoencoder, whose optimum
    spans the PCA subspace (Baldi & Hornik 1989)."""

    def __init__(self, inputs: int, hidden, latent: int, rng: np.random.Generator, output: str = "logistic"):
        sizes = _sizes(inputs, hidden, latent)
        self.output = _check_output(output)
        self.weights = [ad.parameter(rng.normal(0.0, np.sqrt(2.0 / (a + b)), (a, b)))
                        for a, b in itertools.pairwise(sizes)]
        self.encoder_biases = [ad.parameter(np.zeros(b)) for b in sizes[1:]]
        self.decoder_biases = [ad.parameter(np.zeros(a)) for a in sizes[:-1]]

    def encode(self, x) -> ad.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.encoder_biases, strict=True)):
            x = x @ w + b if i == last else ad.relu(x @ w + b)
        return x

    def decode(self, z) -> ad.Tensor:
        for i in reversed(range(len(self.weights))):
            z = z @ ad.transpose(self.weights[i]) + self.decoder_biases[i]
            z = _output(z, self.output) if i == 0 else ad.relu(z)
        return z

    def forward(self, x) -> ad.Tensor:
        return self.decode(self.encode(ad.as_tensor(x)))


def reconstruction_mse(model, X: np.ndarray) -> float:
    """Mean over images and pixels of the squared reconstruction error."""
    return float(((model(ad.Tensor(X)).data - X) ** 2).mean())


def train_autoencoder(model: Module, train: np.ndarray, validation: np.ndarray, rng: np.random.Generator,
                      epochs: int = 100, batch_size: int = 32, learning_rate: float = 1e-3):
    """Adam on the reconstruction MSE; keeps the parameters of the epoch with the best validation MSE.
    Returns the curves (training and validation MSE per epoch)."""
    train = check_dataset("train_autoencoder", train)
    optimizer = Adam(model.parameters(), learning_rate)
    curves = {"train_mse": np.zeros(epochs), "validation_mse": np.zeros(epochs)}
    best, best_params = np.inf, None
    for epoch in range(epochs):
        losses = []
        for batch in minibatches(len(train), batch_size, rng):
            optimizer.zero_grad()
            loss = mse(model(ad.Tensor(train[batch])), train[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        curves["train_mse"][epoch] = np.mean(losses)
        curves["validation_mse"][epoch] = reconstruction_mse(model, validation)
        if curves["validation_mse"][epoch] < best:
            best, best_params = curves["validation_mse"][epoch], [p.data.copy() for p in model.parameters()]
    for p, value in zip(model.parameters(), best_params, strict=True):
        p.data = value
    return curves


def pca_reconstruction(train: np.ndarray, X: np.ndarray, latent: int) -> np.ndarray:
    """Project ``X`` onto the ``latent`` leading principal components of ``train`` and back."""
    if not 1 <= latent <= train.shape[1]:
        raise ParameterError("pca_reconstruction: latent", latent, f"in [1, {train.shape[1]}]")
    mean = train.mean(axis=0)
    components = np.linalg.svd(train - mean, full_matrices=False)[2][:latent]
    return mean + (X - mean) @ components.T @ components
