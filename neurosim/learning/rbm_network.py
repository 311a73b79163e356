"""The restricted Boltzmann machine as a network on the core: binary visible and hidden populations,
a :class:`~neurosim.core.dense_plasticity.BoltzmannProjection` between them, block Gibbs sampling as
alternating population updates (visible units in even steps, hidden units in odd steps), CD-k or
persistent CD as the projection's local rule, generation by running the chain.

A batched network (``Network(batch=batch_size)``) holds one copy per mini-batch row: the data pair
(visible units clamped to the rows, their hidden units) gives the positive phase, the free pair
(``batch_size`` Gibbs chains) the negative phase. Each epoch presents ``len(V) // batch_size``
mini-batches of a fresh permutation of the rows (scikit-learn's ``BernoulliRBM`` also drops the
remainder); the numpy :class:`~neurosim.learning.rbm.RBM` is the reference it is compared with, and
holds the learnt weights for evaluation (free energy, pseudo-likelihood, features).
"""
from __future__ import annotations

import numpy as np

from ..core.dense_plasticity import BoltzmannProjection
from ..core.network import Network
from ..core.neurons.binary import BinaryPopulation
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..rng import generator
from ..units import ureg
from .data import check_count, check_rate
from .rbm import RBM

_DT = 1e-3 * ureg.second  # one block update per step; the value only labels time


def _network(rbm: RBM, copies: int, seed: int, data=None, **rule) -> Network:
    net = Network(seed=seed, batch=copies)
    visible = net.add(BinaryPopulation("visible", rbm.n_visible, every=2, offset=0))
    hidden = net.add(BinaryPopulation("hidden", rbm.n_hidden, every=2, offset=1))
    pair = None
    if data is not None:
        pair = (net.add(BinaryPopulation("data", rbm.n_visible, update="clamped", values=data)),
                net.add(BinaryPopulation("data_hidden", rbm.n_hidden, every=2, offset=1)))
    net.add(BoltzmannProjection(visible, hidden, rbm.W, rbm.b, rbm.c, data=pair, **rule))
    return net


def fit(rbm: RBM, V, seed: int, epochs: int = 10, learning_rate: float = 0.06, batch_size: int = 10, k: int = 1,
        persistent: bool = True, momentum: float = 0.0, weight_decay: float = 0.0, V_valid=None,
        progress=None) -> dict[str, np.ndarray]:
    """Train ``rbm`` (its weights are the initial ones and receive the learnt ones) on the binary rows
    of ``V`` on the core; mini-batch order from the build stream ``rbm:batches`` of ``seed``, Gibbs
    samples from the populations' run streams. Returns per-epoch held-out curves like
    :meth:`RBM.fit` (on ``V_valid`` when given, else ``V``)."""
    V = rbm._visible(V)
    V_eval = V if V_valid is None else rbm._visible(V_valid, "V_valid")
    epochs, batch_size, k = check_count("epochs", epochs), check_count("batch_size", batch_size), check_count("k", k)
    learning_rate = check_rate("learning_rate", learning_rate)
    n_batches = len(V) // batch_size
    if n_batches == 0:
        raise ParameterError("batch_size", batch_size, f"at most the number of rows ({len(V)})")
    steps = 2 * k + (0 if persistent else 2)
    order = generator(seed, "build", "rbm:batches")
    rows = np.stack([order.permutation(len(V))[:n_batches * batch_size].reshape(n_batches, batch_size)
                     for _ in range(epochs)]).reshape(-1, batch_size)  # (epochs * n_batches, batch_size)
    data = np.repeat(V[rows.T], steps, axis=1)  # (copies, steps of all epochs, n_visible): row r of batch t
    net = _network(rbm, batch_size, seed, data, learning_rate=learning_rate, k=k, persistent=persistent,
                   momentum=momentum, weight_decay=weight_decay)
    simulator = Simulator(net, dt=_DT)
    projection = simulator.network.projections[0]
    curves = {"reconstruction_error": np.zeros(epochs + 1), "pseudo_log_likelihood": np.zeros(epochs + 1)}
    curves["reconstruction_error"][0] = rbm.reconstruction_error(V_eval)
    curves["pseudo_log_likelihood"][0] = rbm.pseudo_log_likelihood(V_eval)
    for epoch in range(epochs):
        simulator.run(n_batches * steps * _DT)
        rbm.W, rbm.b, rbm.c = projection.W.copy(), projection.b.copy(), projection.c.copy()
        curves["reconstruction_error"][epoch + 1] = rbm.reconstruction_error(V_eval)
        curves["pseudo_log_likelihood"][epoch + 1] = rbm.pseudo_log_likelihood(V_eval)
        if progress:
            progress((epoch + 1) / epochs, f"epoch {epoch + 1}: PLL {curves['pseudo_log_likelihood'][epoch + 1]:.2f}")
    return curves


def generate(rbm: RBM, n_samples: int, gibbs_steps: int, seed: int):
    """``n_samples`` independent chains on the core, each started with its hidden units off and run for
    ``gibbs_steps`` block-Gibbs rounds v -> h after the first visible update: (visible samples,
    ``p(v | h)`` of the last round)."""
    n_samples, gibbs_steps = check_count("n_samples", n_samples), check_count("gibbs_steps", gibbs_steps)
    simulator = Simulator(_network(rbm, n_samples, seed), dt=_DT)
    simulator.run((2 * gibbs_steps + 1) * _DT)  # v, h, v, ..., h, v
    visible = simulator.population("visible").state
    return visible["rate"].copy(), visible["p"].copy()
