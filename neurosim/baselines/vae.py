"""Variational autoencoder (Kingma & Welling 2014) on digits with a 17-level categorical pixel model.

Each pixel of an 8x8 digit takes one of 17 levels (0..16); the decoder gives a categorical
distribution per pixel, so -ELBO is an upper bound on the negative log-likelihood in nats per image,
comparable with the uniform model (64 ln 17 = 181.3) and independent per-pixel histograms.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .data import check_dataset, minibatches
from .layers import Dense, Module
from .losses import gaussian_kl
from .optim import Adam

LEVELS = 17
PIXELS = 64


def _pixel_nll(logits: ad.Tensor, images: np.ndarray) -> ad.Tensor:
    """Per-image negative log-likelihood (batch,) of integer images under per-pixel categorical logits."""
    log_p = ad.log_softmax(logits.reshape(len(images), PIXELS, LEVELS), axis=-1)
    rows, pixels = np.indices(images.shape)
    return -log_p[rows, pixels, images].sum(axis=1)


class VAE(Module):
    """Gaussian encoder q(z|x), standard normal prior, categorical decoder p(x|z)."""

    def __init__(self, latent: int, hidden: int, rng: np.random.Generator):
        if latent < 1:
            raise ParameterError("VAE: latent", latent, ">= 1")
        self.latent, self.rng = latent, rng
        self.encoder = [Dense(PIXELS, hidden, rng, gain=np.sqrt(2.0)), Dense(hidden, 2 * latent, rng)]
        self.decoder = [Dense(latent, hidden, rng, gain=np.sqrt(2.0)), Dense(hidden, PIXELS * LEVELS, rng)]

    def encode(self, images: np.ndarray):
        """Mean and log-variance of q(z|x)."""
        out = self.encoder[1](ad.relu(self.encoder[0](images / (LEVELS - 1.0))))
        return out[:, :self.latent], out[:, self.latent:]

    def decode(self, z) -> ad.Tensor:
        """Logits (batch, 64 * 17) of p(x|z)."""
        return self.decoder[1](ad.relu(self.decoder[0](z)))

    def negative_elbo(self, images: np.ndarray, beta: float = 1.0):
        """(mean reconstruction NLL + beta KL, the two terms) with one reparameterised sample z = mu + sigma eps."""
        mu, log_var = self.encode(images)
        z = mu + ad.exp(0.5 * log_var) * self.rng.standard_normal(mu.shape)
        reconstruction = _pixel_nll(self.decode(z), images).mean()
        kl = gaussian_kl(mu, log_var)
        return reconstruction + beta * kl, reconstruction.item(), kl.item()

    def evaluate(self, images: np.ndarray, samples: int = 10) -> float:
        """-ELBO in nats per image, the reconstruction term averaged over ``samples`` draws of z."""
        mu, log_var = (t.data for t in self.encode(images))
        kl = 0.5 * (np.exp(log_var) + mu**2 - log_var - 1).sum(axis=1)
        nll = np.mean([_pixel_nll(self.decode(mu + np.exp(0.5 * log_var) * self.rng.standard_normal(mu.shape)),
                                  images).data for _ in range(samples)], axis=0)
        return float((nll + kl).mean())

    def mean_image(self, z: np.ndarray) -> np.ndarray:
        """Expected pixel level / 16 under p(x|z), shape (batch, 64)."""
        probs = ad.softmax(self.decode(z).reshape(len(z), PIXELS, LEVELS)).data
        return probs @ np.arange(LEVELS) / (LEVELS - 1.0)

    def reconstruct(self, images: np.ndarray) -> np.ndarray:
        return self.mean_image(self.encode(images)[0].data)

    def sample(self, n: int) -> np.ndarray:
        return self.mean_image(self.rng.standard_normal((n, self.latent)))


def independent_pixel_nll(train: np.ndarray, test: np.ndarray, pseudocount: float = 1.0) -> float:
    """NLL (nats per image) of ``test`` under per-pixel level histograms of ``train`` (add-``pseudocount``)."""
    counts = np.stack([np.bincount(train[:, j], minlength=LEVELS) for j in range(PIXELS)]) + pseudocount
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(PIXELS), test].sum(axis=1).mean())


def train_vae(train: np.ndarray, validation: np.ndarray, rng: np.random.Generator, latent: int = 16,
              hidden: int = 256, epochs: int = 200, batch_size: int = 50, learning_rate: float = 1e-3,
              beta: float = 1.0, progress=None):
    """Train with Adam; keep the parameters of the epoch with the best validation -ELBO.

    Returns (model, curves) with per-epoch training -ELBO, its two terms and validation -ELBO.
    """
    check_dataset("train_vae", train)
    if beta <= 0:
        raise ParameterError("train_vae: beta", beta, "> 0")
    model = VAE(latent, hidden, rng)
    optimizer = Adam(model.parameters(), learning_rate)
    names = ("train_neg_elbo", "train_reconstruction", "train_kl", "validation_neg_elbo")
    curves = {name: np.zeros(epochs) for name in names}
    best, best_params = np.inf, None
    for epoch in range(epochs):
        terms = []
        for batch in minibatches(len(train), batch_size, rng):
            optimizer.zero_grad()
            loss, reconstruction, kl = model.negative_elbo(train[batch], beta)
            loss.backward()
            optimizer.step()
            terms.append((reconstruction + kl, reconstruction, kl))
        for name, value in zip(names[:3], np.mean(terms, axis=0), strict=True):
            curves[name][epoch] = value
        curves["validation_neg_elbo"][epoch] = model.evaluate(validation, samples=1)
        if curves["validation_neg_elbo"][epoch] < best:
            best, best_params = curves["validation_neg_elbo"][epoch], [p.data.copy() for p in model.parameters()]
        if progress:
            progress((epoch + 1) / epochs, f"epoch {epoch + 1}: validation -ELBO {best:.2f}")
    for p, value in zip(model.parameters(), best_params, strict=True):
        p.data = value
    return model, curves
