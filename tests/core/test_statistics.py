"""Statistics of random draws against their distributions: connection rules and Poisson counts.

Each test states its null distribution and uses a significance level of 1e-4 (two-sided where it
matters), so a correct sampler fails one such test in 10 000 runs; the draws are seeded, so the
outcome is fixed for a given implementation. The sizes are chosen so that the errors these tests
exist for (a column never chosen, a shifted column, multapses, autapses, a capped Poisson count)
give p-values far below the level.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from neurosim.core import connectivity
from neurosim.core.network import Network
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.rng import generator

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

LEVEL = 1e-4


def projection(rule, n_pre, n_post, same=False, allow_autapses=True, seed=7):
    """A built projection between fresh LIF populations (or onto itself when ``same``)."""
    net = Network(seed=seed)
    pre = net.add_population("pre", n_pre, "lif", receptors={"e": Synapse()})
    post = pre if same else net.add_population("post", n_post, "lif", receptors={"e": Synapse()})
    proj = connectivity.Projection(pre, post, "e", rule=rule, weight=1e-9, allow_autapses=allow_autapses)
    proj.build(1e-4, generator(seed, "build", "test"))
    pre_index = np.repeat(np.arange(n_pre), np.diff(proj.indptr))
    return pre_index, proj.indices.astype(np.int64)


def binomial_gof(degrees: np.ndarray, n: int, p: float) -> float:
    """Chi-square goodness of fit of ``degrees`` to Binomial(n, p), classes merged from the tails
    until each expects at least 5; returns the p-value."""
    k = np.arange(n + 1)
    expected = scipy.stats.binom.pmf(k, n, p) * len(degrees)
    observed = np.bincount(degrees, minlength=n + 1).astype(float)
    lo, hi = 0, n
    while expected[: lo + 1].sum() < 5:
        lo += 1
    while expected[hi:].sum() < 5:
        hi -= 1
    exp = np.concatenate([[expected[: lo + 1].sum()], expected[lo + 1: hi], [expected[hi:].sum()]])
    obs = np.concatenate([[observed[: lo + 1].sum()], observed[lo + 1: hi], [observed[hi:].sum()]])
    return float(scipy.stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue)


def uniform_columns(post: np.ndarray, n_post: int) -> float:
    """Chi-square test that every postsynaptic column is chosen equally often; returns the p-value."""
    return float(scipy.stats.chisquare(np.bincount(post, minlength=n_post)).pvalue)


def test_fixed_probability_degrees_are_binomial_and_columns_uniform():
    n_pre, n_post, p = 2000, 300, 0.1  # 200 expected synapses per column: a missing column is 14 sigma
    pre, post = projection(connectivity.rule("fixed_probability", p=p), n_pre, n_post)
    assert binomial_gof(np.bincount(post, minlength=n_post), n_pre, p) > LEVEL  # in-degrees
    assert binomial_gof(np.bincount(pre, minlength=n_pre), n_post, p) > LEVEL  # out-degrees
    assert uniform_columns(post, n_post) > LEVEL
    assert uniform_columns(pre, n_pre) > LEVEL
    assert len(np.unique(pre * n_post + post)) == len(pre)  # no multapses
    # the total count: Binomial(n_pre * n_post, p), z-test
    mean, sd = n_pre * n_post * p, np.sqrt(n_pre * n_post * p * (1 - p))
    assert abs(len(pre) - mean) < 4.0 * sd


def test_fixed_probability_without_autapses():
    n, p = 1500, 0.1
    pre, post = projection(connectivity.rule("fixed_probability", p=p), n, n, same=True, allow_autapses=False)
    assert not np.any(pre == post)
    assert binomial_gof(np.bincount(post, minlength=n), n - 1, p) > LEVEL
    assert uniform_columns(post, n) > LEVEL
    with_autapses, post_all = projection(connectivity.rule("fixed_probability", p=0.5), 200, 200, same=True)
    assert np.any(with_autapses == post_all)  # allowed by default: 200 chances at p = 0.5


def test_fixed_indegree_is_exact_without_multapses_and_uniform_over_pre():
    n_pre, n_post, k = 400, 1000, 40
    pre, post = projection(connectivity.rule("fixed_indegree", k=k), n_pre, n_post)
    assert np.all(np.bincount(post, minlength=n_post) == k)
    assert len(np.unique(pre * n_post + post)) == len(pre)  # k distinct partners per neuron
    # each presynaptic neuron is one of k of n_pre for every postsynaptic neuron: Binomial(n_post, k/n_pre)
    assert binomial_gof(np.bincount(pre, minlength=n_pre), n_post, k / n_pre) > LEVEL
    assert uniform_columns(pre, n_pre) > LEVEL


def test_fixed_indegree_without_autapses_drops_the_drawn_autapse():
    """Documented rule (Projection): partners are drawn, then ``i -> i`` is dropped, so a neuron
    keeps k - 1 partners when it drew itself, which happens with probability k/n."""
    n, k = 1000, 50
    pre, post = projection(connectivity.rule("fixed_indegree", k=k), n, n, same=True, allow_autapses=False)
    assert not np.any(pre == post)
    degrees = np.bincount(post, minlength=n)
    assert set(np.unique(degrees)) <= {k - 1, k}
    assert scipy.stats.binomtest(int(np.sum(degrees == k - 1)), n, k / n).pvalue > LEVEL


def test_all_to_all_and_one_to_one():
    pre, post = projection(connectivity.rule("all_to_all"), 30, 20)
    assert len(pre) == 600
    assert np.all(np.bincount(post) == 30)
    assert len(np.unique(pre * 20 + post)) == 600
    pre, post = projection(connectivity.rule("all_to_all"), 30, 30, same=True, allow_autapses=False)
    assert len(pre) == 870
    assert not np.any(pre == post)
    assert np.all(np.bincount(post) == 29)
    pre, post = projection(connectivity.rule("one_to_one"), 25, 25)
    np.testing.assert_array_equal(pre, np.arange(25))
    np.testing.assert_array_equal(post, np.arange(25))


def test_explicit_and_dense_keep_the_given_pairs():
    pre_in, post_in = np.array([3, 0, 3, 1, 1]), np.array([2, 1, 0, 1, 1])  # with a multapse 1 -> 1
    pre, post = projection(connectivity.rule("explicit", pre=pre_in, post=post_in), 4, 3)
    assert sorted(zip(pre, post, strict=True)) == sorted(zip(pre_in, post_in, strict=True))
    matrix = np.zeros((3, 4))
    matrix[2, 3], matrix[0, 1] = 1.0, -2.0
    pre, post = projection(connectivity.rule("dense", matrix=matrix), 4, 3)
    assert sorted(zip(pre, post, strict=True)) == [(1, 0), (3, 2)]


RATES = [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]


@pytest.mark.parametrize("rate", RATES)
def test_poisson_counts_have_poisson_mean_and_variance(rate):
    """Spike counts of a ``poisson`` population over T are Poisson(rate * T) for any rate, also
    where rate * dt > 1 (several spikes per step). Mean: z-test with the Poisson standard error;
    variance: the dispersion index (N - 1) s^2 / lambda is chi-square with N - 1 degrees of freedom."""
    # at least 50 expected spikes per neuron; low rates on a coarser grid (rate * dt <= 0.01 still)
    dt, n = (1e-3 if rate <= 10 else 1e-4), 500
    duration = max(0.01, 50.0 / rate)
    net = Network(seed=11)
    source = net.add(PoissonSource("P", n, rate))
    net.record_spikes(source)
    counts = Simulator(net, dt=dt).run(duration).spikes["P"].counts().astype(float)
    lam = rate * round(duration / dt) * dt
    assert abs(counts.mean() - lam) < 4.0 * np.sqrt(lam / n)
    dispersion = (n - 1) * counts.var(ddof=1) / lam
    assert scipy.stats.chi2.sf(dispersion, n - 1) > LEVEL / 2
    assert scipy.stats.chi2.cdf(dispersion, n - 1) > LEVEL / 2
