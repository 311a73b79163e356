"""Hopfield network: ±1 units, Hebbian storage, asynchronous/synchronous recall, continuous version.

Storage follows Amit, Gutfreund & Sompolinsky (1985): ``W = (1/N) sum_mu x^mu x^mu^T`` with zero
diagonal. The course notes write ``W = (1/M) X^T X - I``; their ``-I`` is exactly the zero diagonal
(``x_i^2 = 1``), and ``1/M`` instead of ``1/N`` is a positive factor that changes neither the sign
dynamics nor the fixed points, but with ``1/N`` local fields are O(1) at any load, which the
continuous network (whose fixed points do depend on the scale) needs. Energy:
``E = -1/2 x W x^T - b x^T``.

Asynchronous recall is a compiled kernel: sweeps over the units in a random order drawn with
``rng.permutation`` from the caller's Generator, ``x_i <- sign(h_i)``, ``h = x W + b``, the unit
unchanged when ``h_i = 0`` (the notes set -1 there; keeping the state is the convention of the core's
sign units and keeps every update energy non-increasing either way). With a zero diagonal a change
``d`` of unit i changes the energy by ``-d h_i <= 0``. Synchronous recall and the continuous network
``tau dx/dt = -x + g W tanh(x) + b`` are built from core populations and a recurrent dense projection.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..core.dense import DenseProjection
from ..core.network import Network
from ..core.neurons.binary import BinaryPopulation
from ..core.neurons.rate import RatePopulation
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..units import quantity, si_floats
from .data import check_count, check_spins, random_patterns
from .rules import hebbian


@numba.njit(cache=True, nogil=True)
def async_recall(s, W, b, rng, max_sweeps, energy, units):
    """Asynchronous updates of ``s`` (in place) until a sweep changes nothing or ``max_sweeps``.

    ``energy[k]``/``units[k]`` receive the energy after update ``k`` and the unit updated (for as many
    updates as they have room; pass empty arrays to record nothing). Returns (updates, sweeps, converged).
    """
    n = s.shape[0]
    h = W @ s + b
    e = -0.5 * np.dot(s, h - b) - np.dot(b, s)
    k = 0
    for sweep in range(max_sweeps):
        order = rng.permutation(n)
        changed = 0
        for t in range(n):
            i = order[t]
            new = s[i]
            if h[i] > 0.0:
                new = 1.0
            elif h[i] < 0.0:
                new = -1.0
            if new != s[i]:
                delta = new - s[i]
                e -= delta * h[i]
                row = W[i]
                for j in range(n):
                    h[j] += row[j] * delta
                s[i] = new
                changed += 1
            if k < energy.shape[0]:
                energy[k] = e
                units[k] = i
            k += 1
        if changed == 0:
            return k, sweep + 1, True
    return k, max_sweeps, False


@numba.njit(cache=True, nogil=True)
def async_recall_rows(S, W, b, rng, max_sweeps, converged):
    """:func:`async_recall` of every row of ``S`` in turn (in place), without recording."""
    empty_e = np.zeros(0)
    empty_u = np.zeros(0, np.int64)
    for r in range(S.shape[0]):
        s = S[r].copy()
        converged[r] = async_recall(s, W, b, rng, max_sweeps, empty_e, empty_u)[2]
        S[r] = s


@dataclass
class Recall:
    """A recall run: final ``state``; ``states`` per synchronous step or ``energy``/``units`` per update."""

    state: np.ndarray
    converged: bool
    steps: int
    energy: np.ndarray
    units: np.ndarray | None = None
    states: np.ndarray | None = None


@dataclass
class ContinuousRecall:
    """Continuous-network run: times (s), internal states ``x`` (times x N) and Lyapunov energy."""

    times: np.ndarray
    x: np.ndarray
    energy: np.ndarray

    @property
    def state(self) -> np.ndarray:
        return np.where(self.x[-1] >= 0, 1.0, -1.0)


def overlap(patterns, states) -> np.ndarray:
    """``m = (1/N) xi . x`` row by row (1 = perfect recall, about 0 = unrelated)."""
    patterns, states = np.atleast_2d(patterns), np.atleast_2d(states)
    return np.einsum("ij,ij->i", patterns, states) / patterns.shape[1]


class Hopfield:
    """``n`` ±1 units with symmetric, zero-diagonal weights ``W`` and biases ``b``."""

    def __init__(self, n: int, bias=None):
        self.n = check_count("n", n)
        self.bias = np.zeros(self.n) if bias is None else np.asarray(bias, float)
        if self.bias.shape != (self.n,) or not np.all(np.isfinite(self.bias)):
            raise ParameterError("bias", f"shape {self.bias.shape}", f"{self.n} finite values")
        self.weights = np.zeros((self.n, self.n))

    def store(self, patterns) -> Hopfield:
        """Hebbian storage of ±1 ``patterns`` (rows): ``W = (1/N) X^T X``, diagonal zeroed."""
        patterns = np.atleast_2d(check_spins("patterns", patterns))
        if patterns.shape[1] != self.n:
            raise ParameterError("patterns shape", patterns.shape, f"(M, {self.n})")
        W = hebbian(patterns, patterns) * (patterns.shape[0] / self.n)
        np.fill_diagonal(W, 0.0)
        self.weights = W
        return self

    def _cue(self, cue) -> np.ndarray:
        cue = check_spins("cue", cue)
        if cue.shape[-1] != self.n:
            raise ParameterError("cue shape", cue.shape, f"last axis of length {self.n}")
        return cue

    def energy(self, states) -> np.ndarray:
        """``E = -1/2 x W x^T - b x^T`` of a state or of each row."""
        states = np.asarray(states, float)
        return -0.5 * np.einsum("...i,ij,...j->...", states, self.weights, states) - states @ self.bias

    def recall(self, cue, rng: np.random.Generator, max_sweeps: int = 50, record: bool = False) -> Recall:
        """Asynchronous recall from one ``cue``; ``record`` keeps the energy after every update."""
        s = self._cue(cue).astype(float).copy()
        if s.ndim != 1:
            raise ParameterError("cue shape", s.shape, f"({self.n},)")
        max_sweeps = check_count("max_sweeps", max_sweeps)
        size = max_sweeps * self.n if record else 0
        energy, units = np.zeros(size), np.zeros(size, np.int64)
        k, sweeps, converged = async_recall(s, self.weights, self.bias, rng, max_sweeps, energy, units)
        return Recall(s, bool(converged), int(sweeps), energy[:k], units[:k])

    def recall_many(self, cues, rng: np.random.Generator, max_sweeps: int = 50):
        """Asynchronous recall of each row of ``cues``: (final states, converged flags)."""
        S = np.ascontiguousarray(np.atleast_2d(self._cue(cues)), float).copy()
        converged = np.zeros(len(S), np.bool_)
        async_recall_rows(S, self.weights, self.bias, rng, check_count("max_sweeps", max_sweeps), converged)
        return S, converged

    def recall_sync(self, cue, max_steps: int = 30) -> Recall:
        """Synchronous recall on the core: sign units with a recurrent dense projection.

        Stops at a fixed point or a 2-cycle (the only attractors of synchronous dynamics with
        symmetric weights); ``states[k]`` is the state after ``k`` steps.
        """
        cue = self._cue(cue)
        max_steps = check_count("max_steps", max_steps)
        net = Network(seed=0)
        pop = net.add(BinaryPopulation("hopfield", self.n, params={"bias": self.bias}, initial={"rate": cue},
                                       mode="sign"))
        net.add(DenseProjection(pop, pop, matrix=self.weights))
        net.record_state(pop, "rate")
        simulator = Simulator(net, dt="1 ms")  # one synchronous update per step; the value only labels time
        with si_floats():
            results = simulator.run(max_steps * simulator.dt)
        states = np.vstack([results.states["hopfield"]["rate"].data, simulator.population("hopfield").state["rate"]])
        steps, converged = max_steps, False
        for k in range(1, len(states)):
            if np.array_equal(states[k], states[k - 1]) or (k > 1 and np.array_equal(states[k], states[k - 2])):
                steps, converged = k, True
                break
        states = states[:steps + 1]
        return Recall(states[-1].copy(), converged, steps, self.energy(states), states=states)

    def recall_continuous(self, cue, gain: float = 4.0, tau="10 ms", duration="100 ms",
                          dt="0.5 ms", amplitude: float = 0.1) -> ContinuousRecall:
        """``tau dx/dt = -x + gain W tanh(x) + b`` from ``x(0) = amplitude * cue``, on the core.

        ``gain`` > 1 is needed for non-zero fixed points (``x = gain tanh(x)`` at a pattern); it is the
        slope of the unit's activation at 0 in the equivalent form ``tanh(gain u)``, ``u = x / gain``.
        The energy is Hopfield's (1984) Lyapunov function
        ``-gain/2 V W V - b V + sum_i (x_i V_i - ln cosh x_i)``, ``V = tanh(x)``.
        """
        cue = self._cue(cue)
        tau, duration, dt = (quantity(value, "time", key)
                             for key, value in (("tau", tau), ("duration", duration), ("dt", dt)))
        for key, value in (("gain", gain), ("tau", tau), ("duration", duration), ("dt", dt), ("amplitude", amplitude)):
            if not np.isfinite(value) or value <= 0:
                raise ParameterError(key, value, "a finite number > 0")
        with si_floats():
            net = Network(seed=0)
            pop = net.add(RatePopulation("hopfield", self.n, params={"tau": tau, "bias": self.bias},
                                         initial={"x": amplitude * cue}, activation="tanh"))
            net.add(DenseProjection(pop, pop, matrix=gain * self.weights))
            net.record_state(pop, "x")
            record = Simulator(net, dt=dt).run(duration).states["hopfield"]["x"]
        x = record.data
        V = np.tanh(x)
        log_cosh = np.abs(x) + np.log1p(np.exp(-2 * np.abs(x))) - np.log(2.0)
        energy = gain * self.energy(V) + (1 - gain) * (-(V @ self.bias)) + np.sum(x * V - log_cosh, axis=1)
        return ContinuousRecall(record.times, x, energy)


def capacity_curve(n: int, loads, rng: np.random.Generator, max_sweeps: int = 50):
    """Mean and spread of the recall overlap versus load ``M/N``.

    For each load, ``M = round(load * n)`` random patterns are stored and every one is used as its
    own cue (the stability of the retrieval state, as in Amit et al.); returns (loads, mean overlap,
    standard deviation over patterns, fraction of exactly recalled patterns).
    """
    loads = np.asarray(loads, float)
    if loads.ndim != 1 or np.any(loads <= 0):
        raise ParameterError("loads", loads, "a list of loads M/N > 0")
    means, stds, exact = [], [], []
    for load in loads:
        m = max(1, round(load * n))
        patterns = random_patterns(m, n, rng)
        states, _ = Hopfield(n).store(patterns).recall_many(patterns, rng, max_sweeps)
        q = overlap(patterns, states)
        means.append(q.mean())
        stds.append(q.std())
        exact.append(np.mean(q == 1.0))
    return loads, np.array(means), np.array(stds), np.array(exact)


def breakdown_load(loads, mean_overlap, threshold: float = 0.95) -> float:
    """The load where the mean overlap first falls below ``threshold`` (linear interpolation between
    the last grid load above it and the first below); ``nan`` if it never does."""
    loads, q = np.asarray(loads, float), np.asarray(mean_overlap, float)
    below = np.flatnonzero(q < threshold)
    if below.size == 0:
        return float("nan")
    k = below[0]
    if k == 0:
        return float(loads[0])
    return float(loads[k - 1] + (q[k - 1] - threshold) * (loads[k] - loads[k - 1]) / (q[k - 1] - q[k]))
