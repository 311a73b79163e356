"""Neuron and synapse models defined by equations, compiled into the network's step loop.

A :class:`Model` is Brian2-style equations with units, parameters (defaults with units and a
constraint), named inputs, an optional threshold, reset (several statements) and refractoriness
(a duration or a condition), and the integration method (``auto`` states its choice). A
:class:`SynapseModel` is a receptor: its own equations, an ``on_pre`` statement linear in the
arriving weight ``w`` and an ``output`` term added to one of the neuron's inputs (``I_syn``).

``EquationPopulation`` follows the :class:`~neurosim.core.population.Population` protocol: the
receptors of a population are merged into its equation system with their names suffixed by the
receptor's key (``g`` of receptor ``exc`` is ``g_exc``), so the joint system's integrator is
chosen as a whole (a current-based LIF with exponential receptors is linear: exact; with
conductances it is conditionally linear: exponential Euler). Receptor states are the rows of
``z``: projections add ``b * weight`` to them through the ring buffer, as for every population.

The emitted update is branch-free (refractory clamp, threshold and reset are selects), every
local is assigned once (the loop may be a ``prange``), parameter-only subexpressions are computed
at build and become literals when homogeneous, and a header comment names the model, the method
and each derived constant.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import sympy

from ...equations import emit
from ...equations.dimensions import BOOL, ONE, Dim, brian2_unit, dimension_name, of_pint, parse_unit
from ...equations.integrate import ADAPTIVE, DEFAULT_TOLERANCE, METHODS, TOLERANCE, choose, decay, propagators, update
from ...equations.parse import EquationError, before_symbol, parse_equations, statements
from ...equations.system import build_system
from ...errors import ParameterError, did_you_mean
from ...units import _parse, quantity, to_si, ureg
from ..distributions import sample
from ..params import CONSTRAINTS, Param
from ..population import Population
from ..synapses import Synapse
from ..timegrid import to_steps

if TYPE_CHECKING:
    from ..codegen import CodeWriter

_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _is_expression(text: str) -> bool:
    """Whether ``text`` is a Python expression (``E_L``, ``b*c``) rather than a quantity (``-65 mV``)."""
    import ast
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def _quantity(value, model: str, what: str) -> tuple[float, Dim]:
    """An SI float and its dimension from ``"20 ms"``, ``"-70 mV"`` or a bare number (dimensionless)."""
    if isinstance(value, bool):
        raise EquationError(model, what, "expected a number or a quantity with a unit", text=repr(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), ONE
    if isinstance(value, str):
        try:
            quantity = _parse(value.strip())
        except Exception:
            raise EquationError(model, what, "expected a quantity such as '20 ms' or a number", text=value) from None
        if not hasattr(quantity, "dimensionality"):
            return float(quantity), ONE
        base = quantity.to_base_units()
        return float(base.magnitude), of_pint(base)
    raise EquationError(model, what, "expected a number or a quantity with a unit such as '20 ms'", text=repr(value))


def _parameters(model: str, given: dict | None) -> dict[str, Param]:
    """Parameters from ``name -> value | {value, constraint, doc}``; a value that is an expression
    naming other parameters is a derived default (``Param.derived``, checked for dimension and cycles)."""
    given = dict(given or {})
    specs, derived = {}, {}
    for name, spec in given.items():
        if isinstance(spec, Param):
            specs[name] = spec
            continue
        doc, constraint = "", "any"
        if isinstance(spec, dict):
            unknown = set(spec) - {"value", "constraint", "doc"}
            if unknown or "value" not in spec:
                raise EquationError(model, f"parameters.{name}", "expected a value, or {value: ..., constraint: ..., "
                                    "doc: ...}", text=str(spec))
            doc, constraint, spec = str(spec.get("doc", "")), spec.get("constraint", "any"), spec["value"]
        if constraint not in CONSTRAINTS:
            raise EquationError(model, f"parameters.{name}", f"unknown constraint '{constraint}'"
                                f"{did_you_mean(constraint, CONSTRAINTS)}; constraints: {', '.join(CONSTRAINTS)}",
                                text=str(constraint))
        if isinstance(spec, str) and _is_expression(spec) and set(_IDENT.findall(spec)) & (set(given) - {name}):
            derived[name] = (spec, constraint, doc)
            continue
        value, dim = _quantity(spec, model, f"parameters.{name}")
        if not CONSTRAINTS[constraint][0](np.array([value]))[0]:
            raise EquationError(model, f"parameters.{name}", f"the default violates its constraint: "
                                f"{CONSTRAINTS[constraint][1]}", text=str(spec))
        specs[name] = Param(name, dimension_name(dim) or str(dim), value, constraint, doc, dim)
    result = dict(specs)
    while derived:  # in dependency order: each round converts those whose parameters are known
        ready = [name for name, (text, _, _) in derived.items()
                 if not (set(_IDENT.findall(text)) & set(derived)) - {name}]
        if not ready:
            names = ", ".join(sorted(derived))
            raise EquationError(model, f"parameters.{min(derived)}", f"derived defaults depend on each other in a "
                                f"cycle ({names})", text=derived[min(derived)][0])
        for name in ready:
            text, constraint, doc = derived.pop(name)
            result[name] = _derived(model, name, text, constraint, doc, result)
    return {name: result[name] for name in given}


def _derived(model, name, text, constraint, doc, known: dict[str, Param]) -> Param:
    from ...equations.parse import Converter
    from ...equations.system import TIME
    converter = Converter(model, {**{k: p.dim for k, p in known.items()}, "t": TIME, "dt": TIME})
    label = f"parameters.{name}"
    expr, dim = converter.expression(text, label)
    if expr.free_symbols & {converter.symbol("t"), converter.symbol("dt")} or dim is BOOL:
        raise EquationError(model, label, "a derived default is an expression of other parameters", text=text)
    value = float(expr.xreplace({converter.symbol(k): p.default for k, p in known.items()}))
    if not CONSTRAINTS[constraint][0](np.array([value]))[0]:
        raise EquationError(model, label, f"the default violates its constraint: {CONSTRAINTS[constraint][1]}",
                            text=text)
    return Param(name, dimension_name(dim) or str(dim), value, constraint, doc, dim, expr)


def _dimension(model: str, dim: Dim, what: str) -> str:
    name = dimension_name(dim)
    if name is None:
        from ...units import DIMENSIONS
        raise EquationError(model, what, f"dimension {dim} has no name in neurosim.units (known: "
                            f"{', '.join(DIMENSIONS)})", text=what)
    return name


#: Options a model may declare (``options:`` in its file): name -> (values, what it does).
MODEL_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "spike_timing": (("step", "precise"), "'step' (Brian2/NEST grid) or 'precise' (Nengo's: the threshold "
                     "crossing interpolated from the exact solution, the refractory period starting there)"),
}


@dataclass(frozen=True)
class PreciseForm:
    """A one-state linear system ``dx/dt = a x + b`` with threshold ``x > theta``: over a part ``s`` of
    a step ``x(s) = x_inf + (x_0 - x_inf) exp(a s)``, ``x_inf = -b/a``, and a crossing of ``theta``
    lies ``log1p((x - theta)/(theta - x_inf)) / (-a)`` before the end of the step."""

    state: str
    a: sympy.Expr      # parameters only, negative
    b: sympy.Expr      # parameters and the inputs (held over the step)
    theta: sympy.Expr  # parameters only


def precise_form(system, method: str) -> PreciseForm | str:
    """The :class:`PreciseForm` of ``system`` integrated by ``method``, or why precise timing is undefined."""
    if len(system.states) != 1:
        return f"it needs a single state variable (here {', '.join(system.states)}: receptors with states " \
               "change the input within a step)"
    name = system.states[0]
    x = system.symbol(name)
    if method != "exact":
        return f"it needs a linear equation integrated exactly (method here: {method})"
    if system.refractory is None or system.refractory_is_condition or name not in system.unless_refractory:
        return f"it needs a refractory duration and '{name}' '(unless refractory)'"
    parameters = {system.symbol(p) for p in system.parameters}
    a = sympy.diff(system.rhs[name], x)
    b = sympy.expand(system.rhs[name] - a * x)
    if a.free_symbols - parameters or system.t in b.free_symbols | a.free_symbols or x in b.free_symbols:
        return f"d{name}/dt must be a*{name} + b with a of parameters only and b without t"
    threshold = system.threshold
    if not isinstance(threshold, sympy.StrictGreaterThan) or threshold.lhs != x \
            or threshold.rhs.free_symbols - parameters:
        return f"its threshold must be '{name} > expression of parameters'"
    return PreciseForm(name, a, b, threshold.rhs)


def precise_reason(system, method: str) -> str | None:
    form = precise_form(system, method)
    return form if isinstance(form, str) else None


#: The arrays an equation population passes to the step loop besides its states (as
#: ``<pop>_<name>``, like the states): a state of the same name is refused.
GENERATED_ARRAYS = ("z", "i_ext", "spikes", "nspk", "fired", "fired_words", "ring", "syn_b", "syn_row", "rate",
                    "h_step", "ref_time", "never_refractory")


class Model:
    """A neuron model defined by equations (Brian2 syntax); see ``docs/models.md``.

    ``parameters``: name -> default (``"20 ms"``, a number when dimensionless, or
    ``{value, constraint, doc}``); ``inputs``: name -> unit (``{"I_syn": "amp"}``), summed each step
    from stimuli (the first input) and receptors (their ``target``); ``initial``: state -> value or
    parameter name (default 0); ``threshold``: a condition; ``reset``: statements;
    ``refractory``: a duration (``"tau_refrac"``, ``"2*ms"``) or a condition; ``method``: one of
    ``auto`` and :data:`~neurosim.equations.integrate.METHODS`; ``max_dt``: the largest time step
    (a quantity, or method -> quantity), larger ones are refused at build; ``clamp``: statements
    applied to the integrated states each step before the threshold (``v = clip(v, min_voltage,
    inf)``, Nengo's ``min_voltage``); ``options``: the options the model declares besides
    ``method``, ``tables`` and ``tolerance``, with their defaults (:data:`MODEL_OPTIONS`:
    ``{spike_timing: precise}``). A model without a threshold is a rate model when it defines a
    subexpression ``rate``: dense projections read it.
    """

    def __init__(self, name: str, equations: str, parameters: dict | None = None, inputs: dict | None = None,
                 initial: dict | None = None, threshold: str | None = None, reset=None, refractory=None,
                 method: str = "auto", doc: str = "", convention: str = "", source: str | None = None,
                 max_dt=None, clamp=None, options: dict | None = None):
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ParameterError("model name", name, "an identifier (letters, digits, underscores)")
        self.name, self.text, self.doc, self.convention, self.source = name, equations, doc, convention, source
        self.parameters = _parameters(name, parameters)
        self.inputs: dict[str, Dim] = {}
        for key, unit in (inputs or {}).items():
            try:
                self.inputs[key] = parse_unit(str(unit))
            except ValueError as exc:
                raise EquationError(name, f"inputs.{key}", str(exc), text=str(unit)) from None
        self.threshold, self.reset, self.refractory = threshold, reset, refractory
        self.initial = dict(initial or {})
        self.method = method
        self.clamp = clamp
        self.system = build_system(name, equations, {k: p.dim for k, p in self.parameters.items()},
                                   {**self.inputs, "i_ext": self.input_dim}, threshold, reset, refractory, clamp)
        self.options = self._options(options)
        self._refuse_array_names()
        for key in self.inputs:
            if key == "i_ext":
                raise EquationError(name, "inputs", "'i_ext' is the simulator's summed stimulus; name the input "
                                    "e.g. I_syn", text=key)
        self.resolved_method = choose(self.system, method)
        self.states = list(self.system.states)
        self.initial_exprs = {key: sympy.Integer(0) for key in self.states}
        for key, value in self.initial.items():
            if key not in self.states:
                raise EquationError(name, f"initial.{key}", f"'{key}' is not a state variable"
                                    f"{did_you_mean(key, self.states)}; state variables: {', '.join(self.states)}",
                                    text=str(value))
            self.initial_exprs[key] = self._initial(key, value)
        self.initial_order()  # refuses cycles
        self.dimensions = {key: _dimension(name, dim, f"equations ({key})")
                           for key, dim in self.system.dims.items() if dim is not BOOL and key not in ("t", "dt")}
        self.max_dt = self._max_dt(max_dt)

    def _refuse_array_names(self) -> None:
        """A state is a loop argument ``<pop>_<state>``: it may not take the name of one of the
        population's own arrays (:data:`GENERATED_ARRAYS`, a parameter's ``p_<name>``, a derived
        constant's ``c_<name>``), which would overwrite it or be overwritten silently."""
        for equation in self.system.equations:
            name = equation.name
            if equation.kind != "differential":
                continue
            taken = (name in GENERATED_ARRAYS or name.startswith(("c_", "substep_"))
                     or (name.startswith("p_") and name[2:] in self.parameters))
            if taken:
                raise EquationError(self.name, "equations", f"state '{name}' has the name of an array of the "
                                    f"generated code (reserved for states: {', '.join(GENERATED_ARRAYS)}, "
                                    f"c_*, substep_*, and p_<parameter>)",
                                    text=equation.text, term=name, line=equation.line)

    def _max_dt(self, given) -> dict[str, float]:
        """``max_dt`` as method -> largest time step (s); a single quantity bounds every method."""
        if given is None:
            return {}
        from ...equations.system import TIME
        items = given.items() if isinstance(given, dict) else [(m, given) for m in METHODS]
        result = {}
        for method, value in items:
            if method not in METHODS:
                raise EquationError(self.name, f"max_dt.{method}", f"unknown method '{method}'"
                                    f"{did_you_mean(str(method), METHODS)}; methods: {', '.join(METHODS)}",
                                    text=str(method))
            si, dim = _quantity(value, self.name, f"max_dt.{method}")
            if dim != TIME or not si > 0:
                raise EquationError(self.name, f"max_dt.{method}", "expected a positive duration such as '0.2 ms'",
                                    text=str(value))
            result[method] = si
        return result

    def derive(self, values: dict, given) -> None:
        """Set the derived defaults (``Param.derived``) not in ``given`` from ``values`` (SI
        scalars or per-neuron arrays; the result has the shape of what it is computed from)."""
        for key, parameter in self.parameters.items():  # dependency order (see _parameters)
            if parameter.derived is not None and key not in given:
                deps = [s.name for s in parameter.derived.free_symbols]
                shape = np.broadcast_shapes(*(np.shape(values[k]) for k in deps))
                numeric = {self.system.symbol(k): np.asarray(values[k], float) for k in deps}
                result = emit.evaluate(parameter.derived, numeric, int(np.prod(shape))).reshape(shape)
                values[key] = result if shape else float(result)

    def initial_order(self, given=()) -> list[str]:
        """The state variables in an order in which every initial value's dependencies come first
        (states in ``given`` have none)."""
        order: list[str] = []
        pending = list(self.states)
        while pending:
            for key in pending:
                deps = set() if key in given else {s.name for s in self.initial_exprs[key].free_symbols} & \
                    set(self.states)
                if deps <= set(order):
                    order.append(key)
                    pending.remove(key)
                    break
            else:
                raise EquationError(self.name, f"initial.{pending[0]}", "initial values depend on each other in a "
                                    f"cycle ({', '.join(pending)})", text=str(self.initial.get(pending[0], "")))
        return order

    def _options(self, given) -> dict[str, str]:
        """The declared options (name -> default), checked against :data:`MODEL_OPTIONS` and the system."""
        if given is None:
            return {}
        if not isinstance(given, dict):
            raise EquationError(self.name, "options", "expected a mapping such as {spike_timing: precise}",
                                text=str(given))
        for key, value in given.items():
            if key not in MODEL_OPTIONS:
                raise EquationError(self.name, f"options.{key}", f"unknown option '{key}'"
                                    f"{did_you_mean(str(key), MODEL_OPTIONS)}; options a model can declare: "
                                    f"{', '.join(MODEL_OPTIONS)} (method and tables are every model's)", text=str(key))
            if value not in MODEL_OPTIONS[key][0]:
                raise EquationError(self.name, f"options.{key}", f"the default of '{key}' must be one of "
                                    f"{', '.join(MODEL_OPTIONS[key][0])}", text=str(key))
        if "spike_timing" in given:
            why = precise_reason(self.system, choose(self.system, self.method))
            if why is not None:
                raise EquationError(self.name, "options.spike_timing", f"precise spike timing is not defined for "
                                    f"this model: {why}", text="spike_timing")
        return {str(k): str(v) for k, v in given.items()}

    def _initial(self, key: str, value) -> sympy.Expr:
        """An initial value: a quantity (``"-65 mV"``) or an expression of parameters, other state
        variables and subexpressions of them (``"E_L"``, ``"b*c"``, ``"alpha_m/(alpha_m + beta_m)"``)."""
        label = f"initial.{key}"
        expected = self.system.dims[key]
        if isinstance(value, str) and _is_expression(value):
            system = self.system
            expr, dim = system.converter.expression(value, label)
            expr = expr.xreplace({system.symbol(k): v for k, v in system.subexpressions.items()})
            allowed = {system.symbol(p) for p in self.parameters} | {system.symbol(s) for s in self.states
                                                                     if s != key}
            extra = expr.free_symbols - allowed
            if extra:
                raise EquationError(self.name, label, f"an initial value may use parameters and other state "
                                    f"variables only, not {', '.join(sorted(s.name for s in extra))}", text=value)
        else:
            si, dim = _quantity(value, self.name, label)
            expr = sympy.Float(si)
        if dim != expected and expr != 0:
            raise EquationError(self.name, label, f"has dimension {dim}, expected {expected}", text=str(value))
        return expr

    @property
    def input_dim(self) -> Dim:
        """Dimension of the first input (what stimuli add), dimensionless without inputs."""
        return next(iter(self.inputs.values()), ONE)

    def population_class(self) -> type:
        """A :class:`EquationPopulation` subclass for this model, usable wherever built-in models are."""
        spec = {key: Param(key, self.dimensions[key], p.default, p.constraint, p.doc)
                for key, p in self.parameters.items()}
        state_spec: dict[str, tuple[str, object]] = {key: (self.dimensions[key], str(self.initial_exprs[key]))
                                                     for key in self.states}
        if self.system.refractory is not None and not self.system.refractory_is_condition:
            state_spec["ref_left"] = ("time", 0.0)
        return type(self.name, (EquationPopulation,), {
            "model": self.name, "definition": self, "param_spec": spec, "state_spec": state_spec,
            "spiking": self.system.threshold is not None, "convention": self.convention or "equations",
            "options": {**EquationPopulation.options, **{key: MODEL_OPTIONS[key][1] for key in self.options}},
            "default_timing": self.options.get("spike_timing", "step"),
            "supports_delta": "v" in self.states,
            "input_dimension": _dimension(self.name, self.input_dim, "inputs"), "__doc__": self.doc})


class SynapseModel:
    """A receptor defined by equations: ``on_pre`` (linear in the weight ``w``) and ``output``.

    ``weight``: the unit of ``w`` (``"siemens"``); ``output``: the expression added to input
    ``target`` of the neuron (default: its first input); ``value``: what ``syn_<receptor>``
    records (default: ``output``). The equations may use the neuron's variables (``v``).
    """

    def __init__(self, name: str, equations: str, on_pre: str, output: str, weight: str = "1",
                 parameters: dict | None = None, target: str | None = None, value: str | None = None,
                 doc: str = "", source: str | None = None):
        self.name, self.text, self.on_pre, self.output, self.doc = name, equations, on_pre, output, doc
        self.value, self.target, self.source = value or output, target, source
        self.parameters = _parameters(name, parameters)
        try:
            self.weight = parse_unit(weight)
        except ValueError as exc:
            raise EquationError(name, "weight", str(exc), text=weight) from None
        self.equations = parse_equations(equations, name)
        self.states = [e.name for e in self.equations if e.kind == "differential"]
        if not self.states:
            raise EquationError(name, "equations", "a receptor needs a differential equation", text=equations)
        if "w" in [e.name for e in self.equations] or "w" in self.parameters:
            raise EquationError(name, "equations", "'w' is the arriving weight in a receptor model", text=equations)

    def local_names(self) -> set[str]:
        return {e.name for e in self.equations} | set(self.parameters)

    def renamed(self, key: str) -> tuple[str, dict[str, str]]:
        """The equations with every local name suffixed by ``_key``; returns (text, mapping)."""
        mapping = {name: f"{name}_{key}" for name in self.local_names()}
        lines = []
        for e in self.equations:
            flags = f" ({', '.join(e.flags)})" if e.flags else ""
            unit = e.text.rsplit(":", 1)[1].split("(")[0].strip()
            lhs = {"differential": f"d{mapping[e.name]}/dt = ", "subexpression": f"{mapping[e.name]} = ",
                   "parameter": ""}[e.kind]
            if e.kind == "parameter":
                lines.append(f"{mapping[e.name]} : {unit}{flags}")
            else:
                lines.append(f"{lhs}{rename(e.expression, mapping)} : {unit}{flags}")
        return "\n".join(lines), mapping


def rename(text: str, mapping: dict[str, str]) -> str:
    return _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


# -- built-in receptor kernels -------------------------------------------------------------------
def kernel_model(synapse: Synapse, input_unit: str) -> tuple[SynapseModel, dict[str, float]]:
    """The equation receptor of a :class:`~neurosim.core.synapses.Synapse` (peak-amplitude weights)."""
    current = synapse.kind == "current"
    unit = input_unit if current else "siemens"
    value_of = {"tau": synapse.tau, "tau_rise": synapse.tau_rise, "e_rev": synapse.e_rev}
    params = {"tau": Param("tau", "time", synapse.tau)}
    if synapse.kernel == "exponential":
        equations, on_pre, g = f"dg/dt = -g/tau : {unit}", "g += w", "g"
    elif synapse.kernel == "alpha":  # x -> g chain; x += e*w gives a peak of w at t = tau
        equations, on_pre, g = (f"dx/dt = -x/tau : {unit}\ndg/dt = (x - g)/tau : {unit}",
                                f"x += {math.e!r}*w", "g")
    else:  # exp2: a decay minus a rise, scaled so that the peak is w
        params["tau_rise"] = Param("tau_rise", "time", synapse.tau_rise)
        peak = synapse.peak() * (synapse.tau - synapse.tau_rise)  # max of exp(-t/tau) - exp(-t/tau_rise)
        equations = f"dg_decay/dt = -g_decay/tau : {unit}\ndg_rise/dt = -g_rise/tau_rise : {unit}"
        on_pre, g = f"g_decay += w/{peak!r}; g_rise += w/{peak!r}", "(g_decay - g_rise)"
    if current:
        output = g
    else:
        params["e_rev"] = Param("e_rev", "voltage", synapse.e_rev)
        output = f"{g}*(e_rev - v)"
    model = SynapseModel(f"{synapse.kernel}_{synapse.kind}", equations, on_pre, output, unit, params, value=g)
    return model, {key: value_of[key] for key in params}


@dataclass
class ReceptorRows:
    """Where projections deliver: the receptor states are rows of ``z``; ``b[row]`` per unit weight."""

    names: list[str]
    b: np.ndarray
    row_receptor: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.b)

    def rows(self, receptor: str) -> np.ndarray:
        return np.flatnonzero(self.row_receptor == self.names.index(receptor))


class EquationPopulation(Population):
    """``n`` neurons of an equation :class:`Model` (``definition``) with receptors merged into it.

    ``receptors``: key -> :class:`~neurosim.core.synapses.Synapse` (a built-in kernel) or
    ``(SynapseModel, parameters)``. ``method`` overrides the model's method.

    ``tables`` (NEURON's ``TABLE``): state variable -> ``{min, max, step}`` (quantities in its
    unit). Every costly part of the update that is a function of that variable alone (and of
    constants), such as the exponential-Euler gate propagators of an HH model, is tabulated at
    build on the grid ``min + j step`` and interpolated linearly; outside the range (and for NaN)
    it is computed exactly. Error per value: ``<= step^2/8 max|f''|``. Parameters the tabulated
    functions use must be homogeneous.

    ``spike_timing`` (models that declare it): ``"step"`` (spikes at the end of the step in which
    the threshold is exceeded, refractory periods in whole steps by Brian2's rule) or
    ``"precise"`` (Nengo's: the crossing time inside the step is interpolated from the exact
    solution and the refractory period starts there; needs receptor-free input, see
    :class:`PreciseForm`).
    """

    definition: ClassVar[Model]
    default_timing: ClassVar[str] = "step"
    batchable = True
    options: ClassVar[dict[str, str]] = {
        "method": "integration method: auto or one of " + ", ".join(METHODS),
        "tables": "state variable -> {min, max, step}: tabulate the functions of that variable alone (NEURON's TABLE)",
        "tolerance": "error tolerance of the adaptive methods (relative, and in customary units: mV, nS, nA, ms)",
    }

    def __init__(self, name, n, params=None, receptors=None, initial=None, method=None, tables=None,
                 tolerance=None, spike_timing=None):
        receptors = dict(receptors or {})
        synapses = {key: r for key, r in receptors.items() if isinstance(r, Synapse)}
        super().__init__(name, n, params, synapses, {})
        self.receptors = receptors
        model = self.definition
        model.derive(self.params, params or {})
        self.receptor_models: dict[str, tuple[SynapseModel, dict, dict[str, str]]] = {}
        input_unit = brian2_unit(model.input_dim)
        for key, receptor in receptors.items():
            if isinstance(receptor, Synapse) and receptor.is_delta:
                continue  # a jump of v on arrival (see emit), no state of its own
            if isinstance(receptor, Synapse):
                synapse_model, values = kernel_model(receptor, input_unit)
            elif isinstance(receptor, tuple) and len(receptor) == 2 and isinstance(receptor[0], SynapseModel):
                synapse_model, values = receptor[0], self._receptor_values(key, *receptor)
            else:
                raise ParameterError(f"population '{name}': receptor '{key}'", receptor,
                                     "a Synapse or (SynapseModel, parameters)")
            self.receptor_models[key] = (synapse_model, values, {})
        self._combine(method)
        self.spike_timing = self._spike_timing(spike_timing)
        self.tables = self._tables(tables)
        if tolerance is not None and self.method not in ADAPTIVE:
            raise ParameterError(f"population '{name}': tolerance", tolerance,
                                 f"no option of method {self.method} (adaptive methods: {', '.join(ADAPTIVE)})")
        if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                      or not 0.0 < tolerance < 1.0):
            raise ParameterError(f"population '{name}': tolerance", tolerance, "a number in (0, 1), e.g. 1e-3")
        self.tolerance = float(tolerance) if tolerance is not None else DEFAULT_TOLERANCE
        self.initial = dict(initial or {})
        settable = [*self.system.states, *[f"syn_{key}" for key in self._syn_states()]]
        for key in self.initial:
            if key not in settable:
                raise ParameterError(f"population '{name}': initial {key}", self.initial[key],
                                     f"a state variable, one of {settable}{did_you_mean(key, settable)}")
            value = self.initial[key]
            if (isinstance(value, (int, float, np.integer, np.floating, np.ndarray, ureg.Quantity, list, tuple))
                    or (isinstance(value, str) and value not in self.params)) and not isinstance(value, bool):
                # the API's unit rule, at the call (a string naming a parameter is resolved at build)
                self.initial[key] = quantity(value, self.variable_dimension(key), f"population '{name}': initial {key}")

    def _spike_timing(self, given) -> str:
        """The ``spike_timing`` option checked (``'step'`` for models that do not declare it)."""
        owner, key = ("population", self.name), "spike_timing"
        label = f"population '{self.name}': spike_timing"
        if given is None:
            return self.default_timing
        if "spike_timing" not in self.options:
            raise ParameterError(label, given, f"no such option: model '{self.definition.name}' has the options "
                                 f"{', '.join(self.options)}", owner=owner, key=key)
        choices = MODEL_OPTIONS["spike_timing"][0]
        if given not in choices:
            raise ParameterError(label, given, f"one of {choices}{did_you_mean(str(given), choices)}",
                                 owner=owner, key=key)
        if given == "precise":
            if self.receptors:
                raise ParameterError(label, given, "'step' for populations with receptors "
                                     "(precise timing needs input held over the step)", owner=owner, key=key)
            why = precise_reason(self.system, self.method)
            if why is not None:
                raise ParameterError(label, given, f"'step': precise timing is not defined here, {why}",
                                     owner=owner, key=key)
        return given

    def current(self, density) -> np.ndarray:
        """Current per neuron (A) for a current density (A/m^2 or ``"10 uA/cm^2"``): models with an
        ``area`` parameter (HH; 1 uA/cm^2 on 10 000 um^2 is 100 pA)."""
        if "area" not in self.params:
            raise ParameterError(f"population '{self.name}': current density", density,
                                 f"a model with an 'area' parameter (model '{self.model}' has none)")
        if isinstance(density, (str, list, tuple)):
            density = to_si(density, "current_density", f"population '{self.name}': current density")
        return np.asarray(density, float) * self.params["area"]

    def _tables(self, tables) -> dict[str, tuple[float, float, float]]:
        """The ``tables`` option checked: variable -> (min, max, step) in SI units."""
        if tables is None:
            return {}
        label = f"population '{self.name}': tables"
        if not isinstance(tables, dict):
            raise ParameterError(label, tables, "a mapping: state variable -> {min, max, step}")
        result = {}
        for var, spec in tables.items():
            if var not in self.system.states:
                raise ParameterError(f"{label}.{var}", spec, f"a state variable, one of {list(self.system.states)}"
                                     f"{did_you_mean(str(var), self.system.states)}")
            if not isinstance(spec, dict) or set(spec) != {"min", "max", "step"}:
                raise ParameterError(f"{label}.{var}", spec, "{min: ..., max: ..., step: ...}")
            dimension = _dimension(self.definition.name, self.system.dims[var], var)
            lo, hi, step = (float(np.asarray(to_si(spec[k], dimension, f"{label}.{var}.{k}")).ravel()[0])
                            for k in ("min", "max", "step"))
            if not (np.isfinite([lo, hi, step]).all() and step > 0 and hi > lo):
                raise ParameterError(f"{label}.{var}", spec, "finite min < max and step > 0")
            rows = round((hi - lo) / step) + 1
            if rows > 10_000_000:
                raise ParameterError(f"{label}.{var}.step", spec["step"], f"at most 1e7 rows (here {rows})")
            result[var] = (lo, hi, step)
        return result

    def _tabulate(self, w, exprs, hoisted, constant_names, header, aliases=None):
        """``exprs`` with the costly functions of each tabulated variable replaced by table lookups
        (:class:`emit.TableLookup`, registered in ``self.lookups`` for the printer). ``aliases``:
        variable -> symbols that stand for its value elsewhere (the stage values of a Runge-Kutta
        method), looked up in the same table."""
        from sympy.logic.boolalg import Boolean
        system = self.system
        constant = set(constant_names) | set(hoisted)
        for var, (lo, hi, step) in self.tables.items():
            x = system.symbol(var)
            tag = sympy.Symbol(f"table_{var}")
            found: dict[sympy.Expr, int] = {}   # function of x -> its column

            def costly(expr):
                return any(isinstance(a, sympy.Function) or (isinstance(a, sympy.Pow) and not a.exp.is_Integer)
                           for a in sympy.preorder_traversal(expr))

            def visit(expr, alias, allowed, x=x, found=found, tag=tag):
                if expr.is_Atom:
                    return expr
                symbols = expr.free_symbols
                if alias in symbols and symbols <= allowed and not isinstance(expr, Boolean) and costly(expr):
                    column = found.setdefault(expr.xreplace({alias: x}), len(found))
                    return emit.TableLookup(alias, sympy.Integer(column), tag)
                return expr.func(*[visit(arg, alias, allowed) for arg in expr.args])

            for alias in [x, *(aliases or {}).get(var, [])]:
                exprs = [visit(expr, alias, constant | {alias}) for expr in exprs]
            if not found:
                continue
            rows = round((hi - lo) / step) + 1
            grid = lo + step * np.arange(rows)
            table = np.empty((rows, len(found)))
            for column, expr in enumerate(found):
                full = expr.xreplace(hoisted)
                values = {x: grid}
                for symbol in full.free_symbols - {x}:
                    array = np.asarray(self.numeric[symbol], float)
                    if array.size > 1 and not np.all(array == array.flat[0]):
                        raise ParameterError(f"population '{self.name}': tables.{var}", symbol.name,
                                             "homogeneous parameters in the tabulated functions of "
                                             f"{var} ({sympy.sstr(full)})")
                    values[symbol] = np.float64(array.flat[0])
                table[:, column] = emit.evaluate(full, values, rows)
            code = w.add_argument(w.ref(self, f"table_{var}"), table.astype(self.dtype))
            self.lookups[tag.name] = emit.Table(code, lo, 1.0 / step, rows, x, list(found))
            header.append(f"# table over {var}: {len(found)} functions on {rows} points from {lo!r} step {step!r}")
        return exprs

    def _receptor_values(self, key, synapse_model: SynapseModel, given: dict) -> dict[str, float]:
        label = f"population '{self.name}': receptor '{key}' ({synapse_model.name})"
        values = {}
        for pkey, value in (given or {}).items():
            if pkey not in synapse_model.parameters:
                raise ParameterError(f"{label}: {pkey}", value, f"a parameter of this receptor, one of "
                                     f"{sorted(synapse_model.parameters)}"
                                     f"{did_you_mean(pkey, synapse_model.parameters)}")
        for pkey, p in synapse_model.parameters.items():
            raw = (given or {}).get(pkey, p.default)
            si, dim = (float(raw), p.dim) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else \
                _quantity(raw, synapse_model.name, f"parameters.{pkey}")
            if dim != p.dim and si != 0:
                raise ParameterError(f"{label}: {pkey}", raw, f"a value of dimension {p.dim}")
            if not CONSTRAINTS[p.constraint][0](np.array([si]))[0]:
                raise ParameterError(f"{label}: {pkey}", raw, CONSTRAINTS[p.constraint][1])
            values[pkey] = si
        return values

    # -- the joint system --------------------------------------------------------------------
    def _combine(self, method) -> None:
        """Merge the receptors into the model's equations and choose the integration method."""
        model = self.definition
        lines = [model.text]
        outputs: dict[str, list[str]] = {key: [] for key in model.inputs}
        parameters = {key: p.dim for key, p in model.parameters.items()}
        self.receptor_params: dict[str, float] = {}
        first = next(iter(model.inputs), None)
        for key, (synapse_model, values, _) in self.receptor_models.items():
            text, mapping = synapse_model.renamed(key)
            self.receptor_models[key] = (synapse_model, values, mapping)
            lines.append(text)
            for pkey, value in values.items():
                parameters[mapping[pkey]] = synapse_model.parameters[pkey].dim
                self.receptor_params[mapping[pkey]] = value
            target = synapse_model.target or first
            if target not in outputs:
                raise ParameterError(f"population '{self.name}': receptor '{key}' target", target,
                                     f"an input of model '{model.name}', one of {list(model.inputs)}"
                                     f"{did_you_mean(str(target), model.inputs)}")
            outputs[target].append(f"({rename(synapse_model.output, mapping)})")
        #: inputs after the first that no receptor feeds: dense projections add to them (``target=key``)
        self.dense_inputs = {key: dim for index, (key, dim) in enumerate(model.inputs.items())
                             if index > 0 and not outputs[key]}
        for index, (key, dim) in enumerate(model.inputs.items()):
            terms = (["i_ext"] if index == 0 else [f"i_{key}"] if key in self.dense_inputs else []) + outputs[key]
            lines.append(f"{key} = {' + '.join(terms) or '0'} : {brian2_unit(dim)}")
        self.combined_text = "\n".join(lines)
        if self.receptor_models:
            label = f"{model.name} with receptors {', '.join(self.receptor_models)}"
        else:
            label = model.name
        try:
            self.system = build_system(model.name, self.combined_text, parameters, {"i_ext": model.input_dim,
                                       **{f"i_{key}": dim for key, dim in self.dense_inputs.items()}},
                                       model.threshold, model.reset, model.refractory, model.clamp)
        except EquationError as exc:
            raise ParameterError(f"population '{self.name}' ({label})", exc.text, exc.message) from None
        try:
            self.method = choose(self.system, method or model.method)
        except EquationError as exc:
            raise ParameterError(f"population '{self.name}' ({label}): method", method or model.method,
                                 exc.message) from None
        # receptor on_pre statements: linear in w, coefficients from receptor parameters only
        converter = self.system.converter
        self.on_pre: dict[str, dict[str, float]] = {}
        for key, (synapse_model, _, mapping) in self.receptor_models.items():
            shadowed = {table: getattr(converter, table).get("w") for table in ("symbols", "sympy")}  # AdEx's w
            converter.symbols["w"], converter.sympy["w"] = synapse_model.weight, sympy.Symbol("w", real=True)
            targets = {mapping[s]: self.system.dims[mapping[s]] for s in synapse_model.states}
            try:
                parsed = statements(converter, rename(synapse_model.on_pre, mapping), "on_pre", targets)
            except EquationError as exc:
                raise ParameterError(f"population '{self.name}': receptor '{key}' on_pre", exc.text,
                                     exc.message) from None
            finally:
                for table, previous in shadowed.items():  # the model's own 'w', if any, is restored
                    if previous is None:
                        del getattr(converter, table)["w"]
                    else:
                        getattr(converter, table)["w"] = previous
            coefficients = {}
            w = sympy.Symbol("w", real=True)
            numeric = {converter.symbol(name): value for name, value in self.receptor_params.items()}
            for statement in parsed:
                coefficient = sympy.diff(statement.expr, w)
                if statement.op != "+=" or sympy.simplify(statement.expr - coefficient * w) != 0 \
                        or coefficient.free_symbols - set(numeric):
                    raise ParameterError(f"population '{self.name}': receptor '{key}' on_pre", statement.text,
                                         "'state += c*w' with c depending on receptor parameters only "
                                         "(arriving weights are summed before they are applied)")
                coefficients[statement.target] = float(coefficient.xreplace(numeric))
            self.on_pre[key] = coefficients

    def _syn_states(self) -> dict[str, str]:
        """Receptor key -> its state recorded/initialised as ``syn_<key>`` (when its value is one state)."""
        result = {}
        for key, (synapse_model, _, mapping) in self.receptor_models.items():
            value = rename(synapse_model.value, mapping).strip("() ")
            if value in self.system.states:
                result[key] = value
        return result

    # -- build ---------------------------------------------------------------------------------
    @property
    def rate_output(self):
        """A non-spiking model's subexpression ``rate`` (its output to dense projections), else None."""
        if self.spiking or "rate" not in self.system.subexpressions:
            return None
        return self.system.subexpressions["rate"]

    def build(self, dt, dtype, rng):
        self.dt, self.dtype = dt, dtype
        self.values = {**self.params, **{k: np.full(self.n, v) for k, v in self.receptor_params.items()}}
        receptor_states = [s for (m, _, mapping) in self.receptor_models.values() for s in
                           (mapping[x] for x in m.states)]
        self.main_states = [s for s in self.system.states if s not in receptor_states]
        self.row_of = {s: row for row, s in enumerate(receptor_states)}
        names = list(self.receptors)  # ring slots: every receptor, delta ones included
        b = np.zeros(len(receptor_states))
        row_receptor = np.zeros(len(receptor_states), np.int64)
        for key, (m, _, mapping) in self.receptor_models.items():
            for x in m.states:
                row_receptor[self.row_of[mapping[x]]] = names.index(key)
            for target, coefficient in self.on_pre[key].items():
                b[self.row_of[target]] = coefficient
        self.bank = ReceptorRows(names, b, row_receptor)
        self.z = np.zeros((len(receptor_states), self.n), dtype)
        syn = self._syn_states()
        initial = {syn[key[4:]] if key.startswith("syn_") else key: value for key, value in self.initial.items()}
        numeric = {self.system.symbol(k): np.asarray(v, float) for k, v in self.values.items()}
        model = self.definition
        order = [*model.initial_order(initial), *(s for s in self.system.states if s not in model.states)]
        for var in order:  # an initial value may use the states before it (HH gates at steady state)
            label = f"population '{self.name}': initial {var}"
            if var in initial:
                value = initial[var]
            elif var in model.initial_exprs:
                value = emit.evaluate(model.initial_exprs[var], numeric, self.n)
            else:
                value = 0.0
            if isinstance(value, str) and value in self.params:
                value = self.params[value]
            elif isinstance(value, (str, list, tuple)):
                value = to_si(value, self.definition.dimensions.get(var) or _dimension(
                    self.definition.name, self.system.dims[var], var), label)
            array = sample(value, rng, self.n, label).astype(dtype)
            if var in self.row_of:
                self.z[self.row_of[var]] = array
            else:
                self.state[var] = array
            numeric[self.system.symbol(var)] = array.astype(float)
        if "ref_left" in self.state_spec:
            self.state["ref_left"] = np.zeros(self.n, dtype)
        # run arrays besides the state: the dense inputs, and the output ``rate`` of a non-spiking
        # model (a subexpression, stored after every update) that dense projections read
        self.extra = {f"i_{key}": np.zeros(self.n, dtype) for key in self.dense_inputs}
        if self.rate_output is not None:
            values = {**numeric, self.system.t: np.float64(0.0), self.system.symbol("i_ext"): np.zeros(self.n)}
            values.update({self.system.symbol(f"i_{key}"): np.zeros(self.n) for key in self.dense_inputs})
            for var in self.system.states:
                values[self.system.symbol(var)] = (self.z[self.row_of[var]] if var in self.row_of
                                                   else self.state[var]).astype(float)
            self.extra["rate"] = np.asarray(emit.evaluate(self.rate_output, values, self.n), float).astype(dtype)
        self.i_ext = np.zeros(self.n, dtype)
        self.spikes = np.zeros(self.n, np.int32)
        self.n_spikes = np.zeros(1, np.int64)
        self.prepare(dt)

    def allocate_ring(self, length: int) -> None:
        self.ring_length = int(length)
        self.ring = np.zeros((self.ring_length, max(1, len(self.receptors)), self.n if length else 0), self.dtype)

    def prepare(self, dt):
        """The symbolic update, its derived constants (at build, per neuron) and the propagators."""
        system = self.system
        bound = self.definition.max_dt.get(self.method)
        if bound is not None and dt > bound * (1 + 1e-9):
            where = f", file {self.definition.source}" if self.definition.source else ""
            raise ParameterError(f"population '{self.name}' (model '{self.definition.name}'{where}, method "
                                 f"{self.method}): dt", dt, f"a time step <= {bound * 1e3:g} ms (the model's max_dt)")
        vanishing = frozenset(k for k, p in self.param_spec.items() if p.constraint == "nonnegative")
        step = update(system, self.method, vanishing)
        self.step = step
        if step.adaptive is not None:  # the substep length each neuron proposes for its next step
            self.extra["h_step"] = np.full(self.n, dt, self.dtype)
        n = self.n
        numeric = {system.symbol(k): np.asarray(v, float) for k, v in self.values.items()}
        numeric[system.dt] = np.float64(dt)
        numeric[TOLERANCE] = np.float64(self.tolerance)
        if step.matrices:
            states = step.exact_states
            entries = np.array([[emit.evaluate(step.matrix[r, c], numeric, n) for c in range(len(states))]
                                for r in range(len(states))])  # (S, S, n)
            flat = entries.reshape(len(states) ** 2, n).T
            unique, inverse = np.unique(flat, axis=0, return_inverse=True)
            phi = np.empty((len(states), len(states), n))
            gamma = np.empty_like(phi)
            for index, row in enumerate(unique):
                p, g = propagators(row.reshape(len(states), len(states)), dt)
                cols = inverse.ravel() == index
                phi[:, :, cols], gamma[:, :, cols] = p[:, :, None], g[:, :, None]
            for symbol, (kind, r, c) in step.matrices.items():
                numeric[symbol] = (phi if kind == "phi" else gamma)[r, c]
        for symbol, tau in step.decays.items():
            numeric[symbol] = decay(np.broadcast_to(numeric[tau], (n,)), dt)
        self.numeric = numeric
        self._check_stiffness(dt)
        if system.refractory is not None and not system.refractory_is_condition:
            duration = emit.evaluate(system.refractory, numeric, n) if system.refractory.free_symbols else \
                np.full(n, float(system.refractory))
            if np.any(duration < 0):
                raise ParameterError(f"population '{self.name}': refractory", float(duration.min()), "a duration >= 0")
            if self.spike_timing == "precise":
                self.ref_time = np.asarray(duration, float)
            else:  # whole steps by Brian2's rule
                owner = f"population '{self.name}': {sympy.sstr(system.refractory)}"
                self.ref_time = to_steps(duration, dt, "refractory", owner) * dt
        self._check_reset(numeric)

    def _check_reset(self, numeric) -> None:
        """Refuse a reset that lands above the threshold ``x > theta`` (it would fire in every step)."""
        system = self.system
        threshold = system.threshold
        if not isinstance(threshold, sympy.StrictGreaterThan) or not isinstance(threshold.lhs, sympy.Symbol):
            return
        parameters = {system.symbol(p) for p in system.parameters}
        for statement in system.reset:
            if statement.target != threshold.lhs.name or statement.op != "=" \
                    or (statement.expr.free_symbols | threshold.rhs.free_symbols) - parameters:
                continue
            theta = emit.evaluate(threshold.rhs, numeric, self.n)
            value = emit.evaluate(statement.expr, numeric, self.n)
            if np.any(theta <= value):
                key = min((s.name for s in threshold.rhs.free_symbols), default=None)
                unit = brian2_unit(system.dims[statement.target])
                raise ParameterError(f"population '{self.name}': {sympy.sstr(threshold.rhs)}",
                                     f"{float(np.min(theta)):g} {unit}",
                                     f"a threshold above {sympy.sstr(statement.expr)} "
                                     f"({float(np.max(value)):g} {unit})",
                                     owner=("population", self.name), key=f"params.{key}" if key else None)

    #: Stability limits of the explicit methods on the negative real axis (|lambda| dt).
    STABILITY: ClassVar[dict[str, float]] = {"euler": 2.0, "rk2": 2.0, "rk4": 2.785}

    def _check_stiffness(self, dt: float) -> None:
        """Warn when an explicit method is unstable at the initial state: ``|d f_x/d x| dt`` above
        the method's stability limit for some state ``x`` (a time constant shorter than ``dt``)."""
        import warnings

        from ...errors import NeurosimWarning
        limit = self.STABILITY.get(self.method)
        if limit is None:
            return
        system = self.system
        values = dict(self.numeric)
        for name in system.states:
            values[system.symbol(name)] = (self.z[self.row_of[name]] if name in self.row_of
                                           else self.state[name]).astype(float)
        values[system.symbol("i_ext")], values[system.t] = np.zeros(self.n), np.float64(0.0)
        values.update({system.symbol(f"i_{key}"): np.zeros(self.n) for key in self.dense_inputs})
        for name in system.states:
            rate = np.abs(emit.evaluate(sympy.diff(system.rhs[name], system.symbol(name)), values, self.n))
            worst = float(np.nanmax(rate)) * dt if rate.size else 0.0
            if worst > limit:
                where = f", file {self.definition.source}" if self.definition.source else ""
                warnings.warn(f"population '{self.name}' (model '{self.definition.name}'{where}, "
                              f"method {self.method}): "
                              f"d{name}/dt has a time constant of {1e3 / (worst / dt):.3g} ms at the initial state, "
                              f"|lambda| dt = {worst:.3g} > {limit} (unstable): reduce dt or choose another method",
                              NeurosimWarning, stacklevel=2)

    # -- code ----------------------------------------------------------------------------------
    def jump_target(self, w) -> str:
        """Code arguments ``v, ref_left`` of the kernels that add delta receptors' jumps to ``v``:
        dropped while refractory when ``v`` is ``(unless refractory)`` (Brian2's conditional write),
        else always added."""
        if "ref_left" not in self.state or "v" not in self.system.unless_refractory:
            never = w.add_argument(w.ref(self, "never_refractory"), np.zeros(self.n, self.dtype))
            return f"{w.ref(self, 'v')}, {never}"
        return f"{w.ref(self, 'v')}, {w.ref(self, 'ref_left')}"

    def arrays(self):
        arrays = {k: v for k, v in self.state.items()}
        arrays.update(self.extra)
        arrays.update(z=self.z, i_ext=self.i_ext, spikes=self.spikes, nspk=self.n_spikes)
        if self.ring_length:
            arrays.update(ring=self.ring, syn_b=self.bank.b.astype(self.dtype), syn_row=self.bank.row_receptor)
        return arrays

    def emit_update(self, w: CodeWriter) -> None:
        """The update loop of this population (see the module docstring)."""
        if self.spike_timing == "precise":
            self._emit_precise(w)
            return
        system, step, q = self.system, self.step, w.prefix(self) + "__"
        arr = (lambda local: w.ref(self, local))
        self.lookups: dict[str, emit.Table] = {}
        for line in emit.imports(w.exp):
            w.add_import(line)
        constant_names = {system.symbol(k) for k in self.values} | {system.dt, TOLERANCE} | set(step.matrices) \
            | set(step.decays)
        names: dict[str, str] = {}
        header: list[str] = []  # the derived constants (add_lines heads the phase with model and method)
        for s in system.states:
            # the value at the start of the step; '_0' keeps the local apart from Numba's parfor
            # renaming of the argument E_v (every '_' doubled: E__v) when the loop is a prange
            names[s] = f"{q}{s}_0"
            names[before_symbol(s).name] = names[s]  # before(s) in the threshold: the value loaded
        names["i_ext"] = f"{arr('i_ext')}[i]" if self.has_input else "0.0"
        for key in self.dense_inputs:
            names[f"i_{key}"] = f"{arr(f'i_{key}')}[i]"
            w.add_lines("clear", self, f"{arr(f'i_{key}')}[:] = 0.0")
        names["t"], names["dt"] = "(step * dt)", "dt"
        body = [f"{names[s]} = {arr(s)}[i]" if s not in self.row_of else f"{names[s]} = {arr('z')}[{self.row_of[s]}, i]"
                for s in system.states]
        refractory = system.refractory is not None
        if refractory and not system.refractory_is_condition:
            body += [f"{q}ref = {arr('ref_left')}[i] - dt", f"{q}refr = {q}ref > 0.5 * dt"]
        names["_refractory"] = f"(1.0 if {q}refr else 0.0)"

        def constant(symbol: sympy.Symbol, expr) -> str:
            values = self.numeric.get(symbol)
            if values is None:
                values = emit.evaluate(expr, self.numeric, self.n)
            code = w.value(self, f"c_{symbol.name.lstrip('_')}", np.asarray(values, float).astype(self.dtype))
            return code

        for key in self.values:  # parameters: literals when homogeneous
            names[key] = w.value(self, f"p_{key}", np.asarray(self.values[key], float).astype(self.dtype))
        names[TOLERANCE.name] = w.constant(self, "tolerance", self.tolerance)
        for symbol in [*step.matrices, *step.decays]:
            names[symbol.name] = constant(symbol, None)
        if refractory and system.refractory_is_condition:
            body.append(f"{q}refr = {emit.Printer(names, self.lookups, exp=w.exp)(system.refractory)}")
        # exact simplifications: no stimulus means i_ext = 0; parameters that are 0 everywhere vanish
        zero = {system.symbol(k): 0 for k, v in self.values.items() if not np.any(v)}
        if not self.has_input:
            zero[system.symbol("i_ext")] = 0
        passes: list[str] = []  # an adaptive method's first substep and its continuation (loops before the update)
        if step.adaptive is not None:
            final, passes = self._emit_adaptive(w, body, names, header, constant, constant_names, zero, q)
        else:
            final = self._emit_fixed(w, body, names, header, constant, constant_names, zero, q)
        for index, statement in enumerate(system.clamp):
            printer = emit.Printer(dict(names, **final), self.lookups, exp=w.exp)
            value = printer(statement.value(system.symbol(statement.target)))
            body.append(f"{q}{statement.target}_k{index} = {value}")
            final[statement.target] = f"{q}{statement.target}_k{index}"
        if refractory and self.method in ("exact", "exponential_euler", "exponential_midpoint"):
            for s in sorted(system.unless_refractory):
                body.append(f"{q}{s}_c = {names[s]} if {q}refr else {final[s]}")
                final[s] = f"{q}{s}_c"
        if system.threshold is not None:
            new_names = dict(names, **final)
            cond = emit.Printer(new_names, self.lookups, exp=w.exp)(system.threshold)
            body.append(f"{q}spike = (not {q}refr) & {cond}" if refractory else f"{q}spike = {cond}")
            for index, statement in enumerate(system.reset):
                current = dict(names, **final)
                printer = emit.Printer(current, self.lookups, exp=w.exp)
                value = printer(statement.value(system.symbol(statement.target)))
                local = f"{q}{statement.target}_r{index}"
                body.append(f"{local} = {value} if {q}spike else {final[statement.target]}")
                final[statement.target] = local
            if refractory and not system.refractory_is_condition:
                ref_time = w.value(self, "ref_time", self.ref_time.astype(self.dtype))
                body.append(f"{arr('ref_left')}[i] = {ref_time} if {q}spike else {q}ref")
            body.append(f"{arr('fired')}[i] = {q}spike")
        for s in system.states:
            body.append(f"{arr(s)}[i] = {final[s]}" if s not in self.row_of else
                        f"{arr('z')}[{self.row_of[s]}, i] = {final[s]}")
        if self.rate_output is not None:
            printer = emit.Printer(dict(names, **final), self.lookups, exp=w.exp)
            body.append(f"{arr('rate')}[i] = {printer(self.rate_output)}")
        self._refuse_shared_locals(body, q)
        # a neuron whose update calls k transcendental functions costs about k times a LIF neuron's
        # (HH: ten exp), so the start of a parallel region pays off for k times smaller populations
        calls = max(1, sum(line.count("math.") + line.count("exprel_kernel(") + line.count("vexp")
                           for line in [*passes, *body]))
        loop = w.loop(self.n, w.PARALLEL_MIN_NEURONS // calls)
        rounds = "numba.prange" if loop.startswith("numba.prange") else "range"
        passes = [line.replace("for i in LOOP:", f"for i in {loop}:").replace(" in ROUNDS(", f" in {rounds}(")
                  for line in passes]
        w.add_lines("update", self, header + passes + [f"for i in {loop}:"] + ["    " + line for line in body],
                    f"model '{self.definition.name}', {self.n} neurons, method {self.method}")
        if system.threshold is not None:
            self.emit_spike_collection(w)
        else:
            w.add_lines("update", self, f"{arr('nspk')}[0] = 0")

    def _refuse_shared_locals(self, body: list[str], q: str) -> None:
        """Every local of the loop body is assigned once (outside an adaptive method's substep
        loop): generated names are built from the model's names (``E__v_0``, ``E__k1_v``), and two
        names that would give the same local (states ``k1_v`` and ``v_0`` under rk4) are refused."""
        seen: set[str] = set()
        for line in body:
            match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*) = ", line)
            if match is None:
                continue
            local = match.group(1)
            if local in seen:
                where = f", file {self.definition.source}" if self.definition.source else ""
                inside = [s for s in self.system.states if s in local[len(q):]]
                raise EquationError(self.definition.name, "equations",
                                    f"the generated local '{local}' of population '{self.name}' (method "
                                    f"{self.method}{where}) would stand for two quantities: rename one of the "
                                    f"states {', '.join(repr(s) for s in inside)}", term=local)
            seen.add(local)

    def _hoisted(self, exprs, names, header, constant, constant_names):
        """``exprs`` with parameter-only subtrees named (see :func:`emit.hoist`); returns (exprs, hoisted)."""
        exprs, hoisted = emit.hoist(exprs, constant_names, prefix="_c")
        for symbol, expr in hoisted.items():
            names[symbol.name] = constant(symbol, expr)
            header.append(f"#   {names[symbol.name] if not names[symbol.name].endswith('[i]') else symbol.name} = "
                          f"{sympy.sstr(expr)}")
        return exprs, hoisted

    def _emit_fixed(self, w, body, names, header, constant, constant_names, zero, q) -> dict[str, str]:
        """Lines of a one-step method into ``body``; returns state -> code of its new value."""
        system, step = self.system, self.step
        targets = [sympy.Symbol(f"_new_{s}", real=True) for s in system.states]
        assignments = [*step.assignments, *zip(targets, [step.new[s] for s in system.states], strict=True)]
        assignments = [(target, sympy.expand(expr.xreplace(zero)) if step.method == "exact" else expr.xreplace(zero))
                       for target, expr in assignments]
        exprs, hoisted = self._hoisted([expr for _, expr in assignments], names, header, constant, constant_names)
        if self.tables:
            exprs = self._tabulate(w, exprs, hoisted, constant_names, header)
        assignments = emit.common(list(zip([t for t, _ in assignments], exprs, strict=True)), prefix="_x")
        printer = emit.Printer(names, self.lookups, exp=w.exp)
        for target, expr in assignments:
            names[target.name] = f"{q}{target.name.lstrip('_')}"
            body.append(f"{names[target.name]} = {printer(expr)}")
        return {s: names[f"_new_{s}"] for s in system.states}

    def _emit_adaptive(self, w, body, names, header, constant, constant_names, zero, q):
        """The substeps of an adaptive method (see ``integrate.Adaptive``) as loops over the neurons
        before the update loop, whose body ``body`` then starts from their result; returns (state ->
        code of its new value, the lines of the loops, headed ``for i in LOOP:``).

        Without ``tables`` every loop is branch-free, so LLVM makes it SIMD code. The first tries
        one substep of the proposed length (at most ``dt``) for every neuron and keeps the state it
        reaches in ``<pop>_substep_*`` arrays; the neurons it did not bring to ``t + dt`` (a
        rejected or shorter substep: about 5 % of an HH network's) are copied, in index order, to
        the ``<pop>_active_*`` arrays, and each round takes one more substep of every active neuron
        and drops those that reached ``t + dt``. Every neuron goes through the substeps of its own
        error control whatever the others do, so results do not depend on the thread count. A
        substep's first rate is evaluated at its start (no FSAL carry, which would take one more
        array per state in the loops). With ``tables`` (lookups behind a range check do not
        vectorise) one loop takes each neuron through its substeps, the first rate of a substep
        being the last of the one before (FSAL). A substep that meets the tolerance at no length
        (a state NaN or infinite) makes the state NaN. The proposed length ``h err**(-1/order)``
        uses :func:`vexp.vpow` in vexp code."""
        system, step, adaptive = self.system, self.step, self.step.adaptive
        error = sympy.Symbol("__err", real=True)
        pre = [(target, expr.xreplace(zero)) for target, expr in step.assignments]
        loop = [*[(target, expr.xreplace(zero)) for target, expr in adaptive.loop],
                (error, adaptive.error.xreplace(zero))]
        exprs, hoisted = self._hoisted([expr for _, expr in pre + loop], names, header, constant, constant_names)
        if self.tables:
            exprs = self._tabulate(w, exprs, hoisted, constant_names, header, adaptive.stages)
        split = len(pre)
        pre = emit.common(list(zip([t for t, _ in pre], exprs[:split], strict=True)), prefix="_x")
        loop = emit.common(list(zip([t for t, _ in loop], exprs[split:], strict=True)), prefix="_w")
        h_step = w.ref(self, "h_step")
        names[adaptive.h.name], names[adaptive.tt.name] = f"{q}_hs", f"{q}_tt"
        printer = emit.Printer(names, self.lookups, exp=w.exp)
        loads = list(body)  # the state at the start of the step (one line per state), the refractory flag
        rates = []  # the substep's first rates, at its start
        for target, expr in pre:
            names[target.name] = f"{q}{target.name.lstrip('_')}"
            rates.append(f"{names[target.name]} = {printer(expr)}")
        for s in system.states:  # the states carried from substep to substep
            rates.append(f"{q}_y_{s} = {names[s]}")
            names[s] = f"{q}_y_{s}"
        inner = [f"{q}_last = {q}_hp >= dt - {q}_tt", f"{q}_hs = (dt - {q}_tt) if {q}_last else {q}_hp"]
        for target, expr in loop:
            names[target.name] = f"{q}_err" if target == error else f"{q}{target.name.lstrip('_')}"
            inner.append(f"{names[target.name]} = {printer(expr)}")
        start = [f"{q}_hp = {h_step}[i]", f"{q}_tt = 0.0"]
        self._refuse_shared_locals([*loads, *start, *rates, *inner], q)
        power = (f"vpow(max({q}_err, 1e-12), {-1.0 / adaptive.order!r})" if w.exp == "vexp" else
                 f"max({q}_err, 1e-12) ** {-1.0 / adaptive.order!r}")
        inner += [f"{q}_ok = {q}_err <= 1.0", f"{q}_fac = min(5.0, max(0.2, 0.9 * {power}))"]
        grown = f"max({q}_hp, {q}_hs * {q}_fac) if {q}_last else {q}_hs * {q}_fac"
        accepted = {names[s]: printer(adaptive.accept[s]) for s in system.states}
        result = {s: w.ref(self, f"substep_y_{s}") for s in system.states}
        for array in result.values():
            w.add_argument(array, np.zeros(self.n, self.dtype))
        final = {s: f"{q}_f_{s}" for s in system.states}
        body += [f"{final[s]} = {result[s]}[i]" for s in system.states]
        if self.tables:
            carry = [f"{names[k.name]} = {names[value.name]}" for k, value in adaptive.carry.items()]
            rest = [*inner,
                    f"if {q}_ok:",
                    f"    {q}_tt = dt if {q}_last else {q}_tt + {q}_hs",
                    *[f"    {local} = {value}" for local, value in accepted.items()],
                    *["    " + line for line in carry],
                    f"    {q}_hp = {grown}",
                    f"elif {q}_hs < 1e-9 * dt:",
                    *[f"    {local} = math.nan" for local in accepted],
                    "    break",
                    "else:",
                    f"    {q}_hp = {q}_hs * {q}_fac"]
            passes = ["for i in LOOP:", *["    " + line for line in [*loads, *start, *rates, f"while {q}_tt < dt:"]],
                      *["        " + line for line in rest], f"    {h_step}[i] = {q}_hp",
                      *[f"    {result[s]}[i] = {q}_y_{s}" for s in system.states]]
            names.update(final)
            return final, passes
        # one substep from (y, tt, hp): its end (yn, ttn = dt once at t + dt or failed) and the next length
        ends = [f"{q}_fail = ({q}_hs < 1e-9 * dt) & (not {q}_ok)",
                f"{q}_ttn = dt if ({q}_ok & {q}_last) | {q}_fail else ({q}_tt + {q}_hs if {q}_ok else {q}_tt)",
                f"{q}_hpn = ({grown}) if {q}_ok else {q}_hs * {q}_fac",
                *[f"{q}_yn_{s} = math.nan if {q}_fail else ({accepted[names[s]]} if {q}_ok else {names[s]})"
                  for s in system.states]]
        active, count, kept = w.ref(self, "active"), f"{q}_m", f"{q}_k"
        w.add_argument(active, np.zeros(self.n, np.int64))
        tt_array = w.add_argument(w.ref(self, "substep_tt"), np.zeros(self.n, self.dtype))
        carried = {**{f"{q}_y_{s}": result[s] for s in system.states}, f"{q}_tt": tt_array, f"{q}_hp": h_step}
        rows = {local: w.ref(self, "active" + local[len(q):]) for local in carried}  # active_y_v, active_tt
        for array in rows.values():
            w.add_argument(array, np.zeros(self.n, self.dtype))
        new = {**{f"{q}_y_{s}": f"{q}_yn_{s}" for s in system.states}, f"{q}_tt": f"{q}_ttn", f"{q}_hp": f"{q}_hpn"}
        first = [*loads, *start, *rates, *inner, *ends, *[f"{carried[local]}[i] = {new[local]}" for local in carried]]
        gather = [f"{count} = 0", f"for i in range({self.n}):", f"    if {tt_array}[i] < dt:",
                  f"        {active}[{count}] = i",
                  *[f"        {rows[local]}[{count}] = {carried[local]}[i]" for local in carried],
                  f"        {count} += 1"]
        # a round loads the step's start too (the refractory flag and condition are of the step, not
        # of the substep), and the substep's start from the list; its first rates are of the latter
        printer = emit.Printer(names, self.lookups, exp=w.exp)
        round_loads = [f"i = {active}[j]", *loads, *[f"{local} = {rows[local]}[j]" for local in carried]]
        round_rates = [f"{names[target.name]} = {printer(expr)}" for target, expr in pre]
        one_round = [*round_loads, *round_rates, *inner, *ends,
                     *[f"{rows[local]}[j] = {new[local]}" for local in carried]]
        # the neurons at t + dt leave the list: their state back to the substep arrays, the others moved up
        settle = [f"{kept} = 0", f"for j in range({count}):", f"    if {rows[f'{q}_tt']}[j] >= dt:",
                  *[f"        {carried[local]}[{active}[j]] = {rows[local]}[j]" for local in carried],
                  "    else:",
                  f"        {active}[{kept}] = {active}[j]",
                  *[f"        {rows[local]}[{kept}] = {rows[local]}[j]" for local in carried],
                  f"        {kept} += 1", f"{count} = {kept}"]
        passes = ["# one substep for every neuron (SIMD), then rounds of one substep for those not yet at t + dt",
                  "for i in LOOP:", *["    " + line for line in first], *gather, f"while {count} > 0:",
                  f"    for j in ROUNDS({count}):", *["        " + line for line in one_round],
                  *["    " + line for line in settle]]
        names.update(final)
        return final, passes

    def _emit_precise(self, w: CodeWriter) -> None:
        """Nengo's LIF step (``PreciseForm``): the state is integrated over the part of the step after
        the refractory period ends, a crossing of the threshold is dated inside the step and the
        refractory period starts there. One sequential loop (it counts the spikes)."""
        system, q = self.system, w.prefix(self) + "__"
        form = precise_form(system, self.method)
        assert not isinstance(form, str)  # checked in _spike_timing
        arr = (lambda local: w.ref(self, local))
        for line in emit.imports(w.exp):
            w.add_import(line)
        names = {key: w.value(self, f"p_{key}", np.asarray(self.values[key], float).astype(self.dtype))
                 for key in self.values}
        names["i_ext"] = f"{arr('i_ext')}[i]" if self.has_input else "0.0"
        names["dt"] = "dt"
        a = emit.evaluate(form.a, self.numeric, self.n)

        def derived(key, values):
            return w.value(self, f"c_{key}", np.asarray(values, float).astype(self.dtype))

        # '_0', '_inf': the state's locals cannot be the fixed ones (ref, active, count) whatever its name
        x, ref = f"{q}{form.state}_0", f"{q}ref"
        inf, tau, decay = f"{q}{form.state}_inf", derived("tau", -1.0 / a), derived("decay", np.exp(a * self.dt))
        printer = emit.Printer(names, exp=w.exp)
        theta = printer(form.theta)
        names[form.state] = x
        body = [f"{ref} = {arr('ref_left')}[i]",
                f"{q}active = min(max(dt - {ref}, 0.0), dt)",
                f"{arr('ref_left')}[i] = {ref} - dt",
                f"{inf} = {printer(sympy.expand(-form.b / form.a))}",
                f"{x} = {arr(form.state)}[i]",
                f"if {q}active == dt:",
                f"    {x} = {inf} + ({x} - {inf}) * {decay}",
                f"elif {q}active > 0.0:",
                f"    {x} = {inf} + ({x} - {inf}) * math.exp(-{q}active / {tau})"]
        for statement in system.clamp:  # the one state's (see precise_form)
            body.append(f"{names[statement.target]} = {printer(statement.value(system.symbol(statement.target)))}")
        ref_time = w.value(self, "ref_time", self.ref_time.astype(self.dtype))
        body += [f"if {q}active > 0.0 and {x} > {theta}:",
                 f"    {arr('spikes')}[{q}count] = i",
                 f"    {q}count += 1",
                 f"    {arr('ref_left')}[i] = {ref_time} + {tau} * math.log1p(({x} - {theta}) / ({theta} - {inf}))"]
        for statement in system.reset:
            body.append(f"    {names[statement.target]} = {printer(statement.value(system.symbol(statement.target)))}")
        body.append(f"{arr(form.state)}[i] = {x}")
        header = [f"#   {inf} = {sympy.sstr(sympy.expand(-form.b / form.a))}, tau = {sympy.sstr(-1 / form.a)}, "
                  f"decay = exp(-dt/tau); crossing {sympy.sstr(form.theta)}"]
        w.add_lines("update", self, [*header, f"{q}count = 0", f"for i in range({self.n}):",
                                     *("    " + line for line in body)],
                    f"model '{self.definition.name}', {self.n} neurons, exact, precise spike timing")
        w.add_lines("update", self, f"{arr('nspk')}[0] = {q}count")

    # -- recording -----------------------------------------------------------------------------
    def recordable(self) -> list[str]:
        syn = [f"syn_{key}" for key in self.receptor_models]
        subs = [s for s in self.system.subexpressions if s not in self.system.inputs]
        return [*self.system.states, *subs, *syn, "i_ext"]

    def variable_dimension(self, variable: str) -> str:
        if variable == "i_ext":
            return self.input_dimension
        if variable.startswith("syn_") and variable[4:] in self.receptor_models:
            synapse_model, _, mapping = self.receptor_models[variable[4:]]
            return self._expr_dimension(rename(synapse_model.value, mapping))
        if variable in self.system.dims:
            return _dimension(self.definition.name, self.system.dims[variable], variable)
        return self.input_dimension

    def _expr_dimension(self, text: str) -> str:
        _, dim = self.system.converter.expression(text, "record")
        return _dimension(self.definition.name, dim, text)

    def record_expression(self, variable: str, index: str, w: CodeWriter) -> str:
        system = self.system
        if variable.startswith("syn_") and variable[4:] in self.receptor_models:
            synapse_model, _, mapping = self.receptor_models[variable[4:]]
            expr, _ = system.converter.expression(rename(synapse_model.value, mapping), "record")
            expr = expr.xreplace({system.symbol(k): v for k, v in system.subexpressions.items()})
        elif variable in system.subexpressions:
            expr = system.subexpressions[variable]
        elif variable in system.states:
            return (f"{w.ref(self, variable)}[{index}]" if variable not in self.row_of
                    else f"{w.ref(self, 'z')}[{self.row_of[variable]}, {index}]")
        else:
            return f"{w.ref(self, variable)}[{index}]"
        names = {s: (f"{w.ref(self, s)}[{index}]" if s not in self.row_of
                     else f"{w.ref(self, 'z')}[{self.row_of[s]}, {index}]")
                 for s in system.states}
        names["i_ext"] = f"{w.ref(self, 'i_ext')}[{index}]"
        for key in self.dense_inputs:
            names[f"i_{key}"] = f"{w.ref(self, f'i_{key}')}[{index}]"
        names["t"], names["dt"] = "(step * dt)", "dt"
        for key in self.values:
            names[key] = w.value(self, f"p_{key}", np.asarray(self.values[key], float).astype(self.dtype), index)
        for line in emit.imports(w.exp):
            w.add_import(line)
        return emit.Printer(names, exp=w.exp)(expr)


# -- registry ------------------------------------------------------------------------------------
_REGISTRY: dict[str, type] = {}
_SYNAPSES: dict[str, SynapseModel] = {}


def register(model: Model | SynapseModel, replace: bool = False):
    """Make ``model`` available by name (``model: <name>`` in protocols, ``make_population``)."""
    from . import models as builtin_models
    taken = model.name in (_SYNAPSES if isinstance(model, SynapseModel) else _REGISTRY)
    if not replace and (taken or (isinstance(model, Model) and model.name in builtin_models())):
        raise ParameterError("model name", model.name, "a name not registered yet (pass replace=True to redefine)")
    _store(model)
    return model


def _store(model: Model | SynapseModel) -> None:
    if isinstance(model, SynapseModel):
        _SYNAPSES[model.name] = model
    else:
        _REGISTRY[model.name] = model.population_class()


def registered() -> dict[str, type]:
    """Equation neuron models: name -> population class (the built-in model files first)."""
    _load_builtin()
    return dict(_REGISTRY)


def synapse_models() -> dict[str, SynapseModel]:
    _load_builtin()
    return dict(_SYNAPSES)


_LOADED = False


def _load_builtin() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2] / "models"
    for kind in ("synapses", "neurons"):
        for path in sorted((root / kind).glob("*.yaml")):
            _store(load_file(path))


NEURON_KEYS = ("name", "doc", "convention", "equations", "parameters", "inputs", "initial", "threshold", "reset",
               "refractory", "method", "max_dt", "clamp", "options")
SYNAPSE_KEYS = ("name", "doc", "kind", "equations", "parameters", "on_pre", "output", "weight", "target", "value")


def from_dict(data: dict, source: str | None = None):
    """A :class:`Model` (or, with ``kind: synapse``, a :class:`SynapseModel`) from a model file's mapping."""
    if not isinstance(data, dict):
        raise ParameterError("model file", source, "a mapping with name, equations, parameters ...")
    synapse = data.get("kind") == "synapse"
    allowed = SYNAPSE_KEYS if synapse else NEURON_KEYS
    for key in data:
        if key not in allowed:
            raise EquationError(str(data.get("name", "?")), key, f"unknown key '{key}'{did_you_mean(key, allowed)}; "
                                f"allowed keys: {', '.join(allowed)}", text=str(key))
    for key in ("name", "equations"):
        if key not in data:
            raise EquationError(str(data.get("name", "?")), key, f"required key '{key}' is missing", text="")
    if synapse:
        for key in ("on_pre", "output"):
            if key not in data:
                raise EquationError(str(data["name"]), key, f"required key '{key}' of a synapse model is missing",
                                    text="")
        options = {k: v for k, v in data.items() if k not in ("kind",)}
        return SynapseModel(**options, source=source)
    return Model(**data, source=source)


def load_file(path):
    """Load one model file (YAML); errors carry the file and the line of the offending key/equation."""
    import pathlib

    import yaml
    text = pathlib.Path(path).read_text()
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError("model file", str(path), f"valid YAML ({exc})") from None
    try:
        return from_dict(data, str(path))
    except EquationError as exc:
        exc.file, exc.file_line = str(path), _line_of(node, exc)
        Exception.__init__(exc, f"{path}:{exc.file_line}: {exc}" if exc.file_line else f"{path}: {exc}")
        raise


def _line_of(node, exc: EquationError) -> int | None:
    """The 1-based line in the file of the part (and line inside a block) named by ``exc``."""
    import yaml
    if not isinstance(node, yaml.MappingNode):
        return None
    head, _, sub = exc.part.split(" ")[0].partition(".")
    for key, value in node.value:
        if key.value == head and isinstance(value, yaml.MappingNode):  # parameters.tau_m, initial.v, ...
            sub = sub or exc.text.strip()
            for inner, _ in value.value:
                if inner.value == sub:
                    return inner.start_mark.line + 1
        if key.value == head:
            if exc.line and isinstance(value, yaml.ScalarNode) and value.style in ("|", ">"):
                return value.start_mark.line + 1 + exc.line  # the block starts on the line after the key
            if exc.line and isinstance(value, yaml.ScalarNode):
                return value.start_mark.line + 1
            return key.start_mark.line + 1
    return None


