"""The vectorisable exponentials of neurosim.equations.vexp against an independent reference
(numpy's exp/expm1 in 80-bit long double, about 2**-11 double ulp), their IEEE special cases, and
what LLVM makes of a generated conductance-LIF update (packed SIMD code with vexp, none with libm).

Error bounds in ulps of the correctly rounded result: vexp 1 (an error analysis of the method gives
a little under 1: 0.5 in the final addition, up to 0.25 from the reduced argument, 0.2 from the
polynomial's rounding), vexpm1 2 and vexprel 2.5 (the sum ``2**k s + (2**k - 1)`` adds its rounding
to that of ``s``; exprel adds one division)."""
from __future__ import annotations

import math
import platform

import numba
import numpy as np
import pytest

from neurosim.core import connectivity
from neurosim.core.distributions import Normal
from neurosim.core.network import Network
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse
from neurosim.equations.vexp import vexp, vexpm1, vexprel, vlog, vpow
from neurosim.errors import ParameterError


@numba.njit
def _apply(which, x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = vexp(x[i]) if which == 0 else (vexpm1(x[i]) if which == 1 else vexprel(x[i]))
    return out


def _ulps(values, reference):
    """|values - reference| in ulps of the double nearest ``reference`` (long double)."""
    spacing = np.spacing(np.abs(reference.astype(np.float64))).astype(np.longdouble)
    return np.abs((values.astype(np.longdouble) - reference) / spacing).astype(float)


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(19)
    ranges = [(-745.0, 709.7), (-50.0, 5.0), (-1.0, 1.0), (-1e-6, 1e-6), (-745.0, -708.0)]  # full, models, ...
    return np.concatenate([rng.uniform(lo, hi, 200_000) for lo, hi in ranges])


def test_vexp_within_one_ulp(samples):
    reference = np.exp(samples.astype(np.longdouble))
    assert _ulps(_apply(0, samples), reference).max() <= 1.0


def test_vexpm1_and_vexprel_within_two_ulp(samples):
    x = samples[samples < 709.0]  # beyond, exp(x) - 1 overflows in double
    reference = np.expm1(x.astype(np.longdouble))
    assert _ulps(_apply(1, x), reference).max() <= 2.0
    nonzero = x[x != 0.0]
    assert _ulps(_apply(2, nonzero), reference[x != 0.0] / nonzero.astype(np.longdouble)).max() <= 2.5


def test_ieee_special_cases():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.8, 1000.0, -745.1, -745.2, -1000.0])
    # exp: overflow to inf above 709.78, the smallest subnormal at -745.1 (as math.exp), then 0
    np.testing.assert_array_equal(_apply(0, x), [np.nan, np.inf, 0.0, 1.0, 1.0, np.inf, np.inf, 5e-324, 0.0, 0.0])
    np.testing.assert_array_equal(_apply(1, x), [np.nan, np.inf, -1.0, 0.0, 0.0, np.inf, np.inf, -1.0, -1.0, -1.0])
    np.testing.assert_array_equal(_apply(2, np.array([0.0, -0.0, np.nan, -np.inf])), [1.0, 1.0, np.nan, 0.0])
    assert math.isclose(_apply(1, np.array([1e-300]))[0], 1e-300, rel_tol=1e-15)  # no cancellation near 0


def _coba(exp: str) -> Simulator:
    """64 conductance LIF of the COBA benchmark, recurrent excitation, a step current."""
    net = Network(seed=3)
    pop = net.add_population("E", 64, "lif", params={"cm": "200 pF", "tau_m": "20 ms", "v_rest": "-60 mV",
                                                     "v_thresh": "-50 mV", "v_reset": "-60 mV",
                                                     "tau_refrac": "5 ms"},
                             receptors={"exc": Synapse("exponential", "5 ms", kind="conductance", e_rev="0 mV"),
                                        "inh": Synapse("exponential", "10 ms", kind="conductance", e_rev="-80 mV")},
                             initial={"v": Normal(-55e-3, 5e-3)})  # SI volts
    net.connect(pop, pop, receptor="exc", weight="6 nS", rule=connectivity.rule("fixed_probability", p=0.2))
    net.connect(pop, pop, receptor="inh", weight="20 nS", rule=connectivity.rule("fixed_probability", p=0.1))
    net.add(Constant(pop, "0.25 nA"))
    net.record_spikes(pop)
    net.record_state(pop, "v")
    return Simulator(net, dt="0.1 ms", exp=exp)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="checks x86 SIMD instructions")
@pytest.mark.parametrize("exp", ["vexp", "libm"])
def test_conductance_lif_update_vectorises_with_vexp_only(exp, tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))  # compile here: cached code has no assembly
    sim = _coba(exp)
    sim.run("1 ms")
    assert ("vexp(" in sim.source) == (exp == "vexp")
    dispatcher = sim._chunk
    assembly = dispatcher.inspect_asm(dispatcher.signatures[0])
    packed = assembly.count("mulpd")  # packed double multiplies (SSE2 mulpd, AVX vmulpd)
    assert (packed >= 10) == (exp == "vexp"), packed


def test_vexp_and_libm_runs_agree_to_rounding():
    """An ulp per exponential per step, contracted by leak and conductances: the same spike steps,
    and v within 1e-9 V (as the Brian2 comparison of tests/compare/test_coba_neuron.py)."""
    vexp_run, libm_run = (_coba(exp).run("300 ms") for exp in ("vexp", "libm"))
    steps = [np.round(r.spikes["E"].times / 1e-4).astype(int) for r in (vexp_run, libm_run)]
    np.testing.assert_array_equal(steps[0], steps[1])
    assert len(steps[0]) > 100
    v, v_libm = vexp_run.states["E"]["v"].data, libm_run.states["E"]["v"].data
    assert 0.0 < np.abs(v - v_libm).max() < 1e-9  # not bitwise equal: the exponentials differ in the last bit


def test_unknown_exp_is_refused():
    with pytest.raises(ParameterError, match="exp"):
        _coba("fast")


@numba.njit
def _log_pow(x, y):
    logs, powers = np.empty_like(x), np.empty_like(x)
    for i in range(x.shape[0]):
        logs[i] = vlog(x[i])
        powers[i] = vpow(x[i], y)
    return logs, powers


def test_vlog_within_two_ulp_of_long_double_log_over_the_double_range_and_its_ieee_cases():
    rng = np.random.default_rng(7)
    x = np.concatenate([np.exp(rng.uniform(-744.0, 709.0, 100_000)), rng.uniform(0.5, 2.0, 100_000),
                        rng.uniform(1e-320, 2.2e-308, 1000), [1.0 - 2**-53, 1.0 + 2**-52, 2.0, 0.5, 5e-324]])
    logs, _ = _log_pow(x, 1.0)
    reference = np.log(x.astype(np.longdouble))
    finite = reference != 0
    assert _ulps(logs[finite], reference[finite]).max() <= 2.0
    assert logs[x == 1.0].tolist() == [0.0] * int(np.sum(x == 1.0))
    special, _ = _log_pow(np.array([0.0, -0.0, -1.0, np.inf, -np.inf, np.nan]), 1.0)
    assert special[0] == -np.inf
    assert special[1] == -np.inf
    assert np.isnan(special[2])
    assert special[3] == np.inf
    assert np.isnan(special[4])
    assert np.isnan(special[5])


@pytest.mark.parametrize("y", [-1 / 3, -1 / 5, 0.5, 2.0])
def test_vpow_matches_long_double_power_to_the_error_of_its_exponent(y):
    x = np.exp(np.random.default_rng(8).uniform(-30.0, 30.0, 10_000))  # err = 1e-12 .. 1e12 in the controllers
    _, powers = _log_pow(x, y)
    reference = np.power(x.astype(np.longdouble), np.longdouble(y))
    # y log(x) is formed to ~1 ulp of its value (at most 30 here), and exp turns an absolute error into a relative one
    bound = 4 * np.finfo(float).eps * (1 + np.abs(y * np.log(x)))
    assert np.all(np.abs(powers / reference.astype(float) - 1) <= bound)
