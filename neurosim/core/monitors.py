"""Monitors: spikes (all neurons or a subset), state variables (subset, every k-th step) and
population rates. Buffers are preallocated per chunk and flushed to growing lists between chunks.

State monitors record before a step's update (Brian2's ``when='start'``), so the first sample is
the initial value at ``t = 0``; ``i_ext`` is recorded as the input applied during the step.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError, did_you_mean
from .population import Population
from .results import RateRecord, SpikeTrains, StateRecord

if TYPE_CHECKING:
    from .codegen import CodeWriter


class Monitor:
    """Base of the recorders."""

    #: Whether the monitor records every copy of a batched network (:mod:`neurosim.core.batch`).
    batchable = False

    def __init__(self, population: Population):
        self.population = population
        self.copies = None  # the number of copies of a batched network, set when emitted

    def _batch(self, w) -> int:
        """Set ``copies`` from the code writer; 1 for an unbatched network."""
        self.copies = w.batch
        return w.batch or 1

    def _of(self, chunks: list, copy) -> list:
        """The recorded chunks of copy ``copy`` (every chunk when unbatched)."""
        return chunks if self.copies is None else [chunk[copy] for chunk in chunks]

    def prepare_chunk(self, n_steps: int) -> None:
        """Make room for ``n_steps`` more steps."""

    def flush(self, step0: int, n_done: int, dt: float) -> None:
        """Move what the chunk recorded out of the buffers."""

    #: Names of the lists that hold what was recorded (flushed chunks); a checkpoint saves them.
    recorded: tuple[str, ...] = ()

    def run_state(self) -> dict[str, np.ndarray]:
        """What was recorded so far, one array per list in ``recorded`` (for checkpoints)."""
        return {key: np.concatenate(getattr(self, key)) if getattr(self, key) else np.zeros(0)
                for key in self.recorded}

    def load_run_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace what was recorded by ``state`` (from :meth:`run_state`)."""
        for key in self.recorded:
            setattr(self, key, [state[key]] if state[key].size else [])


def _subset(population, neurons, what):
    if neurons is None:
        return np.arange(population.n, dtype=np.int64)
    index = np.unique(np.asarray(neurons, np.int64).ravel())
    if index.size == 0 or index.min() < 0 or index.max() >= population.n:
        raise ParameterError(f"{what} of '{population.name}': neurons", neurons, f"indices in [0, {population.n})")
    return index


class SpikeMonitor(Monitor):
    """Records (neuron, time) of every spike of the chosen neurons. A neuron with ``c`` spikes in
    one step (Poisson sources) appears ``c`` times with the same time, so counts and rates stay right."""

    def __init__(self, population: Population, neurons=None, capacity: int = 1 << 20):
        super().__init__(population)
        if not population.spiking:
            raise ParameterError("spike monitor", population.name, "a spiking population")
        self.neurons = _subset(population, neurons, "spike monitor")
        self.mask = np.zeros(population.n, np.bool_)
        self.mask[self.neurons] = True
        self.capacity = max(int(capacity), 2 * population.n)
        self.buffer_ids = np.zeros(self.capacity, np.int32)
        self.buffer_steps = np.zeros(self.capacity, np.int64)
        self.buffer_counts = np.zeros(self.capacity if population.multiplicity else 0, np.int32)
        self.count = np.zeros(1, np.int64)
        self._ids: list[np.ndarray] = []  # flushed chunks (``recorded``)
        self._steps: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []

    recorded = ("_ids", "_steps")
    #: Chunk buffers, emptied by every flush (checkpoints do not store them).
    scratch_arrays = ("ids", "steps")
    batchable = True

    def __deepcopy__(self, memo):
        """A copy whose empty chunk buffers are fresh zero pages, not copies: the simulator's copy of
        the network touches no memory for them until spikes are recorded (at N = 100 000, 25 MB)."""
        clone = copy.copy(self)
        memo[id(self)] = clone
        for key, value in vars(self).items():
            if key.startswith("buffer_") and self.count[0] == 0:
                setattr(clone, key, np.zeros(value.shape, value.dtype))  # calloc: untouched pages
            else:
                setattr(clone, key, copy.deepcopy(value, memo))
        return clone

    def emit(self, w: CodeWriter) -> None:
        if w.batch is not None:  # one buffer per copy
            copies = self._batch(w)
            self.buffer_ids = w.copies(np.zeros((copies, self.capacity), np.int32))
            self.buffer_steps = w.copies(np.zeros((copies, self.capacity), np.int64))
            self.buffer_counts = w.copies(np.zeros((copies, self.buffer_counts.shape[0]), np.int32))
            self.count = w.copies(np.zeros((copies, 1), np.int64))
        r = (lambda local: w.ref(self, local))
        p = (lambda local: w.ref(self.population, local))
        w.add_arguments({r("mask"): self.mask, r("ids"): self.buffer_ids, r("steps"): self.buffer_steps,
                       r("count"): self.count})
        w.add_lines("precheck", self, f"if {r('count')}[0] + {self.population.n} > {self.capacity}: return k")
        if self.population.multiplicity:  # one entry per (neuron, step) with its spike count
            w.add_argument(r("counts"), self.buffer_counts)
            w.add_import("from neurosim.core.monitors import record_spike_counts")
            w.add_lines("record", self, f"record_spike_counts({p('spikes')}, {p('counts')}, {p('nspk')}[0], "
                                        f"{r('mask')}, step, {r('ids')}, {r('steps')}, {r('counts')}, {r('count')})")
        else:
            w.add_import("from neurosim.core.monitors import record_spikes")
            w.add_lines("record", self, f"record_spikes({p('spikes')}, {p('nspk')}[0], {r('mask')}, step, "
                                     f"{r('ids')}, {r('steps')}, {r('count')})")

    def flush(self, step0: int, n_done: int, dt: float) -> None:
        if self.copies is None:
            ids, steps = self._take(self.buffer_ids, self.buffer_steps, self.buffer_counts, self.count)
            self._ids.append(ids)
            self._steps.append(steps)
            self.count[0] = 0
            return
        taken = [self._take(self.buffer_ids[c], self.buffer_steps[c], self.buffer_counts[c], self.count[c])
                 for c in range(self.copies)]
        self._ids.append([ids for ids, _ in taken])
        self._steps.append([steps for _, steps in taken])
        self.count[:] = 0

    def _take(self, buffer_ids, buffer_steps, buffer_counts, count):
        n = int(count[0])
        ids, steps = buffer_ids[:n], buffer_steps[:n]
        if self.population.multiplicity:
            counts = buffer_counts[:n]
            ids, steps = np.repeat(ids, counts), np.repeat(steps, counts)
        return ids.copy(), steps.copy()

    def result(self, dt: float, copy: int | None = None) -> SpikeTrains:
        chunks_ids, chunks_steps = self._of(self._ids, copy), self._of(self._steps, copy)
        ids = np.concatenate(chunks_ids) if chunks_ids else np.zeros(0, np.int32)
        steps = np.concatenate(chunks_steps) if chunks_steps else np.zeros(0, np.int64)
        return SpikeTrains(node_ids=ids.astype(np.int64), times=steps * dt, n_neurons=self.population.n)


class _Sampled(Monitor):
    """Base of the monitors that sample a value of chosen elements (neurons, synapses) every ``every``
    steps: one buffer row per sample and chunk (a buffer per copy of a batched network), flushed to
    ``_data`` with the sampled steps in ``_steps``. A subclass sets ``index`` (the sampled elements)."""

    recorded = ("_data", "_steps")
    index: np.ndarray
    buffer: np.ndarray

    def __init__(self, population: Population, every: int, owner: str):
        super().__init__(population)
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ParameterError(f"{owner}: every", every, "a positive integer")
        self.every = int(every)
        self.count = np.zeros(1, np.int64)
        self._data: list[np.ndarray] = []  # flushed chunks (``recorded``)
        self._steps: list[np.ndarray] = []

    def load_run_state(self, state: dict[str, np.ndarray]) -> None:
        super().load_run_state(state)
        if self._data:
            self._data = [self._data[0].reshape(-1, len(self.index))]

    def prepare_chunk(self, n_steps: int) -> None:
        rows = n_steps // self.every + 1
        if self.buffer.shape[-2] < rows:
            self.buffer = np.zeros((rows, len(self.index)) if self.copies is None else
                                   (self.copies, rows, len(self.index)))

    def _emit_sampling(self, w: CodeWriter, section: str, index: str, value) -> None:
        """The sampling lines in ``section``: ``value(j)`` is the code of the ``j``-th sampled value,
        ``index`` the name of the element indices in the generated code."""
        r = (lambda local: w.ref(self, local))
        w.add_arguments({r(index): self.index, r("count"): self.count})
        w.add_chunk_argument(r("buffer"), self)
        w.add_lines(section, self, [
            f"if step % {self.every} == 0:",
            f"    for j in range({r(index)}.shape[0]):",
            f"        {r('buffer')}[{r('count')}[0], j] = {value(f'{r(index)}[j]')}",
            f"    {r('count')}[0] += 1"])

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        return self.buffer

    def flush(self, step0: int, n_done: int, dt: float) -> None:
        n = int(self.count.flat[0])  # every copy records the same steps
        first = -(-step0 // self.every) * self.every
        self._steps.append(first + self.every * np.arange(n))
        self._data.append(self.buffer[..., :n, :].copy())
        self.count[...] = 0

    def _recorded(self, copy=None) -> tuple[np.ndarray, np.ndarray]:
        """The sampled steps and values (of copy ``copy`` of a batched network)."""
        chunks = self._of(self._data, copy)
        data = np.concatenate(chunks) if chunks else np.zeros((0, len(self.index)))
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return steps, data


class StateMonitor(_Sampled):
    """Records ``variable`` of the chosen neurons every ``every`` steps (from step 0)."""

    batchable = True

    def __init__(self, population: Population, variable: str, neurons=None, every: int = 1):
        super().__init__(population, every, f"state monitor of '{population.name}'")
        names = population.recordable()
        if variable not in names:
            raise ParameterError(f"state monitor of '{population.name}': variable", variable,
                                 f"one of {names}{did_you_mean(variable, names)}")
        self.variable = variable
        self.neurons = self.index = _subset(population, neurons, "state monitor")
        self.buffer = np.zeros((1, len(self.neurons)))

    def emit(self, w: CodeWriter) -> None:
        if w.batch is not None:  # a buffer and a count per copy; the monitor is the chunk argument
            copies = self._batch(w)
            self.count = w.copies(np.zeros((copies, 1), np.int64))
            self.buffer = np.zeros((copies, 1, len(self.neurons)))
            w.copies(self)
        self._emit_sampling(w, "record_state", "neurons",
                            lambda j: self.population.record_expression(self.variable, j, w))

    def result(self, dt: float, copy: int | None = None) -> StateRecord:
        steps, data = self._recorded(copy)
        dimension = self.population.variable_dimension(self.variable)
        return StateRecord(self.variable, self.neurons.copy(), steps * dt, data,
                           unit={"dimensionless": ""}.get(dimension, _SI.get(dimension, "")))


_SI = {"voltage": "V", "time": "s", "current": "A", "conductance": "S", "frequency": "Hz",
       "current_density": "A/m^2", "conductance_density": "S/m^2"}


class RateMonitor(Monitor):
    """Population rate: number of spikes in each step divided by ``n * dt`` (Hz)."""

    def __init__(self, population: Population):
        super().__init__(population)
        if not population.spiking:
            raise ParameterError("rate monitor", population.name, "a spiking population")
        self.buffer = np.zeros(1, np.int64)
        self._counts: list[np.ndarray] = []  # flushed chunks (``recorded``)
        self._steps: list[np.ndarray] = []

    recorded = ("_counts", "_steps")
    batchable = True

    def prepare_chunk(self, n_steps: int) -> None:
        if self.buffer.shape[-1] < n_steps:
            self.buffer = np.zeros(n_steps if self.copies is None else (self.copies, n_steps), np.int64)

    def emit(self, w: CodeWriter) -> None:
        if w.batch is not None:
            self.buffer = np.zeros((self._batch(w), 1), np.int64)
            w.copies(self)
        w.add_chunk_argument(w.ref(self, "counts"), self)
        nspk = f"{w.ref(self.population, 'nspk')}[0]"
        if self.population.multiplicity:
            w.add_import("from neurosim.core.monitors import total_count")
            nspk = f"total_count({w.ref(self.population, 'counts')}, {nspk})"
        w.add_lines("record", self, f"{w.ref(self, 'counts')}[k] = {nspk}")

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        return self.buffer

    def flush(self, step0: int, n_done: int, dt: float) -> None:
        self._counts.append(self.buffer[..., :n_done].copy())
        self._steps.append(step0 + np.arange(n_done))

    def result(self, dt: float, copy: int | None = None) -> RateRecord:
        chunks = self._of(self._counts, copy)
        counts = np.concatenate(chunks) if chunks else np.zeros(0)
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return RateRecord(times=steps * dt, rate=counts / (self.population.n * dt))


@numba.njit(cache=True, nogil=True)
def record_spikes(spikes, n_spikes, mask, step, ids, steps, count):
    """Append the step's spikes of monitored neurons to the buffers."""
    position = count[0]
    for k in range(n_spikes):
        i = spikes[k]
        if mask[i]:
            ids[position] = i
            steps[position] = step
            position += 1
    count[0] = position


@numba.njit(cache=True, nogil=True)
def record_spike_counts(spikes, counts, n_spikes, mask, step, ids, steps, buffer_counts, count):
    """:func:`record_spikes` for sources with ``counts[k]`` spikes of neuron ``spikes[k]``."""
    position = count[0]
    for k in range(n_spikes):
        i = spikes[k]
        if mask[i]:
            ids[position] = i
            steps[position] = step
            buffer_counts[position] = counts[k]
            position += 1
    count[0] = position


@numba.njit(cache=True, nogil=True)
def total_count(counts, n_spikes):
    """Number of spikes of a step in which neurons ``spikes[:n_spikes]`` fired ``counts`` times."""
    total = 0
    for k in range(n_spikes):
        total += counts[k]
    return total


class SynapseMonitor(_Sampled):
    """Records per-synapse ``variable`` (``w`` or a trace) of the chosen ``synapses`` (indices in the
    projection's CSR order, see ``synaptic_state()``) of a plastic projection every ``every`` steps,
    at the end of the step. Event-driven traces are recorded as stored, i.e. as of the synapse's last
    event (as Brian2 records them); ``w`` is always current."""

    def __init__(self, projection, variable: str = "w", synapses=None, every: int = 1):
        super().__init__(projection.pre, every, f"synapse monitor of '{projection.name}'")
        self.projection = projection
        names = list(projection.bound.state) if hasattr(projection, "bound") else []
        if variable not in names:
            raise ParameterError(f"synapse monitor of '{projection.name}': variable", variable,
                                 f"one of {names}{did_you_mean(variable, names)} (of a plastic projection)")
        self.local, self.selection = variable, synapses
        self.variable = f"{projection.name}.{variable}"

    def emit(self, w: CodeWriter) -> None:
        n = self.projection.n_synapses
        if self.selection is None:
            self.synapses = np.arange(n, dtype=np.int64)
        else:
            self.synapses = np.unique(np.asarray(self.selection, np.int64).ravel())
            if self.synapses.size == 0 or self.synapses.min() < 0 or self.synapses.max() >= n:
                raise ParameterError(f"synapse monitor of '{self.projection.name}': synapses", self.selection,
                                     f"indices in [0, {n})")
        self.index = self.synapses
        if not hasattr(self, "buffer"):
            self.buffer = np.zeros((1, len(self.synapses)))
        source = w.ref(self.projection, f"s_{self.local}")
        self._emit_sampling(w, "record", "synapses", lambda j: f"{source}[{j}]")

    def result(self, dt: float) -> StateRecord:
        """``node_ids`` are the synapse indices; times are the ends of the recorded steps."""
        steps, data = self._recorded()
        return StateRecord(self.local, self.synapses.copy(), (steps + 1) * dt, data)
