"""Binary units: stochastic (Boltzmann) units and deterministic sign units.

``stochastic``: each step ``s = 1`` with probability ``p = logistic((i_ext + bias) / temperature)``
(kept in the state variable ``p``), else ``low`` (0 for Boltzmann machines, -1 for Ising-style
units), drawn from the population's run-phase Generator. ``sign``: ``s = +1`` if ``i_ext + bias > 0``,
``-1`` if negative, unchanged at exactly 0. The output array is ``rate`` (= ``s``).

``update='synchronous'`` (default): all units update together from the previous step's input.
``update='asynchronous'`` (sign units): the units update one at a time in a random order, each
seeing the current state of the others through the population's recurrent dense projection
(Hopfield's asynchronous dynamics). A permutation of the units is drawn with ``rng.permutation``
from the run Generator whenever the previous one is used up; a step updates the next
``units_per_step`` units of it (default ``n``: one sweep per step). The field of unit ``i`` is
``i_ext_i + bias_i + field_i``: ``i_ext`` holds the other inputs, ``field = W s`` the recurrent
projection's, computed from the state at the first step (and again after ``field_valid[0]`` is set
to 0, e.g. when a new state is written between runs) and then corrected after each change ``d`` of
unit ``j`` by ``W[:, j] * d``, so a sweep costs O(n) plus O(n) per change. With symmetric, zero-diagonal
weights every update leaves the energy ``-1/2 s W s - bias s`` unchanged or lower.
``update='clamped'``: the units keep their state (initial values, or values written between runs
into the built ``state['rate']``), or play ``values``: row ``k`` of ``(T, n)`` (or of copy ``c``'s
``(T, n)`` in ``(B, T, n)``) at step ``k``, the last row held after the end; patterns or data
presented to a learning projection.

``every`` / ``offset``: synchronous and clamped units update only in steps with
``step % every == offset`` and hold their state in between (the alternating block updates of a
Gibbs sampler: visible units at even steps, hidden units at odd steps).
"""
from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, ClassVar

import numba
import numpy as np

from ...errors import ParameterError
from ..params import Param
from ..population import Population

if TYPE_CHECKING:
    from ..codegen import CodeWriter

MODES = ("stochastic", "sign")
UPDATES = ("synchronous", "asynchronous", "clamped")


@numba.njit(cache=True, nogil=True)
def binary_update(s, p, i_ext, bias, temperature, low, stochastic, rng):
    """One synchronous step of all units."""
    for i in range(s.shape[0]):
        field = i_ext[i] + bias[i]
        if stochastic:
            p[i] = 1.0 / (1.0 + math.exp(-field / temperature[i]))
            s[i] = 1.0 if rng.random() < p[i] else low
        elif field > 0:
            s[i] = 1.0
        elif field < 0:
            s[i] = -1.0


@numba.njit(cache=True, nogil=True)
def asynchronous_update(s, i_ext, bias, weights, field, valid, order, position, units, rng):
    """Sign updates of the next ``units`` units of the permutation ``order`` (redrawn from ``rng``
    when ``position[0]`` wraps to 0), one at a time, unit ``i`` seeing ``i_ext_i + bias_i + field_i``.
    ``field = weights @ s`` is computed when ``valid[0]`` is 0 and then kept: a change ``d`` of unit
    ``j`` adds ``weights[:, j] * d`` to it."""
    n = s.shape[0]
    if valid[0] == 0:
        for j in range(n):
            acc = 0.0
            for i in range(n):
                acc += weights[j, i] * s[i]
            field[j] = acc
        valid[0] = 1
    for _ in range(units):
        if position[0] == 0:
            order[:] = rng.permutation(n)
        i = order[position[0]]
        position[0] = (position[0] + 1) % n
        h = i_ext[i] + bias[i] + field[i]
        new = s[i]
        if h > 0.0:
            new = 1.0
        elif h < 0.0:
            new = -1.0
        if new != s[i]:
            d = new - s[i]
            for j in range(n):
                field[j] += weights[j, i] * d
            s[i] = new


class BinaryPopulation(Population):
    """``n`` binary units; ``mode`` 'stochastic' (values ``low``/1) or 'sign' (values -1/+1);
    ``update`` 'synchronous', 'asynchronous' (sign units, ``units_per_step`` per step) or 'clamped'."""

    model = "binary"
    spiking = False
    input_dimension = "dimensionless"
    param_spec: ClassVar[dict[str, Param]] = {
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant input"),
        "temperature": Param("temperature", "dimensionless", 1.0, "positive", "noise temperature of stochastic units"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"rate": ("dimensionless", 0.0), "p": ("dimensionless", 0.0)}

    def __init__(self, name, n, params=None, initial=None, mode="stochastic", low=0.0, update="synchronous",
                 units_per_step=None, every=1, offset=0, values=None):
        super().__init__(name, n, params, None, initial)
        if mode not in MODES:
            raise ParameterError(f"population '{name}': mode", mode, f"one of {MODES}")
        if low not in (0.0, -1.0):
            raise ParameterError(f"population '{name}': low", low, "0 or -1")
        if update not in UPDATES:
            raise ParameterError(f"population '{name}': update", update, f"one of {UPDATES}")
        if update == "asynchronous" and mode != "sign":
            raise ParameterError(f"population '{name}': update", update, "'synchronous' for stochastic units "
                                 "(asynchronous updates are implemented for sign units)")
        if units_per_step is not None and (update != "asynchronous" or isinstance(units_per_step, bool)
                                           or not isinstance(units_per_step, (int, np.integer))
                                           or not 1 <= units_per_step <= self.n):
            raise ParameterError(f"population '{name}': units_per_step", units_per_step,
                                 f"an integer in [1, {self.n}] with update='asynchronous'")
        self.mode, self.low = mode, float(low) if mode == "stochastic" else -1.0
        self.update = update
        self.units_per_step = self.n if units_per_step is None else int(units_per_step)
        for key, value, low_bound in (("every", every, 1), ("offset", offset, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low_bound:
                raise ParameterError(f"population '{name}': {key}", value, f"an integer >= {low_bound}")
        if offset >= every or (every > 1 and update == "asynchronous"):
            raise ParameterError(f"population '{name}': offset", offset,
                                 "an integer below every (and every = 1 for asynchronous updates)")
        self.every, self.offset = int(every), int(offset)
        self.values = None
        if values is not None:
            values = np.array(values, float)
            if update != "clamped" or values.ndim not in (2, 3) or values.shape[-1] != self.n or 0 in values.shape \
                    or not np.all(np.isfinite(values)):
                raise ParameterError(f"population '{name}': values", f"shape {values.shape}",
                                     f"finite values of shape (T, {self.n}) or (copies, T, {self.n}) "
                                     "with update='clamped'")
            values.setflags(write=False)
            self.values = values

    def __deepcopy__(self, memo):
        """A deep copy that shares the read-only played ``values`` (a simulator copies its network,
        and a batched build every population once per copy: the data would be copied each time)."""
        if self.values is not None:
            memo[id(self.values)] = self.values
        twin = self.__class__.__new__(self.__class__)
        memo[id(self)] = twin
        twin.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return twin

    @property
    def batchable(self) -> bool:  # type: ignore[override]  # a class attribute on Population, per instance here
        """Synchronous and clamped units run in batched networks (their run state is per copy)."""
        return self.update != "asynchronous"

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        """The played ``values`` of the chunk's steps: ``(n_steps, n)`` or ``(copies, n_steps, n)``."""
        index = np.minimum(step0 + np.arange(n_steps), self.values.shape[-2] - 1)
        return np.ascontiguousarray(self.values[..., index, :], self.dtype)

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        super().build(dt, dtype, rng)
        self.order = np.zeros(self.n, np.int64)      # the current permutation (asynchronous updates)
        self.position = np.zeros(1, np.int64)        # next place in it; 0: draw a new one
        self.recurrent: list = []                    # recurrent dense projections (DenseProjection.build)
        self.field = np.zeros(self.n, dtype)         # their input, kept up to date unit by unit
        self.field_valid = np.zeros(1, np.int64)     # 0: compute it from the state at the next step

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_argument(r("rng"), self.run_rng)
        when = f"if step % {self.every} == {self.offset}: " if self.every > 1 else ""
        if self.update == "clamped":
            if self.values is not None:
                w.add_chunk_argument(r("values"), self)
                if self.values.ndim == 3:
                    if w.batch != self.values.shape[0]:
                        raise ParameterError(f"population '{self.name}': values", f"{self.values.shape[0]} copies",
                                             f"values for the network's batch = {w.batch} copies, or shared (T, n)")
                    w.copies(self)
                w.add_lines("update", self, f"{when}{r('rate')}[:] = {r('values')}[k]")
            return
        if self.update == "asynchronous":
            if len(self.recurrent) != 1:
                raise ParameterError(f"population '{self.name}': update", "asynchronous",
                                     "exactly one recurrent DenseProjection (full matrix, tau 0) of the population "
                                     f"onto itself, found {len(self.recurrent)}")
            w.add_arguments({r("order"): self.order, r("position"): self.position,
                             r("field"): self.field, r("field_valid"): self.field_valid})
            w.add_import("from neurosim.core.neurons.binary import asynchronous_update")
            w.add_lines("update", self,
                f"asynchronous_update({r('rate')}, {r('i_ext')}, {r('p_bias')}, {w.ref(self.recurrent[0], 'encode')}, "
                f"{r('field')}, {r('field_valid')}, {r('order')}, {r('position')}, {self.units_per_step}, {r('rng')})")
            return
        w.add_import("from neurosim.core.neurons.binary import binary_update")
        w.add_lines("update", self, f"{when}binary_update({r('rate')}, {r('p')}, {r('i_ext')}, {r('p_bias')}, "
                                    f"{r('p_temperature')}, "
                                    f"{w.constant(self, 'low', self.low)}, {self.mode == 'stochastic'}, {r('rng')})")
