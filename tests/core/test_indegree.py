"""The compiled fixed-in-degree sampler: exact in-degree, no multapses, CSR order, uniform choice."""
import numpy as np
import pytest
import scipy.stats

from neurosim.core.connectivity import FixedIndegree, Projection, _csr_ordered
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


@pytest.mark.parametrize(("n_pre", "n_post", "k"), [(1000, 300, 100), (50, 40, 50), (7, 3, 1)])
def test_exact_indegree_no_multapses_csr_order(n_pre, n_post, k):
    pre, post = FixedIndegree(k).pairs(n_pre, n_post, np.random.default_rng(4))
    assert len(pre) == n_post * k
    np.testing.assert_array_equal(np.bincount(post, minlength=n_post), k)
    assert len(np.unique(pre.astype(np.int64) * n_post + post)) == len(pre)  # no pair twice
    assert pre.min() >= 0
    assert pre.max() < n_pre
    assert _csr_ordered(pre, post)


def test_presynaptic_choice_is_uniform():
    n_pre, n_post, k = 200, 2000, 20
    pre, post = FixedIndegree(k).pairs(n_pre, n_post, np.random.default_rng(9))
    # out-degrees: each pre is chosen by each post with probability k / n_pre, independently over posts
    _, p = scipy.stats.chisquare(np.bincount(pre, minlength=n_pre))
    assert p > 1e-4
    # and the choice of each post does not depend on its position (first vs last posts)
    first = np.bincount(pre[post < n_post // 2], minlength=n_pre)
    last = np.bincount(pre[post >= n_post // 2], minlength=n_pre)
    assert scipy.stats.chi2_contingency(np.vstack([first, last]))[1] > 1e-4


def test_projection_build_is_seeded():
    def indices(seed):
        net = Network(seed=seed)
        a = net.add(LIF("a", 300))
        b = net.add(LIF("b", 100, receptors={"d": Synapse(kind="delta")}))
        net.add(Projection(a, b, "d", rule=FixedIndegree(30), weight=1e-4))
        projection = Simulator(net, dt=1e-4).network.projections[0]  # the simulator's built copy
        return projection.indices.copy(), projection.indptr.copy()

    np.testing.assert_array_equal(indices(3)[0], indices(3)[0])
    assert not np.array_equal(indices(3)[0], indices(4)[0])
