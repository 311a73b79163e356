"""A validated equation system: states, parameters, inputs, subexpressions, threshold, reset, refractoriness.

:func:`build_system` converts every piece of a model's text to sympy with its dimension checked
against the declared units, substitutes subexpressions (in dependency order, cycles refused),
and checks that the threshold and a refractory condition are booleans (the threshold may use
``before(x)``, state ``x`` at the start of the step), a refractory duration
is a time, and the reset assigns state variables only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .dimensions import BOOL, Dim, of_unit
from .parse import (
    Converter,
    Equation,
    EquationError,
    Statement,
    check_identifier,
    parse_equations,
    statements,
)

TIME = of_unit("second")


@dataclass
class System:
    """The sympy form of one model (every expression in terms of states, parameters, inputs, t, dt)."""

    model: str
    equations: list[Equation]
    states: list[str]
    parameters: list[str]
    inputs: list[str]
    dims: dict[str, Dim]
    rhs: dict[str, sympy.Expr]
    subexpressions: dict[str, sympy.Expr]
    unless_refractory: set[str]
    threshold: sympy.Basic | None = None
    reset: list[Statement] = field(default_factory=list)
    refractory: sympy.Basic | None = None      # a duration (time) or a condition (boolean)
    refractory_is_condition: bool = False
    clamp: list[Statement] = field(default_factory=list)  # applied to the integrated states, before the threshold
    converter: Converter = field(repr=False, kw_only=True)

    def symbol(self, name: str) -> sympy.Symbol:
        return self.converter.symbol(name)

    @property
    def t(self) -> sympy.Symbol:
        return self.converter.symbol("t")

    @property
    def dt(self) -> sympy.Symbol:
        return self.converter.symbol("dt")


def build_system(model: str, equations: str, parameters: dict[str, Dim], inputs: dict[str, Dim],
                 threshold: str | None = None, reset=None, refractory=None, clamp=None) -> System:
    """Parse and check a model; ``parameters`` and ``inputs`` map names to their dimensions.

    Parameters may also be declared in the equations (``tau_m : second``); both declarations must
    then agree. ``inputs`` are variables the simulator sums in each step (stimuli, receptors).
    ``clamp``: statements (``v = clip(v, min_voltage, inf)``) applied each step to the integrated
    states before the threshold (Nengo's ``min_voltage``).
    """
    parsed = parse_equations(equations, model)
    dims: dict[str, Dim] = {}
    for name in {**parameters, **inputs}:
        check_identifier(name, model, "parameters" if name in parameters else "inputs", name)
    for equation in parsed:
        if equation.kind == "parameter":
            if equation.name in inputs:
                raise EquationError(model, "equations", f"'{equation.name}' is an input and a parameter",
                                    text=equation.text, term=equation.name, line=equation.line)
            if equation.name in parameters and parameters[equation.name] != equation.dim:
                raise EquationError(model, "equations", f"'{equation.name}' is declared {equation.dim} here but its "
                                    f"value has dimension {parameters[equation.name]}", text=equation.text,
                                    term=equation.name, line=equation.line)
            if equation.name not in parameters:
                raise EquationError(model, "equations", f"parameter '{equation.name}' has no value: give it under "
                                    "'parameters'", text=equation.text, term=equation.name, line=equation.line)
        elif equation.name in parameters or equation.name in inputs:
            what = "a parameter" if equation.name in parameters else "an input"
            if equation.name not in parameters and equation.name.startswith("i_"):
                what += " (i_ext and i_<input> are reserved: the summed input of stimuli and dense projections)"
            raise EquationError(model, "equations", f"'{equation.name}' is defined by an equation and as {what}",
                                text=equation.text, term=equation.name, line=equation.line)
        dims[equation.name] = equation.dim
    dims.update(parameters)
    dims.update(inputs)
    converter = Converter(model, {**dims, "t": TIME, "dt": TIME})
    states = [e.name for e in parsed if e.kind == "differential"]
    if not states:
        raise EquationError(model, "equations", "no differential equation (dx/dt = ... : unit)", text=equations)
    raw_sub: dict[str, sympy.Expr] = {}
    raw_rhs: dict[str, sympy.Expr] = {}
    for equation in parsed:
        if equation.kind == "parameter":
            continue
        expr, dim = converter.expression(equation.expression, "equations", equation.text, equation.line)
        expected = equation.dim / TIME if equation.kind == "differential" else equation.dim
        if dim != expected and expr != 0:
            what = f"d{equation.name}/dt" if equation.kind == "differential" else equation.name
            raise EquationError(model, "equations", f"the right-hand side has dimension {dim}, but {what} has "
                                f"{expected} (declared '{equation.name} : {equation.text.rsplit(':', 1)[1].strip()}')",
                                text=equation.text, term=equation.expression, line=equation.line)
        equation.expr = expr
        (raw_rhs if equation.kind == "differential" else raw_sub)[equation.name] = expr
    subexpressions = _substitute_subexpressions(model, parsed, raw_sub, converter)
    replace = {converter.symbol(name): expr for name, expr in subexpressions.items()}
    rhs = {name: expr.xreplace(replace) for name, expr in raw_rhs.items()}
    system = System(model, parsed, states, list(parameters), list(inputs), {**dims, "t": TIME, "dt": TIME}, rhs,
                    subexpressions, {e.name for e in parsed if "unless refractory" in e.flags}, converter=converter)
    state_dims = {name: dims[name] for name in states}
    if threshold is not None:
        if not isinstance(threshold, str) or not threshold.strip():
            raise EquationError(model, "threshold", "expected a condition such as 'v > v_thresh'", text=repr(threshold))
        converter.before = set(states)  # before(v): v at the start of the step (upward crossings)
        try:
            system.threshold = converter.condition(threshold, "threshold").xreplace(replace)
        finally:
            converter.before = set()
    if reset is not None:
        if threshold is None:
            raise EquationError(model, "reset", "a reset needs a threshold", text=str(reset))
        system.reset = [Statement(s.target, s.op, s.expr.xreplace(replace), s.line, s.text)
                        for s in statements(converter, reset, "reset", state_dims)]
    if clamp is not None:
        system.clamp = [Statement(s.target, s.op, s.expr.xreplace(replace), s.line, s.text)
                        for s in statements(converter, clamp, "clamp", state_dims)]
    if refractory is not None:
        if threshold is None:
            raise EquationError(model, "refractory", "refractoriness needs a threshold", text=str(refractory))
        text = str(refractory)
        expr, dim = converter.expression(text, "refractory")
        if dim is BOOL:
            system.refractory, system.refractory_is_condition = expr.xreplace(replace), True
        elif dim == TIME or expr == 0:
            system.refractory = expr.xreplace(replace)
            if system.refractory.free_symbols - {converter.symbol(p) for p in parameters} - {system.dt}:
                raise EquationError(model, "refractory", "a refractory duration may depend on parameters only",
                                    text=text)
        else:
            raise EquationError(model, "refractory", f"expected a duration (e.g. '2*ms', 'tau_refrac') or a condition, "
                                f"got dimension {dim}", text=text, term=text)
    elif system.unless_refractory:
        name = min(system.unless_refractory)
        raise EquationError(model, "equations", f"'{name}' is '(unless refractory)' but the model has no refractory "
                            "period", text=next(e.text for e in parsed if e.name == name))
    return system


def _substitute_subexpressions(model, parsed, raw, converter) -> dict[str, sympy.Expr]:
    """Subexpressions in terms of states, parameters and inputs only (cycles are refused)."""
    done: dict[str, sympy.Expr] = {}
    lines = {e.name: e for e in parsed}

    def resolve(name, chain):
        if name in done:
            return done[name]
        if name in chain:
            cycle = " -> ".join([*chain[chain.index(name):], name])
            raise EquationError(model, "equations", f"subexpressions depend on each other in a cycle: {cycle}",
                                text=lines[name].text, term=name, line=lines[name].line)
        expr = raw[name]
        replace = {}
        for symbol in expr.free_symbols:
            if symbol.name in raw:
                replace[symbol] = resolve(symbol.name, [*chain, name])
        done[name] = expr.xreplace(replace)
        return done[name]

    for name in raw:
        resolve(name, [])
    return done
