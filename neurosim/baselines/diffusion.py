"""Denoising diffusion probabilistic model (Ho et al. 2020) with an MLP noise predictor.

Forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) with a linear beta schedule;
the network eps(x_t, t) is trained on ||eps - eps(x_t, t)||^2 and sampled by ancestral steps
x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(alpha_t) + sqrt(beta_t) z.
(The course notes write sqrt(1 - alpha_t) for the noise coefficient of the posterior mean; the
paper's coefficient, used here, is beta_t / sqrt(1 - abar_t).)
"""
from __future__ import annotations

import itertools

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .data import check_dataset
from .layers import Dense, Module
from .losses import mse
from .optim import Adam
from .transformer import sinusoidal_encoding


class LinearSchedule:
    """beta_t evenly spaced from ``beta_start`` to ``beta_end`` over ``steps`` steps (t = 0..steps-1)."""

    def __init__(self, steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        if not 0 < beta_start <= beta_end < 1:
            raise ParameterError("LinearSchedule: beta_start, beta_end", (beta_start, beta_end),
                                 "0 < beta_start <= beta_end < 1")
        self.steps = int(steps)
        self.beta = np.linspace(beta_start, beta_end, self.steps)
        self.alpha = 1.0 - self.beta
        self.alpha_bar = np.cumprod(self.alpha)


class NoisePredictor(Module):
    """MLP eps(x_t, t): the input concatenated with a sinusoidal embedding of t, ReLU hidden layers."""

    def __init__(self, dim: int, hidden: int, layers: int, steps: int, rng: np.random.Generator,
                 time_dim: int = 32):
        self.dim = dim
        self.time_table = sinusoidal_encoding(steps, time_dim)
        sizes = [dim + time_dim] + [hidden] * layers
        self.hidden = [Dense(a, b, rng, gain=np.sqrt(2.0)) for a, b in itertools.pairwise(sizes)]
        self.out = Dense(hidden, dim, rng)

    def forward(self, x, t: np.ndarray) -> ad.Tensor:
        h = ad.concat([ad.as_tensor(x), self.time_table[t]], axis=1)
        for layer in self.hidden:
            h = ad.relu(layer(h))
        return self.out(h)


def diffusion_loss(model: NoisePredictor, schedule: LinearSchedule, x0: np.ndarray,
                   rng: np.random.Generator) -> ad.Tensor:
    """Noise-prediction loss at uniformly drawn steps t."""
    t = rng.integers(schedule.steps, size=len(x0))
    noise = rng.standard_normal(x0.shape)
    a = schedule.alpha_bar[t][:, None]
    return mse(model(np.sqrt(a) * x0 + np.sqrt(1 - a) * noise, t), noise)


def sample(model: NoisePredictor, schedule: LinearSchedule, n: int, rng: np.random.Generator) -> np.ndarray:
    """Ancestral sampling from x_T ~ N(0, I) with sigma_t^2 = beta_t."""
    x = rng.standard_normal((n, model.dim))
    for t in range(schedule.steps - 1, -1, -1):
        eps = model(x, np.full(n, t)).data
        beta, alpha_bar = schedule.beta[t], schedule.alpha_bar[t]
        x = (x - beta / np.sqrt(1 - alpha_bar) * eps) / np.sqrt(schedule.alpha[t])
        if t > 0:
            x = x + np.sqrt(beta) * rng.standard_normal(x.shape)
    return x


def train_diffusion(data: np.ndarray, rng: np.random.Generator, hidden: int = 128, layers: int = 3,
                    steps: int = 3000, batch_size: int = 128, learning_rate: float = 1e-3,
                    diffusion_steps: int = 1000, progress=None):
    """Train a noise predictor on ``data`` (n, dim); returns (model, schedule, loss curve)."""
    data = check_dataset("train_diffusion", data)
    schedule = LinearSchedule(diffusion_steps)
    model = NoisePredictor(data.shape[1], hidden, layers, diffusion_steps, rng)
    optimizer = Adam(model.parameters(), learning_rate)
    losses = np.zeros(steps)
    for step in range(steps):
        optimizer.zero_grad()
        loss = diffusion_loss(model, schedule, data[rng.integers(len(data), size=batch_size)], rng)
        loss.backward()
        optimizer.step()
        losses[step] = loss.item()
        if progress and (step + 1) % 500 == 0:
            progress((step + 1) / steps, f"step {step + 1}: loss {losses[step]:.4f}")
    return model, schedule, losses
