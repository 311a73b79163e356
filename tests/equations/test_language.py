"""The equation language: parsing, dimensions, methods, and every 'Bad input' class of issue 14."""
import pytest

from neurosim.core.neurons.equation import Model
from neurosim.equations.parse import EquationError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

LIF = "dv/dt = (v_rest - v)/tau_m + I/cm : volt (unless refractory)"
PARAMS = {"cm": "1 nF", "tau_m": "20 ms", "v_rest": "-65 mV", "v_thresh": "-50 mV", "tau_refrac": "2 ms"}


def model(equations=LIF, **kwargs):
    options = {"parameters": PARAMS, "inputs": {"I": "amp"}, "threshold": "v > v_thresh", "reset": "v = v_rest",
               "refractory": "tau_refrac"}
    options.update(kwargs)
    return Model("m", equations, **options)


def error(**kwargs) -> EquationError:
    with pytest.raises(EquationError) as info:
        model(**kwargs)
    return info.value


def test_linear_lif_is_exact_and_conductance_lif_exponential_euler():
    assert model().resolved_method == "exact"
    coba = model("dv/dt = (v_rest - v)/tau_m + g*(e_rev - v)/cm : volt\ndg/dt = -g/tau_m : siemens",
                 parameters={**PARAMS, "e_rev": "0 mV"}, refractory=None)
    assert coba.resolved_method == "exponential_euler"
    nonlinear = model("dv/dt = (v_rest - v)/tau_m + v**2/(tau_m*mV) : volt", refractory=None)
    assert nonlinear.resolved_method == "rk4"


def test_undefined_symbol_named_with_suggestion():
    exc = error(equations="dv/dt = (v_rest - v)/tau_n + I/cm : volt (unless refractory)")
    assert exc.term == "tau_n"
    assert exc.line == 1
    assert "undefined symbol 'tau_n' (did you mean 'tau_m'?)" in str(exc)
    assert "model 'm', equations line 1" in str(exc)


def test_inconsistent_units_name_the_terms():
    exc = error(equations="dv/dt = (v_rest - v)/tau_m + I : volt (unless refractory)")
    assert "terms of a sum differ" in str(exc)
    assert "'I' has" in str(exc)
    assert "ampere" not in exc.message.split("'I'")[0]
    exc = error(equations="dv/dt = (v_rest - v) + I/cm : volt (unless refractory)")
    assert ("terms of a sum differ: 'v_rest - v' has dimension voltage (volt) but 'I/cm' has voltage_per_time"
            in str(exc))
    exc = error(equations="dv/dt = (v_rest - v)/cm : volt (unless refractory)")
    assert "right-hand side has dimension" in str(exc)
    assert "but dv/dt has voltage_per_time" in str(exc)


def test_function_arguments_dimensionless_and_powers_numeric():
    exc = error(equations="dv/dt = exp(v)/tau_m*mV : volt", refractory=None)
    assert "argument of exp() must be dimensionless, 'v'" in str(exc)
    exc = error(equations="dv/dt = v**tau_m/tau_m : volt", refractory=None)
    assert "exponent must be dimensionless" in str(exc)
    exc = error(equations="dv/dt = (v_rest - v)/tau_m : volt\ndx/dt = v**x/tau_m : 1", refractory=None)
    assert "its exponent must be a number, not 'x'" in str(exc)


def test_threshold_must_be_boolean():
    exc = error(threshold="v - v_thresh")
    assert exc.part == "threshold"
    assert "expected a condition" in str(exc)


def test_reset_assigning_undefined_or_parameter():
    exc = error(reset="u = v_rest")
    assert exc.part == "reset"
    assert "assigns undefined name 'u'" in str(exc)
    exc = error(reset="v = v_rest\ntau_m = 1*ms")
    assert exc.line == 2
    assert "assigns defined name 'tau_m', which is not a state variable" in str(exc)
    exc = error(reset="v = 3*ms")
    assert "has dimension time" in str(exc)


def test_exact_on_nonlinear_system_refused_with_reason():
    exc = error(equations="dv/dt = (v_rest - v)/tau_m + v**2/(tau_m*mV) : volt", refractory=None, method="exact")
    assert exc.part == "method"
    assert "'exact' cannot integrate this system" in str(exc)
    assert "coefficient depends on v" in str(exc)
    exc = error(equations="dv/dt = exp(v/mV)*mV/tau_m : volt", refractory=None, method="exponential_euler")
    assert "not linear in 'v'" in str(exc)
    exc = error(method="rk5")
    assert "unknown method 'rk5' (did you mean 'rk4'?)" in str(exc)


@pytest.mark.parametrize("name", ["t", "dt", "i", "N"])
def test_reserved_names_refused(name):
    exc = error(equations=f"d{name}/dt = -{name}/tau_m : 1", threshold=None, reset=None, refractory=None)
    assert f"'{name}' is reserved" in str(exc)


def test_unsafe_syntax_is_never_evaluated():
    for text in ("__import__('os').system('true')", "v.__class__", "[v for v in x]", "lambda: 1"):
        exc = error(equations=f"dv/dt = {text} : volt", refractory=None)
        assert "model 'm'" in str(exc)


def test_subexpression_cycle_and_duplicates():
    exc = error(equations=f"{LIF}\na = b : 1\nb = a : 1")
    assert "cycle: a -> b -> a" in str(exc)
    exc = error(equations=f"{LIF}\ndv/dt = -v/tau_m : volt")
    assert "'v' is defined twice (also line 1)" in str(exc)


def test_refractory_duration_or_condition():
    assert model(refractory="v > v_thresh").system.refractory_is_condition
    exc = error(refractory="v_rest")
    assert "expected a duration" in str(exc)
    exc = error(refractory=None)
    assert "'(unless refractory)' but the model has no refractory period" in str(exc)


def test_units_and_constants_in_expressions():
    m = model("dv/dt = (v_rest - v)/tau_m + 0.5*nA/cm + I/cm : volt (unless refractory)")
    assert m.resolved_method == "exact"
    exc = error(equations="dv/dt = (v_rest - v)/tau_m + 0.5*nA : volt (unless refractory)")
    assert "'0.5*nA' has" in str(exc)


def test_stiff_system_at_large_dt_warns():
    import warnings

    from neurosim.core.network import Network
    from neurosim.core.neurons.equation import register
    from neurosim.core.simulator import Simulator
    from neurosim.errors import NeurosimWarning

    register(Model("fast", "dx/dt = -x/tau : 1", parameters={"tau": "0.04 ms"}, initial={"x": 1.0},
                   method="euler"), replace=True)
    net = Network(seed=0)
    net.add_population("F", 2, "fast")
    with pytest.warns(NeurosimWarning, match=r"model 'fast', method euler\): dx/dt has a time constant of 0.04 ms"):
        Simulator(net, dt=1e-4)
    net = Network(seed=0)
    net.add_population("F", 2, "fast")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeurosimWarning)
        Simulator(net, dt=1e-5)  # |lambda| dt = 0.25: stable, no warning
