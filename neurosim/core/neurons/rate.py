"""Rate units: the course notes' activation functions, with optional first-order dynamics.

A rate population's output is ``rate = f(x)``. With ``tau = 0`` the state follows its input
instantly, ``x = J + bias``; with ``tau > 0`` it obeys ``tau dx/dt = -x + J + bias``, integrated
exactly for input held over a step (so ``tau dx/dt = -x + W f(x) + b``, the continuous Hopfield
network, is a rate population with a recurrent dense projection). The units are the equation
models ``rate_<activation>`` (``neurosim/models/neurons``; :func:`rate_population`, model name
``rate`` in ``make_population``); this module keeps the curves for numpy (:func:`activation_values`,
:func:`activation_derivative`, :func:`lif_rate`). Inputs are dimensionless; ``f = "lif"`` is the
LIF rate curve in Hz (Nengo's ``LIFRate``).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from ...errors import ParameterError, did_you_mean

ACTIVATIONS = ("logistic", "tanh", "relu", "softplus", "lif", "linear")


@numba.njit(cache=True, nogil=True)
def activation(code, x, tau_rc, tau_ref):
    """``f(x)`` for activation ``ACTIVATIONS[code]``; overflow-safe for large ``|x|``."""
    if code == 0:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    if code == 1:
        return math.tanh(x)
    if code == 2:
        return max(x, 0.0)
    if code == 3:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    if code == 4:
        if x <= 1.0:
            return 0.0
        return 1.0 / (tau_ref + tau_rc * math.log1p(1.0 / (x - 1.0)))
    return x


def activation_derivative(name: str, x: np.ndarray, tau_rc: float = 0.02, tau_ref: float = 0.002) -> np.ndarray:
    """``f'(x)`` evaluated with numpy (for local learning rules that need the slope of a unit)."""
    x = np.asarray(x, float)
    if name == "logistic":
        s = 0.5 * (1 + np.tanh(0.5 * x))
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(x) ** 2
    if name == "relu":
        return (x > 0).astype(float)
    if name == "softplus":
        return 0.5 * (1 + np.tanh(0.5 * x))
    if name == "linear":
        return np.ones_like(x)
    if name == "lif":
        out = np.zeros_like(x)
        above = x > 1
        xa = x[above]
        rate = activation_values("lif", xa, tau_rc, tau_ref)
        out[above] = rate**2 * tau_rc / (xa * (xa - 1.0))
        return out
    raise ParameterError("activation", name, f"one of {ACTIVATIONS}{did_you_mean(name, ACTIVATIONS)}")


def activation_values(name: str, x, tau_rc: float = 0.02, tau_ref: float = 0.002) -> np.ndarray:
    """``f(x)`` for an array, by the compiled scalar function (one definition of each curve)."""
    code = activation_code(name)
    x = np.asarray(x, float)
    return _apply(code, x.ravel(), tau_rc, tau_ref).reshape(x.shape)


def lif_rate(j, tau_rc=0.02, tau_ref=0.002):
    """Analytic firing rate (Hz) of the dimensionless LIF (``lif_dimensionless``) for constant input ``j``.

    ``r = 1 / (tau_ref + tau_rc * log1p(1/(j - 1)))`` for ``j > 1``, else 0 (equal to the
    literature's ``1/(tau_ref - tau_rc ln(1 - 1/j))``; log1p keeps it accurate near ``j = 1``). The
    course notes print ``1/(tau_m ln(1 - v_in))``, which drops the refractory period and inverts
    the argument of the logarithm; this follows the literature (Eliasmith & Anderson 2003).
    """
    return activation_values("lif", j, tau_rc, tau_ref)  # the rate units' compiled curve: one definition


@numba.njit(cache=True)
def _apply(code, x, tau_rc, tau_ref):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = activation(code, x[i], tau_rc, tau_ref)
    return out


def activation_code(name: str) -> int:
    if name not in ACTIVATIONS:
        raise ParameterError("activation", name, f"one of {ACTIVATIONS}{did_you_mean(name, ACTIVATIONS)}")
    return ACTIVATIONS.index(name)


def rate_population(name: str, n: int, activation: str = "logistic", params=None, initial=None, **options):
    """``n`` rate units ``rate = f(x)`` of ``activation``: the equation model ``rate_<activation>``
    (``neurosim/models/neurons``), with ``tau = 0`` (x follows its input instantly) unless given."""
    from .equation import registered
    model = registered()[f"rate_{ACTIVATIONS[activation_code(activation)]}"]
    return model(name, n, params={"tau": "0 s", **(params or {})}, initial=initial, **options)
