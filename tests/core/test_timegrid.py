"""``core.timegrid.to_steps`` against Brian2 2.9's own conversion code, and its warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.simulator import Simulator
from neurosim.core.timegrid import to_steps
from neurosim.errors import ParameterError, TimeGridWarning

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DTS = [1e-4, 2.5e-5, 2.0**-13, 0.3e-3]


def times(dt):
    """Multiples of dt computed in floating point, and values on and around half steps."""
    k = np.arange(0, 400)
    return np.concatenate([k * dt, (k + 0.5) * dt, (k + 0.37) * dt, (k + 0.63) * dt, k * 1e-5, k * 1.7e-4])


@pytest.mark.parametrize("dt", DTS)
def test_spike_times_and_refractory_periods_follow_brian2_timestep(dt):
    timestep = pytest.importorskip("brian2.core.functions").timestep  # used by SpikeGeneratorGroup and refractoriness
    values = times(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TimeGridWarning)
        np.testing.assert_array_equal(to_steps(values, dt, "spike_time", "t"), timestep(values, dt))
        np.testing.assert_array_equal(to_steps(values, dt, "refractory", "t"), timestep(values, dt))
        # Brian2's SpikeGeneratorGroup.before_run (int32 of shifted times over dt)
        np.testing.assert_array_equal(to_steps(values, dt, "spike_time", "t"),
                                      np.asarray((values + 1e-3 * dt) / dt, dtype=np.int32))


@pytest.mark.parametrize("dt", DTS)
def test_delays_follow_brian2_spike_queue(dt):
    """The C++ queue of Brian2's runtime targets rounds ``(int)(delay / dt + 0.5)``."""
    queue = pytest.importorskip("brian2.synapses.cythonspikequeue").SpikeQueue(0, 1)
    values = times(dt)
    queue.prepare(values, dt, np.zeros(len(values), np.int32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TimeGridWarning)
        steps = to_steps(values, dt, "delay", "d")
    assert steps.max() > 100
    # the queue stores each synapse's spike at its delay: push one spike and read back the offsets
    queue.push(np.array([0], np.int32))
    seen = np.full(len(values), -1)
    for offset in range(int(steps.max()) + 1):
        seen[queue.peek()] = offset
        queue.advance()
    np.testing.assert_array_equal(seen, steps)


def test_half_steps_round_up_for_delays_and_down_for_times():
    dt = 2.0**-13  # halves of this step are exact in binary
    cases = [(2.5, "delay", 3), (4.5, "delay", 5), (2.5, "spike_time", 2), (2.99, "refractory", 2)]
    for value, rule, expected in cases:
        with pytest.warns(TimeGridWarning):
            steps = to_steps(value * dt, dt, rule, "x")
        assert steps == expected, (value, rule)


def test_durations_follow_brian2_clock():
    dt = 1e-4
    assert to_steps(0.3, dt, "duration", "T") == 3000  # 0.3 / 1e-4 = 2999.9999999999995
    with pytest.warns(TimeGridWarning, match=r"run = 0.00025 s: it is not a multiple of dt = 0.0001 s; "
                                             r"0.00025 s became 3 steps"):
        assert to_steps(0.25e-3, dt, "duration", "run") == 3  # Brian2 rounds up off-grid ends
    with pytest.warns(TimeGridWarning):
        assert to_steps(1e-4 + 1e-9, dt, "duration", "run") == 1  # within 1e-4 dt: nearest


def test_warning_names_the_parameter_value_and_steps_and_can_be_silenced():
    with pytest.warns(TimeGridWarning, match=r"population 'p': tau_refrac = 0.00207 s: 2 of 3 values are not a "
                                             r"multiple of dt = 0.0001 s; 0.00207 s became 20 steps"):
        to_steps(np.array([2e-3, 2.07e-3, 1.55e-3]), 1e-4, "refractory", "population 'p': tau_refrac")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=TimeGridWarning)
        to_steps(2.07e-3, 1e-4, "refractory", "x")
        assert to_steps(np.arange(50) * 1e-4, 1e-4, "delay", "on the grid").tolist() == list(range(50))
    with pytest.raises(ParameterError, match="time grid rule"):
        to_steps(1.0, 1e-4, "nearest", "x")


def test_hh_refractory_period_uses_the_rule():
    net = Network()
    net.add(make_population("hh_squid", "h", 2, params={"tau_refrac": [2.07e-3, 2e-3]}))
    with pytest.warns(TimeGridWarning, match="population 'h': tau_refrac"):
        sim = Simulator(net, dt=1e-4)
    np.testing.assert_allclose(sim.population("h").ref_time, [20e-4, 20e-4], rtol=1e-12)
