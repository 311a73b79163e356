"""Local learning rules: each reads only the activity on the two sides of a synapse (and the local
error at the postsynaptic unit), never a quantity from elsewhere in the network.

Convention: activities are (samples, units) arrays; every rule returns the mean over samples of a
weight change of shape (n_pre, n_post), i.e. for weights used as ``post_input = pre @ W`` (the
course notes' row-vector form ``x W``). A bias is the weight from an always-active unit:
``rule(np.ones((samples, 1)), ...)[0]``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def _pair(pre, post, names=("pre", "post")):
    pre, post = np.atleast_2d(np.asarray(pre, float)), np.atleast_2d(np.asarray(post, float))
    if pre.ndim != 2 or post.ndim != 2 or pre.shape[0] != post.shape[0]:
        raise ParameterError(f"{names[1]} shape", post.shape,
                             f"(samples, units) with as many samples as {names[0]} {pre.shape}")
    return pre, post


def hebbian(pre, post) -> np.ndarray:
    """Hebb: ``dW_ij = <pre_i post_j>`` (correlation of the two activities)."""
    pre, post = _pair(pre, post)
    return pre.T @ post / pre.shape[0]


def contrastive_divergence(pre_data, post_data, pre_model, post_model) -> np.ndarray:
    """Boltzmann learning: ``<pre post>_data - <pre post>_model`` (positive minus negative phase)."""
    pre_data, post_data = _pair(pre_data, post_data, ("pre_data", "post_data"))
    pre_model, post_model = _pair(pre_model, post_model, ("pre_model", "post_model"))
    return pre_data.T @ post_data / pre_data.shape[0] - pre_model.T @ post_model / pre_model.shape[0]


def predictive_coding(pre_activity, post_error) -> np.ndarray:
    """Predictive coding: ``dW_ij = <f(x_i) eps_j>``, presynaptic output times postsynaptic error node."""
    pre_activity, post_error = _pair(pre_activity, post_error, ("pre_activity", "post_error"))
    return pre_activity.T @ post_error / pre_activity.shape[0]


def oja(pre, post, weights, beta: float = 1.0) -> np.ndarray:
    """Oja: ``dW_ij = <post_j (pre_i - beta post_j W_ij)>`` for ``weights`` (n_pre, n_post)."""
    pre, post = _pair(pre, post)
    weights = np.asarray(weights, float)
    return (pre.T @ post - beta * (post**2).sum(0)[None, :] * weights) / pre.shape[0]


def bcm(pre, post, theta) -> np.ndarray:
    """BCM: ``dW_ij = <pre_i post_j (post_j - theta_j)>``, ``theta`` the sliding threshold per post unit."""
    pre, post = _pair(pre, post)
    return pre.T @ (post * (post - np.asarray(theta, float))) / pre.shape[0]
