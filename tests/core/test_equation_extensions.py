"""Equation-language features the HH models needed (issue 14): derived parameter defaults,
``before(x)`` in thresholds (upward crossings), initial values from other states, ``max_dt``."""
import numpy as np
import pytest

import neurosim
from neurosim.core.distributions import Normal, Uniform
from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.neurons.equation import Model
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.errors import ParameterError

LEAK = "dv/dt = (E_L - v)/tau + I/C : volt"


def leak(**kwargs):
    options = {"parameters": {"E_L": "-65 mV", "tau": "10 ms", "C": "100 pF", "v_thresh": "-50 mV"},
               "inputs": {"I": "amp"}, "initial": {"v": "E_L"}}
    options.update(kwargs)
    return Model("leak_test", LEAK, **options).population_class()


def test_derived_default_follows_the_parameters_it_names():
    # C = c_density * area: 1 uF/cm^2 on 10 000 um^2 is 100 pF; on 20 000 um^2 200 pF; given, as given.
    cls = leak(parameters={"E_L": "-65 mV", "tau": "10 ms", "area": "10000 um^2",
                           "C": {"value": "1*uF/cm2*area", "constraint": "positive"}, "v_thresh": "-50 mV"})
    assert cls.param_spec["C"].default == pytest.approx(100e-12, rel=1e-12)
    with neurosim.units.si_floats():
        assert cls("p", 2, params={"area": "20000 um^2"}).params["C"] == pytest.approx([200e-12] * 2, rel=1e-12)
        per_neuron = cls("p", 2, params={"area": ["10000 um^2", "30000 um^2"]}).params["C"]
        assert per_neuron == pytest.approx([100e-12, 300e-12], rel=1e-12)
        assert cls("p", 1, params={"area": "20000 um^2", "C": "50 pF"}).params["C"][0] == pytest.approx(50e-12)


def test_derived_default_errors():
    base = {"E_L": "-65 mV", "tau": "10 ms", "v_thresh": "-50 mV"}
    with pytest.raises(ParameterError, match=r"parameters\.C.*cycle \(C, D\)"):
        leak(parameters={**base, "C": "D*1", "D": "C*1"})
    with pytest.raises(ParameterError, match=r"right-hand side has dimension .* but dv/dt|dimension"):
        leak(parameters={**base, "area": "1 um^2", "C": "1*uF*area"})  # F m^2, not F
    with pytest.raises(ParameterError, match=r"parameters\.C.*violates its constraint"):
        leak(parameters={**base, "area": "1 um^2", "C": {"value": "-1*uF/cm2*area", "constraint": "positive"}})


def _crossing_run(threshold, refractory, current):
    """One leaky neuron driven to a steady v above v_thresh (depolarisation block of a model
    without a reset): returns its spike times."""
    cls = leak(threshold=threshold, refractory=refractory)
    net = Network(seed=0)
    pop = net.add(cls("p", 1))
    net.add(Constant(pop, current))
    net.record_spikes(pop)
    return Simulator(net, dt="0.1 ms").run("100 ms").spikes["p"].times


def test_before_gives_an_upward_crossing():
    # 0.3 nA into 100 pF / 10 ms holds v at -65 + 30 = -35 mV > v_thresh: the level threshold with a
    # 2 ms refractory period spikes every 2 ms once above, the upward crossing exactly once (at the
    # step where v passes -50 mV: t = -tau ln(1 - 15/30) = 6.93 ms, the end of step 70).
    level = _crossing_run("v > v_thresh", "2*ms", "0.3 nA")
    crossing = _crossing_run("before(v) <= v_thresh and v > v_thresh", "2*ms", "0.3 nA")
    assert len(crossing) == 1
    assert crossing[0] == pytest.approx(6.9e-3, abs=1e-9)  # spike times are step starts
    assert len(level) > 40


def test_before_is_refused_outside_thresholds_and_for_non_states():
    with pytest.raises(ParameterError, match=r"before\(x\) is allowed in a threshold only"):
        Model("bad", "dv/dt = (before(v) - v)/tau : volt", parameters={"tau": "10 ms"})
    with pytest.raises(ParameterError, match=r"before\(\) takes a state variable, one of v"):
        leak(threshold="before(tau) > 0*ms")


def test_initial_values_from_other_states_in_dependency_order():
    # u starts at v's (drawn) value, w at twice u: evaluated after v whatever the order written.
    model = Model("chain", "dw/dt = -w/tau : volt\ndu/dt = -u/tau : volt\ndv/dt = -v/tau : volt",
                  parameters={"tau": "10 ms"}, initial={"w": "2*u", "u": "v", "v": "-70 mV"})
    assert model.initial_order() == ["v", "u", "w"]
    cls = model.population_class()
    net = Network(seed=1)
    net.add(cls("p", 3, initial={"v": Uniform(-80e-3, -60e-3)}))  # distributions take SI values
    sim = Simulator(net, dt="0.1 ms")
    state = sim.population("p").state
    assert np.ptp(state["v"]) > 0
    np.testing.assert_array_equal(state["u"], state["v"])
    np.testing.assert_array_equal(state["w"], 2 * state["v"])
    with pytest.raises(ParameterError, match=r"initial values depend on each other in a cycle"):
        Model("cyc", "du/dt = -u/tau : volt\ndv/dt = -v/tau : volt", parameters={"tau": "10 ms"},
              initial={"u": "v", "v": "u"})
    with pytest.raises(ParameterError, match=r"initial\.v.*parameters and other state variables only, not I"):
        leak(initial={"v": "E_L + I*tau/C"})


def test_hh_gates_start_at_steady_state_of_the_drawn_v():
    # hh_traub's m: alpha_m/(alpha_m + beta_m) at each neuron's own initial v.
    net = Network(seed=2)
    net.add(make_population("hh_traub", "t", 4, initial={"v": Normal(-65e-3, 5e-3)}))
    pop = Simulator(net, dt="0.1 ms").population("t")
    u = (pop.state["v"] + 63e-3) * 1e3
    am = 1.28 / (np.expm1((13 - u) / 4) / ((13 - u) / 4))
    bm = 1.4 / (np.expm1((u - 40) / 5) / ((u - 40) / 5))
    np.testing.assert_allclose(pop.state["m"], am / (am + bm), rtol=1e-12)


def test_max_dt_refuses_larger_steps():
    cls = leak(max_dt={"exponential_euler": "0.2 ms", "euler": "0.05 ms"})
    for method, dt, bound in (("exponential_euler", "0.25 ms", "0.2 ms"), ("euler", "0.1 ms", "0.05 ms")):
        net = Network()
        net.add(cls("p", 1, method=method))
        with pytest.raises(ParameterError, match=rf"model 'leak_test'.*method {method}\): dt .*<= {bound}"):
            Simulator(net, dt=dt)
    net = Network()
    net.add(cls("p", 1, method="exponential_euler"))
    Simulator(net, dt="0.2 ms")  # at the bound: accepted
    with pytest.raises(ParameterError, match=r"max_dt\.rk5.*did you mean 'rk4'"):
        leak(max_dt={"rk5": "0.1 ms"})
    with pytest.raises(ParameterError, match=r"max_dt\.euler.*positive duration"):
        leak(max_dt={"euler": "0.1 mV"})


def test_current_density_needs_an_area():
    with neurosim.units.si_floats():
        assert make_population("hh_squid", "s", 1).current("1 uA/cm^2")[0] == pytest.approx(100e-12, rel=1e-12)
        with pytest.raises(ParameterError, match=r"an 'area' parameter \(model 'leak_test' has none\)"):
            leak()("p", 1).current("1 uA/cm^2")
