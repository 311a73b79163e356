"""Synaptic filters: exponential, alpha and difference-of-exponentials kernels.

Each kernel ``h(t)`` has unit area (the course notes' ``s(t) = sum_p h(t - t_p)``):

- exponential: ``h(t) = exp(-t/tau) / tau``
- alpha: ``h(t) = t / tau**2 * exp(-t/tau)``
- exp2: ``h(t) = (exp(-t/tau) - exp(-t/tau_rise)) / (tau - tau_rise)``

A kernel is a small linear system ``dz/dt = A z``, an input spike adds ``b`` to ``z`` and the
filtered signal is ``c . z``. Projection weights are *peak* amplitudes, as in PyNN, NEST and
Brian2 (a weight of 1 nA gives a PSC peaking at 1 nA), so the build scales ``b`` by ``1/max(h)``.
A receptor is current-based (weight in A, adds ``c.z`` to the input current),
conductance-based (weight in S, adds ``c.z * (e_rev - v)``) or a delta receptor (weight in the
unit of the membrane potential, added to ``v`` on arrival: NEST's ``iaf_psc_delta``, Brian2's
``on_pre='v += w'``). Delta receptors have no kernel and no rows in the bank.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.linalg

from ..errors import ParameterError, did_you_mean
from ..units import quantity

KERNELS = ("exponential", "alpha", "exp2")
KINDS = ("current", "conductance", "delta")


@dataclass(frozen=True)
class Synapse:
    """One receptor port: a unit-area kernel applied as a current or a conductance, or (``kind="delta"``)
    a jump of ``v`` by the weight on arrival (``kernel``, ``tau`` and ``e_rev`` are then unused).

    ``tau`` (s) is the decay time constant, ``tau_rise`` (s) the rise time of ``exp2`` kernels,
    ``e_rev`` (V) the reversal potential of conductance-based receptors: SI floats, strings with
    units (``"5 ms"``) or pint quantities (``5 * neurosim.ms``).
    """

    kernel: str = "exponential"
    tau: float = "5 ms"  # type: ignore[assignment]  # SI float after __post_init__
    kind: str = "current"
    e_rev: float = 0.0
    tau_rise: float = "1 ms"  # type: ignore[assignment]  # SI float after __post_init__

    def __post_init__(self):
        for key, dimension in (("tau", "time"), ("tau_rise", "time"), ("e_rev", "voltage")):
            value = getattr(self, key)
            object.__setattr__(self, key, quantity(value, dimension, f"synapse {key}"))  # "5 ms", 5 * ns.ms
        if self.kernel not in KERNELS:
            raise ParameterError("synapse kernel", self.kernel, f"one of {KERNELS}{did_you_mean(self.kernel, KERNELS)}")
        if self.kind not in KINDS:
            raise ParameterError("synapse kind", self.kind, f"one of {KINDS}{did_you_mean(self.kind, KINDS)}")
        if not (np.isfinite(self.tau) and self.tau > 0):
            raise ParameterError("synapse tau", self.tau, "a time constant > 0 s")
        if self.kernel == "exp2" and not (0 < self.tau_rise < self.tau):
            raise ParameterError("synapse tau_rise", self.tau_rise, f"0 < tau_rise < tau = {self.tau} s")
        if not np.isfinite(self.e_rev):
            raise ParameterError("synapse e_rev", self.e_rev, "a finite reversal potential in V")

    @property
    def is_delta(self) -> bool:
        return self.kind == "delta"

    def system(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, b, c)`` of the unit-area kernel: ``dz/dt = A z``, spike: ``z += b``, ``h = c.z``."""
        tau = self.tau
        if self.kernel == "exponential":
            return np.array([[-1 / tau]]), np.array([1 / tau]), np.array([1.0])
        if self.kernel == "alpha":  # z = (x, h): dx/dt = -x/tau, dh/dt = (x - h)/tau
            a = np.array([[-1 / tau, 0.0], [1 / tau, -1 / tau]])
            return a, np.array([1 / tau, 0.0]), np.array([0.0, 1.0])
        rise = self.tau_rise  # exp2: two exponentials with opposite signs
        return (np.diag([-1 / tau, -1 / rise]), np.full(2, 1 / (tau - rise)), np.array([1.0, -1.0]))

    def kernel_values(self, t) -> np.ndarray:
        """The unit-area kernel ``h(t)`` (1/s) at times ``t >= 0`` (s)."""
        t = np.asarray(t, float)
        tau = self.tau
        if self.kernel == "exponential":
            h = np.exp(-t / tau) / tau
        elif self.kernel == "alpha":
            h = t / tau**2 * np.exp(-t / tau)
        else:
            h = (np.exp(-t / tau) - np.exp(-t / self.tau_rise)) / (tau - self.tau_rise)
        return np.where(t >= 0, h, 0.0)

    def peak_time(self) -> float:
        """Time (s) at which the kernel peaks."""
        if self.kernel == "exponential":
            return 0.0
        if self.kernel == "alpha":
            return self.tau
        tau, rise = self.tau, self.tau_rise
        return tau * rise / (tau - rise) * np.log(tau / rise)

    def peak(self) -> float:
        """``max h(t)`` (1/s): the factor between a peak-amplitude weight and the kernel's area."""
        return float(self.kernel_values(self.peak_time()))


@dataclass
class SynapseBank:
    """All receptor states of a population stacked as rows of one ``(S, n)`` array.

    ``phi`` (S x S) propagates the rows over one step exactly; ``b`` is added per unit weight
    arriving in a row's receptor (``row_receptor``); ``i_coef``, ``g_coef`` and ``ge_coef`` turn
    the rows into the current ``I = i.z``, the conductance ``G = g.z`` and ``G*E = ge.z``.
    """

    names: list[str]
    synapses: list[Synapse]
    phi: np.ndarray
    b: np.ndarray
    row_receptor: np.ndarray
    i_coef: np.ndarray
    g_coef: np.ndarray
    ge_coef: np.ndarray
    a_matrix: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.b)

    @property
    def has_conductance(self) -> bool:
        return bool(np.any(self.g_coef != 0))

    def rows(self, receptor: str) -> np.ndarray:
        return np.flatnonzero(self.row_receptor == self.names.index(receptor))


def make_bank(receptors: dict[str, Synapse], dt: float) -> SynapseBank:
    """Stack the receptors of one population and compute their exact one-step propagator
    (delta receptors have no state: they add to ``v`` directly)."""
    blocks, b, rows, i_coef, g_coef, ge_coef = [], [], [], [], [], []
    for index, synapse in enumerate(receptors.values()):
        if synapse.is_delta:
            continue
        a, b_unit, c = synapse.system()
        blocks.append(a)
        b.append(b_unit / synapse.peak())
        rows += [index] * len(c)
        if synapse.kind == "current":
            i_coef.append(c)
            g_coef.append(0 * c)
            ge_coef.append(0 * c)
        else:
            i_coef.append(0 * c)
            g_coef.append(c)
            ge_coef.append(c * synapse.e_rev)
    a_matrix = scipy.linalg.block_diag(*blocks) if blocks else np.zeros((0, 0))
    cat = (lambda parts: np.concatenate(parts) if parts else np.zeros(0))
    return SynapseBank(
        names=list(receptors), synapses=list(receptors.values()),
        phi=scipy.linalg.expm(a_matrix * dt) if blocks else np.zeros((0, 0)),
        b=cat(b), row_receptor=np.array(rows, np.int64), i_coef=cat(i_coef), g_coef=cat(g_coef),
        ge_coef=cat(ge_coef), a_matrix=a_matrix)


@numba.njit(cache=True, nogil=True)
def deliver(ring, slot, z, b, row_receptor):
    """Add the weights arriving now (ring slot ``slot``) to the receptor states; clear the slot."""
    n = z.shape[1]
    for s in range(z.shape[0]):
        scale = b[s]
        arriving = ring[slot, row_receptor[s]]
        for i in range(n):
            z[s, i] += scale * arriving[i]
    for r in range(ring.shape[1]):
        for i in range(n):
            ring[slot, r, i] = 0.0


@numba.njit(cache=True, nogil=True)
def deliver_jumps(ring, slot, receptor, v, ref_left, dt):
    """Add the voltage jumps arriving now (ring slot ``slot``, delta receptor ``receptor``) to ``v``,
    except for refractory neurons (``ref_left > dt/2``), whose input is dropped. Call before
    :func:`deliver`, which clears the slot."""
    arriving = ring[slot, receptor]
    for i in range(v.shape[0]):
        if ref_left[i] <= 0.5 * dt:
            v[i] += arriving[i]
