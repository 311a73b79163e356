"""HH with the generic ``tables`` over v (NEURON's ``TABLE``; the exponential-Euler gate
propagators interpolated, see tests/core/test_equation_tables.py for the mechanism): the exact
path against the tables in a squid neuron and a COBAHH network."""
import pathlib

import numba
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.simulator import Simulator
from neurosim.protocol import build, load

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
mV = ms = 1e-3
UA_CM2 = 1e-2
TABLES = {"v": {"min": "-150 mV", "max": "100 mV", "step": "0.01 mV"}}
PROTOCOL_TABLES = "{v: {min: -150 mV, max: 100 mV, step: 0.01 mV}}"


def _squid(densities, dt, gate_tables, dtype="float64"):
    net = Network(seed=0)
    pop = make_population("hh_squid", "s", len(densities), tables=TABLES if gate_tables else None)
    pop.params["i_offset"] = pop.current(np.asarray(densities) * UA_CM2)
    net.add(pop)
    net.record_spikes(pop)
    return Simulator(net, dt=dt, dtype=dtype).run(0.2).spikes["s"]


@pytest.mark.parametrize("dt", [0.01 * ms, 0.1 * ms])
def test_squid_spike_times_within_one_step(dt):
    # Single spike (3), onset (7) and tonic firing (10-50 uA/cm^2) over 200 ms: the same spikes,
    # each within one step of the exact path (measured: identical steps at both dt).
    densities = [3.0, 7.0, 10.0, 20.0, 50.0]
    exact, tables = _squid(densities, dt, False), _squid(densities, dt, True)
    for i in range(len(densities)):
        a, b = exact.of(i), tables.of(i)
        assert len(a) == len(b) > 0
        assert np.max(np.abs(a - b)) <= dt * 1.0001


def test_squid_tables_float32():
    # float32 state and tables: the gate error is then the float32 rounding (6e-8), still below one
    # step of spike-time shift over 200 ms at 10-50 uA/cm^2 (measured: identical or one step).
    densities = [10.0, 20.0, 50.0]
    exact, tables = _squid(densities, 0.025 * ms, False), _squid(densities, 0.025 * ms, True, "float32")
    for i in range(len(densities)):
        a, b = exact.of(i), tables.of(i)
        assert len(a) == len(b) > 0
        assert np.max(np.abs(a - b)) <= 0.025 * ms * 1.0001


def _cobahh(n, gate_tables, threads=1, duration=0.3, seed=3):
    """The shipped COBAHH protocol (Brian2's parameters) at ``n`` neurons with 80 synapses per neuron."""
    sets = [f"network.populations.E.n={n * 4 // 5}", f"network.populations.I.n={n // 5}",
            *(f"network.connections.{i}.rule.p={80 / n}" for i in range(4)),
            *(f"network.populations.{name}.tables={PROTOCOL_TABLES}" for name in ("E", "I") if gate_tables),
            f"threads={threads}", f"duration={duration} s", f"seed={seed}"]
    return build(load(ROOT / "protocols" / "cobahh.yaml", sets)).run(duration)


@pytest.mark.slow
def test_cobahh_rate_with_tables():
    # COBAHH (Brian2's parameters, 80 synapses per neuron) at 2000 neurons over 300 ms: mean rate
    # with tables within 2 % of the exact path. The network is chaotic, so the trajectories part;
    # the rate is a population statistic (measured: 0.1-0.5 % apart over seeds).
    n = 2000
    rates = [sum(len(s.times) for s in _cobahh(n, tables).spikes.values()) / (n * 0.3) for tables in (False, True)]
    assert rates[0] > 5
    assert abs(rates[1] - rates[0]) <= 0.02 * rates[0], rates


@pytest.mark.slow  # compiles two loops, one of them parallel (prange)
def test_threads_give_identical_results_with_tables():
    # The parallel (prange) update of large HH populations with tables changes no result (without
    # tables: the shipped protocol in tests/core/test_parallel_propagation.py).
    n = 1250  # E (1000) reaches the parallel threshold of an HH update (ten exp: PARALLEL_MIN_NEURONS / 10)
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread available")
    one, two = (_cobahh(n, True, threads, duration=0.05) for threads in (1, 2))
    for name in ("E", "I"):
        assert np.array_equal(one.spikes[name].node_ids, two.spikes[name].node_ids)
        assert np.array_equal(one.spikes[name].times, two.spikes[name].times)


def test_old_gate_tables_key_names_tables(tmp_path):
    # The hand-written option is gone: a protocol that still says gate_tables gets a located error
    # that names the generic option.
    from neurosim.errors import ProtocolError
    with pytest.raises(ProtocolError, match=r"populations\.E\.gate_tables: model 'hh_traub' has no option "
                                            r"'gate_tables'.*became the generic tables: \{v: "):
        load(ROOT / "protocols" / "cobahh.yaml", ["network.populations.E.gate_tables=true"])
