"""The adaptive embedded Runge-Kutta methods, Dormand-Prince 5(4) (``dopri5``) and Bogacki-Shampine
3(2) (``bs23``): fifth and third order when every substep is accepted, error following the tolerance
against scipy's solve_ivp on a nonlinear system and on the Traub HH cell, the same spikes and
refractory hold as the exact method on a LIF, the same result at 1 and 2 threads, a blow-up ending
as NaN, the ``tolerance`` option checked, and dopri5's error estimate (fifth order on a linear
decay, weights of the published tableau)."""
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import neurosim
from neurosim.core.network import Network
from neurosim.core.neurons import make_population
from neurosim.core.neurons.equation import Model, register
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError, SimulationError

# a nonlinear system that is not conditionally linear (van der Pol, mu = 2, period ~ 7.6 tau)
VDP = Model("vdp", """
dx/dt = y/tau : 1
dy/dt = (2*(1 - x**2)*y - x)/tau : 1
""", parameters={"tau": "1 ms"}, initial={"x": 2.0, "y": 0.0})


def _vdp_reference(t):
    def f(_, s):
        x, y = s
        return [y / 1e-3, (2 * (1 - x * x) * y - x) / 1e-3]
    return solve_ivp(f, (0, t[-1]), [2.0, 0.0], t_eval=t, method="DOP853", rtol=1e-13, atol=1e-13).y


ADAPTIVE = ("dopri5", "bs23")


def _vdp_error(dt, tolerance, duration="10 ms", method="dopri5"):
    register(VDP, replace=True)
    net = Network(seed=1)
    pop = net.add_population("P", 1, "vdp", method=method, tolerance=tolerance)
    net.record_state(pop, "x")
    net.record_state(pop, "y")
    result = Simulator(net, dt=dt).run(duration)
    assert pop.method == method
    x, y = result.states["P"]["x"].data[:, 0], result.states["P"]["y"].data[:, 0]
    reference = _vdp_reference(np.arange(len(x)) * float(neurosim.units.quantity(dt, "time", "dt")))
    return max(np.max(np.abs(x - reference[0])), np.max(np.abs(y - reference[1])))


@pytest.mark.parametrize(("method", "order"), [("dopri5", 5), ("bs23", 3)])
def test_order_when_every_substep_is_accepted(method, order):
    """Tolerance 0.9 accepts every substep of length dt here (local errors << 1): the fixed-step
    pair, whose global error falls 2^order (32x DP5, 8x BS3) per halving of dt (over 2 ms,
    before the limit cycle's phase error takes over); the bounds allow 2^(order -+ 0.5)."""
    errors = [_vdp_error(dt, 0.9, "2 ms", method) for dt in ("0.05 ms", "0.025 ms")]
    assert 2 ** (order - 0.5) < errors[0] / errors[1] < 2 ** (order + 0.5), errors


@pytest.mark.parametrize("method", ADAPTIVE)
def test_error_follows_the_tolerance(method):
    """Each substep's error is held below tol*(1 + |x|) (x ~ 2 here): the global error over the
    ~10 substeps' worth of growth per unit time stays within 100*tol, and a 1000x smaller
    tolerance gives a much smaller error (at dt 0.5 ms, so that the substeps are adaptive)."""
    loose, tight = _vdp_error("0.5 ms", 1e-5, method=method), _vdp_error("0.5 ms", 1e-8, method=method)
    assert loose < 100 * 1e-5, loose
    assert tight < 100 * 1e-8, tight
    assert tight < loose / 100, (loose, tight)


def _traub_v(method, tolerance, duration, tables=None):
    """v (V) of one Traub cell (0.3 nA) at dt 0.1 ms, and the generated loop's source."""
    net = Network(seed=1)
    pop = net.add(make_population("hh_traub", "hh", 1, params={"i_offset": "0.3 nA"},
                                  method=method, tolerance=tolerance, tables=tables))
    net.record_state(pop, "v")
    sim = Simulator(net, dt="0.1 ms")
    return sim.run(duration).states["hh"]["v"].data[:, 0], sim.source


def _traub_reference(t, i_offset):
    """The COBAHH Traub cell (Brette et al. 2007) written here in mV and ms, with scipy."""
    def exprel(x):
        return np.expm1(x) / x if x != 0 else 1.0

    def f(_, s):
        v, m, h, n = s
        u = v + 63.0
        am, bm = 1.28 / exprel((13 - u) / 4), 1.4 / exprel((u - 40) / 5)
        ah, bh = 0.128 * np.exp((17 - u) / 18), 4 / (1 + np.exp((40 - u) / 5))
        an, bn = 0.16 / exprel((15 - u) / 5), 0.5 * np.exp((10 - u) / 40)
        current = 20e3 * m ** 3 * h * (50 - v) + 6e3 * n ** 4 * (-90 - v) + 10 * (-60 - v) + i_offset  # nS mV, pA
        return [current / 200.0, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]

    u0 = 3.0  # v = -60 mV, gates at their steady state (as the model file's initial values)
    am, bm = 1.28 / exprel((13 - u0) / 4), 1.4 / exprel((u0 - 40) / 5)
    ah, bh = 0.128 * np.exp((17 - u0) / 18), 4 / (1 + np.exp((40 - u0) / 5))
    an, bn = 0.16 / exprel((15 - u0) / 5), 0.5 * np.exp((10 - u0) / 40)
    y0 = [-60.0, am / (am + bm), ah / (ah + bh), an / (an + bn)]
    return solve_ivp(f, (0, t[-1]), y0, t_eval=t, method="DOP853", rtol=1e-11, atol=1e-11).y[0] * 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("method", ADAPTIVE)
def test_traub_cell_agrees_with_solve_ivp(method):
    """A tonically firing Traub cell (0.3 nA) over 100 ms at dt 0.1 ms, tolerance 1e-6: v within
    0.5 mV of the reference at every step (the upstroke, ~300 mV/ms, moves 0.5 mV in 1.7 us of
    spike-time shift). One tolerance only: each compiles its own loop (tens of seconds for the
    Traub cell), and the error's dependence on it is test_error_follows_the_tolerance's."""
    v, _ = _traub_v(method, tolerance=1e-6, duration="100 ms")
    reference = _traub_reference(np.arange(len(v)) * 0.1, 300.0)
    spikes = np.flatnonzero((reference[:-1] < -20e-3) & (reference[1:] >= -20e-3))
    assert len(spikes) >= 5
    assert np.max(np.abs(v - reference)) < 0.5e-3


LIF = Model("lif_dp", """dv/dt = (v_rest - v + 30*mV)/tau : volt (unless refractory)""",
            parameters={"tau": "10 ms", "v_rest": "-65 mV"}, initial={"v": "-65 mV"},
            threshold="v > -50*mV", reset="v = -70*mV", refractory="2*ms")


def test_threshold_reset_and_refractory_as_the_exact_method():
    """A LIF under constant drive: the same spike steps as the exact propagator, v within 1e-9 V,
    and v held at the reset for the 2 ms refractory period."""
    register(LIF, replace=True)
    results = {}
    for method in ("exact", "dopri5"):
        net = Network(seed=1)
        pop = net.add_population("L", 1, "lif_dp", method=method, **({"tolerance": 1e-9} if method == "dopri5" else {}))
        net.record_state(pop, "v")
        net.record_spikes(pop)
        results[method] = Simulator(net, dt="0.1 ms").run("60 ms")
    spikes = {m: r.spikes["L"].times for m, r in results.items()}
    assert len(spikes["exact"]) >= 3
    np.testing.assert_array_equal(spikes["dopri5"], spikes["exact"])
    v = {m: r.states["L"]["v"].data[:, 0] for m, r in results.items()}
    np.testing.assert_allclose(v["dopri5"], v["exact"], atol=1e-9, rtol=0)
    first = round(spikes["dopri5"][0] / 1e-4)
    np.testing.assert_array_equal(v["dopri5"][first + 1:first + 21], -70e-3)


@pytest.mark.parametrize("method", ADAPTIVE)
def test_same_result_at_one_and_two_threads(method):
    """10 000 van der Pol oscillators from different initial states, so that their substeps differ
    (the update loop is a prange at 2 threads): bit-identical states and substep lengths."""
    register(VDP, replace=True)

    def run(threads):
        net = Network(seed=3)
        net.add_population("P", 10_000, "vdp", method=method, tolerance=1e-6,
                           initial={"x": np.linspace(-3.0, 3.0, 10_000)})
        sim = Simulator(net, dt="0.1 ms", threads=threads)
        sim.run("5 ms")
        built = sim.network.populations["P"]
        return np.array(built.state["x"]), np.array(built.state["y"]), np.array(built.extra["h_step"]), sim.source

    one, two = run(1), run(2)
    assert "prange" in two[3]
    assert "prange" not in one[3]
    assert len(np.unique(one[2])) > 100  # the neurons' substep lengths differ
    for a, b in zip(one[:3], two[:3], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ADAPTIVE)
def test_a_neuron_does_not_depend_on_the_others(method):
    """1000 van der Pol oscillators, and the same in reverse order: the neurons that one substep
    does not bring to the end of the step go through rounds over a list of them in index order,
    a different list in each run; every neuron's state and substep length come out bit-identical
    to its counterpart's."""
    register(VDP, replace=True)

    def run(x0):
        net = Network(seed=3)
        net.add_population("P", len(x0), "vdp", method=method, tolerance=1e-6, initial={"x": x0})
        sim = Simulator(net, dt="0.1 ms")
        sim.run("5 ms")
        built = sim.network.populations["P"]
        return np.array(built.state["x"]), np.array(built.state["y"]), np.array(built.extra["h_step"])

    x0 = np.linspace(-3.0, 3.0, 1000)
    forward, backward = run(x0), run(x0[::-1].copy())
    assert np.sum(forward[2] < 1e-4) > 100  # substeps shorter than dt: the rounds ran
    for a, b in zip(forward, backward, strict=True):
        np.testing.assert_array_equal(a, b[::-1])


@pytest.mark.parametrize("method", ADAPTIVE)
def test_a_refractory_condition_is_of_the_step_start(method):
    """Van der Pol held (``unless refractory``) while ``x > 1.5``, a condition of the state at the
    start of each step: x follows solve_ivp's until the first step that starts above 1.5 and stays
    there from then on, also when the step before took substeps (dt 0.5 ms, tolerance 1e-7)."""
    register(Model("vdp_held", """
dx/dt = y/tau : 1 (unless refractory)
dy/dt = (2*(1 - x**2)*y - x)/tau : 1 (unless refractory)
""", parameters={"tau": "1 ms"}, initial={"x": 0.5, "y": 0.0}, threshold="x > 100", refractory="x > 1.5"),
        replace=True)
    net = Network(seed=1)
    pop = net.add_population("P", 1, "vdp_held", method=method, tolerance=1e-7)
    net.record_state(pop, "x")
    x = Simulator(net, dt="0.5 ms").run("12 ms").states["P"]["x"].data[:, 0]

    def f(_, s):
        return [s[1] / 1e-3, (2 * (1 - s[0] ** 2) * s[1] - s[0]) / 1e-3]
    t = np.arange(len(x)) * 0.5e-3
    reference = solve_ivp(f, (0, t[-1]), [0.5, 0.0], t_eval=t, method="DOP853", rtol=1e-12, atol=1e-12).y[0]
    first = int(np.argmax(reference > 1.5))
    assert 0 < first < len(x) - 5
    np.testing.assert_allclose(x[:first + 1], reference[:first + 1], atol=1e-4)
    np.testing.assert_array_equal(x[first:], x[first])


@pytest.mark.parametrize("method", ADAPTIVE)
def test_a_blow_up_is_refused(method):
    """dv/dt = v^2/tau from v = 1 reaches infinity at t = tau: no substep length meets the
    tolerance there; v becomes NaN, which the simulator refuses (instead of a wrong finite
    number or a hang); before, v follows 1/(1 - t/tau)."""
    register(Model("blowup", "dv/dt = v**2/tau : 1", parameters={"tau": "1 ms"}, initial={"v": 1.0}), replace=True)
    net = Network(seed=1)
    pop = net.add_population("B", 1, "blowup", method=method, tolerance=1e-8)
    net.record_state(pop, "v")
    simulator = Simulator(net, dt="0.1 ms")
    v = simulator.run("0.9 ms").states["B"]["v"].data[:, 0]
    np.testing.assert_allclose(v, 1 / (1 - np.arange(len(v)) * 0.1), rtol=1e-6)
    with pytest.raises(SimulationError, match="v of neuron 0 became nan"):
        simulator.run("1 ms")


def test_networks_that_differ_in_tolerance_share_one_loop():
    """With ``inline_constants=False`` (sweeps) the tolerance is an argument of the generated loop:
    1e-3 and 1e-6 give one source and different states; inlined, it is a literal of each."""
    register(VDP, replace=True)

    def run(tolerance, inline):
        net = Network(seed=1)
        net.add_population("P", 1, "vdp", method="bs23", tolerance=tolerance)
        sim = Simulator(net, dt="0.5 ms", inline_constants=inline)
        sim.run("5 ms")
        return sim.source, float(sim.network.populations["P"].state["x"][0])

    (loose_source, loose_x), (tight_source, tight_x) = run(1e-3, False), run(1e-6, False)
    assert loose_source == tight_source
    assert loose_x != tight_x
    assert run(1e-3, True)[0] != run(1e-6, True)[0]


def test_tolerance_option_is_checked():
    register(VDP, replace=True)
    net = Network(seed=1)
    with pytest.raises(ParameterError, match=r"tolerance.*no option of method rk4"):
        net.add_population("A", 1, "vdp", method="rk4", tolerance=1e-3)
    for bad in (0.0, 1.5, "1e-3", True):
        with pytest.raises(ParameterError, match="tolerance"):
            net.add_population("B", 1, "vdp", method="dopri5", tolerance=bad)


def test_tables_serve_every_stage():
    """With ``tables`` over v the rates of all seven stages are looked up (6 functions x 7
    evaluations), and v stays within 0.1 mV of the untabulated run (interpolation error of the
    rates ~ step^2/8 |f''|, 1e-6 relative at 0.01 mV). The untabulated run is the loop of
    test_traub_cell_agrees_with_solve_ivp[dopri5] (same model, tolerance and size: a cache hit)."""
    exact, _ = _traub_v("dopri5", tolerance=1e-6, duration="50 ms")
    tabulated, source = _traub_v("dopri5", tolerance=1e-6, duration="50 ms",
                                 tables={"v": {"min": "-150 mV", "max": "100 mV", "step": "0.01 mV"}})
    assert source.count("table_at(") >= 6 * 7
    assert np.max(np.abs(tabulated - exact)) < 0.1e-3
    assert np.max(exact) > 0.0  # it fired


def _estimate_on_decay(z):
    """dopri5's error estimate of one substep h = -z tau of dx/dt = -x/tau from x = 1, as the
    generated loop computes it (the update's own expressions, evaluated in floats)."""
    from neurosim.equations.integrate import TOLERANCE, update

    system = Model("decay", "dx/dt = -x/tau : 1", parameters={"tau": "1 ms"}, initial={"x": 1.0}).system
    step = update(system, "dopri5")
    adaptive = step.adaptive
    values = {system.symbol("x"): 1.0, system.symbol("tau"): 1e-3, adaptive.h: -z * 1e-3, adaptive.tt: 0.0,
              system.t: 0.0, TOLERANCE: 1e-3}
    for target, expr in [*step.assignments, *adaptive.loop]:
        values[target] = float(expr.xreplace(values))
    ratio = float(adaptive.error.xreplace(values))  # |estimate| / (tol (1 + max(|x|, |x_new|)))
    return ratio * 1e-3 * (1 + max(1.0, abs(values[adaptive.accept["x"]])))


def test_error_estimate_is_fifth_order_on_a_linear_decay():
    """The estimate is the difference of the 5th-order and the embedded 4th-order solutions: on
    dx/dt = lambda x it is O(z^5) (z = lambda h), falling 2^5 = 32x per halving of h (the z^6
    term makes it 32.6x from z = -0.1 to -0.05). Any wrong weight of the estimate breaks an order
    condition (the weights sum to 0 ...) and leaves an O(z) term: 2x per halving."""
    ratio = _estimate_on_decay(-0.1) / _estimate_on_decay(-0.05)
    assert 30 < ratio < 35, ratio


def test_error_weights_are_the_published_tableau():
    """Dormand & Prince (1980) as tabulated by Hairer, Norsett & Wanner (Solving ODEs I, table 5.2):
    the estimate's weights are the 5th-order weights minus the embedded 4th-order ones."""
    from fractions import Fraction as F

    from neurosim.equations.integrate import DOPRI5_A, DOPRI5_E

    fifth = [F(35, 384), 0, F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), 0]
    fourth = [F(5179, 57600), 0, F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100), F(1, 40)]
    assert [F(str(c)) for c in (*DOPRI5_A[6], 0)] == fifth
    assert [F(str(e)) for e in DOPRI5_E] == [a - b for a, b in zip(fifth, fourth, strict=True)]
