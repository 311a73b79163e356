"""Fast gradient sign method (Goodfellow et al. 2015) against a classifier."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .losses import cross_entropy


def input_gradient(model, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d(cross-entropy)/d(input) for each sample (the loss summed, so each row is its own gradient)."""
    x = ad.parameter(np.asarray(X, dtype=float))
    was_training = model.training
    model.eval()
    (cross_entropy(model(x), y) * len(X)).backward()
    model.train(was_training)
    return x.grad


def fgsm(model, X: np.ndarray, y: np.ndarray, epsilon: float, clip=(0.0, 1.0)) -> np.ndarray:
    """x + epsilon * sign(grad_x loss), clipped to the valid pixel range."""
    if epsilon < 0:
        raise ParameterError("fgsm: epsilon", epsilon, ">= 0")
    return np.clip(X + epsilon * np.sign(input_gradient(model, X, y)), *clip)


def accuracy_vs_epsilon(model, X: np.ndarray, y: np.ndarray, epsilons) -> np.ndarray:
    """Test accuracy on FGSM examples for each epsilon."""
    return np.array([model.accuracy(fgsm(model, X, y, eps), y) for eps in epsilons])
