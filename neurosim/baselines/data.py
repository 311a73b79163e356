"""Data: input validation, seeded mini-batching and the synthetic Gaussian ring (the digits splits
are in :mod:`neurosim.datasets`)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def check_dataset(name: str, X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """``X`` as a float array; raises ParameterError for NaN/inf values or a length mismatch with ``y``."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 0 or len(X) == 0:
        raise ParameterError(f"{name}: data shape", X.shape, "at least one sample")
    bad = ~np.isfinite(X)
    if bad.any():
        raise ParameterError(f"{name}: data", f"{int(bad.sum())} NaN/inf values (first at {np.argwhere(bad)[0]})",
                             "finite numbers")
    if y is not None and len(y) != len(X):
        raise ParameterError(f"{name}: labels length", len(y), f"{len(X)} (one per sample)")
    return X


def minibatches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays covering ``range(n)`` once in a random order, ``batch_size`` at a time."""
    if batch_size < 1:
        raise ParameterError("batch_size", batch_size, "a positive integer")
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def gaussian_mixture_ring(n: int, rng: np.random.Generator, modes: int = 8, radius: float = 2.0,
                          std: float = 0.05) -> np.ndarray:
    """``n`` points from ``modes`` equal Gaussians evenly spaced on a circle."""
    angle = 2 * np.pi * rng.integers(modes, size=n) / modes
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + std * rng.standard_normal((n, 2))


def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    angle = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
