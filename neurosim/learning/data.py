"""Data for the local-learning networks: random ±1 patterns, corrupted cues, binarised digits."""
from __future__ import annotations

import numpy as np

from ..datasets import load_digits_split
from ..errors import ParameterError


def check_spins(name: str, patterns) -> np.ndarray:
    """``patterns`` as a float array of ±1 values (1-D or 2-D); anything else is a ParameterError."""
    patterns = np.asarray(patterns, dtype=float)
    if patterns.ndim not in (1, 2) or patterns.size == 0:
        raise ParameterError(f"{name} shape", patterns.shape, "a non-empty vector or (patterns, units) matrix")
    bad = np.abs(patterns) != 1
    if bad.any():
        raise ParameterError(name, f"value {patterns[bad].flat[0]!r} at {tuple(np.argwhere(bad)[0])}",
                             "only -1 and +1 entries")
    return patterns


def check_rate(name: str, value) -> float:
    """A learning rate: a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not np.isfinite(value) or value <= 0:
        raise ParameterError(name, value, "a finite number > 0")
    return float(value)


def check_count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(name, value, f"an integer >= {minimum}")
    return int(value)


def random_patterns(m: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` unbiased random ±1 patterns of ``n`` units (rows)."""
    return np.where(rng.random((check_count("patterns", m), check_count("units", n))) < 0.5, -1.0, 1.0)


def corrupt(patterns, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of ±1 ``patterns`` with exactly ``round(fraction * n)`` units of each flipped."""
    patterns = check_spins("patterns", patterns)
    if not 0 <= fraction <= 1:
        raise ParameterError("fraction", fraction, "a fraction in [0, 1]")
    cues = np.atleast_2d(patterns).copy()
    n_flip = round(fraction * cues.shape[1])
    for row in cues:
        row[rng.choice(cues.shape[1], n_flip, replace=False)] *= -1
    return cues.reshape(patterns.shape)


def binary_digits(threshold: float = 0.5):
    """scikit-learn digits (pixels / 16) binarised at ``threshold``: (X_train, X_test, y_train, y_test).

    The split is :func:`neurosim.datasets.load_digits_split`'s fixed 80/20 stratified split, so accuracies
    are comparable.
    """
    X_train, X_test, y_train, y_test = load_digits_split()
    return (X_train > threshold).astype(float), (X_test > threshold).astype(float), y_train, y_test


def scaled_digits():
    """scikit-learn digits scaled to [0, 1] on the shared 80/20 split (:mod:`neurosim.datasets`)."""
    return load_digits_split()


def one_hot(labels, classes: int = 10) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.min() < 0 or labels.max() >= classes:
        raise ParameterError("labels", labels.shape if labels.ndim != 1 else int(labels.max()),
                             f"a vector of integers in [0, {classes})")
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out
