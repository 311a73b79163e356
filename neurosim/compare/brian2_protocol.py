"""A Brian2 model written from a *protocol*, independently of neurosim's build.

:class:`ProtocolModel` reads a loaded protocol (:func:`neurosim.protocol.load`) and writes the
network as a Brian2 user would, from the protocol's own parameters with their units; nothing of
what neurosim derives at build (rounded steps, propagators, ``r_m``, synapse lists, drawn initial
values) is used, so a wrong derivation in neurosim shows up as a disagreement:

- **neurons**: Brian2 equations written from the model's parameters (the protocol's values, the
  model's documented defaults otherwise): LIF ``dv/dt = (v_rest - v)/tau_m + I/cm (unless
  refractory)`` (``method='exact'`` with current receptors, ``'exponential_euler'`` with
  conductance receptors), ``lif_dimensionless`` with ``spike_timing: step``, squid and Traub-Miles
  HH (``exponential_euler`` or ``rk4`` as the protocol says; gates not given start at steady
  state); ``refractory=tau_refrac`` with Brian2's own rule;
- **receptors**: exponential ``dg/dt = -g/tau`` (``g += w``), alpha ``dx/dt = -x/tau, dg/dt =
  (x - g)/tau`` (``x += e*w``), exp2 as two exponentials with the peak normalisation written out
  (weights are peak amplitudes); conductance receptors add ``g*(e_rev - v)``; delta receptors
  (LIF) are ``on_pre='v_post += w'``, dropped while refractory by Brian2's conditional write. Where the
  integrator would hold the receptor state constant over the step (conductance LIF, HH), the
  state follows its closed-form solution in an ``after_groups`` operation;
- **connections**: ``connect()`` (all_to_all), ``connect(j='i')`` (one_to_one), ``connect(p=p)``
  (fixed_probability), ``connect(i='k for k in sample(N_pre, size=K)')`` (fixed_indegree),
  ``condition 'i != j'`` (or ``if k != j``) without autapses; explicit index lists and dense
  matrices as given; weights and delays as given, distributions as ``rand()``/``randn()``
  expressions; Brian2 converts delays to steps itself;
- **initial values**: distributions as ``rand()``/``randn()`` expressions, drawn by Brian2;
- **stimuli**: Brian2 expressions of ``t`` evaluated ``before_groups`` (a start or stop time
  switches at the first step at or after it), OU noise with its exact update and ``randn()``;
- **sources**: ``poisson`` populations as ``PoissonGroup`` (refused above ``rate*dt`` =
  :data:`MAX_SPIKE_PROBABILITY`: Brian2's group spikes at most once per step, neurosim draws
  Poisson counts); ``poisson_input`` stimuli as ``PoissonInput`` on the receptor's state.

Every random draw (connectivity, initial values, Poisson, noise) comes from Brian2's generator
seeded with :meth:`ProtocolModel.run`'s ``seed``: a realisation independent of neurosim's.
What Brian2 cannot express this way raises :class:`~neurosim.compare.brian2.NoBrian2Counterpart`.
"""
from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

from ..core.distributions import LogNormal, Normal, Uniform
from ..core.neurons import models
from ..core.neurons.equation import _is_expression, _quantity, rename, synapse_models
from ..core.results import Results
from ..errors import ParameterError
from ..units import BRIAN2_UNITS, si_floats, si_symbol
from .brian2 import CODEGENS, TARGETS, NoBrian2Counterpart, Record, hh_equations, results_of

#: Model parameter -> Brian2 name where they differ (``cm`` is a Brian2 unit).
RENAMED = {"cm": "c_m", "g_kd": "g_k"}
#: Largest rate*dt of a ``poisson`` population: Brian2's PoissonGroup is Bernoulli per step, with
#: a variance (1 - rate*dt) times the Poisson variance of neurosim's counts.
MAX_SPIKE_PROBABILITY = 0.1
#: A start or stop time switches a stimulus at the first step whose time is at least this close.
SWITCH_TOLERANCE = "1e-6*dt"

_SQUID_RATES = """
alpha_m = 0.1/mV*10*mV/exprel(-(v + 40*mV)/(10*mV))/ms : Hz
beta_m = 4*exp(-(v + 65*mV)/(18*mV))/ms : Hz
alpha_h = 0.07*exp(-(v + 65*mV)/(20*mV))/ms : Hz
beta_h = 1/(1 + exp(-(v + 35*mV)/(10*mV)))/ms : Hz
alpha_n = 0.01/mV*10*mV/exprel(-(v + 55*mV)/(10*mV))/ms : Hz
beta_n = 0.125*exp(-(v + 65*mV)/(80*mV))/ms : Hz
"""
# Brian2's examples/COBAHH.py
_TRAUB_RATES = """
alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + vt)/(4*mV))/ms : Hz
beta_m = 0.28*(mV**-1)*5*mV/exprel((v - vt - 40*mV)/(5*mV))/ms : Hz
alpha_h = 0.128*exp((17*mV - v + vt)/(18*mV))/ms : Hz
beta_h = 4/(1 + exp((40*mV - v + vt)/(5*mV)))/ms : Hz
alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + vt)/(5*mV))/ms : Hz
beta_n = 0.5*exp((10*mV - v + vt)/(40*mV))/ms : Hz
"""


@dataclass
class Group:
    """What to construct for one population, and the values to set on it (in order)."""

    name: str
    kind: str  # "neurons" or "poisson"
    n: int
    equations: list[str] = field(default_factory=list)
    threshold: str = ""
    reset: str = ""
    refractory: str | None = None
    method: str = ""
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # variable -> SI values
    expressions: list[tuple[str, str]] = field(default_factory=list)  # (variable, Brian2 expression), in order
    operations: dict[str, list[str]] = field(default_factory=dict)  # schedule slot -> code lines
    on_pre: dict[str, str] = field(default_factory=dict)  # receptor -> code adding the weight w
    weight_unit: dict[str, str] = field(default_factory=dict)
    input_unit: str = "amp"
    recordable: dict[str, str] = field(default_factory=dict)  # neurosim name -> Brian2 variable
    poisson_target: dict[str, tuple[str, str]] = field(default_factory=dict)  # receptor -> (variable, factor)
    poisson_inputs: list[tuple[str, int, float, str]] = field(default_factory=list)  # (variable, N, rate, weight)
    rates: np.ndarray | None = None
    record_units: dict[str, str] = field(default_factory=dict)  # neurosim variable -> unit label of the record


def _num(value) -> str:
    return repr(float(value))


def expression(value, unit: str) -> str:
    """A Brian2 expression for a scalar or a distribution of :mod:`neurosim.core.distributions` (SI)."""
    scale = "" if unit == "1" else f"*{unit}"
    if isinstance(value, Uniform):
        return f"({_num(value.low)} + ({_num(value.high)} - {_num(value.low)})*rand()){scale}"
    if isinstance(value, Normal):
        return f"({_num(value.mean)} + {_num(value.std)}*randn()){scale}"
    if isinstance(value, LogNormal):
        return f"exp({_num(value.mu)} + {_num(value.sigma)}*randn()){scale}"
    if np.ndim(value) == 0:
        return f"{_num(value)}{scale}"
    raise NoBrian2Counterpart(f"value {value!r}", "not a scalar or a known distribution")


def _per_neuron(value, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, float), (n,)).copy()


def parameters(model_class, population) -> dict[str, np.ndarray]:
    """The model's parameters for ``population`` (SI arrays): the protocol's values, the model's
    documented defaults otherwise (HH densities times ``area``)."""
    n, given = population.n, population.params
    values = {key: _per_neuron(given.get(key, spec.default), n) for key, spec in model_class.param_spec.items()}
    for key, density in getattr(model_class, "densities", {}).items():
        if key not in given:
            values[key] = density * values["area"]
    return values


def _declare(group: Group, values: dict[str, np.ndarray], dimensions: dict[str, str]) -> None:
    for key, value in values.items():
        name = RENAMED.get(key, key)
        group.equations.append(f"{name} : {BRIAN2_UNITS[dimensions[key]]} (constant)")
        group.arrays[name] = value


def _initial(group: Group, model_class, population, params: dict[str, np.ndarray]) -> None:
    """Initial values of the model's state variables: the protocol's, else the model's defaults."""
    for var, (dimension, default) in model_class.state_spec.items():
        if var == "ref_left":
            if var in population.initial and np.any(np.asarray(population.initial[var]) != 0):
                raise NoBrian2Counterpart(f"population '{group.name}': initial ref_left",
                                          "neurons that start refractory")
            continue
        if var in population.initial:
            value = population.initial[var]
        elif var in "mhn":
            continue  # HH gates: steady state, set after v
        else:
            value = params[default] if isinstance(default, str) else default
        if hasattr(value, "draw"):
            group.expressions.append((var, expression(value, BRIAN2_UNITS[dimension])))
        else:
            group.arrays[var] = _per_neuron(value, group.n)


def _receptors(group: Group, population, v_unit: str, closed_form: bool) -> None:
    """Receptor states ``syn_<receptor>`` and their sum ``I_syn``; ``closed_form``: the states are
    parameters of the neuron equations, propagated ``after_groups`` by their exact solution."""
    current_unit = group.input_unit
    terms, decays = [], []
    for key, receptor in population.receptors.items():
        if receptor.kind == "delta":  # a jump of v, dropped while refractory (conditional write)
            group.on_pre[key] = "v_post += w"
            group.weight_unit[key] = v_unit
            group.poisson_target[key] = ("v", "1")
            continue
        conductance = receptor.kind == "conductance"
        if conductance and v_unit == "1":
            raise NoBrian2Counterpart(f"population '{group.name}': receptor '{key}'",
                                      "conductance receptors on a dimensionless membrane")
        unit = "siemens" if conductance else current_unit
        syn, tau = f"syn_{key}", f"({_num(receptor.tau)}*second)"
        if receptor.kernel == "exponential":
            states = [syn]
            group.on_pre[key] = f"{syn}_post += w"
            group.poisson_target[key] = (syn, "1")
            differential = [f"d{syn}/dt = -{syn}/{tau} : {unit}"]
            decays.append(f"{syn} = {syn}*exp(-dt/{tau})")
        elif receptor.kernel == "alpha":  # peak of x/tau * t*exp(-t/tau) is x/e at t = tau
            x = f"x_{key}"
            states = [x, syn]
            group.on_pre[key] = f"{x}_post += {_num(math.e)}*w"
            group.poisson_target[key] = (x, _num(math.e))
            differential = [f"d{x}/dt = -{x}/{tau} : {unit}", f"d{syn}/dt = ({x} - {syn})/{tau} : {unit}"]
            decays += [f"{syn} = ({syn} + {x}*dt/{tau})*exp(-dt/{tau})", f"{x} = {x}*exp(-dt/{tau})"]
        else:  # exp2: g = a - b, both jump by w / (exp(-t_peak/tau) - exp(-t_peak/tau_rise))
            a, b, rise = f"a_{key}", f"b_{key}", receptor.tau_rise
            t_peak = receptor.tau * rise / (receptor.tau - rise) * math.log(receptor.tau / rise)
            norm = 1.0 / (math.exp(-t_peak / receptor.tau) - math.exp(-t_peak / rise))
            states, rise_tau = [a, b], f"({_num(rise)}*second)"
            group.on_pre[key] = f"{a}_post += {_num(norm)}*w\n{b}_post += {_num(norm)}*w"
            differential = [f"d{a}/dt = -{a}/{tau} : {unit}", f"d{b}/dt = -{b}/{rise_tau} : {unit}"]
            decays += [f"{a} = {a}*exp(-dt/{tau})", f"{b} = {b}*exp(-dt/{rise_tau})"]
            group.equations.append(f"{syn} = {a} - {b} : {unit}")
        if closed_form:
            group.equations += [f"{state} : {unit}" for state in states]
        else:
            group.equations += differential
        if f"syn_{key}" in population.initial:
            value = population.initial[f"syn_{key}"]
            if hasattr(value, "draw"):
                group.expressions.append((syn, expression(value, BRIAN2_UNITS["conductance" if conductance else
                                                                       "current" if current_unit == "amp" else
                                                                       "dimensionless"])))
            else:
                group.arrays[syn] = _per_neuron(value, group.n)
        group.weight_unit[key] = unit
        group.recordable[syn] = syn
        if conductance:
            terms.append(f"{syn}*({_num(receptor.e_rev)}*volt - v)")
        else:
            terms.append(syn)
    if closed_form and decays:
        group.operations.setdefault("after_groups", []).extend(decays)
    zero = "0*amp" if current_unit == "amp" else "0"
    group.equations.append(f"I_syn = {' + '.join(terms) or zero} : {current_unit}")


def _lif(name: str, population, model_class, params) -> Group:
    dimensional = population.model == "lif"
    if (population.spike_timing or model_class.default_timing) != "step":
        raise NoBrian2Counterpart(f"population '{name}': spike_timing 'precise'",
                                  "Brian2 places spikes on the step grid; use spike_timing 'step'")
    group = Group(name, "neurons", population.n, input_unit="amp" if dimensional else "1")
    conductance = any(r.kind == "conductance" for r in population.receptors.values())
    dimensions = {key: spec.dimension for key, spec in model_class.param_spec.items()}
    _declare(group, params, dimensions)
    v_unit = "volt" if dimensional else "1"
    _receptors(group, population, v_unit, closed_form=conductance)
    if dimensional:
        group.equations.append("dv/dt = (v_rest - v)/tau_m + (I_ext + i_offset + I_syn)/c_m : volt (unless refractory)")
        group.threshold, group.reset, group.refractory = "v > v_thresh", "v = v_reset", "tau_refrac"
    else:  # tau_rc dv/dt = J - v, threshold 1, reset 0, v clamped at min_voltage (Nengo)
        group.equations.append("dv/dt = (bias + I_ext + I_syn - v)/tau_rc : 1 (unless refractory)")
        group.threshold, group.reset, group.refractory = "v > 1", "v = 0", "tau_ref"
        group.operations.setdefault("after_groups", []).append(
            "v = int(not_refractory)*clip(v, min_voltage, inf) + (1 - int(not_refractory))*v")
    group.equations.append(f"I_ext : {group.input_unit}")
    group.method = "exponential_euler" if conductance else "exact"
    _initial(group, model_class, population, params)
    group.recordable.update(v="v", i_ext="I_ext")
    return group


def _hh(name: str, population, model_class, params) -> Group:
    traub = population.model == "hh_traub"
    group = Group(name, "neurons", population.n, method=population.method or "exponential_euler")
    dimensions = {key: spec.dimension for key, spec in model_class.param_spec.items()}
    _declare(group, {key: value for key, value in params.items() if key != "area"}, dimensions)
    if any(r.kind == "delta" for r in population.receptors.values()):
        raise NoBrian2Counterpart(f"population '{name}': delta receptors", "delta receptors are for LIF")
    _receptors(group, population, "volt", closed_form=True)
    group.equations += hh_equations("I_syn", _TRAUB_RATES if traub else _SQUID_RATES)
    _initial(group, model_class, population, params)
    for gate in "mhn":
        if gate not in population.initial:
            group.expressions.append((gate, f"alpha_{gate}/(alpha_{gate} + beta_{gate})"))
        group.recordable[gate] = gate
    group.operations.setdefault("before_groups", []).append("v_before = v")
    group.threshold, group.refractory = "v_before <= v_thresh and v > v_thresh", "tau_refrac"
    group.recordable.update(v="v", i_ext="I_ext")
    return group


def _equation(name: str, population, model_class, params) -> Group:
    """An equation model written from its definition: its equations, threshold, reset and
    refractoriness as text (Brian2 syntax; names Brian2 reserves renamed with a trailing ``_``,
    ``min``/``max`` as ``clip``), the protocol's parameter values (the model's defaults otherwise),
    receptors as in :func:`_receptors` (kernels) or from the synapse model's own equations, summed
    into the model's inputs with the stimuli (``I_ext``) on the first one. The integration method is
    the one neurosim states for the joint system (Brian2 integrates the same equations with it)."""
    from ..core.synapses import Synapse
    from ..equations.dimensions import BOOL, brian2_unit, dimension_name
    from ..equations.parse import Converter
    from .brian2_equations import _brian2_names, _min_max

    model = model_class.definition
    system = model.system
    dims = dict(system.dims)
    reserved = _brian2_names()
    user_models = synapse_models()
    receptors = {}
    for key, receptor in population.receptors.items():
        if receptor.kernel in user_models:
            receptors[key] = (user_models[receptor.kernel], receptor.params)
        elif receptor.kind == "delta":
            raise NoBrian2Counterpart(f"population '{name}' (model '{model.name}'): receptor '{key}'",
                                      "delta receptors are translated for the built-in LIF only")
        else:
            with si_floats():  # the validated protocol's values are SI
                receptors[key] = Synapse(kernel=receptor.kernel,
                                         tau=Synapse.tau if receptor.tau is None else receptor.tau,
                                         kind=receptor.kind, e_rev=receptor.e_rev, tau_rise=receptor.tau_rise)
    # neurosim's statement of the method for the joint system (not built: no derived values are read)
    method = model_class(name, population.n, receptors=receptors, method=population.method).method
    if method == "exponential_euler" and any(r.kernel == "alpha" for r in population.receptors.values()):
        raise NoBrian2Counterpart(f"population '{name}' (model '{model.name}'): alpha receptors",
                                  "neurosim propagates the coupled alpha kernel exactly inside exponential Euler; "
                                  "Brian2 would apply exponential Euler to it")
    input_names = list(model.inputs)
    input_unit = brian2_unit(model.input_dim)
    group = Group(name, "neurons", population.n, method=method, input_unit=input_unit)
    renames: dict[str, str] = {}

    def fix(text: str) -> str:
        return rename(text, renames)

    symbols = dict(system.converter.symbols)  # and the receptors' own names, for the units of their terms
    for key, receptor in receptors.items():
        if isinstance(receptor, tuple):
            _, mapping = receptor[0].renamed(key)
            symbols.update({mapping[e.name]: e.dim for e in receptor[0].equations})
            symbols.update({mapping[k]: p.dim for k, p in receptor[0].parameters.items()})
    converter = Converter(model.name, symbols)

    def unit_of(expression: str) -> str:
        _, dim = converter.expression(rename(expression, {v: k for k, v in renames.items()}), "brian2")
        return brian2_unit(dim)

    for local in [*dims, *params]:
        if local in reserved and local not in ("t", "dt"):
            renames[local] = f"{local}_"
    for equation in system.equations:
        if equation.kind == "parameter" or equation.name in input_names:
            continue
        flags = f" ({', '.join(equation.flags)})" if equation.flags else ""
        lhs = f"d{fix(equation.name)}/dt" if equation.kind == "differential" else fix(equation.name)
        group.equations.append(f"{lhs} = {_min_max(fix(equation.expression), unit_of)} : "
                               f"{brian2_unit(equation.dim)}{flags}")
    for key, values in params.items():
        group.equations.append(f"{fix(key)} : {brian2_unit(model.parameters[key].dim)} (constant)")
        group.arrays[fix(key)] = values
    terms: dict[str, list[str]] = {key: [] for key in input_names}
    kernels = {key: r for key, r in population.receptors.items() if key in receptors
               and not isinstance(receptors[key], tuple)}
    if kernels:  # the built-in kernels, written as for LIF/HH; their sum is the last equation
        kernel_population = type("Receptors", (), {"receptors": {k: receptors[k] for k in kernels}, "initial":
                                                   population.initial})
        _receptors(group, kernel_population, "volt", closed_form=False)
        total = group.equations.pop().split("=", 1)[1].rsplit(":", 1)[0].strip()
        terms[input_names[0]].append(f"({total})")
    for key, receptor in receptors.items():
        if not isinstance(receptor, tuple):
            continue
        synapse_model, given = receptor
        text, mapping = synapse_model.renamed(key)
        for line in text.splitlines():
            lhs, rhs = line.split("=", 1) if "=" in line else (line, None)
            if rhs is None:
                group.equations.append(fix(line))
            else:
                expression_text, unit = rhs.rsplit(":", 1)
                expression_text = _min_max(fix(expression_text.strip()), unit_of)
                group.equations.append(f"{fix(lhs).strip()} = {expression_text} :{unit}")
        for pkey, parameter in synapse_model.parameters.items():
            raw = given.get(pkey, parameter.default)
            value = float(raw) if isinstance(raw, (int, float)) else _quantity(raw, synapse_model.name, pkey)[0]
            group.equations.append(f"{mapping[pkey]} : {brian2_unit(parameter.dim)} (constant)")
            group.arrays[mapping[pkey]] = _per_neuron(value, group.n)
        states = {mapping[state]: f"{mapping[state]}_post" for state in synapse_model.states}
        group.on_pre[key] = rename(rename(synapse_model.on_pre, mapping), states).replace(";", "\n")
        group.weight_unit[key] = brian2_unit(synapse_model.weight)
        terms[synapse_model.target or input_names[0]].append(f"({fix(rename(synapse_model.output, mapping))})")
        value = fix(rename(synapse_model.value, mapping))
        group.equations.append(f"syn_{key} = {value} : {unit_of(value)}")
        group.recordable[f"syn_{key}"] = f"syn_{key}"
    for index, key in enumerate(input_names):
        total = (["I_ext"] if index == 0 else []) + terms[key]
        zero = "0" if brian2_unit(model.inputs[key]) == "1" else f"0*{brian2_unit(model.inputs[key])}"
        group.equations.append(f"{fix(key)} = {' + '.join(total) or zero} : {brian2_unit(model.inputs[key])}")
    group.equations.append(f"I_ext : {input_unit}")
    if model.threshold is not None:
        group.threshold = fix(model.threshold)
    if model.reset is not None:
        group.reset = fix(model.reset if isinstance(model.reset, str) else "\n".join(model.reset))
    if model.refractory is not None:
        group.refractory = fix(str(model.refractory))
    for state in system.states:
        unit = brian2_unit(dims[state])
        if state in population.initial:
            value = population.initial[state]
            if hasattr(value, "draw"):
                group.expressions.append((fix(state), expression(value, unit)))
            else:
                group.arrays[fix(state)] = _per_neuron(value, group.n)
        elif state in model.initial:
            raw = model.initial[state]
            if isinstance(raw, str) and _is_expression(raw):  # "E_L", "b*(-65*mV)": Brian2 evaluates it
                group.expressions.append((fix(state), fix(raw)))
            else:
                group.arrays[fix(state)] = _per_neuron(_quantity(raw, model.name, f"initial.{state}")[0], group.n)
        group.recordable[state] = fix(state)
    for sub in system.subexpressions:
        if sub not in model.inputs:
            group.recordable[sub] = fix(sub)
    group.recordable["i_ext"] = "I_ext"
    for variable in group.recordable:
        dim = dims.get(variable, model.input_dim if variable == "i_ext" else None)
        if dim is not None and dim is not BOOL:
            group.record_units[variable] = si_symbol(dimension_name(dim))
    return group


TRANSLATORS = {"lif": _lif, "lif_dimensionless": _lif, "hh_squid": _hh, "hh_traub": _hh}


def _stimulus_code(group: Group, index: int, stimulus, namespace: dict) -> list[str]:
    """Code adding stimulus ``index`` to ``I_ext`` (and advancing it, for noise); ``namespace``
    receives its scalar constants."""
    tag, unit = f"s{index}", group.input_unit
    scale = "" if unit == "1" else f"*{unit}"
    neurons = np.arange(group.n) if stimulus.neurons is None else np.asarray(stimulus.neurons)
    if len(np.unique(neurons)) != len(neurons):
        raise NoBrian2Counterpart(f"stimulus {index} ({stimulus.type}): neurons", "repeated neurons")

    def per_neuron(key, value):
        values = np.zeros(group.n)
        values[neurons] = value
        group.equations.append(f"{key}_{tag} : {unit} (constant)")
        group.arrays[f"{key}_{tag}"] = values
        return f"{key}_{tag}"

    def after(time_value, key):
        namespace[f"{key}_{tag}"] = time_value
        return f"int(t >= {key}_{tag}*second - {SWITCH_TOLERANCE})"

    def before(time_value, key):
        if time_value is None or np.isinf(time_value):
            return "1"
        namespace[f"{key}_{tag}"] = time_value
        return f"int(t < {key}_{tag}*second - {SWITCH_TOLERANCE})"

    kind = stimulus.type
    if kind == "poisson_input":  # Brian2's PoissonInput: binomial(N, rate*dt) * weight per neuron and step
        if stimulus.neurons is not None:
            raise NoBrian2Counterpart(f"stimulus {index} (poisson_input): neurons", "PoissonInput drives whole groups")
        if stimulus.receptor not in group.poisson_target:
            raise NoBrian2Counterpart(f"stimulus {index} (poisson_input): receptor '{stimulus.receptor}'",
                                      "PoissonInput increments one variable (not an exp2 receptor)")
        variable, factor = group.poisson_target[stimulus.receptor]
        unit = group.weight_unit[stimulus.receptor]
        weight = f"{factor}*{_num(stimulus.weight)}" + ("" if unit == "1" else f"*{unit}")
        group.poisson_inputs.append((variable, int(stimulus.n_sources), float(stimulus.rate), weight))
        return []
    if kind == "constant":
        amplitude = per_neuron("amp", stimulus.amplitude)
        return [f"I_ext += {amplitude}*{after(stimulus.start, 'start')}*{before(stimulus.stop, 'stop')}"]
    if kind == "step":
        mask = per_neuron("mask", 1.0)
        jumps, previous = [], 0.0
        for j, (when, amplitude) in enumerate(zip(stimulus.times, stimulus.amplitudes, strict=True)):
            jumps.append(f"({_num(amplitude - previous)}{scale})*{after(when, f'time{j}')}")
            previous = amplitude
        return [f"I_ext += {mask}*({' + '.join(jumps)})"]
    if kind == "ramp":
        mask = per_neuron("mask", 1.0)
        namespace[f"start_{tag}"], namespace[f"stop_{tag}"] = stimulus.start, stimulus.stop
        slope = f"({_num(stimulus.amplitude_stop)} - {_num(stimulus.amplitude_start)})"
        value = (f"({_num(stimulus.amplitude_start)} + {slope}*(t/second - start_{tag})/(stop_{tag} - start_{tag}))"
                 f"{scale}")
        return [f"I_ext += {mask}*{value}*{after(stimulus.start, 'start')}*{before(stimulus.stop, 'stop')}"]
    if kind == "sine":
        amplitude, offset = per_neuron("amp", stimulus.amplitude), per_neuron("offset", stimulus.offset)
        namespace[f"frequency_{tag}"], namespace[f"phase_{tag}"] = stimulus.frequency, stimulus.phase
        wave = f"sin(2*pi*frequency_{tag}*t/second + phase_{tag})"
        return [f"I_ext += ({offset} + {amplitude}*{wave})*{after(stimulus.start, 'start')}*"
                f"{before(stimulus.stop, 'stop')}"]
    if kind == "ou_noise":  # exact OU update; starts at a draw from the stationary distribution
        mean, sigma = per_neuron("mean", stimulus.mean), per_neuron("sigma", stimulus.sigma)
        group.equations.append(f"ou_{tag} : {unit}")
        group.expressions.append((f"ou_{tag}", f"{mean} + {sigma}*randn()"))
        namespace[f"tau_{tag}"] = stimulus.tau
        decay = f"exp(-dt/(tau_{tag}*second))"
        return [f"I_ext += ou_{tag}",
                f"ou_{tag} = {mean} + (ou_{tag} - {mean})*{decay} + {sigma}*sqrt(1 - {decay}**2)*randn()"]
    raise NoBrian2Counterpart(f"stimulus {index} ({kind})", "not translated")


@dataclass
class Connection:
    pre: str
    post: str
    receptor: str
    connect: dict  # keyword arguments of Synapses.connect
    weight: object  # SI array (one per synapse), scalar or distribution
    delay: object


def _connection(index: int, connection, groups: dict[str, Group]) -> Connection:
    rule = dict(connection.rule)
    name = rule.pop("name")
    self_loop = connection.pre == connection.post and not connection.allow_autapses
    label = f"connection {index} ({connection.pre} -> {connection.post})"
    if name == "all_to_all":
        connect = {"condition": "i != j"} if self_loop else {}
    elif name == "one_to_one":
        connect = {"j": "i"} if not self_loop else None
    elif name == "fixed_probability":
        connect = {"p": float(rule["p"])} | ({"condition": "i != j"} if self_loop else {})
    elif name == "fixed_indegree":  # K distinct partners drawn per postsynaptic neuron, autapses dropped after
        connect = {"i": f"k for k in sample(N_pre, size={int(rule['k'])})" + (" if k != j" if self_loop else "")}
    elif name in ("explicit", "dense"):
        if name == "dense":
            matrix = np.asarray(rule["matrix"], float)
            post, pre = np.nonzero(matrix)
        else:
            pre, post = np.asarray(rule["pre"], np.int64), np.asarray(rule["post"], np.int64)
        keep = pre != post if self_loop else np.ones(len(pre), bool)
        connect = {"i": pre[keep], "j": post[keep]}
        if name == "dense":
            return Connection(connection.pre, connection.post, connection.receptor, connect,
                              matrix[post[keep], pre[keep]], connection.delay)
    else:
        raise NoBrian2Counterpart(f"{label}: rule '{name}'", "not translated")
    if connect is None:  # one_to_one onto itself without autapses: no synapse at all
        connect = {"condition": "False"}
    if connection.receptor not in groups[connection.post].on_pre:
        raise NoBrian2Counterpart(f"{label}: receptor '{connection.receptor}'", "not translated")
    return Connection(connection.pre, connection.post, connection.receptor, connect, connection.weight,
                      connection.delay)


class ProtocolModel:
    """The network of a loaded network protocol, written for Brian2 (see the module doc)."""

    def __init__(self, protocol):
        spec = protocol.spec
        if protocol.is_experiment:
            raise ParameterError("protocol", protocol.file, "a network protocol")
        self.name, self.dt, self.duration = spec.name, spec.dt, spec.duration
        available = models()
        self.groups: dict[str, Group] = {}
        for name, population in spec.network.populations.items():
            if population.model == "poisson":
                rates = _per_neuron(population.rate, population.n)
                if rates.max() * spec.dt > MAX_SPIKE_PROBABILITY:
                    raise NoBrian2Counterpart(
                        f"population '{name}': rate {rates.max():g} Hz at dt {spec.dt:g} s",
                        f"Brian2's PoissonGroup spikes at most once per step with probability rate*dt; above "
                        f"{MAX_SPIKE_PROBABILITY} its counts are no longer Poisson (use type: poisson_input)")
                self.groups[name] = Group(name, "poisson", population.n, rates=rates)
                continue
            cls = available.get(population.model)
            translator = _equation if hasattr(cls, "definition") else TRANSLATORS.get(population.model)
            if translator is None:
                raise NoBrian2Counterpart(f"population '{name}' (model '{population.model}')",
                                          "only equation models, LIF, HH and Poisson populations are translated")
            self.groups[name] = translator(name, population, cls, parameters(cls, population))
        self.namespace: dict = {}
        stimulus_code: dict[str, list[str]] = {}
        for index, stimulus in enumerate(spec.stimuli):
            group = self.groups[stimulus.population]
            stimulus_code.setdefault(group.name, []).extend(_stimulus_code(group, index, stimulus, self.namespace))
        for name, code in stimulus_code.items():
            if not code:
                continue
            unit = self.groups[name].input_unit
            self.groups[name].operations.setdefault("before_groups", [])[:0] = [
                f"I_ext = 0{'' if unit == '1' else '*' + unit}", *code]
        self.connections = [_connection(index, c, self.groups) for index, c in enumerate(spec.network.connections)]
        self.population_sizes = {name: group.n for name, group in self.groups.items()}
        self.monitors = self._monitors(spec.record)

    def _monitors(self, record) -> list[Record]:
        monitors = [Record("spikes", name, neurons=np.arange(self.groups[name].n))  # every group spikes
                    for name in (list(self.groups) if record.spikes is None else record.spikes)]
        monitors += [Record("rate", name) for name in record.rates]
        for state in record.states:
            group = self.groups[state.population]
            if state.variable not in group.recordable:
                raise NoBrian2Counterpart(f"state record of '{group.name}': {state.variable}",
                                          f"Brian2 records only {sorted(group.recordable)} here")
            unit = self._unit_of(group, state.variable)
            neurons = np.arange(group.n) if state.neurons is None else np.asarray(state.neurons, np.int64)
            monitors.append(Record("state", group.name, state.variable, group.recordable[state.variable],
                                   neurons, state.every, unit))
        return monitors

    @staticmethod
    def _unit_of(group: Group, variable: str) -> str:
        if variable in group.record_units:
            return group.record_units[variable]
        if variable == "v":
            unit = "volt" if group.input_unit == "amp" else "1"
        elif variable.startswith("syn_"):
            unit = group.weight_unit[variable[4:]]
        elif variable == "i_ext":
            unit = group.input_unit
        else:
            unit = "1"
        return si_symbol({"amp": "current", "siemens": "conductance", "volt": "voltage"}.get(unit))

    def run(self, seed: int, target: str = "runtime", codegen: str = "cython", build_dir: str | None = None,
            duration: float | None = None) -> Results:
        """One realisation: build the network in Brian2 with ``b2.seed(seed)``, run it for the
        protocol's duration (or ``duration`` s) and return its :class:`Results`."""
        if target not in TARGETS:
            raise ParameterError("target", target, f"one of {TARGETS}")
        if codegen not in CODEGENS:
            raise ParameterError("codegen", codegen, f"one of {CODEGENS}")
        import brian2 as b2

        duration = self.duration if duration is None else duration
        total_steps = round(duration / self.dt)
        started = time.perf_counter()
        b2.prefs.codegen.target = codegen
        if target == "cpp_standalone":
            b2.set_device("cpp_standalone", directory=build_dir or tempfile.mkdtemp(prefix="neurosim-brian2-"),
                          build_on_run=True, with_output=False)
        try:
            b2.defaultclock.dt = self.dt * b2.second
            b2.seed(seed)
            objects, monitors = self._build(b2)
            network = b2.Network(*objects, *monitors)
            build_time = time.perf_counter() - started
            network.run(total_steps * self.dt * b2.second, namespace=dict(self.namespace))
            results = results_of(b2, self.monitors, monitors, self.dt, total_steps, seed, self.population_sizes)
        finally:
            if target == "cpp_standalone":
                b2.device.reinit()
                b2.set_device("runtime")
        results.attributes["brian2_model"] = "written from the protocol"
        results.timings = {"build": build_time, "run": time.perf_counter() - started - build_time}
        return results

    def _build(self, b2):
        made, objects = {}, []
        for name, group in self.groups.items():
            if group.kind == "poisson":
                obj = b2.PoissonGroup(group.n, group.rates * b2.Hz, name=f"ns_{name}")
            else:
                obj = b2.NeuronGroup(group.n, "\n".join(group.equations), threshold=group.threshold,
                                     reset=group.reset or None, refractory=group.refractory or False,
                                     method=group.method, name=f"ns_{name}", namespace=dict(self.namespace))
                for var, values in group.arrays.items():
                    setattr(obj, f"{var}_", values)
                for var, code in group.expressions:
                    setattr(obj, var, code)
                for when, code in group.operations.items():
                    objects.append(obj.run_regularly("\n".join(code), when=when, name=f"ns_{name}_{when}"))
                for k, (variable, n_sources, rate, weight) in enumerate(group.poisson_inputs):
                    objects.append(b2.PoissonInput(obj, variable, n_sources, rate * b2.Hz, weight=weight,
                                                   name=f"ns_{name}_poisson_input{k}"))
            made[name] = obj
            objects.append(obj)
        for index, connection in enumerate(self.connections):
            post = self.groups[connection.post]
            unit = post.weight_unit[connection.receptor]
            scalar_delay = np.ndim(connection.delay) == 0 and not hasattr(connection.delay, "draw")
            # the weight is w_syn: a pre- or postsynaptic variable w (AdEx's) would clash with it
            on_pre = rename(post.on_pre[connection.receptor], {"w": "w_syn"})
            synapses = b2.Synapses(made[connection.pre], made[connection.post], model=f"w_syn : {unit} (constant)",
                                   on_pre=on_pre, name=f"ns_syn{index}",
                                   delay=float(connection.delay) * b2.second if scalar_delay else None,
                                   namespace=dict(self.namespace))
            synapses.connect(**connection.connect)
            if np.ndim(connection.weight) == 1:
                synapses.w_syn_ = connection.weight
            else:
                synapses.w_syn = expression(connection.weight, unit)
            if not scalar_delay:
                synapses.delay = expression(connection.delay, "second")
            objects.append(synapses)
        monitors = []
        for record in self.monitors:
            source = made[record.population]
            if record.kind == "spikes":
                monitors.append(b2.SpikeMonitor(source))
            elif record.kind == "rate":
                monitors.append(b2.PopulationRateMonitor(source))
            else:
                monitors.append(b2.StateMonitor(source, record.brian2_variable, record=record.neurons,
                                                dt=record.every * self.dt * b2.second, when="start"))
        return objects, monitors
