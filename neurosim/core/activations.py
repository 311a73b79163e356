"""Activation functions (the rate curves of rate units) in numpy: one definition of each, used by the
rate neurons' slopes, the local learning rules and the deep-learning baselines' autodiff.

``VALUES[name](x)`` is ``f(x)``; ``SLOPES[name](x, fx)`` is ``f'(x)`` written with ``f(x)`` where that is
cheaper (``logistic``: ``f (1 - f)``); ``MAX_SLOPE[name]`` bounds ``|f'|``. The compiled scalar forms
of the same curves (plus the LIF rate curve) are in :mod:`neurosim.core.neurons.rate`.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..errors import ParameterError, did_you_mean

VALUES = {"logistic": expit, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0),
          "softplus": lambda x: np.logaddexp(0.0, x), "linear": lambda x: x}
SLOPES = {"logistic": lambda x, fx: fx * (1.0 - fx), "tanh": lambda x, fx: 1.0 - fx * fx,
          "relu": lambda x, fx: (x > 0).astype(float), "softplus": lambda x, fx: expit(x),
          "linear": lambda x, fx: np.ones_like(x)}
MAX_SLOPE = {"logistic": 0.25, "tanh": 1.0, "relu": 1.0, "softplus": 1.0, "linear": 1.0}


def check(name: str, choices=VALUES) -> str:
    """``name`` if it is one of ``choices``, else a :class:`ParameterError` with a suggestion."""
    if name not in choices:
        raise ParameterError("activation", name, f"one of {sorted(choices)}{did_you_mean(name, choices)}")
    return name
