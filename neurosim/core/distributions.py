"""Random value specifications for initial values, weights and delays, drawn at build time."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import ParameterError, did_you_mean


def _finite(distribution, *keys) -> None:
    for key in keys:
        value = getattr(distribution, key)
        if np.ndim(value) != 0 or not np.isfinite(value):
            raise ParameterError(f"{type(distribution).__name__.lower()}: {key}", value, "a finite number", key=key)


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high) (SI units)."""

    low: float
    high: float

    def __post_init__(self):
        _finite(self, "low", "high")
        if self.high < self.low:
            raise ParameterError("uniform: high", self.high, f"a value >= low ({self.low:g})", key="high")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Normal:
    """Gaussian with ``mean`` and standard deviation ``std`` (SI units)."""

    mean: float
    std: float

    def __post_init__(self):
        _finite(self, "mean", "std")
        if self.std < 0:
            raise ParameterError("normal: std", self.std, "a standard deviation >= 0", key="std")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean, self.std, n)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal whose logarithm has ``mu`` and ``sigma`` (the value itself is in SI units)."""

    mu: float
    sigma: float

    def __post_init__(self):
        _finite(self, "mu", "sigma")
        if self.sigma < 0:
            raise ParameterError("lognormal: sigma", self.sigma, "a standard deviation >= 0", key="sigma")

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)


Distribution = Uniform | Normal | LogNormal
DISTRIBUTIONS: dict[str, type[Distribution]] = {"uniform": Uniform, "normal": Normal, "lognormal": LogNormal}


def distribution(name: str, **params):
    """A distribution by name, e.g. ``distribution("uniform", low=0, high=1)``."""
    if name not in DISTRIBUTIONS:
        raise ParameterError("distribution", name, f"one of {sorted(DISTRIBUTIONS)}{did_you_mean(name, DISTRIBUTIONS)}")
    try:
        return DISTRIBUTIONS[name](**params)
    except TypeError:
        names = [f.name for f in fields(DISTRIBUTIONS[name])]
        raise ParameterError(f"distribution '{name}'", params, f"the parameters {names}") from None


def sample(value, rng: np.random.Generator, n: int, name: str) -> np.ndarray:
    """``value`` (scalar, array of length n, or a distribution) as ``n`` floats."""
    if hasattr(value, "draw"):
        return np.asarray(value.draw(rng, n), float)
    array = np.asarray(value, float)
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise ParameterError(name, f"array of shape {array.shape}", f"a scalar, a distribution or shape ({n},)")
    return array.copy()
