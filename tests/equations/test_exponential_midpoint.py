"""The exponential midpoint rule (``exponential_midpoint``): second order on a conditionally linear
system, against scipy's solve_ivp; exact on a linear decay; holds refractory states."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurosim.core.network import Network
from neurosim.core.neurons.equation import Model, register
from neurosim.core.simulator import Simulator
from neurosim.equations.integrate import choose

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

# each equation linear in its own variable, the coupling nonlinear (as HH gates and membrane)
CL = Model("cl_pair", """
dv/dt = (-(1 + x**2)*v + 0.8)/tau : 1
dx/dt = (v - (1 + v**2)*x)/tau_x : 1
""", parameters={"tau": "2 ms", "tau_x": "5 ms"}, initial={"v": -1.0, "x": 0.5})


def _reference(t):
    def f(_, y):
        v, x = y
        return [(-(1 + x * x) * v + 0.8) / 2e-3, (v - (1 + v * v) * x) / 5e-3]
    return solve_ivp(f, (0, t[-1]), [-1.0, 0.5], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-13).y


def _run(method, dt, duration=0.02):
    register(CL, replace=True)
    net = Network(seed=1)
    pop = net.add_population("P", 1, "cl_pair", method=method)
    net.record_state(pop, "v")
    net.record_state(pop, "x")
    result = Simulator(net, dt=dt).run(duration)
    assert pop.method == method
    v, x = result.states["P"]["v"].data[:, 0], result.states["P"]["x"].data[:, 0]
    ref = _reference(np.arange(len(v)) * dt)
    return max(np.max(np.abs(v - ref[0])), np.max(np.abs(x - ref[1])))


def test_exponential_midpoint_is_second_order_and_beats_exponential_euler():
    midpoint = [_run("exponential_midpoint", dt) for dt in (2e-4, 1e-4)]
    euler = [_run("exponential_euler", dt) for dt in (2e-4, 1e-4)]
    assert 3.2 < midpoint[0] / midpoint[1] < 4.8, midpoint  # second order: error / 4 per halving
    assert 1.6 < euler[0] / euler[1] < 2.4, euler           # first order
    assert midpoint[1] < euler[1] / 10


def test_linear_decay_is_exact():
    register(Model("decay", "dv/dt = -v/tau : 1", parameters={"tau": "3 ms"}, initial={"v": 1.0}), replace=True)
    net = Network(seed=1)
    pop = net.add_population("D", 1, "decay", method="exponential_midpoint")
    net.record_state(pop, "v")
    v = Simulator(net, dt=1e-4).run(0.01).states["D"]["v"].data[:, 0]
    np.testing.assert_allclose(v, np.exp(-np.arange(len(v)) * 1e-4 / 3e-3), rtol=1e-13)


def test_refused_for_systems_not_conditionally_linear():
    from neurosim.equations.parse import EquationError
    model = Model("cubic", "dv/dt = (v - v**3)/tau : 1", parameters={"tau": "1 ms"})
    with pytest.raises(EquationError, match=r"exponential_midpoint.*not linear in 'v'"):
        choose(model.system, "exponential_midpoint")


def test_refractory_states_are_held():
    register(Model("lif_mid", """dv/dt = (v_rest - v + 30*mV)/tau : volt (unless refractory)""",
                   parameters={"tau": "10 ms", "v_rest": "-65 mV"}, initial={"v": "-65 mV"},
                   threshold="v > -50*mV", reset="v = -70*mV", refractory="2*ms"), replace=True)
    net = Network(seed=1)
    pop = net.add_population("L", 1, "lif_mid", method="exponential_midpoint")
    net.record_state(pop, "v")
    net.record_spikes(pop)
    result = Simulator(net, dt=1e-4).run(0.05)
    v, first = result.states["L"]["v"].data[:, 0], round(result.spikes["L"].times[0] / 1e-4)
    assert len(result.spikes["L"].times) >= 2
    np.testing.assert_array_equal(v[first + 1:first + 21], -70e-3)  # 2 ms clamped at the reset
    assert v[first + 22] > -70e-3
