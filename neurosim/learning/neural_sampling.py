"""Sampling from Boltzmann machines with spiking neurons (Buesing et al. 2011, the discrete-time
absolute-refractory model: :class:`~neurosim.core.neurons.sampling.NeuralSamplingPopulation`).

A general Boltzmann machine ``p(z) ∝ exp(z^T W z / 2 + b^T z)`` is one population updated unit by
unit (a sweep per step) through a recurrent dense projection ``W``; an RBM is a visible and a hidden
population with the two halves of the symmetric weights as dense projections, the visible units
updating in even steps and the hidden units in odd steps (exact: units of one side share no synapse).
With ``refractory_steps = 1`` either network is a Gibbs sampler; a larger ``tau`` keeps a unit's
output at 1 for ``tau`` updates after each spike and lowers its spike probability to
``logistic(u - log tau)``, which leaves the sampled distribution unchanged. A batched network
(``copies``) runs independent chains. :func:`exact_distribution` enumerates the reference.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..core.dense import DenseProjection
from ..core.network import Network
from ..core.neurons.sampling import NeuralSamplingPopulation
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..units import ureg
from .data import check_count
from .rbm import RBM

_DT = 1e-3 * ureg.second  # one update (a sweep, or one side of the RBM) per step; the value only labels time


def boltzmann_simulator(W, b, refractory_steps: int, seed: int, copies: int | None = None) -> Simulator:
    """A Boltzmann machine (symmetric ``W`` with zero diagonal, biases ``b``) as one population 'z'
    of neural-sampling units, all off at the start; ``copies`` independent chains (batched)."""
    W, b = np.asarray(W, float), np.asarray(b, float)
    if W.ndim != 2 or W.shape != (len(b), len(b)) or not np.array_equal(W, W.T) \
            or np.any(np.diag(W) != 0):
        raise ParameterError("W", f"shape {W.shape}", f"a symmetric ({len(b)}, {len(b)}) matrix with zero diagonal")
    net = Network(seed=seed, batch=copies)
    pop = net.add(NeuralSamplingPopulation("z", len(b), params={"bias": b}, refractory_steps=refractory_steps,
                                           update="asynchronous"))
    net.add(DenseProjection(pop, pop, matrix=W))
    return Simulator(net, dt=_DT)


def rbm_simulator(rbm: RBM, refractory_steps: int, seed: int, copies: int | None = None) -> Simulator:
    """The RBM's visible ('visible', biases ``b``) and hidden ('hidden', biases ``c``) populations,
    visible units in even steps, hidden units in odd steps, all off at the start."""
    net = Network(seed=seed, batch=copies)
    visible = net.add(NeuralSamplingPopulation("visible", rbm.n_visible, params={"bias": rbm.b},
                                               refractory_steps=refractory_steps, every=2, offset=0))
    hidden = net.add(NeuralSamplingPopulation("hidden", rbm.n_hidden, params={"bias": rbm.c},
                                              refractory_steps=refractory_steps, every=2, offset=1))
    net.add(DenseProjection(visible, hidden, matrix=rbm.W.T, blas=copies is not None))
    net.add(DenseProjection(hidden, visible, matrix=rbm.W, blas=copies is not None))
    return Simulator(net, dt=_DT)


def collect(simulator: Simulator, population: str, samples: int, gap: int, burn_in: int = 0) -> np.ndarray:
    """Run ``burn_in`` steps, then ``samples`` times ``gap`` steps, reading the outputs ``z`` of
    ``population`` after each: ``(samples, n)``, or ``(samples, copies, n)`` for a batched network."""
    samples, gap = check_count("samples", samples), check_count("gap", gap)
    if burn_in:
        simulator.run(check_count("burn_in", burn_in) * _DT)
    out = []
    for _ in range(samples):
        simulator.run(gap * _DT)
        out.append(simulator.population(population).state["rate"].copy())
    return np.array(out)


def exact_distribution(W, b) -> tuple[np.ndarray, np.ndarray]:
    """All ``2^n`` states (rows, unit 0 the most significant bit) and their probabilities under
    ``p(z) ∝ exp(z^T W z / 2 + b^T z)`` (``n`` at most 20)."""
    b = np.asarray(b, float)
    if len(b) > 20:
        raise ParameterError("units", len(b), "at most 20 for an enumeration")
    states = np.array(list(itertools.product([0.0, 1.0], repeat=len(b))))
    log_p = 0.5 * np.einsum("si,ij,sj->s", states, np.asarray(W, float), states) + states @ b
    p = np.exp(log_p - log_p.max())
    return states, p / p.sum()


def state_counts(z) -> np.ndarray:
    """Histogram of binary rows ``z`` (..., n) over the ``2^n`` states in :func:`exact_distribution`'s order."""
    z = np.asarray(z).reshape(-1, np.shape(z)[-1])
    index = (z.astype(np.int64) << np.arange(z.shape[1])[::-1]).sum(axis=1)
    return np.bincount(index, minlength=2 ** z.shape[1]).astype(float)


def kl_divergence(counts, p) -> float:
    """``KL(q || p)`` in nats of the empirical distribution ``q = counts / sum`` from ``p``."""
    q = np.asarray(counts, float) / np.sum(counts)
    seen = q > 0
    return float(np.sum(q[seen] * np.log(q[seen] / p[seen])))


def null_kl_quantile(p, samples: int, rng: np.random.Generator, quantile: float = 0.999,
                     repeats: int = 2000) -> float:
    """The ``quantile`` of ``KL(q || p)`` for ``samples`` independent draws from ``p`` itself (by
    simulation; its mean is about ``(K - 1) / (2 samples)`` for ``K`` states with large counts)."""
    return float(np.quantile([kl_divergence(c, p) for c in rng.multinomial(samples, p, size=repeats)], quantile))


__all__ = ["boltzmann_simulator", "collect", "exact_distribution", "kl_divergence", "null_kl_quantile",
           "rbm_simulator", "state_counts"]
