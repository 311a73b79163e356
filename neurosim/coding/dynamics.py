"""Dynamics through recurrent connections: ``dx/dt = A x + B u`` (or ``f(x) + B u``) with a lowpass synapse.

With a unit-area lowpass synapse of time constant ``tau``, a population whose input is
``h * (W_rec x + W_in u)`` obeys ``tau dx/dt = -x + W_rec x + W_in u``. Choosing the recurrent
transform ``tau A + I`` and the input transform ``tau B`` gives ``dx/dt = A x + B u`` (Eliasmith &
Anderson 2003, ch. 8; the course notes' section on dynamics writes the same idea with garbled
symbols). A nonlinear ``dx/dt = f(x)`` uses the recurrent function ``x + tau f(x)``.

In discrete time (the core's zero-order-hold lowpass ``s <- a s + (1 - a) input``, ``a = exp(-dt/tau)``,
read one step late) these transforms give ``x[k] = (I + (1 - a) tau A) x[k-1]``: for an oscillator
the frequency is low by about ``(1 - (1 - a) tau / dt)`` (0.5 % at dt 1 ms, tau 0.1 s) and the
amplitude grows by ``|1 + i (1 - a) tau omega|`` per step. Passing ``dt`` instead maps exactly to the
discrete system ``x[k] = expm(A dt) x[k-1] + B_d u[k-1]`` (Voelker & Eliasmith 2018, discrete
principle 3): recurrent ``(expm(A dt) - a I) / (1 - a)``, input ``B_d / (1 - a)`` with ``B_d`` the
zero-order-hold input matrix.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from ..errors import ParameterError
from .connection import Connection
from .ensemble import Ensemble
from .model import Model


def _matrix(value, dimensions: int, label: str, columns: int | None = None) -> np.ndarray:
    columns = dimensions if columns is None else columns
    M = np.asarray(value, float)
    if M.ndim == 0:
        if columns != dimensions:
            raise ParameterError(label, float(M), f"a matrix of shape ({dimensions}, {columns})")
        return float(M) * np.eye(dimensions)
    if M.shape != (dimensions, columns) or not np.all(np.isfinite(M)):
        raise ParameterError(label, f"shape {M.shape}", f"a finite matrix of shape ({dimensions}, {columns})")
    return M


def discrete_transforms(A, B, tau: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Recurrent and input transforms that make the discretised loop equal ``expm(A dt)`` and ``B_d`` exactly."""
    d, m = B.shape
    block = np.zeros((d + m, d + m))
    block[:d, :d], block[:d, d:] = A, B
    exact = scipy.linalg.expm(block * dt)
    gain = -np.expm1(-dt / tau)
    return (exact[:d, :d] - (1.0 - gain) * np.eye(d)) / gain, exact[:d, d:] / gain


def recurrence(model: Model, ensemble: Ensemble, A=None, function=None, tau: float = 0.1, dt: float | None = None,
               **kwargs) -> Connection:
    """Recurrent connection giving ``dx/dt = A x`` (``A`` matrix or scalar) or ``dx/dt = function(x)``.

    ``dt`` (s, linear ``A`` only): use the exact discrete mapping for that time step.
    """
    if (A is None) == (function is None):
        raise ParameterError("recurrence", "A/function", "exactly one of A (linear) or function (nonlinear)")
    if tau <= 0:
        raise ParameterError("recurrence: tau", tau, "a synaptic time constant > 0 s")
    if function is None:
        A = _matrix(A, ensemble.dimensions, "recurrence: A")
        eye = np.eye(ensemble.dimensions)
        transform = tau * A + eye if dt is None else discrete_transforms(A, eye, tau, dt)[0]
        return model.connect(ensemble, ensemble, transform=transform, synapse=tau, **kwargs)
    if dt is not None:
        raise ParameterError("recurrence: dt", dt, "None for a nonlinear function (the exact mapping needs a matrix A)")
    return model.connect(ensemble, ensemble, function=lambda x: x + tau * np.asarray(function(x), float),
                         synapse=tau, **kwargs)


def drive(model: Model, source, ensemble: Ensemble, B=1.0, tau: float = 0.1, A=None, dt: float | None = None,
          **kwargs) -> Connection:
    """Input connection adding ``B u`` to ``dx/dt`` (``u`` the value of ``source``; transform ``tau B``).

    With ``dt`` (and the system's ``A``) the input transform of the exact discrete mapping.
    """
    B = _matrix(B, ensemble.dimensions, "drive: B", source.dimensions)
    if dt is None:
        transform = tau * B
    else:
        A = _matrix(0.0 if A is None else A, ensemble.dimensions, "drive: A")
        transform = discrete_transforms(A, B, tau, dt)[1]
    return model.connect(source, ensemble, transform=transform, synapse=tau, **kwargs)


def integrator(model: Model, name: str, n_neurons: int, source, dimensions: int = 1, tau: float = 0.1,
               dt: float | None = None, **ensemble_kwargs) -> Ensemble:
    """``dx/dt = u``: an ensemble with recurrent transform 1 and input transform ``tau`` (exact for ``dt``)."""
    ensemble = model.ensemble(name, n_neurons, dimensions, **ensemble_kwargs)
    recurrence(model, ensemble, A=0.0, tau=tau, dt=dt)
    drive(model, source, ensemble, B=1.0, tau=tau, dt=dt)
    return ensemble


def oscillator_matrix(omega: float, damping: float = 0.0) -> np.ndarray:
    """``A = [[-damping, -omega], [omega, -damping]]``: rotation at ``omega`` rad/s, decay rate ``damping`` (1/s)."""
    return np.array([[-damping, -omega], [omega, -damping]], float)


def oscillator(model: Model, name: str, n_neurons: int, source, omega: float, damping: float = 0.0,
               tau: float = 0.1, dt: float | None = None, **ensemble_kwargs) -> Ensemble:
    """A 2-D (damped) harmonic oscillator ``dx/dt = A x + u`` with ``A`` from :func:`oscillator_matrix`."""
    ensemble = model.ensemble(name, n_neurons, 2, **ensemble_kwargs)
    A = oscillator_matrix(omega, damping)
    recurrence(model, ensemble, A=A, tau=tau, dt=dt)
    drive(model, source, ensemble, B=1.0, tau=tau, A=A, dt=dt)
    return ensemble


def oscillation_frequency(t: np.ndarray, x: np.ndarray) -> float:
    """Mean rotation frequency (Hz) of a 2-D trajectory ``x`` (T x 2): slope of its unwrapped phase.

    A least-squares line through ``unwrap(arctan2(x1, x0))`` is robust to spike noise, unlike zero
    crossings of a noisy signal, as long as the noise stays well below the amplitude.
    """
    x = np.asarray(x, float)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] != len(t) or len(t) < 3:
        raise ParameterError("oscillation_frequency: x", f"shape {x.shape}", f"shape ({len(t)}, 2), at least 3 samples")
    phase = np.unwrap(np.arctan2(x[:, 1], x[:, 0]))
    return float(np.polyfit(t, phase, 1)[0] / (2 * np.pi))
