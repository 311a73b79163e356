"""LIF against its analytic solutions: rate formula, sub-threshold trajectory, PSPs."""
import numpy as np
import pytest

from neurosim.core.connectivity import AllToAll, OneToOne, Projection
from neurosim.core.network import Network
from neurosim.core.neurons import models
from neurosim.core.neurons.rate import lif_rate
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.synapses import Synapse

LIF, LIFDimensionless = models()["lif"], models()["lif_dimensionless"]  # the model files
pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

TAU_RC, TAU_REF = 0.02, 0.002
DRIVES = np.concatenate([np.linspace(1.05, 2.0, 12), np.linspace(2.5, 10.0, 12)])


def mean_isi(results, n):
    trains = results.spikes["a"]
    return np.array([np.diff(trains.of(i)).mean() for i in range(n)])


def run_drives(spike_timing, dt, duration):
    net = Network(seed=0)
    pop = net.add(LIFDimensionless("a", len(DRIVES), params={"bias": DRIVES}, spike_timing=spike_timing))
    net.record_spikes(pop)
    return Simulator(net, dt=dt).run(duration)


def test_rate_formula_literature_values():
    # REFERENCE_FACTS: tau_rc 20 ms, tau_ref 2 ms -> 41.71, 63.04, 98.92, 243.47 Hz
    assert lif_rate([1.5, 2, 3, 10]) == pytest.approx([41.71, 63.04, 98.92, 243.47], abs=0.006)
    assert np.all(lif_rate([0.5, 1.0]) == 0)


def test_step_timing_rate_within_half_percent_plus_one_dt():
    dt = 1e-5  # 10 us; tau_ref is a whole number of steps
    results = run_drives("step", dt, 1.0)
    isi_true = 1 / lif_rate(DRIVES, TAU_RC, TAU_REF)
    isi = mean_isi(results, len(DRIVES))
    # A spike is recorded at the start t_n of the step in which v crosses 1 and v restarts from the
    # reset tau_ref later (Brian2's grid semantics): each ISI differs from the exact one by less than dt.
    assert np.all(np.abs(isi - isi_true) <= dt * (1 + 1e-9))
    # With dt = 10 us that keeps every rate within 0.5 % of the formula (dt / ISI <= 0.25 % here).
    np.testing.assert_allclose(1 / isi, lif_rate(DRIVES, TAU_RC, TAU_REF), rtol=0.005)


def test_precise_timing_rate_is_exact_at_nengo_dt():
    dt = 1e-3
    results = run_drives("precise", dt, 2.0)
    isi = mean_isi(results, len(DRIVES))
    n_intervals = np.array([len(results.spikes["a"].of(i)) - 1 for i in range(len(DRIVES))])
    # Crossing times inside a step are exact, so the dynamics have no dt quantisation; only the
    # recorded times sit on the grid (each < dt early), so a mean over K intervals is within dt/K.
    error = np.abs(isi - 1 / lif_rate(DRIVES, TAU_RC, TAU_REF))
    assert np.all(error < dt / n_intervals)


@pytest.mark.parametrize("spike_timing", ["step", "precise"])
def test_no_spikes_below_threshold_drive(spike_timing):
    net = Network()
    pop = net.add(LIFDimensionless("a", 3, params={"bias": [0.0, 0.5, 0.999]}, spike_timing=spike_timing))
    net.record_spikes(pop)
    assert len(Simulator(net, dt=1e-4).run(1.0).spikes["a"].times) == 0


def test_subthreshold_trajectory_is_exact():
    j = np.array([0.3, 0.9, 0.99])
    net = Network()
    pop = net.add(LIFDimensionless("a", 3, params={"bias": j}, spike_timing="step"))
    net.record_state(pop, "v")
    record = Simulator(net, dt=1e-4).run(0.2).states["a"]["v"]
    expected = j[None, :] * -np.expm1(-record.times[:, None] / TAU_RC)
    np.testing.assert_allclose(record.data[1:], expected[1:], rtol=1e-10)


def test_dimensional_lif_relaxes_to_v_rest_plus_r_i():
    cm, tau_m, i_offset = 250e-12, 10e-3, 100e-12  # R = 40 MOhm, R*I = 4 mV
    net = Network()
    pop = net.add(LIF("a", 1, params={"cm": cm, "tau_m": tau_m, "i_offset": i_offset, "v_thresh": 0.0},
                      initial={"v": -70e-3}))
    net.record_state(pop, "v")
    record = Simulator(net, dt=1e-4).run(0.1).states["a"]["v"]
    v_inf = -65e-3 + tau_m / cm * i_offset
    expected = v_inf + (-70e-3 - v_inf) * np.exp(-record.times / tau_m)
    np.testing.assert_allclose(record.data[:, 0], expected, rtol=1e-12, atol=1e-15)


def test_refractory_period_clamps_v_for_whole_steps():
    dt, tau_refrac = 1e-4, 2e-3
    net = Network()
    pop = net.add(LIF("a", 1, params={"i_offset": 2e-9, "tau_refrac": tau_refrac}))  # R*I = 40 mV: fast firing
    net.record_spikes(pop)
    net.record_state(pop, "v")
    results = Simulator(net, dt=dt).run(0.05)
    spike_steps = np.round(results.spikes["a"].times / dt).astype(int)
    v = results.states["a"]["v"].data[:, 0]
    first = spike_steps[0]
    # Brian2 semantics: v stays at v_reset from the step after the spike for tau_refrac/dt - 1 steps.
    n_ref = round(tau_refrac / dt)
    np.testing.assert_array_equal(v[first + 1:first + n_ref + 1], -65e-3)
    assert v[first + n_ref + 1] > -65e-3


def psp_network(synapse, weight, spike_time, delay=0.0):
    net = Network()
    source = net.add(SpikeSource("src", 1, indices=[0], times=[spike_time]))
    pop = net.add(LIF("a", 1, params={"v_thresh": 1.0}, receptors={"r": synapse}))
    net.add(Projection(source, pop, "r", rule=OneToOne(), weight=weight, delay=delay))
    net.record_state(pop, "v")
    net.record_state(pop, "syn_r")
    return net


@pytest.mark.parametrize("synapse", [Synapse("exponential", "5 ms"), Synapse("alpha", "2 ms"),
                                     Synapse("exp2", "8 ms", tau_rise="1 ms")], ids=["exp", "alpha", "exp2"])
def test_single_spike_gives_analytic_psc_and_psp(synapse):
    dt, weight, t_spike = 1e-4, 0.5e-9, 10e-3
    results = Simulator(psp_network(synapse, weight, t_spike), dt=dt).run(0.1)
    psc = results.states["a"]["syn_r"]
    # The spike of step n is delivered at the end of that step: the PSC starts at t_spike + dt.
    onset = t_spike + dt
    expected_psc = weight * synapse.kernel_values(psc.times - onset) / synapse.peak()
    np.testing.assert_allclose(psc.data[:, 0], expected_psc, rtol=1e-9, atol=1e-21)
    assert psc.data[:, 0].max() == pytest.approx(weight, rel=0.02)  # peak amplitude = weight (grid-limited)
    # PSP: exact solution of tau_m dv/dt = -(v - v_rest) + R I(t), by quadrature of the kernel.
    tau_m, r_m = 20e-3, 20e-3 / 1e-9
    v = results.states["a"]["v"]
    s = np.linspace(0, 0.1, 200001)
    current = weight * synapse.kernel_values(s) / synapse.peak()
    for t in (onset + 2e-3, onset + 10e-3, onset + 40e-3):
        u = s[s <= t - onset]
        integrand = current[: len(u)] * np.exp(-(t - onset - u) / tau_m) * r_m / tau_m
        expected = -65e-3 + np.trapezoid(integrand, u)
        assert v.data[round(t / dt), 0] == pytest.approx(expected, abs=2e-9)


def test_delay_shifts_delivery_by_exactly_delay_steps():
    dt = 1e-4
    synapse = Synapse("exponential", 5e-3)
    base = Simulator(psp_network(synapse, 1e-9, 5e-3), dt=dt).run(0.03).states["a"]["syn_r"].data[:, 0]
    late = Simulator(psp_network(synapse, 1e-9, 5e-3, delay=1.7e-3), dt=dt).run(0.03).states["a"]["syn_r"].data[:, 0]
    np.testing.assert_array_equal(late[17:], base[:-17])
    assert np.all(late[:17 + 51] == 0)


@pytest.mark.parametrize(("receptors", "spike_timing"), [
    ({"e": Synapse("exponential", "5 ms"), "i": Synapse("alpha", "10 ms")}, "step"),
    ({"e": Synapse("exponential", "5 ms", kind="conductance", e_rev="0 mV")}, "step"),
    ({}, "precise")], ids=["current", "conductance", "precise"])
def test_compiled_loop_equals_its_python_version(receptors, spike_timing):
    """The generated step loop, compiled by Numba and run as plain Python, gives the same numbers."""
    def build():
        net = Network(seed=9)
        src = net.add(SpikeSource("src", 5, indices=np.arange(40) % 5, times=np.linspace(1e-3, 40e-3, 40)))
        pop = net.add(LIF("a", 8, params={"i_offset": np.linspace(0.3e-9, 1.2e-9, 8), "tau_refrac": 2e-3},
                          receptors=receptors, spike_timing=spike_timing))
        for name in receptors:
            net.add(Projection(src, pop, name, rule=AllToAll(), weight=2e-9 if name == "e" and len(receptors) > 1
                               else (5e-9 if receptors[name].kind == "conductance" else 1e-9), delay=1e-3))
        net.record_spikes(pop)
        net.record_state(pop, "v")
        return Simulator(net, dt=1e-4)

    compiled, python = build(), build()
    python._chunk = python._compiled().py_func
    first, second = compiled.run(0.06), python.run(0.06)
    np.testing.assert_array_equal(first.spikes["a"].times, second.spikes["a"].times)
    assert len(first.spikes["a"].times) > 5
    np.testing.assert_allclose(first.states["a"]["v"].data, second.states["a"]["v"].data, rtol=1e-13, atol=0)

