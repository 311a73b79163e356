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
unit ``j`` by ``W[:, j] * d`` (read as a row: ``W`` itself when it is symmetric, else its transpose,
copied at build), so a sweep costs O(n) plus O(n) per change. With symmetric, zero-diagonal
weights every update leaves the energy ``-1/2 s W s - bias s`` unchanged or lower.
``stop_when_stable=True``: a run ends after the first whole sweep that changed no unit (a fixed
point; ``stable[0]`` is then 1, else 0 at the end of a run that reached its duration first), so
``run(max_sweeps * dt)`` is a recall until stable bounded by ``max_sweeps``. ``cues`` (M, n): one
run recalls every row in turn, a sweep per step, each until a sweep changes nothing or for
``max_sweeps`` sweeps, into the built ``finals``, ``sweeps`` and ``converged`` (one row each); the run
ends when all are done (``run(M * max_sweeps * dt)`` is always long enough).
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
def asynchronous_update(s, i_ext, bias, columns, field, valid, order, position, changes, stable, stop, units,
                        rng):
    """Sign updates of the next ``units`` units of the permutation ``order`` (redrawn from ``rng``
    when ``position[0]`` wraps to 0), one at a time, unit ``i`` seeing ``i_ext_i + bias_i + field_i``.
    ``field = W @ s`` is computed when ``valid[0]`` is 0 and then kept: a change ``d`` of unit ``i``
    adds ``columns[i] * d`` to it (``columns[i, j] = W[j, i]``, read as rows).
    ``changes[0]`` counts the changes of the current sweep; a sweep that changed nothing sets
    ``stable[0] = 1`` (and with ``stop`` ends the call there)."""
    n = s.shape[0]
    if valid[0] == 0:  # field[j] = sum_i weights[j, i] s[i], summed in the order of i, row by row of columns
        field[:] = 0.0
        for i in range(n):
            column, a = columns[i], s[i]
            for j in range(n):
                field[j] += column[j] * a
        valid[0] = 1
    for _ in range(units):
        if position[0] == 0:
            order[:] = rng.permutation(n)
            changes[0] = 0
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
            column = columns[i]
            for j in range(n):
                field[j] += column[j] * d
            s[i] = new
            changes[0] += 1
        if position[0] == 0 and changes[0] == 0:
            stable[0] = 1
            if stop:
                return


@numba.njit(cache=True, nogil=True)
def recall_cues(s, i_ext, bias, columns, field, valid, order, position, changes, stable, rng, cues, finals, sweeps,
                converged, row, max_sweeps):
    """One sweep of the recall of cue ``row[0]`` (its state written from ``cues`` at its first sweep);
    after a sweep that changed nothing (``converged[row] = 1``) or the ``max_sweeps``-th, the state
    goes to ``finals[row]`` (``sweeps[row]`` counts the sweeps) and the next cue starts;
    ``row[0] == len(cues)`` when all are done."""
    m = row[0]
    if m == cues.shape[0]:
        return
    if sweeps[m] == 0:
        s[:] = cues[m]
        valid[0] = 0
        stable[0] = 0
    asynchronous_update(s, i_ext, bias, columns, field, valid, order, position, changes, stable, True, s.shape[0], rng)
    sweeps[m] += 1
    if stable[0] == 1 or sweeps[m] == max_sweeps:
        finals[m] = s
        converged[m] = stable[0]
        row[0] = m + 1


class BinaryPopulation(Population):
    """``n`` binary units; ``mode`` 'stochastic' (values ``low``/1) or 'sign' (values -1/+1);
    ``update`` 'synchronous', 'asynchronous' (sign units, ``units_per_step`` per step, optionally
    ``stop_when_stable``, or a queue of ``cues`` recalled for up to ``max_sweeps`` sweeps each) or
    'clamped'."""

    model = "binary"
    spiking = False
    input_dimension = "dimensionless"
    param_spec: ClassVar[dict[str, Param]] = {
        "bias": Param("bias", "dimensionless", 0.0, "any", "constant input"),
        "temperature": Param("temperature", "dimensionless", 1.0, "positive", "noise temperature of stochastic units"),
    }
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {"rate": ("dimensionless", 0.0), "p": ("dimensionless", 0.0)}

    def __init__(self, name, n, params=None, initial=None, mode="stochastic", low=0.0, update="synchronous",
                 units_per_step=None, every=1, offset=0, values=None, stop_when_stable=False, cues=None,
                 max_sweeps=50):
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
        if stop_when_stable not in (False, True) or (stop_when_stable and update != "asynchronous"):
            raise ParameterError(f"population '{name}': stop_when_stable", stop_when_stable,
                                 "True or False (True with update='asynchronous')")
        self.stop_when_stable = bool(stop_when_stable)
        self.cues = None
        if cues is not None:
            cues = np.array(cues, float)
            if update != "asynchronous" or units_per_step not in (None, self.n) or cues.ndim != 2 \
                    or cues.shape[1] != self.n or not len(cues) or not np.all(np.isin(cues, (-1.0, 1.0))):
                raise ParameterError(f"population '{name}': cues", f"shape {cues.shape}",
                                     f"+-1 rows of shape (M, {self.n}) with update='asynchronous', a sweep per step")
            if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, (int, np.integer)) or max_sweeps < 1:
                raise ParameterError(f"population '{name}': max_sweeps", max_sweeps, "an integer >= 1")
            self.cues, self.max_sweeps = cues, int(max_sweeps)
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
        self.changes = np.zeros(1, np.int64)         # changes in the current sweep
        self.stable = np.zeros(1, np.int64)          # 1: the last whole sweep changed nothing
        if self.cues is not None:                    # the recall of each cue: final state, sweeps; next cue
            self.finals = np.zeros_like(self.cues)
            self.sweeps = np.zeros(len(self.cues), np.int64)
            self.converged = np.zeros(len(self.cues), np.int64)
            self.row = np.zeros(1, np.int64)

    def start(self) -> None:
        """Called by the simulator when a run starts: not stable yet (``stop_when_stable``)."""
        if self.cues is None:
            self.stable[0] = 0

    def stopped(self, step: int) -> bool:
        """Whether the run ends after a chunk that ended at ``step``: a sweep changed nothing (or,
        with ``cues``, every cue is recalled)."""
        if self.cues is not None:
            return bool(self.row[0] == len(self.cues))
        return self.stop_when_stable and bool(self.stable[0])

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
            projection = self.recurrent[0]
            weights = projection.encode
            if "encode" not in projection.constant_arrays:  # plastic: the transpose's view follows the changes
                columns = weights.T
            elif np.array_equal(weights, weights.T):
                columns = weights
            else:
                columns = np.ascontiguousarray(weights.T)
            w.add_arguments({r("order"): self.order, r("position"): self.position, r("field"): self.field,
                             r("field_valid"): self.field_valid, r("columns"): columns, r("changes"): self.changes,
                             r("stable"): self.stable})
            # the state both asynchronous kernels take first: units, input, bias, weights, field, sweep order
            state = ", ".join(r(key) for key in ("rate", "i_ext", "p_bias", "columns", "field", "field_valid", "order",
                                                 "position", "changes", "stable"))
            if self.cues is not None:
                w.add_arguments({r("cues"): self.cues, r("finals"): self.finals, r("sweeps"): self.sweeps,
                                 r("converged"): self.converged, r("row"): self.row})
                w.add_import("from neurosim.core.neurons.binary import recall_cues")
                w.add_lines("precheck", self, f"if {r('row')}[0] == len({r('cues')}): return k")
                w.add_lines("update", self,
                    f"recall_cues({state}, {r('rng')}, {r('cues')}, {r('finals')}, {r('sweeps')}, {r('converged')}, "
                    f"{r('row')}, {self.max_sweeps})")
                return
            w.add_import("from neurosim.core.neurons.binary import asynchronous_update")
            if self.stop_when_stable:
                w.add_lines("precheck", self, f"if {r('stable')}[0] != 0: return k")
            w.add_lines("update", self, f"asynchronous_update({state}, {self.stop_when_stable}, "
                                        f"{self.units_per_step}, {r('rng')})")
            return
        w.add_import("from neurosim.core.neurons.binary import binary_update")
        w.add_lines("update", self, f"{when}binary_update({r('rate')}, {r('p')}, {r('i_ext')}, {r('p_bias')}, "
                                    f"{r('p_temperature')}, "
                                    f"{w.constant(self, 'low', self.low)}, {self.mode == 'stochastic'}, {r('rng')})")
