"""Equation-model language for Nengo's LIF: ``options: {spike_timing: precise}`` (the crossing dated
inside the step from the exact solution) and ``clamp`` (``min_voltage``), against analytic
solutions; and the refusals (systems where precise timing is undefined, unknown options)."""
import numpy as np
import pytest

from neurosim.core.network import Network
from neurosim.core.neurons.equation import Model
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse
from neurosim.equations.parse import EquationError
from neurosim.errors import ParameterError

TAU_RC, TAU_REF = 0.02, 0.002
NEF = {"equations": "dv/dt = (J + bias - v)/tau_rc : 1 (unless refractory)", "inputs": {"J": "1"},
       "parameters": {"tau_rc": "20 ms", "tau_ref": "2 ms", "bias": 0, "min_voltage": 0},
       "threshold": "v > 1", "reset": "v = 0", "refractory": "tau_ref", "clamp": "v = max(v, min_voltage)",
       "options": {"spike_timing": "precise"}}


def nef(**changes):
    return Model("nef_test", **{**NEF, **changes}).population_class()


def run(cls, j, duration, dt="1 ms", initial=None, **options):
    net = Network(seed=0)
    pop = net.add(cls("L", len(j), initial=initial, **options))
    net.add(Constant(pop, np.asarray(j, float)))
    net.record_spikes(pop)
    net.record_state(pop, "v")
    return Simulator(net, dt=dt).run(duration)


@pytest.mark.parametrize("j", [1.05, 1.5, 3.0, 10.0])
def test_precise_interspike_intervals_are_the_analytic_period(j):
    """After the first spike, every crossing is dated exactly, so the k-th spike of a neuron started
    at v = 0 lies in the step containing k*T (T = tau_ref + tau_rc log1p(1/(J - 1))) minus the first
    refractory-free rise, and the recorded times (the step containing the crossing) are never more
    than one dt early: sum of ISIs = (K - 1) T within dt."""
    period = TAU_REF + TAU_RC * np.log1p(1 / (j - 1))
    result = run(nef(), [j], "2 s")
    times = result.spikes["L"].times
    assert len(times) >= 10
    crossings = TAU_RC * np.log1p(1 / (j - 1)) + period * np.arange(len(times))  # exact crossing times
    # the step grid: a crossing in step [t_n, t_n + dt) is recorded at t_n
    np.testing.assert_allclose(times, np.floor(crossings / 1e-3 + 1e-9) * 1e-3, rtol=0, atol=1e-9)


def test_precise_membrane_follows_the_exact_solution_between_spikes():
    """Sub-threshold the step is the exact exponential: v(t) = J + (v0 - J) exp(-t/tau_rc) to 1e-12."""
    result = run(nef(), [0.9], "0.1 s", initial={"v": 0.3})
    v = result.states["L"]["v"]
    expected = 0.9 + (0.3 - 0.9) * np.exp(-v.times / TAU_RC)  # v at the start of each step
    np.testing.assert_allclose(v.data[:, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("timing", ["step", "precise"])
def test_clamp_holds_v_at_min_voltage(timing):
    """With J < min_voltage the integrated path falls monotonically; the clamp makes it
    max(exact solution, min_voltage) in both timings (Nengo's LIF)."""
    cls = nef()
    net = Network(seed=0)
    pop = net.add(cls("L", 2, params={"min_voltage": [-0.3, -2.0]}, initial={"v": 0.5}, spike_timing=timing))
    net.add(Constant(pop, np.array([-1.0, -1.0])))
    net.record_state(pop, "v")
    v = Simulator(net, dt="1 ms").run("0.1 s").states["L"]["v"]
    exact = -1.0 + 1.5 * np.exp(-v.times / TAU_RC)
    np.testing.assert_allclose(v.data[:, 0], np.maximum(exact, -0.3), rtol=1e-12)
    np.testing.assert_allclose(v.data[:, 1], exact, rtol=1e-12)  # below -1 never reached
    assert np.sum(v.data[:, 0] == -0.3) > 50


def test_step_timing_is_the_grid_semantics():
    """'step': spikes in the step whose end exceeds threshold, refractory in whole steps:
    ISI = tau_ref + (ceil(t_c/dt) - 1) dt (as Brian2)."""
    j = 2.0
    t_c = TAU_RC * np.log1p(1 / (j - 1))
    isi = np.diff(run(nef(), [j], "0.5 s", dt="0.1 ms", spike_timing="step").spikes["L"].times)
    np.testing.assert_allclose(isi, TAU_REF + (np.ceil(t_c / 1e-4) - 1) * 1e-4, rtol=0, atol=1e-12)


def test_precise_timing_refused_where_undefined():
    with pytest.raises(EquationError, match=r"precise spike timing is not defined for this model: it needs a "
                                            "single state variable"):
        Model("two", "dv/dt = (J - v - w)/tau_rc : 1 (unless refractory)\ndw/dt = -w/tau_rc : 1",
              **{k: v for k, v in NEF.items() if k != "equations"})
    with pytest.raises(EquationError, match=r"threshold must be 'v > expression of parameters'"):
        Model("thr", **{**NEF, "threshold": "v > J"})
    with pytest.raises(EquationError, match="needs a refractory duration and 'v' '\\(unless refractory\\)'"):
        Model("unl", **{**NEF, "equations": "dv/dt = (J + bias - v)/tau_rc : 1"})
    with pytest.raises(ParameterError, match="'step' for populations with receptors"):
        nef()("L", 1, receptors={"e": Synapse(tau="5 ms")}, spike_timing="precise")
    with pytest.raises(ParameterError, match=r"spike_timing = 'presice': expected one of .*did you mean 'precise'"):
        nef()("L", 1, spike_timing="presice")


def test_unknown_model_option_and_undeclared_option():
    with pytest.raises(EquationError, match="unknown option 'spike_timeing' \\(did you mean 'spike_timing'\\?\\)"):
        Model("opt", **{**NEF, "options": {"spike_timeing": "precise"}})
    plain = Model("plain", **{k: v for k, v in NEF.items() if k != "options"}).population_class()
    assert "spike_timing" not in plain.options
    assert plain.default_timing == "step"
    with pytest.raises(ParameterError, match="no such option: model 'plain' has the options method, tables"):
        plain("L", 1, spike_timing="step")


@pytest.mark.parametrize("name", ["ref", "active", "count"])
def test_precise_state_named_like_the_loop_locals(name):
    """The precise loop's own locals are <pop>__ref, __active, __count: a state of such a name gets
    its own local (<pop>__ref_0) and gives the same spikes as v (the analytic period above)."""
    renamed = {**NEF, "equations": NEF["equations"].replace("v", name),
               "threshold": f"{name} > 1", "reset": f"{name} = 0", "clamp": f"{name} = max({name}, min_voltage)"}
    net = Network(seed=0)
    pop = net.add(Model("nef_renamed", **renamed).population_class()("L", 1))
    net.add(Constant(pop, np.asarray([1.5])))
    net.record_spikes(pop)
    times = Simulator(net, dt="1 ms").run("0.5 s").spikes["L"].times
    np.testing.assert_array_equal(times, run(nef(), [1.5], "0.5 s").spikes["L"].times)
    assert len(times) >= 10
