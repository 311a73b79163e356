"""Tables over one state variable (NEURON's TABLE) on equation models: the HH model files with
``tables={"v": ...}`` against their exact update; outside the range the exact path, bit for bit."""
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.errors import ParameterError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4
TABLE = {"v": {"min": "-150 mV", "max": "100 mV", "step": "0.01 mV"}}


def run(model, currents, tables=None, duration=0.2, params=None, exp="vexp"):
    net = Network(seed=0)
    pop = net.add_population("H", len(currents), model, params=params or {}, **({"tables": tables} if tables else {}))
    net.add(Constant(pop, np.asarray(currents)))
    net.record_spikes(pop)
    net.record_state(pop, "v")
    sim = Simulator(net, dt=DT, exp=exp)
    return sim, sim.run(duration)


@pytest.mark.slow
@pytest.mark.parametrize(("model", "currents"), [
    ("hh_squid", [0.3e-9, 0.7e-9, 2e-9, 5e-9]),  # 3-50 uA/cm^2: one spike to tonic firing
    ("hh_traub", [0.0, 0.2e-9, 0.5e-9, 1.0e-9]),
])
def test_tables_keep_every_spike_within_one_step(model, currents):
    """Interpolation error <= h^2/8 max|f''| per tabulated propagator (below 1e-7 at h = 0.01 mV for
    the HH gates, see docs/models.md): the same spikes, each within one step of the exact path."""
    sim, tabulated = run(model, currents, TABLE)
    assert "table over v: 6 functions" in sim.source  # x_inf-like and decay terms of the three gates
    _, exact = run(model, currents)
    for i in range(len(currents)):
        a, b = exact.spikes["H"].of(i), tabulated.spikes["H"].of(i)
        assert len(a) == len(b)
        if len(a):
            assert np.max(np.abs(a - b)) <= DT * 1.0001
    assert len(exact.spikes["H"].times) > 20


def test_outside_the_range_the_exact_functions():
    """Outside the table the functions are computed exactly, though apart from the rest of the
    update (no common subexpressions with it): equal to the exact path up to rounding. With libm's
    exp (within 0.5 ulp): vexp's last-bit differences (up to 2 ulp in exprel), grouped
    differently in the two updates, grow through the spikes to 3e-12 relative in 50 ms."""
    far = {"v": {"min": "1 V", "max": "2 V", "step": "1 mV"}}  # v never gets there
    sim, tabulated = run("hh_traub", [0.5e-9], far, duration=0.05, exp="libm")
    assert "table over v" in sim.source
    _, exact = run("hh_traub", [0.5e-9], duration=0.05, exp="libm")
    # rounding: 1e-12 of the voltage scale, 1e-14 V, where v passes near 0 in a spike
    np.testing.assert_allclose(tabulated.states["H"]["v"].data, exact.states["H"]["v"].data, rtol=1e-12, atol=1e-14)


def test_bad_tables_are_refused_with_the_key():
    with pytest.raises(ParameterError, match=r"tables\.u.*did you mean|tables\.u.*state variable"):
        run("hh_traub", [0.0], {"u": TABLE["v"]})
    with pytest.raises(ParameterError, match=r"tables\.v.*min: \.\.\., max"):
        run("hh_traub", [0.0], {"v": {"min": "-150 mV", "max": "100 mV"}})
    with pytest.raises(ParameterError, match=r"tables\.v.*homogeneous parameters"):
        run("hh_traub", [0.0, 0.0], TABLE, duration=0.001, params={"vt": ["-63 mV", "-60 mV"]})


PROTOCOL = """name: t
seed: 1
network:
  populations:
    H: {n: 2, model: MODEL, tables: {v: {min: -150 mV, max: 100 mV, step: 0.01 mV}}}
dt: 0.1 ms
duration: 10 ms
"""


def test_tables_from_a_protocol_and_refused_by_models_without_them(tmp_path):
    from neurosim.errors import ProtocolError
    from neurosim.protocol.build import build
    from neurosim.protocol.load import load
    path = tmp_path / "p.yaml"
    path.write_text(PROTOCOL.replace("MODEL", "hh_traub"))
    assert "table over v" in build(load(path)).source
    path.write_text(PROTOCOL.replace("MODEL", "poisson"))
    with pytest.raises(ProtocolError, match=r"p\.yaml:5: network\.populations\.H\.tables: model 'poisson' has no "
                                            r"option 'tables'"):
        load(path)
