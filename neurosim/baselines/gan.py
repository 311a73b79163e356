"""Generative adversarial network (Goodfellow et al. 2014) with alternating updates.

The discriminator minimises the Bernoulli cross-entropy of real (label 1) versus generated (0)
samples; the generator minimises the non-saturating loss -log D(G(z)) (label 1 for its samples).
"""
from __future__ import annotations

import numpy as np

from .data import check_dataset
from .losses import binary_cross_entropy_with_logits
from .mlp import MLP
from .optim import Adam


def train_gan(data: np.ndarray, rng: np.random.Generator, noise_dim: int = 8, hidden: int = 128,
              steps: int = 3000, batch_size: int = 256, learning_rate: float = 5e-4, progress=None):
    """Alternate one discriminator and one generator Adam step; returns (generator, losses dict)."""
    data = check_dataset("train_gan", data)
    generator = MLP([noise_dim, hidden, hidden, data.shape[1]], rng)
    discriminator = MLP([data.shape[1], hidden, hidden, 1], rng)
    opt_g = Adam(generator.parameters(), learning_rate, betas=(0.5, 0.999))
    opt_d = Adam(discriminator.parameters(), learning_rate, betas=(0.5, 0.999))
    ones, zeros = np.ones((batch_size, 1)), np.zeros((batch_size, 1))
    losses = {"discriminator_loss": np.zeros(steps), "generator_loss": np.zeros(steps)}
    for step in range(steps):
        real = data[rng.integers(len(data), size=batch_size)]
        fake = generator(rng.standard_normal((batch_size, noise_dim))).data  # no gradient to G here
        opt_d.zero_grad()
        loss_d = (binary_cross_entropy_with_logits(discriminator(real), ones)
                  + binary_cross_entropy_with_logits(discriminator(fake), zeros))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        fake = generator(rng.standard_normal((batch_size, noise_dim)))
        loss_g = binary_cross_entropy_with_logits(discriminator(fake), ones)
        loss_g.backward()
        opt_g.step()
        losses["discriminator_loss"][step], losses["generator_loss"][step] = loss_d.item(), loss_g.item()
        if progress and (step + 1) % 500 == 0:
            progress((step + 1) / steps, f"step {step + 1}: D {loss_d.item():.3f}, G {loss_g.item():.3f}")
    return generator, losses


def mode_coverage(samples: np.ndarray, centres: np.ndarray, radius: float):
    """(fraction of samples within ``radius`` of a centre, count of such samples per centre)."""
    distance = np.linalg.norm(samples[:, None, :] - centres[None], axis=2)
    near = distance.min(axis=1) < radius
    return float(near.mean()), np.bincount(distance.argmin(axis=1)[near], minlength=len(centres))
