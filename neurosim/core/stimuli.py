"""Stimuli: injected currents (constant, step, ramp, sine, time series, Ornstein-Uhlenbeck noise) and
independent Poisson drive onto a receptor (``PoissonInput``); spike sources (populations) are in
:mod:`neurosim.core.neurons.sources`.

Currents are in the target population's input units (amperes for dimensional neurons,
dimensionless ``J`` for the notes' LIF and rate units) and are added to ``i_ext`` of the chosen
neurons. Deterministic waveforms are evaluated with numpy once per chunk (value at ``t = k dt``
held over step ``k``); noise and Poisson spikes are drawn inside the compiled loop from the
component's own ``numpy.random.Generator`` (run phase of the protocol seed).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError
from .neurons.sources import check_rate_per_step, poisson_count
from .params import Param, check_value, to_value
from .population import Population, check_name

if TYPE_CHECKING:
    from .codegen import CodeWriter


class Stimulus:
    """Base of everything that drives a population's ``i_ext``."""

    dimension = "current"
    #: Whether the stimulus runs in batched networks; ``run_arrays`` get a copy axis there.
    batchable = False
    run_arrays: tuple[str, ...] = ()

    #: the run-phase random stream, set by the Simulator at build (stimuli that draw while running)
    run_rng: np.random.Generator

    def __init__(self, target: Population, neurons=None, name: str | None = None):
        self.target = target
        self.name = check_name(name or f"{type(self).__name__.lower()}_{target.name}", "stimulus")
        index = np.arange(target.n) if neurons is None else np.asarray(neurons, np.int64).ravel()
        if index.size == 0 or index.min() < 0 or index.max() >= target.n:
            raise ParameterError(f"stimulus '{self.name}': neurons", neurons, f"indices in [0, {target.n})")
        self.neurons = index.astype(np.int64)

    def quantity(self, value, key: str, constraint: str = "any", dimension: str | None = None):
        """A scalar or per-neuron parameter in SI, checked like a model parameter."""
        dimension = dimension or self.target_dimension()
        return check_value(value, Param(key, dimension, 0.0, constraint), len(self.neurons), ("stimulus", self.name))

    def target_dimension(self) -> str:
        return self.target.input_dimension

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        """Prepare for step ``dt``; ``rng`` is the build-phase stream (``run_rng`` is set by the simulator)."""
        self.dt, self.dtype = dt, dtype


class Waveform(Stimulus):
    """A deterministic current ``values(t)`` (shape ``(T,)`` or ``(T, len(neurons))``, the same for
    every copy of a batched network; ``(B, T, len(neurons))`` when each copy has its own)."""

    batchable = True
    per_copy = False
    copies: int | None = None  # the number of per-copy series (TimeSeries with values (B, T, n))

    def values(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray:
        t = (step0 + np.arange(n_steps)) * self.dt
        values = np.asarray(self.values(t), float)
        if values.ndim == 1:
            values = values[:, None]
        return np.ascontiguousarray(values, self.dtype)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        w.add_argument(r("neurons"), self.neurons)
        w.add_chunk_argument(r("values"), self)
        if self.per_copy:
            if w.batch != self.copies:
                raise ParameterError(f"stimulus '{self.name}': values", f"{self.copies} copies",
                                     f"values for the network's batch = {w.batch} copies, or shared values")
            w.copies(self)
        w.add_import("from neurosim.core.stimuli import add_waveform")
        w.add_lines("input", self, f"add_waveform({w.ref(self.target, 'i_ext')}, {r('neurons')}, {r('values')}, k)")


def _window(t, start, stop):
    return (t >= start - 1e-12) & (t < stop - 1e-12)


class Constant(Waveform):
    """``amplitude`` between ``start`` and ``stop`` (s), zero outside."""

    def __init__(self, target, amplitude, start=0.0, stop=np.inf, neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.amplitude = self.quantity(amplitude, "amplitude")
        self.start = float(to_value(start, "time", "start"))
        self.stop = float(to_value(stop, "time", "stop"))

    def values(self, t):
        return _window(t, self.start, self.stop)[:, None] * self.amplitude[None, :]


class Step(Waveform):
    """NEST's ``step_current_generator``: ``amplitudes[j]`` from ``times[j]`` on (zero before the first)."""

    def __init__(self, target, times, amplitudes, neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.times = np.asarray(to_value(times, "time", "times"), float).ravel()
        self.amplitudes = np.asarray(to_value(amplitudes, self.target_dimension(), "amplitudes"), float).ravel()
        if self.times.shape != self.amplitudes.shape or np.any(np.diff(self.times) <= 0):
            raise ParameterError(f"stimulus '{self.name}': times", self.times,
                                 "strictly increasing times, one per amplitude")

    def values(self, t):
        index = np.searchsorted(self.times, t + 1e-12, side="right") - 1
        return np.where(index >= 0, self.amplitudes[np.maximum(index, 0)], 0.0)


class Ramp(Waveform):
    """Linear from ``amplitude_start`` at ``start`` to ``amplitude_stop`` at ``stop``; zero outside."""

    def __init__(self, target, amplitude_start, amplitude_stop, start, stop, neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.a0, self.a1 = (float(to_value(a, self.target_dimension(), k)) for a, k in
                            ((amplitude_start, "amplitude_start"), (amplitude_stop, "amplitude_stop")))
        self.start, self.stop = float(to_value(start, "time", "start")), float(to_value(stop, "time", "stop"))
        if self.stop <= self.start:
            raise ParameterError(f"stimulus '{self.name}': stop", self.stop, f"a time after start = {self.start} s")

    def values(self, t):
        fraction = (t - self.start) / (self.stop - self.start)
        return np.where(_window(t, self.start, self.stop), self.a0 + (self.a1 - self.a0) * fraction, 0.0)


class Sine(Waveform):
    """``offset + amplitude * sin(2 pi frequency t + phase)`` between ``start`` and ``stop``."""

    def __init__(self, target, amplitude, frequency, phase=0.0, offset=0.0, start=0.0, stop=np.inf,
                 neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.amplitude = self.quantity(amplitude, "amplitude")
        self.offset = self.quantity(offset, "offset")
        self.frequency = float(to_value(frequency, "frequency", "frequency"))
        self.phase = float(phase)
        self.start = float(to_value(start, "time", "start"))
        self.stop = float(to_value(stop, "time", "stop"))

    def values(self, t):
        wave = np.sin(2 * np.pi * self.frequency * t + self.phase)[:, None]
        return _window(t, self.start, self.stop)[:, None] * (self.offset + self.amplitude * wave)


class TimeSeries(Waveform):
    """Samples ``values`` (``(T,)`` or ``(T, len(neurons))``; ``(B, T, len(neurons))``: one series per
    copy of a batched network) every ``sample_dt`` s, each held until the next; the last sample holds
    after the end."""

    def __init__(self, target, values, sample_dt, start=0.0, neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.samples = np.asarray(to_value(values, self.target_dimension(), f"stimulus {self.name!r}: values"), float)
        shape = self.samples.shape
        if len(shape) not in (1, 2, 3) or (len(shape) >= 2 and shape[-1] != len(self.neurons)) or 0 in shape:
            raise ParameterError(f"stimulus '{self.name}': values", f"shape {self.samples.shape}",
                                 f"(T,), (T, {len(self.neurons)}) or (copies, T, {len(self.neurons)})")
        self.per_copy = self.samples.ndim == 3
        self.copies = self.samples.shape[0] if self.per_copy else None
        if not np.all(np.isfinite(self.samples)):
            raise ParameterError(f"stimulus '{self.name}': values", "non-finite samples", "finite values")
        self.sample_dt = float(to_value(sample_dt, "time", "sample_dt"))
        if self.sample_dt <= 0:
            raise ParameterError(f"stimulus '{self.name}': sample_dt", self.sample_dt, "a time > 0 s")
        self.start = float(to_value(start, "time", "start"))

    def values(self, t):
        length = self.samples.shape[-2] if self.per_copy else len(self.samples)
        index = np.clip(np.floor((t - self.start) / self.sample_dt + 1e-9).astype(np.int64), 0, length - 1)
        values = self.samples[:, index] if self.per_copy else self.samples[index]
        inside = (t >= self.start - 1e-12)
        return values * (inside[:, None] if values.ndim >= 2 else inside)


@numba.njit(cache=True, nogil=True)
def add_waveform(i_ext, neurons, values, k):
    """Add row ``k`` of a chunk's waveform values to the chosen neurons' input."""
    row = values[k]
    if row.shape[0] == 1:
        for j in range(neurons.shape[0]):
            i_ext[neurons[j]] += row[0]
    else:
        for j in range(neurons.shape[0]):
            i_ext[neurons[j]] += row[j]


class OUNoise(Stimulus):
    """Ornstein-Uhlenbeck current, independent per neuron: ``tau dI = (mean - I) dt + sigma sqrt(2 tau) dW``.

    ``sigma`` is the stationary standard deviation; the update is exact for any ``dt``:
    ``I <- mean + (I - mean) a + sigma sqrt(1 - a^2) xi`` with ``a = exp(-dt/tau)``. The current
    starts at a draw from the stationary distribution.
    """

    batchable = True
    run_arrays = ("current",)

    def __init__(self, target, mean, sigma, tau, neurons=None, name=None):
        super().__init__(target, neurons, name)
        self.mean = self.quantity(mean, "mean")
        self.sigma = self.quantity(sigma, "sigma", "nonnegative")
        self.tau = self.quantity(tau, "tau", "positive", "time")

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        super().build(dt, dtype, rng)
        self.decay = np.exp(-dt / self.tau)
        self.kick = self.sigma * np.sqrt(-np.expm1(-2 * dt / self.tau))
        self.current = (self.mean + self.sigma * rng.standard_normal(len(self.neurons))).astype(dtype)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        for local, value in (("neurons", self.neurons), ("mean", self.mean), ("decay", self.decay),
                             ("kick", self.kick), ("current", self.current), ("rng", self.run_rng)):
            w.add_argument(r(local), value)
        w.add_import("from neurosim.core.stimuli import ou_step")
        w.add_lines("input", self, f"ou_step({w.ref(self.target, 'i_ext')}, {r('neurons')}, {r('current')}, "
                                f"{r('mean')}, {r('decay')}, {r('kick')}, {r('rng')})")


@numba.njit(cache=True, nogil=True)
def ou_step(i_ext, neurons, current, mean, decay, kick, rng):
    """Add the OU current to the input, then advance it exactly by one step."""
    for j in range(neurons.shape[0]):
        i_ext[neurons[j]] += current[j]
        current[j] = mean[j] + (current[j] - mean[j]) * decay[j] + kick[j] * rng.standard_normal()


class PoissonInput(Stimulus):
    """``n_sources`` independent Poisson trains of ``rate`` (Hz) each, with weight ``weight``, onto
    receptor ``receptor`` of every chosen neuron of ``target``, each neuron with its own trains
    (Brian2's ``PoissonInput``, NEST's ``poisson_generator`` connected ``all_to_all``).

    No source neurons exist: every step, each neuron draws one Poisson count with mean
    ``n_sources * rate * dt`` (the superposition of independent Poisson trains is exactly Poisson;
    Brian2 draws a binomial ``B(N, rate * dt)``, NEST a Poisson count) from the stimulus' run-phase
    generator and receives ``count * weight``, like a zero-delay synapse: after the step's update
    (Brian2's ``synapses`` slot, where ``PoissonInput`` acts by default), into the receptor state,
    or into ``v`` for a delta receptor (dropped while the neuron is refractory). The weight is
    in the receptor's unit: A (current), S (conductance) or the unit of ``v`` (delta).
    """

    def __init__(self, target, receptor: str, n_sources: int, rate, weight, neurons=None, name=None):
        super().__init__(target, neurons, name)
        owner = ("stimulus", self.name)
        self.receptor = receptor
        self.receptor_index = target.receptor_index(receptor)
        if isinstance(n_sources, bool) or not isinstance(n_sources, (int, np.integer)) or n_sources < 1:
            raise ParameterError(f"stimulus '{self.name}': n_sources", n_sources, "a positive integer number of trains",
                                 owner=owner, key="n_sources")
        self.n_sources = int(n_sources)
        self.rate = float(check_value(rate, Param("rate", "frequency", 0.0, "nonnegative"), 1, owner)[0])
        synapse = target.receptors[receptor]
        dimension = {"current": target.input_dimension, "conductance": "conductance",
                     "delta": target.variable_dimension("v") if "v" in target.state_spec else "voltage"}[synapse.kind]
        self.weight = float(check_value(weight, Param("weight", dimension, 0.0, "any"), 1, owner)[0])
        self.delta = synapse.is_delta

    def build(self, dt: float, dtype: type[np.floating], rng: np.random.Generator) -> None:
        super().build(dt, dtype, rng)
        check_rate_per_step(self.rate, dt, f"stimulus '{self.name}': rate", ("stimulus", self.name))
        self.mean = self.n_sources * self.rate * dt
        bank = self.target.bank
        assert bank is not None  # the target is built first
        rows = [row for row in bank.rows(self.receptor) if bank.b[row]] if not self.delta else []
        self.rows = np.array(rows, np.int64)
        self.scales = np.array([bank.b[row] * self.weight for row in rows], np.float64)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        # arguments rather than literals, so that another rate or weight reuses the compiled loop
        w.add_arguments({r("neurons"): self.neurons, r("rng"): self.run_rng,
                       r("mean"): np.array([self.mean, np.exp(-self.mean)]), r("weight"): np.array([self.weight])})
        mean = f"{r('mean')}[0], {r('mean')}[1]"
        if self.delta:
            w.add_import("from neurosim.core.stimuli import poisson_input_jumps")
            w.add_lines("propagate", self, f"poisson_input_jumps({r('neurons')}, {mean}, {r('rng')}, "
                                        f"{self.target.jump_target(w)}, {r('weight')}[0], dt)")
        else:
            w.add_arguments({r("rows"): self.rows, r("scales"): self.scales})
            w.add_import("from neurosim.core.stimuli import poisson_input")
            w.add_lines("propagate", self, f"poisson_input({r('neurons')}, {mean}, {r('rng')}, "
                                        f"{w.ref(self.target, 'z')}, {r('rows')}, {r('scales')})")


@numba.njit(cache=True, nogil=True)
def poisson_input(neurons, mean, p_zero, rng, z, rows, scales):
    """Add ``scales[r] * count`` to receptor row ``rows[r]`` of each neuron, ``count ~ Poisson(mean)``."""
    for j in range(neurons.shape[0]):
        count = poisson_count(mean, p_zero, rng)
        if count > 0:
            i = neurons[j]
            for r in range(rows.shape[0]):
                z[rows[r], i] += scales[r] * count


@numba.njit(cache=True, nogil=True)
def poisson_input_jumps(neurons, mean, p_zero, rng, v, ref_left, weight, dt):
    """Add ``weight * count`` to ``v`` of each non-refractory neuron, ``count ~ Poisson(mean)``
    (drawn for refractory neurons too, so the stream does not depend on the dynamics)."""
    for j in range(neurons.shape[0]):
        count = poisson_count(mean, p_zero, rng)
        i = neurons[j]
        if count > 0 and ref_left[i] <= 0.5 * dt:
            v[i] += weight * count
