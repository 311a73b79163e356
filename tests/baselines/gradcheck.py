"""Central-difference gradient check used by the baseline tests (float64)."""
from __future__ import annotations

import numpy as np

from neurosim.baselines import autodiff as ad


def gradient_error(function, *inputs, seed: int = 0, h: float = 1e-6) -> float:
    """Largest relative error between autodiff and central-difference gradients of sum(w * function).

    ``inputs`` are float64 parameter tensors; w is a fixed random projection so that every output
    element contributes. Relative error = |numeric - analytic| / max(|numeric| + |analytic|, 1e-8).
    """
    out = function(*inputs)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    for x in inputs:
        x.grad = None
    ad.tensor_sum(out * weights).backward()
    worst = 0.0
    for x in inputs:
        numeric = np.zeros_like(x.data)
        for i in np.ndindex(x.shape):
            old = x.data[i]
            x.data[i] = old + h
            plus = float((function(*inputs).data * weights).sum())
            x.data[i] = old - h
            minus = float((function(*inputs).data * weights).sum())
            x.data[i] = old
            numeric[i] = (plus - minus) / (2 * h)
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad
        scale = max(np.linalg.norm(numeric) + np.linalg.norm(analytic), 1e-8)
        worst = max(worst, float(np.linalg.norm(numeric - analytic) / scale))
    return worst


def params(rng: np.random.Generator, *shapes, positive: bool = False):
    """Random float64 leaf tensors (strictly positive when asked)."""
    draws = [rng.standard_normal(s) for s in shapes]
    return [ad.parameter(np.abs(d) + 0.5 if positive else d) for d in draws]
