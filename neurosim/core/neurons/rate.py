"""Rate units: the course notes' activation functions, with optional first-order dynamics.

A rate population's output is ``rate = f(x)``. With ``tau = 0`` the state follows its input
instantly, ``x = i_ext + bias``; with ``tau > 0`` it obeys ``tau dx/dt = -x + i_ext + bias``,
integrated exactly for input held over a step (so ``tau dx/dt = -x + W f(x) + b``, the continuous
Hopfield network, is a rate population with a recurrent dense projection). Inputs are
dimensionless; ``f = "lif"`` is the LIF rate curve in Hz (Nengo's ``LIFRate``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numba
import numpy as np

from ...errors import ParameterError, did_you_mean
from ..params import Param
from ..population import Population

if TYPE_CHECKING:
    from ..codegen import CodeWriter

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


@numba.njit(cache=True, nogil=True)
def rate_update(x, rate, i_ext, bias, decay, code, tau_rc, tau_ref):
    """One step: relax ``x`` towards ``i_ext + bias`` by ``decay`` (0 = instant), then ``rate = f(x)``."""
    for i in range(x.shape[0]):
        target = i_ext[i] + bias[i]
        x[i] = target + (x[i] - target) * decay[i]
        rate[i] = activation(code, x[i], tau_rc[i], tau_ref[i])


class RatePopulation(Population):
    """Units with output ``rate = f(x)``; ``activation`` is one of ``ACTIVATIONS``."""

    model = "rate"
    spiking = False
    batchable = True
    input_dimension = "dimensionless"
    param_spec: ClassVar[dict[str, Param]] = {
        "tau": Param("tau", "time", 0.0, "nonnegative", "time constant of x (0: x follows its input)"),
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant input"),
        "tau_rc": Param("tau_rc", "time", 0.02, "positive", "RC constant of the 'lif' rate curve"),
        "tau_ref": Param("tau_ref", "time", 0.002, "nonnegative", "refractory period of the 'lif' rate curve"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"x": ("dimensionless", 0.0), "rate": ("dimensionless", 0.0)}

    def __init__(self, name, n, params=None, initial=None, activation="logistic"):
        super().__init__(name, n, params, None, initial)
        self.activation = activation
        self.code = activation_code(activation)

    def prepare(self, dt: float) -> None:
        tau = self.params["tau"]
        self.decay = np.where(tau > 0, np.exp(-dt / np.where(tau > 0, tau, 1.0)), 0.0)
        self.state["rate"][:] = activation_values(self.activation, self.state["x"], float(self.params["tau_rc"][0]),
                                                  float(self.params["tau_ref"][0]))

    def arrays(self):
        arrays = super().arrays()
        arrays["decay"] = self.decay.astype(self.dtype)
        return arrays

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_import("from neurosim.core.neurons.rate import rate_update")
        w.add_lines("update", self, f"rate_update({r('x')}, {r('rate')}, {r('i_ext')}, {r('p_bias')}, {r('decay')}, "
                                 f"{self.code}, {r('p_tau_rc')}, {r('p_tau_ref')})")

