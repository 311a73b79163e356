"""Projection weight precision (``weight_dtype``) and the preallocated Bernoulli sampler."""
import copy

import numpy as np
import pytest

from neurosim.core import connectivity
from neurosim.errors import ProtocolError
from neurosim.protocol.build import build
from neurosim.protocol.load import load
from tests.conftest import ROOT

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

CUBA = ROOT / "protocols" / "cuba.yaml"
SMALL = ["network.populations.E.n=800", "network.populations.I.n=200", "duration=300 ms"] + \
    [f"network.connections.{k}.rule.p=0.08" for k in range(4)]


def _spikes(sets):
    sim = build(load(CUBA, sets=SMALL + sets))
    result = sim.run(0.3)
    return sim, {name: (s.times, s.node_ids) for name, s in result.spikes.items()}


def _rounded(weight_nA):
    """The weight as the float32 nearest to it, written exactly (repr of the float64 value) in A."""
    return f"{float(np.float32(weight_nA * 1e-9))!r} A"


@pytest.mark.slow
def test_float32_weights_equal_float64_runs_of_the_rounded_weights():
    # Propagation adds weights into float64 receptor states; a float32 weight is widened exactly,
    # so a float32 run is bit-identical to a float64 run whose weights are the same float32 values.
    # The protocol's 0.081 nA and -0.45 nA are not representable in float32 (decimal fractions).
    assert float(np.float32(0.081e-9)) != 0.081e-9
    single_sets = [f"network.connections.{k}.weight_dtype=float32" for k in range(4)]
    rounded = [f"network.connections.{k}.weight={_rounded(w)}" for k, w in enumerate((0.081, 0.081, -0.45, -0.45))]
    single, spikes32 = _spikes(single_sets)
    double, spikes64 = _spikes(rounded)
    assert all(p.weights.dtype == np.float32 for p in single.network.projections)
    assert all(p.weights.dtype == np.float64 for p in double.network.projections)
    # the protocol's scalar weights are stored once per connection: 4 bytes saved on each
    assert sum(p.nbytes() for p in single.network.projections) == \
        sum(p.nbytes() for p in double.network.projections) - 4 * 4
    assert sum(len(t) for t, _ in spikes32.values()) > 100
    for name in spikes64:
        np.testing.assert_array_equal(spikes32[name][0], spikes64[name][0])
        np.testing.assert_array_equal(spikes32[name][1], spikes64[name][1])


@pytest.mark.slow
def test_default_weight_dtype_is_float64_and_unchanged():
    default, spikes = _spikes([])
    _, spikes_explicit = _spikes([f"network.connections.{k}.weight_dtype=float64" for k in range(4)])
    assert all(p.weights.dtype == np.float64 for p in default.network.projections)
    for name in spikes:
        np.testing.assert_array_equal(spikes[name][0], spikes_explicit[name][0])


def test_unknown_weight_dtype_names_the_connection():
    with pytest.raises(ProtocolError, match="weight_dtype") as error:
        build(load(CUBA, sets=[*SMALL, "network.connections.2.weight_dtype=float16"]))
    assert error.value.key_path.startswith("network.connections.2")
    assert "float32" in str(error.value)


@pytest.mark.parametrize(("n_pre", "n_post", "p"), [(300, 200, 0.05), (40, 30, 1.0), (500, 3, 0.002)])
def test_sampler_growth_draws_the_same_pairs(monkeypatch, n_pre, n_post, p):
    # a capacity far below the draw forces the arrays to grow many times: same pairs, same stream
    rule = connectivity.FixedProbability(p)
    rng = np.random.default_rng(7)
    pre, post = rule.pairs(n_pre, n_post, rng)
    after = rng.random()
    monkeypatch.setattr(connectivity, "CAPACITY_SIGMAS", -50.0)
    monkeypatch.setattr(connectivity, "SAMPLER_BLOCK", 37)
    rng = np.random.default_rng(7)
    small_pre, small_post = rule.pairs(n_pre, n_post, rng)
    np.testing.assert_array_equal(pre, small_pre)
    np.testing.assert_array_equal(post, small_post)
    assert rng.random() == after
    assert pre.dtype == np.int32
    assert post.dtype == np.int32


def test_spike_monitor_copy_has_fresh_empty_buffers():
    # the simulator deep-copies the network: empty chunk buffers are allocated anew (zero pages),
    # a monitor holding unflushed spikes is copied with them
    from neurosim.core.monitors import SpikeMonitor
    from neurosim.core.neurons import models

    monitor = SpikeMonitor(models()["lif"]("P", 10))
    clone = copy.deepcopy({"m": monitor, "p": monitor.population})
    assert clone["m"].population is clone["p"]
    assert clone["m"].buffer_ids is not monitor.buffer_ids
    assert not np.shares_memory(clone["m"].buffer_steps, monitor.buffer_steps)
    assert clone["m"].buffer_ids.shape == monitor.buffer_ids.shape
    assert clone["m"].buffer_steps.dtype == monitor.buffer_steps.dtype
    assert not clone["m"].buffer_ids.any()
    monitor.buffer_ids[:3], monitor.count[0] = (4, 5, 6), 3
    filled = copy.deepcopy(monitor)
    np.testing.assert_array_equal(filled.buffer_ids[:3], [4, 5, 6])
    assert filled.count is not monitor.count
