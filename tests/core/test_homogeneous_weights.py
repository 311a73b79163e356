"""A scalar weight is stored once (a read-only stride-0 view, one element per synapse): the same
bits as an array of equal weights, at 4.2 instead of 12.2 B per synapse (issue 19, item 4)."""
import numba
import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.codegen import CodeWriter
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml
pytestmark = pytest.mark.si_floats  # the array-weight twin passes SI floats on purpose (tests/conftest.py)

# (name, pre, receptor, rule, weight, delay): every propagation kernel (ring buffer with
# heterogeneous delays, straight into z, delta jumps; one-spike and Poisson-count sources);
# distributions take SI values (s, A)
PROJECTIONS = [("ring", "pop", "e", conn.FixedProbability(0.05), "0.05 nA", Uniform(0.1e-3, 2e-3)),
               ("now", "pop", "e", conn.FixedProbability(0.05), "0.04 nA", "0 ms"),
               ("jumps", "pop", "j", conn.FixedProbability(0.05), "0.02 mV", "0 ms"),
               ("src_ring", "src", "e", conn.FixedIndegree(20), "0.3 nA", Uniform(0.1e-3, 2e-3)),
               ("src_now", "src", "e", conn.FixedIndegree(10), "-0.2 nA", "0 ms"),
               ("src_jumps", "src", "j", conn.FixedIndegree(10), "0.05 mV", "0 ms")]


def _network(weights=None):
    """The network with scalar weights, or with ``weights[name]`` (SI arrays) in their place."""
    net = Network(seed=7)
    src = net.add(PoissonSource("src", 300, rate="40 Hz"))
    pop = net.add(LIF("pop", 1001, params={"v_thresh": "-64.5 mV", "tau_refrac": "2 ms"},
                      receptors={"e": Synapse(tau="3 ms"), "j": Synapse(kind="delta")}))
    ends = {"pop": pop, "src": src}
    for name, pre, receptor, rule, weight, delay in PROJECTIONS:
        weight = weight if weights is None else weights[name]
        net.add(conn.Projection(ends[pre], pop, receptor, rule=rule, weight=weight, delay=delay, name=name))
    net.record_spikes(pop)
    net.record_state(pop, "v", neurons=[0, 500, 1000])
    return net


@pytest.fixture
def thread_everything(monkeypatch):
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_TARGETS", 1)


def _run(net, threads):
    simulator = Simulator(net, dt="0.1 ms", threads=threads)
    return simulator, simulator.run("100 ms")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::neurosim.errors.TimeGridWarning")
@pytest.mark.parametrize("threads", [1, 2])
def test_scalar_weight_runs_bit_identical_to_an_array_of_equal_weights(thread_everything, threads):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("one thread available")
    scalar, one = _run(_network(), threads)
    built = {p.name: p for p in scalar.network.projections}
    # scalar and array weights draw nothing: the second build has the same synapses
    arrays = {name: np.full(p.n_synapses, float(p.weight)) for name, p in built.items()}
    per_synapse, two = _run(_network(arrays), threads)
    for p in per_synapse.network.projections:
        assert not conn.homogeneous(p.weights)
        assert conn.homogeneous(built[p.name].weights)
        np.testing.assert_array_equal(built[p.name].indices, p.indices)
        np.testing.assert_array_equal(built[p.name].weights, p.weights)  # readers see one value per synapse
        assert built[p.name].nbytes() == p.nbytes() - p.weights.nbytes + 8
    assert len(one.spikes["pop"].times) > 100
    np.testing.assert_array_equal(one.spikes["pop"].node_ids, two.spikes["pop"].node_ids)
    np.testing.assert_array_equal(one.spikes["pop"].times, two.spikes["pop"].times)
    np.testing.assert_array_equal(one.states["pop"]["v"].data, two.states["pop"]["v"].data)


def test_homogeneous_weights_are_read_only_views_of_one_value():
    pre = LIF("pre", 40)
    post = LIF("post", 30, receptors={"exc": Synapse(tau="5 ms")})
    projection = conn.Projection(pre, post, "exc", rule=conn.FixedProbability(0.5), weight="0.1 nA")
    projection.build(1e-4, np.random.default_rng(1))
    weights = projection.weights
    assert conn.homogeneous(weights)
    assert weights.shape == (projection.n_synapses,)
    assert not weights.flags.writeable
    assert np.all(weights == projection.weight)
    assert projection.weight == pytest.approx(0.1e-9, rel=1e-15)
    heterogeneous = conn.Projection(pre, post, "exc", rule=conn.FixedProbability(0.5), weight=Uniform(0.0, 1e-9))
    heterogeneous.build(1e-4, np.random.default_rng(1))
    assert not conn.homogeneous(heterogeneous.weights)


def test_checkpoint_of_homogeneous_weights_restores(tmp_path):
    simulator, _ = Simulator(_network(), dt="0.1 ms"), None
    simulator.run("20 ms")
    simulator.checkpoint(tmp_path / "run.npz")
    rest = simulator.run("30 ms")
    restored = Simulator(_network(), dt="0.1 ms").restore(tmp_path / "run.npz")
    again = restored.run("30 ms")
    np.testing.assert_array_equal(rest.spikes["pop"].times, again.spikes["pop"].times)
    np.testing.assert_array_equal(rest.spikes["pop"].node_ids, again.spikes["pop"].node_ids)
