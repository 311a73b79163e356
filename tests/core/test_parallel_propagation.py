"""Threaded spike propagation: each projection runs whole on one thread or split, each thread
owning a contiguous range of its targets; either way results are bit-identical to the serial
kernels whatever the thread count (issue 19, item 2)."""
import os
import pathlib
import re

import numba
import numpy as np
import pytest

from neurosim.core import codegen, openmp
from neurosim.core import connectivity as conn
from neurosim.core.codegen import CodeWriter
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse
from neurosim.protocol.build import build
from neurosim.protocol.load import load

LIF = models()["lif"]  # the equation model neurosim/models/neurons/lif.yaml

PROTOCOLS = pathlib.Path(__file__).resolve().parents[2] / "protocols"

pytestmark = [pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="one thread available"),
              pytest.mark.si_floats]


@pytest.fixture
def thread_everything(monkeypatch):
    """Thread every loop and every projection, whatever its size, so small networks take the
    threaded paths."""
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_TARGETS", 1)


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
    assert "for _b in numba.prange(" not in serial.source
    assert threaded.source.count("for _b in numba.prange(2):") == 1  # one region for the 4 projections
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


def _writers(source):
    """Each array the propagation lines write (``pop_z[row]``, ``pop_ring``, ``pop_v``) -> the
    branches of the parallel region that write it ("split": every thread, else ``if _b == t``):
    two would race."""
    writers, branch = {}, None
    for line in source.splitlines():
        if line.strip().startswith("for _b in numba.prange("):
            branch = "split"
        elif line.strip().startswith("if _b == "):
            branch = line.strip()
        elif branch and not line.startswith(" " * 12):
            branch = None
        elif branch and "propagate" in line and not line.strip().startswith("#"):
            target = re.search(r"(pop_z\[\d+\]|pop_ring|pop_v)", line.split("_weights, ")[1]).group(1)
            writers.setdefault(target, set()).add(branch)
    assert writers
    return writers


def _delay():
    return Uniform(0.1e-3, 2e-3)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::neurosim.errors.TimeGridWarning")
@pytest.mark.parametrize("split_all", [True, False])
def test_every_kernel_one_and_two_threads_bit_identical(thread_everything, monkeypatch, split_all):
    # split_all: with rows free (ROW_COST 0) the schedule splits every group, so every kernel runs
    # on blocks; else the 3 groups (ring, z row, v) are scheduled, some whole on one thread
    if split_all:
        monkeypatch.setattr(codegen, "ROW_COST", 0.0)
    serial, one = _mixed(1)
    threaded, two = _mixed(2)
    for kernel in ("propagate", "propagate_now", "propagate_jumps_now"):
        for pre, counts in (("pop", "no_counts"), ("src", "src_counts")):
            assert f"{kernel}({pre}_spikes, {counts}, " in serial.source
    assert serial.source.count(", 0, 1)") == 6
    assert threaded.source.count(", _b, 2)") == (6 if split_all else 6 - threaded.source.count(", 0, 1)"))
    assert split_all or "if _b == " in threaded.source
    assert all(len(branches) == 1 for branches in _writers(threaded.source).values())
    _assert_identical(one, two, ["pop"])
    np.testing.assert_array_equal(one.states["pop"]["v"].data, two.states["pop"]["v"].data)


@pytest.mark.parametrize("blocks", [2, 5, 37])
@pytest.mark.parametrize("counted", [False, True])
def test_blocks_of_a_kernel_equal_the_whole_for_any_block_count(blocks, counted):
    # The kernel alone, on random rows and spikes: its blocks together give the same bits as one
    # call for all targets, whatever the number of blocks (threads); in particular for targets on
    # the block boundaries.
    rng = np.random.default_rng(3)
    n_pre, n_post = 50, 37
    pre, post = conn.FixedProbability(0.3).pairs(n_pre, n_post, rng)
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre), out=indptr[1:])
    weights = rng.normal(size=len(post))
    spikes = rng.permutation(n_pre)[:30].astype(np.int32)
    counts = rng.integers(1, 4, len(spikes)).astype(np.int32) if counted else np.zeros(0, np.int32)
    serial, threaded = np.zeros((1, 1, n_post)), np.zeros((1, 1, n_post))
    no_delays = np.zeros(0, np.uint16)
    whole, splits = conn.row_splits(indptr, post, n_post, 1), conn.row_splits(indptr, post, n_post, blocks)
    conn.propagate(spikes, counts, len(spikes), indptr, whole, post, weights, no_delays, 0, serial, 0, 0, 0, 1)
    for block in range(blocks):
        conn.propagate(spikes, counts, len(spikes), indptr, splits, post, weights, no_delays, 0, threaded, 0, 0,
                       block, blocks)
    assert np.any(serial != 0)
    np.testing.assert_array_equal(serial, threaded)
    now, now_blocks = np.zeros(n_post), np.zeros(n_post)
    conn.propagate_now(spikes, counts, len(spikes), indptr, whole, post, weights, now, 0.5, 0, 1)
    for block in range(blocks):
        conn.propagate_now(spikes, counts, len(spikes), indptr, splits, post, weights, now_blocks, 0.5, block,
                           blocks)
    np.testing.assert_array_equal(now, now_blocks)
    np.testing.assert_array_equal(now, 0.5 * serial[0, 0])  # 0.5 is a power of two: exact


def test_idle_openmp_threads_spin_briefly_then_sleep_unless_the_user_chose(monkeypatch):
    # libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT when the first run loads it: the run sets
    # "passive" and a spin of about 30 us before (unbounded spinning took 16-115x the CPU on a
    # loaded machine; sleeping at once cost a kernel wake-up per parallel region); a user's
    # value of either is kept, and then neurosim sets nothing
    net = Network(seed=1)
    pop = net.add(LIF("pop", 10))
    net.record_spikes(pop)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    Simulator(net, dt="0.1 ms").run("1 ms")
    assert os.environ["OMP_WAIT_POLICY"] == "passive"
    assert os.environ["GOMP_SPINCOUNT"] == str(openmp.spin_count(openmp.pause_seconds()))
    for chosen in ({"OMP_WAIT_POLICY": "active"}, {"GOMP_SPINCOUNT": "5"}):
        monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
        monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
        for key, value in chosen.items():
            monkeypatch.setenv(key, value)
        Simulator(net, dt="0.1 ms").run("1 ms")
        assert {key: os.environ.get(key) for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")} \
            == {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": None, **chosen}


def test_spin_count_is_the_spin_time_over_the_time_of_one_pause():
    # 30 us of spinning: 1200 pauses of 25 ns (Intel's ~140 cycles), 30 000 of 1 ns; at least 1;
    # the fixed fallback where a pause cannot be timed
    assert openmp.spin_count(25e-9) == round(openmp.SPIN_SECONDS / 25e-9) == 1200
    assert openmp.spin_count(1e-9) == 30_000
    assert openmp.spin_count(1.0) == 1
    assert openmp.spin_count(None) == openmp.FALLBACK_SPINS
    pause = openmp.pause_seconds()
    if pause is not None:  # x86: a pause takes between 0.1 ns and 1 us on any processor
        assert 1e-10 < pause < 1e-6
