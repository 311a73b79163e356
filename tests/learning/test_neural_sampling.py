"""Neural sampling (Buesing et al. 2011) against enumerated Boltzmann distributions.

Tolerances: ``KL(q || p)`` of ``N`` (nearly independent, samples ``gap`` sweeps apart) samples is
compared with the 99.9% quantile of the KL of ``N`` exact independent draws from ``p`` itself
(``null_kl_quantile``; about ``(K - 1) / 2N`` on average for ``K`` states), and marginals with 4.5
binomial standard errors ``sqrt(p (1 - p) / N)``.
"""
import numpy as np
import pytest

from neurosim.core.dense import DenseProjection
from neurosim.core.network import Network
from neurosim.core.neurons.sampling import NeuralSamplingPopulation
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError
from neurosim.learning.neural_sampling import (
    boltzmann_simulator,
    collect,
    exact_distribution,
    kl_divergence,
    null_kl_quantile,
    rbm_simulator,
    state_counts,
)
from neurosim.learning.rbm import RBM


def _machine(n, seed):
    rng = np.random.default_rng(seed)
    W = np.triu(rng.normal(0.0, 0.7, (n, n)), 1)
    return W + W.T, rng.normal(-0.3, 0.5, n)


def _check_samples(z, states, p, rng):
    """The joint within the null KL bound at N/10 and N samples, each marginal within 4.5 binomial SE."""
    for N in (len(z) // 10, len(z)):
        kl = kl_divergence(state_counts(z[:N]), p)
        assert kl < null_kl_quantile(p, N, rng), (N, kl)
    marginal = states.T @ p
    assert np.all(np.abs(z.mean(axis=0) - marginal) < 4.5 * np.sqrt(marginal * (1 - marginal) / len(z)))


@pytest.mark.slow
@pytest.mark.parametrize("tau", [1, 4])
def test_boltzmann_machine_samples_the_enumerated_distribution(tau):
    W, b = _machine(6, 1)
    states, p = exact_distribution(W, b)
    z = collect(boltzmann_simulator(W, b, tau, seed=3), "z", 5000, gap=5, burn_in=20)
    _check_samples(z, states, p, np.random.default_rng(0))


@pytest.mark.slow
@pytest.mark.parametrize("tau", [1, 5])
def test_rbm_populations_sample_the_visible_marginal(tau):
    """Visible and hidden populations updated alternately: the visible samples follow the RBM's
    ``p(v)``, the marginal of the enumerated joint of all 6 + 4 units."""
    rng = np.random.default_rng(2)
    rbm = RBM(6, 4, rng, scale=1.0)
    rbm.b, rbm.c = rng.normal(0, 0.5, 6), rng.normal(0, 0.5, 4)
    joint = np.block([[np.zeros((6, 6)), rbm.W], [rbm.W.T, np.zeros((4, 4))]])
    states, p_joint = exact_distribution(joint, np.concatenate([rbm.b, rbm.c]))
    p = p_joint.reshape(2 ** 6, 2 ** 4).sum(axis=1)  # unit 0 the most significant bit: visible states first
    v = collect(rbm_simulator(rbm, tau, seed=4), "visible", 5000, gap=10, burn_in=20)
    _check_samples(v, states[:: 2 ** 4, :6], p, np.random.default_rng(0))


def test_a_spike_holds_the_output_for_exactly_tau_updates():
    """``z`` is 1 exactly in the ``tau`` steps from a spike on, and spikes are at least ``tau`` apart."""
    tau = 3
    W, b = _machine(5, 7)
    net = Network(seed=5)
    pop = net.add(NeuralSamplingPopulation("z", 5, params={"bias": b + 1.0}, refractory_steps=tau,
                                           update="asynchronous"))
    net.add(DenseProjection(pop, pop, matrix=W))
    net.record_state(pop, "spike")
    net.record_state(pop, "rate")
    states = Simulator(net, dt="1 ms").run("2 s").states["z"]
    s, z = states["spike"].data, states["rate"].data
    assert s.sum() > 100
    recent = np.array([s[max(0, t - tau + 1): t + 1].max(axis=0) for t in range(len(s))])
    np.testing.assert_array_equal(z, recent)
    for k in range(5):
        assert np.diff(np.flatnonzero(s[:, k])).min() >= tau


def test_refractoriness_leaves_the_marginals_unchanged_but_slows_the_spikes():
    """Same network, tau 1 and 6: spike rate per update falls (each spike covers tau updates)."""
    W, b = _machine(4, 3)
    states, p = exact_distribution(W, b)
    rates = []
    for tau in (1, 6):
        net = Network(seed=8)
        pop = net.add(NeuralSamplingPopulation("z", 4, params={"bias": b}, refractory_steps=tau,
                                               update="asynchronous"))
        net.add(DenseProjection(pop, pop, matrix=W))
        net.record_state(pop, "spike")
        rates.append(Simulator(net, dt="1 ms").run("20 s").states["z"]["spike"].data.mean(axis=0))
    marginal = states.T @ p
    # a unit is on for tau updates per spike: its spike rate is marginal / tau (means over 20000
    # updates; the on-state has correlation time of a few updates, so 6 binomial SE of N / 10 suffice)
    for tau, rate in zip((1, 6), rates, strict=True):
        se = np.sqrt(marginal * (1 - marginal) / 2000) / tau
        assert np.all(np.abs(rate - marginal / tau) < 6 * se), (tau, rate, marginal / tau)


@pytest.mark.parametrize("kwargs", [{"refractory_steps": 0}, {"refractory_steps": 2.5}, {"update": "clamped"},
                                    {"every": 2, "offset": 2}, {"every": 2, "update": "asynchronous"}])
def test_bad_options_raise_parameter_error(kwargs):
    with pytest.raises(ParameterError):
        NeuralSamplingPopulation("z", 3, **kwargs)


def test_inconsistent_initial_state_and_asymmetric_weights_are_refused():
    net = Network(seed=0)
    net.add(NeuralSamplingPopulation("z", 3, refractory_steps=2, initial={"zeta": 2.0}))  # rate stays 0
    with pytest.raises(ParameterError):
        Simulator(net, dt="1 ms")
    with pytest.raises(ParameterError):
        boltzmann_simulator(np.array([[0.0, 1.0], [0.5, 0.0]]), np.zeros(2), 1, seed=0)
    net = Network(seed=0)
    net.add(NeuralSamplingPopulation("z", 3, update="asynchronous"))  # no recurrent projection
    with pytest.raises(ParameterError):
        Simulator(net, dt="1 ms").run("1 ms")


def test_a_batch_of_chains_equals_separate_runs():
    """Copy ``c`` of a batched sampler is the unbatched network with ``first_copy = c`` (own streams)."""
    W, b = _machine(5, 4)

    def states(batch, first_copy):
        net = Network(seed=9, batch=batch, first_copy=first_copy)
        pop = net.add(NeuralSamplingPopulation("z", 5, params={"bias": b}, refractory_steps=3,
                                               update="asynchronous"))
        net.add(DenseProjection(pop, pop, matrix=W))
        net.record_state(pop, "rate")
        return [copy.states["z"]["rate"].data for copy in Simulator(net, dt="1 ms").run("200 ms")]

    batched = states(3, 0)
    for c in range(3):
        np.testing.assert_array_equal(batched[c], states(1, c)[0])
    assert not np.array_equal(batched[0], batched[1])
