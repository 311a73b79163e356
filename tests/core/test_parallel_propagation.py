"""Threaded spike propagation: each thread owns a contiguous range of target neurons, so results
are bit-identical to the serial kernels whatever the thread count (issue 19, item 2)."""
import pathlib

import numba
import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.codegen import CodeWriter
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons import hh
from neurosim.core.neurons.lif import LIF
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.protocol.build import build
from neurosim.protocol.load import load

PROTOCOLS = pathlib.Path(__file__).resolve().parents[2] / "protocols"

pytestmark = [pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="one thread available"),
              pytest.mark.si_floats]


@pytest.fixture
def thread_everything(monkeypatch):
    """Thread every loop and every projection, whatever its size, so small networks take the
    threaded paths."""
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_TARGETS", 1)
    monkeypatch.setattr(hh, "PARALLEL_MIN_NEURONS", 1)


def _protocol_run(name, threads, duration="0.1 s"):
    simulator = build(load(PROTOCOLS / f"{name}.yaml", sets=[f"threads={threads}", f"duration={duration}"]))
    return simulator, simulator.run(load(PROTOCOLS / f"{name}.yaml", sets=[f"duration={duration}"]).spec.duration)


def _assert_identical(one, two, populations):
    for name in populations:
        assert len(one.spikes[name].times) > 20
        np.testing.assert_array_equal(one.spikes[name].node_ids, two.spikes[name].node_ids)
        np.testing.assert_array_equal(one.spikes[name].times, two.spikes[name].times)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cuba", "cobahh"])
def test_shipped_protocol_one_and_two_threads_bit_identical(thread_everything, name):
    # The shipped CUBA (current LIF, delays of one step) and COBAHH (conductance Traub HH) networks.
    serial, one = _protocol_run(name, 1)
    threaded, two = _protocol_run(name, 2)
    assert "_threaded(" not in serial.source
    assert "_threaded(" in threaded.source
    _assert_identical(one, two, ["E", "I"])
    np.testing.assert_array_equal(one.states["E"]["v"].data, two.states["E"]["v"].data)


def _mixed(threads):
    """Every propagation kernel: heterogeneous delays (ring), zero delays (straight into z), delta
    receptors (jumps), and a Poisson source (spike counts) on each path."""
    net = Network(seed=7)
    src = net.add(PoissonSource("src", 300, rate=40.0))
    receptors = {"e": Synapse(tau=3e-3), "j": Synapse(kind="delta")}
    pop = net.add(LIF("pop", 1001, params={"v_thresh": -64.5e-3, "tau_refrac": 2e-3}, receptors=receptors))
    pop_rule = conn.FixedProbability(0.05)
    net.add(conn.Projection(pop, pop, "e", rule=pop_rule, weight=0.05e-9, delay=_delay(), name="ring"))
    net.add(conn.Projection(pop, pop, "e", rule=pop_rule, weight=0.04e-9, name="now"))
    net.add(conn.Projection(pop, pop, "j", rule=pop_rule, weight=0.02e-3, name="jumps"))
    net.add(conn.Projection(src, pop, "e", rule=conn.FixedIndegree(20), weight=0.3e-9, delay=_delay(),
                            name="src_ring"))
    net.add(conn.Projection(src, pop, "e", rule=conn.FixedIndegree(10), weight=0.2e-9, name="src_now"))
    net.add(conn.Projection(src, pop, "j", rule=conn.FixedIndegree(10), weight=0.05e-3, name="src_jumps"))
    net.record_spikes(pop)
    net.record_state(pop, "v", neurons=[0, 500, 1000])
    simulator = Simulator(net, dt=1e-4, threads=threads)
    return simulator, simulator.run(0.1)


def _delay():
    return Uniform(0.1e-3, 2e-3)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::neurosim.errors.TimeGridWarning")
def test_every_kernel_one_and_two_threads_bit_identical(thread_everything):
    serial, one = _mixed(1)
    threaded, two = _mixed(2)
    for kernel in ("propagate", "propagate_now", "propagate_jumps_now", "propagate_counts",
                   "propagate_now_counts", "propagate_jumps_now_counts"):
        assert f"{kernel}_threaded(" in threaded.source
        assert f"{kernel}(" in serial.source
    _assert_identical(one, two, ["pop"])
    np.testing.assert_array_equal(one.states["pop"]["v"].data, two.states["pop"]["v"].data)


@pytest.mark.parametrize("blocks", [1, 2, 5, 37])
def test_threaded_kernel_equals_serial_for_any_block_count(blocks):
    # The kernel alone, on random rows and spikes: the same bits as the serial kernel, whatever
    # the number of blocks (threads); in particular for targets on the block boundaries.
    rng = np.random.default_rng(3)
    n_pre, n_post = 50, 37
    pre, post = conn.FixedProbability(0.3).pairs(n_pre, n_post, rng)
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
    weights = rng.normal(size=len(post))
    spikes = rng.permutation(n_pre)[:30].astype(np.int32)
    serial, threaded = np.zeros((1, 1, n_post)), np.zeros((1, 1, n_post))
    conn.propagate(spikes, len(spikes), indptr, post, weights, np.zeros(0, np.uint16), 0, serial, 0, 0)
    conn.propagate_threaded(spikes, len(spikes), indptr, post, weights, np.zeros(0, np.uint16), 0, threaded, 0, 0,
                            blocks)
    assert np.any(serial != 0)
    np.testing.assert_array_equal(serial, threaded)
