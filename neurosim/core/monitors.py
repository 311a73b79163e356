"""Monitors: spikes (all neurons or a subset), state variables (subset, every k-th step) and
population rates. Buffers are preallocated per chunk and flushed to growing lists between chunks.

State monitors record before a step's update (Brian2's ``when='start'``), so the first sample is
the initial value at ``t = 0``; ``i_ext`` is recorded as the input applied during the step.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError, did_you_mean
from ..units import si_symbol
from .population import Population
from .results import RateRecord, SpikeTrains, StateRecord

if TYPE_CHECKING:
    from .codegen import CodeWriter


class Monitor:
    """Base of the recorders."""

    def __init__(self, population: Population):
        self.population = population

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

    def __init__(self, population, neurons=None, capacity: int = 1 << 20):
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

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        p = (lambda local: w.ref(self.population, local))
        w.args.update({r("mask"): self.mask, r("ids"): self.buffer_ids, r("steps"): self.buffer_steps,
                       r("count"): self.count})
        w.lines["precheck"].append(f"if {r('count')}[0] + {self.population.n} > {self.capacity}: return k")
        if self.population.multiplicity:  # one entry per (neuron, step) with its spike count
            w.args[r("counts")] = self.buffer_counts
            w.imports.add("from neurosim.core.monitors import record_spike_counts")
            w.lines["record"].append(f"record_spike_counts({p('spikes')}, {p('counts')}, {p('nspk')}[0], {r('mask')}, "
                                     f"step, {r('ids')}, {r('steps')}, {r('counts')}, {r('count')})")
        else:
            w.imports.add("from neurosim.core.monitors import record_spikes")
            w.lines["record"].append(f"record_spikes({p('spikes')}, {p('nspk')}[0], {r('mask')}, step, "
                                     f"{r('ids')}, {r('steps')}, {r('count')})")

    def flush(self, step0, n_done, dt):
        n = int(self.count[0])
        ids, steps = self.buffer_ids[:n], self.buffer_steps[:n]
        if self.population.multiplicity:
            counts = self.buffer_counts[:n]
            ids, steps = np.repeat(ids, counts), np.repeat(steps, counts)
        self._ids.append(ids.copy())
        self._steps.append(steps.copy())
        self.count[0] = 0

    def result(self, dt) -> SpikeTrains:
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, np.int32)
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return SpikeTrains(node_ids=ids.astype(np.int64), times=steps * dt, n_neurons=self.population.n)


class _Sampled(Monitor):
    """Records one row of values of the chosen ``columns`` (neuron or synapse indices) every ``every``
    steps into a per-chunk buffer; the base of the state and synapse monitors."""

    recorded = ("_data", "_steps")
    column_name = "neurons"  # the step loop's name of the column indices
    columns: np.ndarray  # neuron or synapse indices, set by the subclass

    def _start(self, every: int, owner: str) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ParameterError(f"{owner}: every", every, "a positive integer")
        self.every = int(every)
        self.count = np.zeros(1, np.int64)
        self._data: list[np.ndarray] = []  # flushed chunks (``recorded``)
        self._steps: list[np.ndarray] = []

    def load_run_state(self, state):
        super().load_run_state(state)
        if self._data:
            self._data = [self._data[0].reshape(-1, len(self.columns))]

    def prepare_chunk(self, n_steps):
        rows = n_steps // self.every + 1
        if self.buffer.shape[0] < rows:
            self.buffer = np.zeros((rows, len(self.columns)))

    def _emit_sampling(self, w, section: str, value) -> None:
        """Step-loop lines: every ``every`` steps, ``value(j)`` (the expression for column ``j``) into a row."""
        r = (lambda local: w.ref(self, local))
        w.args.update({r(self.column_name): self.columns, r("count"): self.count})
        w.chunk_args[r("buffer")] = self
        columns = r(self.column_name)
        w.lines[section] += [
            f"if step % {self.every} == 0:",
            f"    for j in range({columns}.shape[0]):",
            f"        {r('buffer')}[{r('count')}[0], j] = {value(f'{columns}[j]')}",
            f"    {r('count')}[0] += 1"]

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        return self.buffer

    def flush(self, step0, n_done, dt):
        n = int(self.count[0])
        first = -(-step0 // self.every) * self.every
        self._steps.append(first + self.every * np.arange(n))
        self._data.append(self.buffer[:n].copy())
        self.count[0] = 0

    def _records(self) -> tuple[np.ndarray, np.ndarray]:
        """The recorded steps and rows so far."""
        data = np.concatenate(self._data) if self._data else np.zeros((0, len(self.columns)))
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0, np.int64)
        return steps, data


class StateMonitor(_Sampled):
    """Records ``variable`` of the chosen neurons every ``every`` steps (from step 0)."""

    def __init__(self, population, variable: str, neurons=None, every: int = 1):
        super().__init__(population)
        names = population.recordable()
        if variable not in names:
            raise ParameterError(f"state monitor of '{population.name}': variable", variable,
                                 f"one of {names}{did_you_mean(variable, names)}")
        self._start(every, f"state monitor of '{population.name}'")
        self.variable = variable
        self.neurons = self.columns = _subset(population, neurons, "state monitor")
        self.buffer = np.zeros((1, len(self.neurons)))

    def emit(self, w):
        self._emit_sampling(w, "record_state", lambda index: self.population.record_expression(self.variable, index, w))

    def result(self, dt) -> StateRecord:
        steps, data = self._records()
        dimension = self.population.variable_dimension(self.variable)
        return StateRecord(self.variable, self.neurons.copy(), steps * dt, data, unit=si_symbol(dimension))


class RateMonitor(Monitor):
    """Population rate: number of spikes in each step divided by ``n * dt`` (Hz)."""

    def __init__(self, population):
        super().__init__(population)
        if not population.spiking:
            raise ParameterError("rate monitor", population.name, "a spiking population")
        self.buffer = np.zeros(1, np.int64)
        self._counts, self._steps = [], []

    recorded = ("_counts", "_steps")

    def prepare_chunk(self, n_steps):
        if self.buffer.shape[0] < n_steps:
            self.buffer = np.zeros(n_steps, np.int64)

    def emit(self, w: CodeWriter) -> None:
        w.chunk_args[w.ref(self, "counts")] = self
        nspk = f"{w.ref(self.population, 'nspk')}[0]"
        if self.population.multiplicity:
            w.imports.add("from neurosim.core.monitors import total_count")
            nspk = f"total_count({w.ref(self.population, 'counts')}, {nspk})"
        w.lines["record"].append(f"{w.ref(self, 'counts')}[k] = {nspk}")

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        return self.buffer

    def flush(self, step0, n_done, dt):
        self._counts.append(self.buffer[:n_done].copy())
        self._steps.append(step0 + np.arange(n_done))

    def result(self, dt) -> RateRecord:
        counts = np.concatenate(self._counts) if self._counts else np.zeros(0)
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

    column_name = "synapses"

    def __init__(self, projection, variable: str = "w", synapses=None, every: int = 1):
        super().__init__(projection.pre)
        self.projection = projection
        names = list(projection.bound.state) if hasattr(projection, "bound") else []
        if variable not in names:
            raise ParameterError(f"synapse monitor of '{projection.name}': variable", variable,
                                 f"one of {names}{did_you_mean(variable, names)} (of a plastic projection)")
        self._start(every, f"synapse monitor of '{projection.name}'")
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
        self.columns = self.synapses
        if not hasattr(self, "buffer"):
            self.buffer = np.zeros((1, len(self.synapses)))
        source = w.ref(self.projection, f"s_{self.local}")
        self._emit_sampling(w, "record", lambda index: f"{source}[{index}]")

    def result(self, dt) -> StateRecord:
        """``node_ids`` are the synapse indices; times are the ends of the recorded steps."""
        steps, data = self._records()
        return StateRecord(self.local, self.synapses.copy(), (steps + 1) * dt, data)
