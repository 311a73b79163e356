"""The Python API's one unit rule, at every entry point of the core, coding and learning layers:
a unit string or pint quantity is converted to SI, a bare number for a dimensional argument is an
error naming the argument and its unit (0 and infinity excepted), and inside
``neurosim.units.si_floats()`` bare numbers are SI."""
from __future__ import annotations

import numpy as np
import pytest

import neurosim as ns
from neurosim.coding import Model
from neurosim.coding.connection import Connection
from neurosim.coding.dynamics import integrator
from neurosim.coding.ensemble import Ensemble
from neurosim.learning.hopfield import Hopfield

pytestmark = pytest.mark.usefixtures("strict_units")


def _net():
    net = ns.Network(seed=1)
    pre = net.add_population("input", 3, "poisson", rate="10 Hz")
    post = net.add_population("E", 3, "lif", receptors={"exc": ns.Synapse(tau="5 ms"),
                                                         "d": ns.Synapse(kind="delta")})
    return net, pre, post


# (call with the value, the argument's name in the error, a unit string, its SI value, how to read it back)
ENTRY_POINTS = {
    "add_population params": (lambda v: _net()[0].add_population("P", 2, "lif", params={"tau_m": v}),
                              "tau_m", "20 ms", 0.02, lambda p: p.params["tau_m"][0]),
    "add_population initial": (lambda v: _net()[0].add_population("P", 2, "lif", initial={"v": v}),
                               "initial v", "-60 mV", -0.06, lambda p: p.initial["v"]),
    "poisson rate": (lambda v: _net()[0].add_population("P", 2, "poisson", rate=v),
                     "rate", "5 Hz", 5.0, lambda p: p.rate[0]),
    "spike_source times": (lambda v: _net()[0].add_population("P", 1, "spike_source", indices=[0], times=[v]),
                           "times", "3 ms", 0.003, lambda p: p.times[0]),
    "Synapse tau": (lambda v: ns.Synapse("exponential", tau=v), "synapse tau", "5 ms", 5e-3, lambda s: s.tau),
    "Synapse tau_rise": (lambda v: ns.Synapse("exp2", tau="5 ms", tau_rise=v), "synapse tau_rise", "1 ms", 1e-3,
                         lambda s: s.tau_rise),
    "Synapse e_rev": (lambda v: ns.Synapse(kind="conductance", e_rev=v), "synapse e_rev", "-80 mV", -0.08,
                      lambda s: s.e_rev),
    "connect weight": (lambda v: (lambda n: n[0].connect(n[1], n[2], receptor="exc", weight=v))(_net()),
                       "weight", "0.5 nA", 0.5e-9, lambda c: c.weight),
    "connect delta weight": (lambda v: (lambda n: n[0].connect(n[1], n[2], receptor="d", weight=v))(_net()),
                             "weight", "0.1 mV", 1e-4, lambda c: c.weight),
    "connect delay": (lambda v: (lambda n: n[0].connect(n[1], n[2], receptor="exc", weight="1 nA", delay=v))(_net()),
                      "delay", "1.5 ms", 1.5e-3, lambda c: c.delay),
    "Simulator dt": (lambda v: ns.Simulator(_net()[0], dt=v), "dt", "0.1 ms", 1e-4, lambda s: s.dt),
    "Constant amplitude": (lambda v: ns.Constant(_net()[2], amplitude=v), "amplitude", "0.5 nA", 0.5e-9,
                           lambda s: s.amplitude[0]),
    "Constant stop": (lambda v: ns.Constant(_net()[2], amplitude="1 nA", stop=v), "stop", "420 ms", 0.42,
                      lambda s: s.stop),
    "Step times": (lambda v: ns.Step(_net()[2], times=[v], amplitudes=["1 nA"]), "times", "10 ms", 0.01,
                   lambda s: s.times[0]),
    "Ramp start": (lambda v: ns.Ramp(_net()[2], "0 nA", "1 nA", v, "1 s"), "start", "100 ms", 0.1,
                   lambda s: s.start),
    "Sine frequency": (lambda v: ns.Sine(_net()[2], "1 nA", v), "frequency", "10 Hz", 10.0, lambda s: s.frequency),
    "TimeSeries values": (lambda v: ns.TimeSeries(_net()[2], [v, v], "1 ms"), "values", "1 nA", 1e-9,
                          lambda s: s.samples[0]),
    "TimeSeries sample_dt": (lambda v: ns.TimeSeries(_net()[2], ["1 nA"], v), "sample_dt", "2 ms", 2e-3,
                             lambda s: s.sample_dt),
    "OUNoise tau": (lambda v: ns.OUNoise(_net()[2], "0 nA", "0.1 nA", v), "tau", "10 ms", 0.01,
                    lambda s: s.tau[0]),
    "PoissonInput weight": (lambda v: ns.PoissonInput(_net()[2], "exc", 10, "5 Hz", v), "weight", "0.1 nA", 1e-10,
                            lambda s: s.weight),
    "PoissonInput rate": (lambda v: ns.PoissonInput(_net()[2], "exc", 10, v, "0.1 nA"), "rate", "5 Hz", 5.0,
                          lambda s: s.rate),
    "Ensemble tau_rc": (lambda v: Ensemble("a", 5, tau_rc=v), "tau_rc", "30 ms", 0.03, lambda e: e.tau_rc),
    "Ensemble max_rates": (lambda v: Ensemble("a", 5, max_rates=v), "max_rates", "150 Hz", 150.0,
                           lambda e: e.max_rates[0]),
    "Connection synapse": (lambda v: Connection(Ensemble("a", 5), Ensemble("b", 5), synapse=v), "synapse",
                           "20 ms", 0.02, lambda c: c.synapse),
    "integrator tau": (lambda v: (lambda m: integrator(m, "x", 10, m.node("u", 0.0), tau=v))(Model()),
                       "integrator: tau", "50 ms", None, None),
    "Model.probe synapse": (lambda v: (lambda m: m.probe(m.ensemble("a", 5), synapse=v))(Model()), "synapse",
                            "10 ms", None, None),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_unit_string_is_converted_and_a_bare_number_is_refused_naming_the_argument(entry):
    call, name, text, si, read = ENTRY_POINTS[entry]
    made = call(text)
    if read is not None:
        assert read(made) == pytest.approx(si, rel=1e-12)
        assert read(call(ns.units.ureg.Quantity(text))) == pytest.approx(si, rel=1e-12)  # a pint quantity
    number = float(text.split()[0])
    with pytest.raises(ns.ParameterError, match=f"{name}.*with a unit, such as '{number:g} ") as error:
        call(number)
    assert "si_floats" in str(error.value)
    if read is not None:
        with ns.units.si_floats():  # the opt-in: bare numbers are SI
            assert read(call(si)) == pytest.approx(si, rel=1e-12)
        with pytest.raises(ns.ParameterError, match=name):
            call(text.split()[0] + " kg")  # a unit of the wrong dimension


def test_simulator_run_duration_follows_the_rule_and_zero_needs_no_unit():
    net, pre, post = _net()
    net.connect(pre, post, receptor="exc", weight=0, delay=0)  # 0 is 0 in every unit
    simulator = ns.Simulator(net, dt="0.1 ms")
    with pytest.raises(ns.ParameterError, match=r"duration.*'10 ms' or '10 s'"):
        simulator.run(10)
    assert simulator.run("10 ms").duration == pytest.approx(0.01)
    assert simulator.run(0).duration == pytest.approx(0.01)


def test_model_run_and_hopfield_take_times_with_units():
    model = Model(seed=1)
    a = model.ensemble("a", 20)
    model.probe(a)
    with pytest.raises(ns.ParameterError, match="duration"):
        model.run(0.05)
    with pytest.raises(ns.ParameterError, match="dt"):
        model.run("50 ms", dt=0.001)
    assert model.run("50 ms", dt="1 ms").t.shape == (50,)
    net = Hopfield(16).store(np.sign(np.random.default_rng(2).standard_normal((1, 16))))
    with pytest.raises(ns.ParameterError, match="tau"):
        net.recall_continuous(np.ones(16), tau=0.01)
    assert net.recall_continuous(np.ones(16), tau="10 ms", duration="20 ms", dt="1 ms").state.shape == (16,)


def test_dimensionless_arguments_stay_bare_numbers():
    model = Model()
    ensemble = model.ensemble("a", 5, intercepts=0.1, radius=2.0)  # units of the represented value
    assert ensemble.intercepts[0] == 0.1
    net = ns.Network()
    population = net.add_population("x", 2, "lif_dimensionless", params={"bias": 1.5})
    assert population.params["bias"][0] == 1.5
