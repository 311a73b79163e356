"""HH gate tables (``gate_tables=True``): interpolated exponential-Euler gate propagators against
the exact ones, and the exact path against the tables in a squid neuron and a COBAHH network.

Bound of linear interpolation on a grid of step ``h``: ``|f - I f| <= h^2/8 max|f''|`` on each
interval (``f`` is one of ``x_inf(u)`` or ``exp(-(alpha+beta)(u) dt)``).
"""
import pathlib

import numba
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons.hh import (
    PARALLEL_MIN_NEURONS,
    TABLE_RANGE,
    TABLE_STEP,
    HHSquid,
    HHTraub,
    fill_gate_table,
    gate_propagators,
    table_gate_propagators,
)
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError
from neurosim.protocol import build, load

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
mV = ms = 1e-3
UA_CM2 = 1e-2


@numba.njit(cache=True)
def _evaluate(traub, u, dt, table, exact_out, table_out):
    for k in range(u.shape[0]):
        exact_out[k] = gate_propagators(traub, u[k], dt)
        table_out[k] = table_gate_propagators(table, TABLE_RANGE[0], 1.0 / TABLE_STEP, traub, u[k], dt)


def _table(traub, dt):
    rows = round((TABLE_RANGE[1] - TABLE_RANGE[0]) / TABLE_STEP) + 1
    table = np.empty((rows, 6))
    fill_gate_table(traub, TABLE_RANGE[0], TABLE_STEP, dt, table)
    return table


def _errors(traub, dt, u):
    table = _table(traub, dt)
    exact, interpolated = np.empty((len(u), 6)), np.empty((len(u), 6))
    _evaluate(traub, u, dt, table, exact, interpolated)
    return exact, interpolated


@pytest.mark.parametrize("traub", [False, True])
@pytest.mark.parametrize("dt", [0.01 * ms, 0.1 * ms])
def test_table_within_interpolation_bound(traub, dt):
    h = TABLE_STEP
    grid = TABLE_RANGE[0] + h * np.arange(round((TABLE_RANGE[1] - TABLE_RANGE[0]) / h))
    # On the grid: the exact values up to the rounding of the grid position (1e-12 relative).
    exact, interpolated = _errors(traub, dt, grid)
    np.testing.assert_allclose(interpolated, exact, rtol=1e-9, atol=1e-12)
    # Off the grid (midpoints, where the error peaks, and random points): within h^2/8 max|f''|,
    # f'' estimated per interval by central differences on a grid 10x finer (f is smooth, so the
    # estimate is accurate to O(h^2) relative; 1 % slack plus rounding covers that).
    fine_h = h / 10
    fine = TABLE_RANGE[0] + fine_h * np.arange(round((TABLE_RANGE[1] - TABLE_RANGE[0]) / fine_h) + 1)
    f_fine, _ = _errors(traub, dt, fine)
    second = np.abs(f_fine[2:] - 2 * f_fine[1:-1] + f_fine[:-2]) / fine_h**2
    per_interval = np.maximum.reduceat(second, np.arange(0, len(second), 10)[:len(grid)], axis=0)
    bound = h**2 / 8 * per_interval * 1.01 + 1e-14
    rng = np.random.default_rng(0)
    for offset in (0.5 * np.ones(len(grid)), rng.uniform(0.01, 0.99, len(grid))):
        exact, interpolated = _errors(traub, dt, grid + offset * h)
        assert np.all(np.abs(interpolated - exact) <= bound)
    # Overall: below 1e-6 (absolute; the values lie in [0, 1]) at h = 0.01 mV.
    assert (h**2 / 8 * second.max()) < 1e-6
    # Outside the table: the exact values, bit for bit.
    outside = np.array([TABLE_RANGE[0] - 1 * mV, TABLE_RANGE[1] + 1 * mV, TABLE_RANGE[1] + 50 * mV, -1.0, 1.0])
    exact, interpolated = _errors(traub, dt, outside)
    assert np.array_equal(exact, interpolated)


def _squid(densities, dt, gate_tables, dtype="float64"):
    net = Network(seed=0)
    pop = HHSquid("s", len(densities), gate_tables=gate_tables)
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
            *(f"network.populations.{name}.gate_tables={str(gate_tables).lower()}" for name in ("E", "I")),
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


@pytest.mark.slow  # compiles four parallel (prange) loops
def test_threads_give_identical_results():
    # The parallel (prange) update of large HH populations changes no result.
    n = 5 * PARALLEL_MIN_NEURONS // 4  # E (4/5 of n) reaches the parallel threshold
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread available")
    for tables in (False, True):
        one, two = (_cobahh(n, tables, threads, duration=0.05) for threads in (1, 2))
        for name in ("E", "I"):
            assert np.array_equal(one.spikes[name].node_ids, two.spikes[name].node_ids)
            assert np.array_equal(one.spikes[name].times, two.spikes[name].times)


def test_tables_need_exponential_euler():
    with pytest.raises(ParameterError, match=r"gate_tables = True.*rk4"):
        HHTraub("t", 1, method="rk4", gate_tables=True)
    with pytest.raises(ParameterError, match=r"gate_tables = 'yes'"):
        HHTraub("t", 1, gate_tables="yes")
