"""Hopfield network: ±1 units, Hebbian storage, asynchronous/synchronous recall, continuous version.

Storage follows Amit, Gutfreund & Sompolinsky (1985): ``W = (1/N) sum_mu x^mu x^mu^T`` with zero
diagonal, learnt on the core by a Hebbian rule on the recurrent projection (Storkey's rule optional).
The course notes write ``W = (1/M) X^T X - I``; their ``-I`` is exactly the zero diagonal (``x_i^2 =
1``), and ``1/M`` instead of ``1/N`` is a positive factor that changes neither the sign dynamics nor
the fixed points, but with ``1/N`` local fields are O(1) at any load, which the continuous network
(whose fixed points do depend on the scale) needs. Energy:
``E = -1/2 x W x^T - b x^T``.

All three recalls run on the core. Asynchronous recall is a ``BinaryPopulation`` in sign mode with
``update='asynchronous'`` and a recurrent ``DenseProjection``: one step is one sweep over the units in
a random order (``rng.permutation`` of the population's run Generator, i.e. of the network seed),
``x_i <- sign(h_i)``, ``h = x W + b``, the unit unchanged when ``h_i = 0`` (the notes set -1 there;
keeping the state is the convention of the core's sign units and keeps every update energy
non-increasing either way). With a zero diagonal a change ``d`` of unit i changes the energy by
``-d h_i <= 0``. Cues are recalled one after the other in one run (the population's ``cues``: the
compiled loop moves to the next cue after the first sweep that changes nothing), so the
permutations are drawn in the same order as by a sequential loop over the cues sharing one
Generator. Synchronous recall (sign units, ``update='synchronous'``) and the continuous
network ``tau dx/dt = -x + g W tanh(x) + b`` use the same recurrent projection.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.dense import DenseProjection
from ..core.dense_plasticity import LearningDenseProjection
from ..core.network import Network
from ..core.neurons.binary import BinaryPopulation
from ..core.neurons.rate import rate_population
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..rng import generator
from ..units import quantity, si_floats, ureg
from .data import check_count, check_spins, random_patterns

_DT = 1e-3 * ureg.second  # one update step of the discrete networks; the value only labels time

@dataclass
class Recall:
    """A recall run: final ``state``; ``states`` after every update (asynchronous, ``record``) or
    synchronous step, ``energy`` of each; ``steps`` sweeps (asynchronous) or synchronous steps."""

    state: np.ndarray
    converged: bool
    steps: int
    energy: np.ndarray
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

    def store(self, patterns, rule: str = "hebbian") -> Hopfield:
        """Store ±1 ``patterns`` (rows) on the core: the units clamped to one pattern per step, the
        recurrent projection learning by ``rule`` with rate ``1/N`` (:mod:`neurosim.core.dense_plasticity`).
        'hebbian' gives ``W = (1/N) X^T X`` with zero diagonal; 'storkey' Storkey's (1997) rule,
        patterns in the given order. Replaces the weights."""
        patterns = np.atleast_2d(check_spins("patterns", patterns))
        if patterns.shape[1] != self.n:
            raise ParameterError("patterns shape", patterns.shape, f"(M, {self.n})")
        net = Network(seed=0)
        played = patterns if rule == "hebbian" else None
        pop = net.add(BinaryPopulation("hopfield", self.n, mode="sign", update="clamped", values=played))
        net.add(LearningDenseProjection(pop, pop, np.zeros((self.n, self.n)), rule, 1.0 / self.n))
        simulator = Simulator(net, dt=_DT)
        if played is not None:  # the Hebbian rule reads the clamped states only: pattern k played in step k
            simulator.run(len(patterns) * _DT)
        else:  # Storkey's rule also reads the field W x summed before the update: each pattern written before its step
            state = simulator.population("hopfield").state["rate"]  # the built array the loop reads
            with si_floats():
                for pattern in patterns:
                    state[:] = pattern
                    simulator.run(_DT.to("s").magnitude)
        self.weights = simulator.network.projections[0].encode.copy()
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

    def _asynchronous(self, cue, seed: int, units_per_step: int | None = None, record: bool = False) -> Simulator:
        """A simulator of the asynchronous network (sign units, recurrent dense projection) at ``cue``."""
        net = Network(seed=seed)
        pop = net.add(BinaryPopulation("hopfield", self.n, params={"bias": self.bias}, initial={"rate": cue},
                                       mode="sign", update="asynchronous", units_per_step=units_per_step,
                                       stop_when_stable=True))
        net.add(DenseProjection(pop, pop, matrix=self.weights))
        if record:
            net.record_state(pop, "rate")
        return Simulator(net, dt=_DT)

    def recall(self, cue, seed: int = 0, max_sweeps: int = 50, record: bool = False) -> Recall:
        """Asynchronous recall from one ``cue`` on the core; the order of updates comes from ``seed``
        (the network seed). ``record`` keeps the state and energy after every single-unit update."""
        s = self._cue(cue)
        if s.ndim != 1:
            raise ParameterError("cue shape", s.shape, f"({self.n},)")
        max_sweeps = check_count("max_sweeps", max_sweeps)
        if not record:
            states, converged, sweeps = self._recall_rows(s[None], seed, max_sweeps)
            return Recall(states[0], bool(converged[0]), int(sweeps[0]), np.zeros(0))
        simulator = self._asynchronous(s, seed, units_per_step=1, record=True)  # one update per step
        simulator.run(max_sweeps * self.n * _DT)  # until a sweep changes nothing
        converged, sweeps = bool(simulator.population("hopfield").stable[0]), simulator.step // self.n
        recorded = simulator.results().states["hopfield"]["rate"].data  # at the start of each update
        states = np.vstack([recorded[1:], simulator.population("hopfield").state["rate"]])
        return Recall(states[-1].copy(), converged, sweeps, self.energy(states), states=states)

    def _recall_rows(self, cues: np.ndarray, seed: int, max_sweeps: int):
        """Asynchronous recall of each row of ``cues`` in turn, all in one run (the population's
        ``cues``: a sweep per step, the next cue after a sweep that changes nothing or ``max_sweeps``)."""
        net = Network(seed=seed)
        pop = net.add(BinaryPopulation("hopfield", self.n, params={"bias": self.bias}, mode="sign",
                                       update="asynchronous", cues=cues, max_sweeps=max_sweeps))
        net.add(DenseProjection(pop, pop, matrix=self.weights))
        simulator = Simulator(net, dt=_DT)
        simulator.run(len(cues) * max_sweeps * _DT)
        pop = simulator.population("hopfield")
        return pop.finals.copy(), pop.converged == 1, pop.sweeps.copy()

    def recall_many(self, cues, seed: int = 0, max_sweeps: int = 50):
        """Asynchronous recall of each row of ``cues`` in turn: (final states, converged flags)."""
        cues = np.atleast_2d(self._cue(cues))
        states, converged, _ = self._recall_rows(cues, seed, check_count("max_sweeps", max_sweeps))
        return states, converged

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
        simulator = Simulator(net, dt=_DT)
        results = simulator.run(max_steps * _DT)
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
            pop = net.add(rate_population("hopfield", self.n, params={"tau": tau, "bias": self.bias},
                                         initial={"x": amplitude * cue}, activation="tanh"))
            net.add(DenseProjection(pop, pop, matrix=gain * self.weights))
            net.record_state(pop, "x")
            record = Simulator(net, dt=dt).run(duration).states["hopfield"]["x"]
        x = record.data
        V = np.tanh(x)
        log_cosh = np.abs(x) + np.log1p(np.exp(-2 * np.abs(x))) - np.log(2.0)
        energy = gain * self.energy(V) + (1 - gain) * (-(V @ self.bias)) + np.sum(x * V - log_cosh, axis=1)
        return ContinuousRecall(record.times, x, energy)


def capacity_curve(n: int, loads, seed: int, max_sweeps: int = 50):
    """Mean and spread of the recall overlap versus load ``M/N``.

    For each load, ``M = round(load * n)`` random patterns (build stream ``hopfield:patterns:N{n}:M{M}``
    of ``seed``) are stored and every one is used as its own cue (the stability of the retrieval
    state, as in Amit et al.), recalled on a network of seed ``seed``; returns (loads, mean overlap,
    standard deviation over patterns, fraction of exactly recalled patterns).
    """
    loads = np.asarray(loads, float)
    if loads.ndim != 1 or np.any(loads <= 0):
        raise ParameterError("loads", loads, "a list of loads M/N > 0")
    means, stds, exact = [], [], []
    for load in loads:
        m = max(1, round(load * n))
        patterns = random_patterns(m, n, generator(seed, "build", f"hopfield:patterns:N{n}:M{m}"))
        states, _ = Hopfield(n).store(patterns).recall_many(patterns, seed, max_sweeps)
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
