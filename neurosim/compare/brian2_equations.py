"""Generic translation of equation-defined populations to Brian2: the model is handed over as its
equations (neurosim's syntax is Brian2's), not through per-model translators.

:func:`translate` returns a :class:`Brian2Model` (equations with the receptors merged in, the
threshold, reset, refractoriness and method, and the per-neuron values to set); :func:`neuron_group`
builds the ``NeuronGroup``. Parameters become per-neuron ``(constant)`` variables, the summed
stimulus is a variable ``i_ext`` the caller sets, and receptor ``on_pre`` statements are given
per receptor for the caller's ``Synapses``. Names that Brian2 reserves (its units, such as PyNN's
``cm``, and its functions) are renamed with a trailing underscore; ``renames`` lists them.

What Brian2 cannot express raises :class:`~neurosim.compare.brian2.NoBrian2Counterpart` naming the
part: populations that are not equation models, ``min``/``max`` with non-finite bounds aside
(``min(a, b)`` becomes ``clip(a, -inf*unit, b)``), and exponential Euler with coupled linear
receptor kernels (alpha, exp2), which neurosim propagates exactly and Brian2 would not.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..core.neurons.equation import EquationPopulation, rename
from ..equations.dimensions import brian2_unit
from .brian2 import NoBrian2Counterpart

_IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


@dataclass
class Brian2Model:
    """What a Brian2 ``NeuronGroup`` needs to run the same model (SI values; names after ``renames``)."""

    equations: str
    threshold: str | None
    reset: str | None
    refractory: str | bool
    method: str
    values: dict[str, np.ndarray]
    initial: dict[str, np.ndarray]
    on_pre: dict[str, str] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)
    before: list[str] = field(default_factory=list)  # run_regularly code before_groups (``x_before = x``)
    clamp: list[str] = field(default_factory=list)  # code run after the state update (``after_groups``)


_BEFORE = re.compile(r"\bbefore\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)")


def threshold_before(threshold: str) -> tuple[str, dict[str, str]]:
    """A threshold with ``before(x)`` (neurosim) as Brian2 code: ``x_before``, a variable saved
    ``before_groups``; returns (threshold, {variable: state})."""
    saved = {f"{name}_before": name for name in _BEFORE.findall(threshold)}
    return _BEFORE.sub(lambda m: f"{m.group(1)}_before", threshold), saved


def _brian2_names() -> set[str]:
    import brian2
    from brian2.core.functions import DEFAULT_FUNCTIONS

    names = {name for name in dir(brian2.units) if not name.startswith("_")}
    names |= {name for name in dir(brian2.units.allunits) if not name.startswith("_")}
    return names | set(DEFAULT_FUNCTIONS) | {"e", "pi", "inf"}


def _min_max(text: str, dims_of) -> str:
    """``min(a, b)``/``max(a, b)`` -> ``clip(a, -inf*u, b)``/``clip(a, b, inf*u)`` (Brian2 has clip only)."""
    import ast

    tree = ast.parse(text, mode="eval")

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id in ("min", "max", "minimum", "maximum"):
                unit = dims_of(ast.unparse(node.args[0]))
                inf = ast.parse(f"inf*{unit}" if unit != "1" else "inf", mode="eval").body
                low, high = (ast.UnaryOp(ast.USub(), inf), node.args[1]) if node.func.id in ("min", "minimum") \
                    else (node.args[1], inf)
                return ast.Call(ast.Name("clip", ast.Load()), [node.args[0], low, high], [])
            if isinstance(node.func, ast.Name) and node.func.id == "where":
                cond, a, b = node.args
                return ast.parse(f"(int({ast.unparse(cond)})*({ast.unparse(a)}) + "
                                 f"int(not ({ast.unparse(cond)}))*({ast.unparse(b)}))", mode="eval").body
            return node

    return ast.unparse(Rewrite().visit(tree))


def translate(pop) -> Brian2Model:
    """The Brian2 form of a built :class:`EquationPopulation` (its ``build`` must have run)."""
    if not isinstance(pop, EquationPopulation):
        raise NoBrian2Counterpart(f"population '{pop.name}' (model '{pop.model}')",
                                  "not an equation model; its translation is in neurosim.compare.brian2")
    system = pop.system
    if pop.spike_timing != "step":
        raise NoBrian2Counterpart(f"population '{pop.name}': spike_timing '{pop.spike_timing}'",
                                  "Brian2 places spikes on the step grid; use spike_timing 'step'")
    if pop.method == "exponential_euler" and pop.step.matrices:
        raise NoBrian2Counterpart(f"population '{pop.name}': receptors {', '.join(pop.receptor_models)}",
                                  "coupled receptor kernels are propagated exactly inside exponential Euler; "
                                  "Brian2 would apply exponential Euler to them")
    for phi, tau in pop.step.decays.items():
        if not np.all(pop.numeric[phi] > 0):
            raise NoBrian2Counterpart(f"population '{pop.name}' (model '{pop.model}'): {tau} = 0",
                                      "a state following its target instantly is no ODE for Brian2")
    reserved = _brian2_names()
    names = [*system.dims, *pop.values]
    renames = {name: f"{name}_" for name in names if name in reserved and name not in ("t", "dt")}
    fix = (lambda text: rename(text, renames))

    def unit_of(expression: str) -> str:
        _, dim = system.converter.expression(rename(expression, {v: k for k, v in renames.items()}), "brian2")
        return brian2_unit(dim)

    lines = []
    for equation in system.equations:
        flags = f" ({', '.join(equation.flags)})" if equation.flags else ""
        unit = brian2_unit(equation.dim)
        if equation.kind == "parameter":
            continue
        expression = _min_max(fix(equation.expression), unit_of)
        lhs = f"d{fix(equation.name)}/dt" if equation.kind == "differential" else fix(equation.name)
        lines.append(f"{lhs} = {expression} : {unit}{flags}")
    for name in pop.values:
        lines.append(f"{fix(name)} : {brian2_unit(system.dims[name])} (constant)")
    lines.append(f"i_ext : {brian2_unit(system.dims['i_ext'])}")
    definition = pop.definition
    refractory: str | bool = False
    if system.refractory is not None:
        refractory = fix(str(definition.refractory))
    reset = None
    if definition.reset is not None:
        text = definition.reset if isinstance(definition.reset, str) else "\n".join(definition.reset)
        reset = fix(text)
    on_pre = {}
    for key, (synapse_model, _, mapping) in pop.receptor_models.items():
        on_pre[key] = fix(rename(synapse_model.on_pre, mapping)).replace(";", "\n")
    for key in pop.receptors:
        if key not in pop.receptor_models:  # a delta receptor: a jump of v (Brian2 drops it while refractory)
            on_pre[key] = f"{fix('v')} += w"
    clamp = []
    for statement in system.clamp:  # neurosim clamps the integrated value, not the one held while refractory
        value = _min_max(fix(statement.text.split("=", 1)[1].strip()), unit_of)
        if statement.op != "=":
            raise NoBrian2Counterpart(f"population '{pop.name}': clamp", f"'{statement.text}' (only 'x = ...')")
        target = fix(statement.target)
        clamp.append(f"{target} = {target} + int(not_refractory)*(({value}) - {target})"
                     if statement.target in system.unless_refractory and system.refractory is not None
                     else f"{target} = {value}")
    state_values = {s: (pop.z[pop.row_of[s]] if s in pop.row_of else pop.state[s]).astype(float)
                    for s in system.states}
    threshold, before = (None, []) if not definition.threshold else (fix(definition.threshold), [])
    if threshold is not None:
        threshold, saved = threshold_before(threshold)
        for variable, state in saved.items():
            lines.append(f"{variable} : {brian2_unit(system.dims[_original(state, renames)])}")
            before.append(f"{variable} = {state}")
    return Brian2Model("\n".join(lines), threshold, reset, refractory, pop.method,
                       {fix(k): np.asarray(v, float) for k, v in pop.values.items()},
                       {fix(k): v for k, v in state_values.items()}, on_pre, renames, before, clamp)


def neuron_group(pop, b2=None):
    """A Brian2 ``NeuronGroup`` of ``pop`` with its parameters and current state set (SI units)."""
    if b2 is None:
        import brian2 as b2
    model = translate(pop)
    group = b2.NeuronGroup(pop.n, model.equations, threshold=model.threshold, reset=model.reset,
                           refractory=model.refractory, method=model.method, name=pop.name, namespace={})
    if model.before:
        group.run_regularly("\n".join(model.before), when="before_groups")
    for name, value in {**model.values, **model.initial}.items():
        setattr(group, name, value * _si(b2, pop.system.dims[_original(name, model.renames)]))
    if model.clamp:
        group.run_regularly("\n".join(model.clamp), when="after_groups", name=f"{pop.name}_clamp")
    return group, model


def _original(name: str, renames: dict[str, str]) -> str:
    back = {v: k for k, v in renames.items()}
    return back.get(name, name)


def _si(b2, dim):
    """The Brian2 SI unit (a Quantity of value 1) of a neurosim dimension."""
    base = (b2.metre, b2.kilogram, b2.second, b2.amp, b2.kelvin, b2.mole)
    unit = 1.0
    for quantity, exponent in zip(base, dim, strict=True):
        if exponent:
            unit = unit * quantity ** float(exponent)
    return unit
