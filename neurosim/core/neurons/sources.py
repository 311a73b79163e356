"""Spike sources: populations without dynamics that emit given spikes (Poisson trains with a fixed
or time-varying rate, explicit spike lists); they are projected from like any other population."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numba
import numpy as np

from ...errors import ParameterError
from ..params import Param, check_value, to_value
from ..population import Population
from ..timegrid import to_steps

if TYPE_CHECKING:
    from ..codegen import CodeWriter

#: ``rate * dt`` above this is refused: an expected count of more than 1000 spikes per neuron and
#: step is a unit mistake (e.g. a rate in Hz given for a train per ms), not a drive.
MAX_EXPECTED_COUNT = 1e3


def check_rate_per_step(rate, dt: float, label: str, owner=None, key: str = "rate") -> None:
    """Refuse rates whose expected count per step ``rate * dt`` exceeds :data:`MAX_EXPECTED_COUNT`."""
    high = float(np.max(rate)) if np.size(rate) else 0.0
    if high * dt > MAX_EXPECTED_COUNT:
        raise ParameterError(label, f"{high:g} Hz", f"rate * dt <= {MAX_EXPECTED_COUNT:g} spikes per step "
                             f"(dt = {dt:g} s gives {high * dt:g})", owner=owner, key=key)


class PoissonSource(Population):
    """``n`` independent Poisson spike trains: in every step each neuron emits a Poisson-distributed
    number of spikes with mean ``rate * dt``, so any rate is exact in expectation (NEST's
    ``poisson_generator``; Brian2's ``PoissonGroup`` emits at most one spike per step, with
    probability ``rate * dt``, which is the same to first order in ``rate * dt``).

    ``rate`` (Hz) is a scalar, a per-neuron array, or a callable ``rate(t) -> (T,) or (T, n)`` for
    time-varying rates (evaluated once per chunk). A neuron with several spikes in one step appears
    once in the step's spike list with its count in ``counts``: projections add ``count * weight``
    and spike monitors record the spike time ``count`` times.
    """

    model = "poisson"
    multiplicity = True
    param_spec: ClassVar[dict[str, Param]] = {}
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {}

    def __init__(self, name, n, rate):
        super().__init__(name, n)
        self.rate_function = rate if callable(rate) else None
        if self.rate_function is None:
            self.rate = check_value(rate, Param("rate", "frequency", 0.0, "nonnegative"), self.n,
                                    ("population", name))

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        super().build(dt, dtype, rng)
        self.counts = np.zeros(self.n, np.int32)
        if self.rate_function is None:
            check_rate_per_step(self.rate, dt, f"population '{self.name}': rate", ("population", self.name))

    def arrays(self):
        arrays = super().arrays()
        arrays["counts"] = self.counts
        return arrays

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        """``(T or 1, 2, n or 1)``: the expected count ``rate * dt`` and ``exp(-rate * dt)`` per step."""
        t = (step0 + np.arange(n_steps)) * self.dt
        if self.rate_function is None:
            rates = np.broadcast_to(self.rate, (1, self.n))
        else:
            rates = np.asarray(self.rate_function(t), float)
            rates = rates[:, None] if rates.ndim == 1 else rates
            if rates.ndim != 2 or rates.shape[0] != n_steps or rates.shape[1] not in (1, self.n) \
                    or not np.all(np.isfinite(rates)) or np.any(rates < 0):
                raise ParameterError(f"population '{self.name}': rate(t)", f"shape {rates.shape}",
                                     f"finite rates >= 0 Hz of shape ({n_steps},) or ({n_steps}, {self.n})",
                                     owner=("population", self.name), key="rate")
            check_rate_per_step(rates, self.dt, f"population '{self.name}': rate(t)", ("population", self.name))
        mean = rates * self.dt
        return np.ascontiguousarray(np.stack([mean, np.exp(-mean)], axis=1), np.float64)

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_chunk_argument(r("mean"), self)
        w.add_argument(r("rng"), self.run_rng)
        w.add_import("from neurosim.core.neurons.sources import poisson_step")
        varying = self.rate_function is not None
        w.add_lines("update", self, f"poisson_step({r('mean')}, {'k' if varying else 0}, {r('rng')}, "
                                 f"{r('spikes')}, {r('counts')}, {r('nspk')})")


#: Below this mean the Poisson count is drawn by inversion from one uniform number (one comparison
#: for the usual small means); above it by numpy's Poisson sampler (PTRS).
_INVERSION_MAX_MEAN = 10.0


@numba.njit(cache=True, nogil=True)
def poisson_count(mean, p_zero, rng):
    """One Poisson(``mean``) draw; ``p_zero = exp(-mean)``."""
    if mean >= _INVERSION_MAX_MEAN:
        return rng.poisson(mean)
    u = rng.random()
    count = 0
    term = p_zero
    cdf = p_zero
    while u >= cdf and term > 0.0:
        count += 1
        term *= mean / count
        cdf += term
    return count


@numba.njit(cache=True, nogil=True)
def poisson_step(values, k, rng, spikes, counts, nspk):
    """List the neurons with at least one spike in this step and their Poisson counts
    (``values[k, 0]``: mean count per neuron or one for all, ``values[k, 1]``: ``exp(-mean)``)."""
    mean, p_zero = values[k, 0], values[k, 1]
    shared = mean.shape[0] == 1
    n = spikes.shape[0]
    found = 0
    for i in range(n):
        j = 0 if shared else i
        c = poisson_count(mean[j], p_zero[j], rng)
        if c > 0:
            spikes[found] = i
            counts[found] = c
            found += 1
    nspk[0] = found


class SpikeSource(Population):
    """Emits the given spikes: neuron ``indices[j]`` at time ``times[j]`` (s), in the step that contains
    it (Brian2's ``SpikeGeneratorGroup``, ``core.timegrid``; a neuron may spike at most once per step)."""

    model = "spike_source"
    param_spec: ClassVar[dict[str, Param]] = {}
    state_spec: ClassVar[dict[str, tuple[str, object]]] = {}

    def __init__(self, name, n, indices, times):
        super().__init__(name, n)
        self.indices = np.asarray(indices, np.int64).ravel()
        self.times = np.asarray(to_value(times, "time", "times"), float).ravel()
        if self.indices.shape != self.times.shape:
            raise ParameterError(f"population '{name}': indices", f"{self.indices.size} indices",
                                 f"one index per spike time ({self.times.size} times)")
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= n):
            raise ParameterError(f"population '{name}': indices", "out of range", f"indices in [0, {n})")
        if self.times.size and (self.times.min() < 0 or not np.all(np.isfinite(self.times))):
            raise ParameterError(f"population '{name}': times", "negative or non-finite", "finite times >= 0 s")

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        super().build(dt, dtype, rng)
        steps = np.asarray(to_steps(self.times, dt, "spike_time", f"population '{self.name}': times"), np.int64)
        order = np.lexsort((self.indices, steps))
        self.steps, self.order_indices = steps[order], self.indices[order].astype(np.int32)
        pairs = self.steps * self.n + self.order_indices
        if np.any(np.diff(pairs) == 0):
            raise ParameterError(f"population '{self.name}': times", "two spikes of one neuron in one step",
                                 f"spikes of each neuron at least dt = {dt} s apart")
        self.cursor = np.zeros(1, np.int64)

    def emit_update(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_arguments({r("steps"): self.steps, r("order"): self.order_indices, r("cursor"): self.cursor})
        w.add_import("from neurosim.core.neurons.sources import spike_source_step")
        w.add_lines("update", self, f"spike_source_step({r('steps')}, {r('order')}, {r('cursor')}, step, "
                                 f"{r('spikes')}, {r('nspk')})")


@numba.njit(cache=True, nogil=True)
def spike_source_step(steps, order, cursor, step, spikes, nspk):
    """Emit the listed spikes whose step is ``step``."""
    position = cursor[0]
    while position < steps.shape[0] and steps[position] < step:
        position += 1
    count = 0
    while position < steps.shape[0] and steps[position] == step:
        spikes[count] = order[position]
        count += 1
        position += 1
    cursor[0] = position
    nspk[0] = count

