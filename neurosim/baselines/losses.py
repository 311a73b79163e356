"""Losses, each averaged over the batch; the cross-entropies take logits and are computed stably."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .autodiff import Tensor


def _same_shape(loss: str, prediction: Tensor, target) -> None:
    if prediction.shape != np.shape(target):
        raise ParameterError(f"{loss}: target shape", np.shape(target), f"the prediction shape {prediction.shape}")


def mse(prediction, target) -> Tensor:
    """Mean squared error over all elements."""
    prediction = ad.as_tensor(prediction)
    _same_shape("mse", prediction, ad.as_tensor(target).data)
    diff = prediction - target
    return (diff * diff).mean()


def binary_cross_entropy_with_logits(logits, target) -> Tensor:
    """Bernoulli negative log-likelihood, softplus(z) - t z, summed over features, mean over the batch."""
    logits = ad.as_tensor(logits)
    _same_shape("binary_cross_entropy", logits, target)
    per_element = ad.softplus(logits) - logits * target
    return per_element.sum() * (1.0 / logits.shape[0])


def cross_entropy(logits, labels) -> Tensor:
    """Categorical negative log-likelihood of integer ``labels`` (last axis of ``logits`` = classes).

    Any leading axes are batch axes: the loss is the mean over all of them.
    """
    logits = ad.as_tensor(logits)
    labels = np.asarray(labels)
    if labels.shape != logits.shape[:-1]:
        raise ParameterError("cross_entropy: labels shape", labels.shape, f"{logits.shape[:-1]}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[-1]):
        raise ParameterError("cross_entropy: label", int(labels.max()), f"in [0, {logits.shape[-1]})")
    log_p = ad.log_softmax(logits, axis=-1).reshape(-1, logits.shape[-1])
    picked = log_p[np.arange(labels.size), labels.reshape(-1)]
    return -picked.mean()


def gaussian_kl(mu, log_var) -> Tensor:
    """KL(N(mu, exp(log_var)) || N(0, I)) in closed form, summed over latents, mean over the batch."""
    mu, log_var = ad.as_tensor(mu), ad.as_tensor(log_var)
    kl = 0.5 * (ad.exp(log_var) + mu * mu - log_var - 1.0)
    return kl.sum() * (1.0 / mu.shape[0])
