"""Equation-defined populations against analytic solutions, scipy's solve_ivp and the hand-written
emitters of lif.py (same method: agreement to rounding)."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurosim.core.network import Network
from neurosim.core.neurons.equation import Model, SynapseModel
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def run(pop_args, duration, variables=("v",), stimulus=None, source=None, jit=True, dt=DT, dtype="float64"):
    net = Network(seed=3)
    name, n, model, kwargs = pop_args
    pop = net.add_population(name, n, model, **kwargs)
    if stimulus is not None:
        net.add(stimulus(pop))
    if source is not None:
        times, receptor, weight = source
        src = net.add(SpikeSource("S", 1, np.zeros(len(times), int), np.array(times)))
        net.connect(src, pop, receptor=receptor, weight=weight, delay=0.0)
    for variable in variables:
        net.record_state(pop, variable)
    if pop.spiking:
        net.record_spikes(pop)
    sim = Simulator(net, dt=dt, jit=jit, dtype=dtype)
    return sim, pop, sim.run(duration)


def test_lif_relaxes_exactly_to_analytic_solution():
    params = {"i_offset": "0.5 nA", "v_thresh": "0 mV"}
    _, pop, res = run(("E", 2, "lif", {"params": params, "initial": {"v": np.array([-70e-3, -60e-3])}}), 0.05)
    assert pop.method == "exact"
    v = res.states["E"]["v"].data  # (steps, 2), value at the start of each step
    t = np.arange(v.shape[0]) * DT
    v_inf = -65e-3 + 0.5e-9 * 20e-3 / 1e-9
    expected = v_inf + (np.array([-70e-3, -60e-3]) - v_inf) * np.exp(-t / 20e-3)[:, None]
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-14)


def test_current_psp_of_exponential_receptor_is_analytic_and_peak_normalised():
    """One input spike of weight w into an exponential current receptor (tau_s): the current is
    w exp(-t/tau_s) (peak w) and v - v_rest = w/cm tau_m tau_s/(tau_s - tau_m) (e^-t/tau_s - e^-t/tau_m)."""
    w, tau_s, tau_m, cm = 2e-9, 5e-3, 20e-3, 1e-9
    kwargs = {"receptors": {"exc": Synapse("exponential", tau_s)}, "params": {"v_thresh": "0 mV"}}
    _, _, res = run(("E", 1, "lif", kwargs), 0.06, ("v", "syn_exc"), source=([0.01], "exc", w))
    syn = res.states["E"]["syn_exc"].data[:, 0]
    v = res.states["E"]["v"].data[:, 0]
    first = np.flatnonzero(syn)[0]
    t = np.arange(len(syn) - first) * DT
    np.testing.assert_allclose(syn[first:], w * np.exp(-t / tau_s), rtol=1e-12)
    psp = w / cm * tau_m * tau_s / (tau_s - tau_m) * (np.exp(-t / tau_s) - np.exp(-t / tau_m))
    np.testing.assert_allclose(v[first:] + 65e-3, psp, rtol=0, atol=1e-14)
    assert np.all(v[:first] == -65e-3)


def test_alpha_receptor_peaks_at_weight_at_tau():
    w, tau = 1e-9, 2e-3
    kwargs = {"receptors": {"exc": Synapse("alpha", tau)}, "params": {"v_thresh": "0 mV"}}
    _, _, res = run(("E", 1, "lif", kwargs), 0.03, ("syn_exc",), source=([0.005], "exc", w))
    syn = res.states["E"]["syn_exc"].data[:, 0]
    first = np.flatnonzero(syn)[0] - 1  # g starts at 0 in the step the spike arrives
    t = np.arange(len(syn) - first) * DT
    np.testing.assert_allclose(syn[first:], w * t / tau * np.exp(1 - t / tau), rtol=1e-10, atol=1e-24)


FHN = Model("fhn", """
dv/dt = (v - v**3/3 - x + I_drive)/tau : 1
dx/dt = (v + a - b*x)/tau_x : 1
""", parameters={"tau": "1 ms", "tau_x": "12.5 ms", "a": 0.7, "b": 0.8, "I_drive": 0.5}, initial={"v": -1.0, "x": 1.0})


def fhn_reference(t_end):
    def f(t, y):
        v, x = y
        return [(v - v**3 / 3 - x + 0.5) / 1e-3, (v + 0.7 - 0.8 * x) / 12.5e-3]
    return solve_ivp(f, (0, t_end), [-1.0, 1.0], method="DOP853", rtol=1e-12, atol=1e-12, dense_output=True)


@pytest.mark.parametrize(("method", "dt", "tolerance"),
                         [("rk4", 1e-5, 1e-7), ("rk2", 1e-5, 2e-3), ("euler", 1e-6, 2e-3)])
def test_nonlinear_system_against_solve_ivp(method, dt, tolerance):
    from neurosim.core.neurons.equation import register
    register(FHN, replace=True)
    _, pop, res = run(("F", 1, "fhn", {"method": method}), 0.05, ("v", "x"), dt=dt)
    assert pop.method == method
    v = res.states["F"]["v"].data[:, 0]
    t = np.arange(len(v)) * dt
    reference = fhn_reference(0.05).sol(t)[0]
    assert np.max(np.abs(v - reference)) < tolerance


def test_euler_error_is_first_order():
    from neurosim.core.neurons.equation import register
    register(FHN, replace=True)
    errors = []
    for dt in (2e-5, 1e-5):
        _, _, res = run(("F", 1, "fhn", {"method": "euler"}), 0.02, ("v",), dt=dt)
        v = res.states["F"]["v"].data[:, 0]
        errors.append(np.max(np.abs(v - fhn_reference(0.02).sol(np.arange(len(v)) * dt)[0])))
    assert 1.6 < errors[0] / errors[1] < 2.4


@pytest.mark.parametrize("model", ["lif", "izhikevich", "adex"])
def test_uncompiled_loop_is_bit_identical(model):
    inputs = {"lif": "2 nA", "izhikevich": "10 mV/ms", "adex": "1 nA"}
    stim = (lambda pop: Constant(pop, inputs[model]))
    compiled = run(("P", 3, model, {}), 0.02, stimulus=stim)
    plain = run(("P", 3, model, {}), 0.02, stimulus=stim, jit=False)
    assert compiled[0].source == plain[0].source
    np.testing.assert_array_equal(compiled[2].states["P"]["v"].data, plain[2].states["P"]["v"].data)
    np.testing.assert_array_equal(compiled[2].spikes["P"].times, plain[2].spikes["P"].times)


def test_user_receptor_model_nmda_with_magnesium_block():
    """A receptor defined by equations: NMDA with Jahr & Stevens' Mg block gating its conductance by v."""
    nmda = SynapseModel("nmda", """
dg/dt = -g/tau_decay : siemens
B = 1/(1 + mg/(3.57*mM)*exp(-0.062*v/mV)) : 1
""", on_pre="g += w", output="g*B*(e_rev - v)", weight="siemens", value="g",
        parameters={"tau_decay": "100 ms", "mg": "1 mM", "e_rev": "0 mV"})
    kwargs = {"receptors": {"nmda": (nmda, {"mg": "1.2 mM"})}, "params": {"v_thresh": "0 mV"}}
    _, pop, res = run(("E", 1, "lif", kwargs), 0.05, ("v", "syn_nmda"), source=([0.005], "nmda", 1e-9))
    assert pop.method == "rk4"  # B(v) makes dv/dt non-linear in v: neither exact nor exponential Euler
    g = res.states["E"]["syn_nmda"].data[:, 0]
    v = res.states["E"]["v"].data[:, 0]
    first = np.flatnonzero(g)[0]
    assert g[first] == pytest.approx(1e-9, rel=1e-6)

    def f(t, y):
        conductance = 1e-9 * np.exp(-t / 100e-3)
        block = 1 / (1 + 1.2 / 3.57 * np.exp(-0.062 * y[0] * 1e3))
        return [(-65e-3 - y[0]) / 20e-3 + conductance * block * (0.0 - y[0]) / 1e-9]

    t = np.arange(len(v) - first) * DT
    reference = solve_ivp(f, (0, t[-1]), [v[first]], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-14).y[0]
    assert np.max(np.abs(v[first:] - reference)) < 1e-9
    assert v.max() + 65e-3 > 1e-5  # a PSP of tens of microvolts (the block is mostly closed at rest)


