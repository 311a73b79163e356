"""Neural sampling: stochastic spiking units with an absolute refractory period whose network samples
a Boltzmann distribution (Buesing, Bill, Nessler & Maass 2011, PLoS Comput Biol 7:e1002211, the
discrete-time model).

Unit ``k`` has a refractory counter ``zeta_k`` in ``{0, ..., tau}`` (``tau = refractory_steps``) and
the output ``z_k = 1`` while ``zeta_k >= 1``: during the ``tau`` updates that start with a spike
(the rectangular postsynaptic potential of the paper). Its membrane potential is
``u_k = bias_k + i_ext_k (+ field_k)``: the bias plus the input of the projections, ``sum_j W_kj z_j``.
An update of unit ``k``: if ``zeta_k > 1`` it counts down (``z_k`` stays 1); otherwise the unit
spikes with probability ``p_k = logistic(u_k - log tau)`` (then ``zeta_k = tau``) or goes silent
(``zeta_k = 0``). Each update leaves the distribution ``p(zeta) ∝ p(z) tau^(-|z|)`` invariant, whose
marginal is ``p(z) ∝ exp(z^T W z / 2 + bias^T z)`` for symmetric ``W`` with zero diagonal; with
``tau = 1`` the update is a Gibbs step. The draws come from the population's run Generator.

``update='asynchronous'``: in every step the units update one after another in index order (a
sweep), unit ``k`` seeing the current ``z`` of the others through the population's one recurrent
dense projection (full matrix, tau 0, computed from the state at the start of the step and
corrected after each change): the exact sampler of a general Boltzmann machine.
``update='synchronous'``: all units update together from the input of the previous step, with
``every`` / ``offset`` as in :mod:`.binary`; exact when the units have no connections among
themselves (one side of a restricted Boltzmann machine: visible units at even steps, hidden at odd).

State: ``rate`` (= ``z``, what projections read), ``zeta``, ``p`` (the spike probability
``logistic(u - log tau)`` of the unit's last update outside the refractory period) and ``spike`` (1
from an update in which the unit spiked to its next update, else 0).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numba
import numpy as np

from ...errors import ParameterError
from ..params import Param
from ..population import Population

if TYPE_CHECKING:
    from ..codegen import CodeWriter

UPDATES = ("synchronous", "asynchronous")


@numba.njit(cache=True, nogil=True, inline="always")
def _sample_unit(k, u, z, zeta, p, spike, tau, log_tau, rng):
    """One update of unit ``k`` at membrane potential ``u``; returns its new output ``z_k``."""
    spike[k] = 0.0
    if zeta[k] > 1.0:
        zeta[k] -= 1.0
        return 1.0
    p[k] = 1.0 / (1.0 + math.exp(log_tau - u))
    if rng.random() < p[k]:
        zeta[k] = tau
        spike[k] = 1.0
        return 1.0
    zeta[k] = 0.0
    return 0.0


@numba.njit(cache=True, nogil=True)
def sampling_update(z, zeta, p, spike, i_ext, bias, tau, rng):
    """All units at once, from ``u = bias + i_ext``."""
    log_tau = math.log(tau)
    for k in range(z.shape[0]):
        z[k] = _sample_unit(k, bias[k] + i_ext[k], z, zeta, p, spike, tau, log_tau, rng)


@numba.njit(cache=True, nogil=True)
def sampling_sweep(z, zeta, p, spike, i_ext, bias, weights, field, tau, rng):
    """Units ``0 .. n-1`` one after another, unit ``k`` at ``u = bias + i_ext + (weights @ z)_k``
    with the current ``z`` (``field = weights @ z`` computed once, then corrected per change)."""
    n = z.shape[0]
    log_tau = math.log(tau)
    for j in range(n):
        acc = 0.0
        for i in range(n):
            acc += weights[j, i] * z[i]
        field[j] = acc
    for k in range(n):
        new = _sample_unit(k, bias[k] + i_ext[k] + field[k], z, zeta, p, spike, tau, log_tau, rng)
        if new != z[k]:
            d = new - z[k]
            for j in range(n):
                field[j] += weights[j, k] * d
            z[k] = new


class NeuralSamplingPopulation(Population):
    """``n`` neural-sampling units with ``refractory_steps`` updates of absolute refractoriness;
    ``update`` 'asynchronous' (a sweep per step through one recurrent dense projection) or
    'synchronous' (``every`` / ``offset``)."""

    model = "neural_sampling"
    spiking = False  # projections read z (rate), the rectangular PSP; spikes are the state 'spike'
    batchable = True
    input_dimension = "dimensionless"
    param_spec: ClassVar[dict[str, Param]] = {
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant part of the membrane potential u"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {
        "rate": ("dimensionless", 0.0), "zeta": ("dimensionless", 0.0), "p": ("dimensionless", 0.0),
        "spike": ("dimensionless", 0.0)}
    options: ClassVar[dict[str, str]] = {
        "refractory_steps": "updates a spike keeps z = 1 (tau of Buesing et al. 2011)",
        "update": "'synchronous' or 'asynchronous' (units one after another)",
        "every": "synchronous units update when step % every == offset", "offset": "see every"}

    def __init__(self, name, n, params=None, initial=None, refractory_steps=1, update="synchronous", every=1,
                 offset=0):
        super().__init__(name, n, params, None, initial)
        if isinstance(refractory_steps, bool) or not isinstance(refractory_steps, (int, np.integer)) \
                or refractory_steps < 1:
            raise ParameterError(f"population '{name}': refractory_steps", refractory_steps, "an integer >= 1")
        if update not in UPDATES:
            raise ParameterError(f"population '{name}': update", update, f"one of {UPDATES}")
        for key, value, low in (("every", every, 1), ("offset", offset, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ParameterError(f"population '{name}': {key}", value, f"an integer >= {low}")
        if offset >= every or (every > 1 and update == "asynchronous"):
            raise ParameterError(f"population '{name}': offset", offset,
                                 "an integer below every (and every = 1 for asynchronous updates)")
        self.refractory_steps, self.update = int(refractory_steps), update
        self.every, self.offset = int(every), int(offset)

    def build(self, dt, dtype, rng):
        super().build(dt, dtype, rng)
        zeta, z = self.state["zeta"], self.state["rate"]
        if np.any((zeta < 0) | (zeta > self.refractory_steps) | (zeta != np.round(zeta))) \
                or np.any(z != (zeta >= 1)):
            raise ParameterError(f"population '{self.name}': initial zeta", "values",
                                 f"integers in [0, {self.refractory_steps}] with rate = 1 exactly where zeta >= 1")
        self.recurrent = []                   # the recurrent dense projection (DenseProjection.build)
        self.field = np.zeros(self.n, dtype)  # its input during a sweep

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_argument(r("rng"), self.run_rng)
        tau = w.constant(self, "tau", float(self.refractory_steps))
        common = f"{r('rate')}, {r('zeta')}, {r('p')}, {r('spike')}, {r('i_ext')}, {r('p_bias')}"
        if self.update == "asynchronous":
            if len(self.recurrent) != 1:
                raise ParameterError(f"population '{self.name}': update", "asynchronous",
                                     "exactly one recurrent DenseProjection (full matrix, tau 0) of the population "
                                     f"onto itself, found {len(self.recurrent)}")
            w.add_argument(r("field"), self.field)
            w.add_import("from neurosim.core.neurons.sampling import sampling_sweep")
            w.add_lines("update", self, f"sampling_sweep({common}, {w.ref(self.recurrent[0], 'encode')}, "
                                        f"{r('field')}, {tau}, {r('rng')})")
            return
        when = f"if step % {self.every} == {self.offset}: " if self.every > 1 else ""
        w.add_import("from neurosim.core.neurons.sampling import sampling_update")
        w.add_lines("update", self, f"{when}sampling_update({common}, {tau}, {r('rng')})")
