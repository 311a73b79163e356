"""sympy update expressions -> lines of Numba-compilable Python.

- :func:`hoist` replaces every largest subexpression that depends on parameters and ``dt`` only
  (``exp(-dt/tau_m)``, ``1/C_m``) by a named constant whose values are computed once at build
  with numpy (:func:`evaluate`); the caller turns homogeneous ones into literals.
- :func:`common` runs sympy's common-subexpression elimination over what remains.
- :class:`Printer` writes expressions as scalar Python: ``math`` functions (``exp`` and ``exprel``
  vectorisable for neuron updates: :mod:`neurosim.equations.vexp`), small integer powers as products,
  conditions as ``a if c else b`` selects (branch-free: the loop vectorises).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import scipy.special
import sympy
from sympy.codegen.cfunctions import expm1, log1p, log10
from sympy.logic.boolalg import Boolean

from .parse import exprel


@numba.njit(cache=True, nogil=True)
def exprel_kernel(x):
    """``(exp(x) - 1)/x`` with its limit 1 at ``x = 0``."""
    if x == 0.0:
        return 1.0
    return math.expm1(x) / x


@numba.njit(cache=True, nogil=True, forceinline=True)
def table_at(table, column, position):
    """Column ``column`` of ``table`` interpolated linearly at row ``position`` (0 <= position < rows - 1)."""
    j = int(position)
    return table[j, column] + (position - j) * (table[j + 1, column] - table[j, column])


def imports(exp: str = "libm") -> tuple[str, ...]:
    """Imports the generated code needs for the functions a ``Printer(names, tables, exp)`` emits."""
    if exp == "vexp":
        return ("import math", "from neurosim.equations.emit import table_at",
                "from neurosim.equations.vexp import vexp, vexpm1, vexprel, vpow")
    return "import math", "from neurosim.equations.emit import exprel_kernel, table_at"


class TableLookup(sympy.Function):
    """A tabulated function at ``x``: args ``(x, column, table tag)`` (see :class:`Table`)."""


@dataclass
class Table:
    """A table argument ``code`` on the grid ``lo + j/inverse_step`` (``rows`` points) of the functions
    ``exact`` of ``x``; outside the grid (and for NaN) the printer computes them exactly."""

    code: str
    lo: float
    inverse_step: float
    rows: int
    x: sympy.Symbol
    exact: list[sympy.Expr]


def hoist(exprs: list[sympy.Expr], constant: set[sympy.Symbol], prefix: str = "_c"):
    """``(exprs with constant subtrees replaced, {symbol: subtree})``: a subtree is hoisted when its
    free symbols are all in ``constant`` and it is not a bare symbol or number."""
    found: dict[sympy.Expr, sympy.Symbol] = {}

    def name(expr):
        if expr not in found:
            found[expr] = sympy.Symbol(f"{prefix}{len(found)}", real=True)
        return found[expr]

    def is_constant(expr):
        return bool(expr.free_symbols) and expr.free_symbols <= constant and not isinstance(expr, Boolean)

    def visit(expr):
        if expr.is_Atom:
            return expr
        if is_constant(expr):
            if isinstance(expr, sympy.Mul) and expr.args[0].is_Number:
                # keep a number outside (-1/tau -> -(1/tau)) so that more subtrees are shared
                return expr.args[0] * name(sympy.Mul(*expr.args[1:]))
            return name(expr)
        if isinstance(expr, (sympy.Mul, sympy.Add)):
            # the constant factors of a product (terms of a sum) become one constant
            fixed = [arg for arg in expr.args if is_constant(arg)]
            if len(fixed) > 1:
                rest = [visit(arg) for arg in expr.args if not is_constant(arg)]
                return expr.func(name(expr.func(*fixed)), *rest)
        return expr.func(*[visit(arg) for arg in expr.args])

    replaced = [visit(expr) for expr in exprs]
    return replaced, {symbol: expr for expr, symbol in found.items()}


def common(assignments: list[tuple[sympy.Symbol, sympy.Expr]], prefix: str = "_x"):
    """Common-subexpression elimination over ordered assignments; returns the new ordered list.

    sympy's cse may extract a subexpression that uses an earlier target (the stages of a
    Runge-Kutta step, ``_BA_v`` in exponential Euler); the result is ordered so that every symbol
    is assigned before it is used, targets keeping their relative order."""
    if not assignments:
        return []
    symbols = sympy.numbered_symbols(prefix, real=True)
    replacements, reduced = sympy.cse([expr for _, expr in assignments], symbols=symbols, order="none")
    pending = [*replacements, *zip([target for target, _ in assignments], reduced, strict=True)]
    assigned = {target for target, _ in pending}
    done: set[sympy.Symbol] = set()
    result = []
    while pending:
        for index, (target, expr) in enumerate(pending):
            if (expr.free_symbols & assigned) <= done:
                result.append(pending.pop(index))
                done.add(target)
                break
        else:
            raise RuntimeError("cyclic assignments")  # cannot happen: cse output is acyclic
    return result


_NUMPY = [{"exprel": scipy.special.exprel, "log1p": np.log1p, "expm1": np.expm1, "log10": np.log10}, "numpy"]


def evaluate(expr: sympy.Expr, values: dict[sympy.Symbol, np.ndarray], n: int) -> np.ndarray:
    """``expr`` at every neuron (``values``: parameter arrays of length ``n`` and ``dt``), float64."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    function = sympy.lambdify(symbols, expr, modules=_NUMPY)
    with np.errstate(all="ignore"):
        result = function(*[values[s] for s in symbols])
    return np.broadcast_to(np.asarray(result, float), (n,)).copy()


class Printer:
    """Scalar Python for a sympy expression; ``names`` maps symbol names to code, ``tables`` table
    tags to their :class:`Table`. ``exp``: ``"libm"``
    prints ``exp`` and ``exprel`` as ``math.exp`` and :func:`exprel_kernel` (calls, which keep a
    loop scalar), ``"vexp"`` (also ``expm1``) as the vectorisable functions of :mod:`neurosim.equations.vexp`."""

    def __init__(self, names: dict[str, str], tables: dict[str, Table] | None = None, exp: str = "libm"):
        self.names, self.tables = names, tables or {}
        self.vectorised = {"libm": False, "vexp": True}[exp]

    def __call__(self, expr) -> str:
        p = self
        if isinstance(expr, sympy.Symbol):
            return self.names[expr.name]
        if isinstance(expr, TableLookup):
            x, column, tag = expr.args
            table = self.tables[tag.name]
            position = f"(({p(x)} - {table.lo!r}) * {table.inverse_step!r})"
            exact = p(table.exact[int(column)].xreplace({table.x: x}))
            return (f"(table_at({table.code}, {int(column)}, {position}) if (0.0 <= {position} < "
                    f"{table.rows - 1}.0) else {exact})")
        if expr is sympy.true or expr is sympy.false:
            return "True" if expr is sympy.true else "False"
        if expr.is_Integer:
            return repr(float(int(expr)))
        if expr.is_Rational or expr.is_Float:
            return repr(float(expr))
        if expr is sympy.pi:
            return repr(math.pi)
        if expr is sympy.E:
            return repr(math.e)
        if isinstance(expr, sympy.Add):
            terms = [p(arg) for arg in expr.args]
            text = terms[0]
            for term in terms[1:]:
                text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
            return f"({text})"
        if isinstance(expr, sympy.Mul):
            numerator, denominator = [], []
            sign = ""
            for arg in expr.args:
                if arg.is_Number and arg < 0:
                    sign = "-" if not sign else ""
                    arg = -arg
                    if arg == 1:
                        continue
                if isinstance(arg, sympy.Pow) and arg.exp.is_Number and arg.exp < 0:
                    denominator.append(p(arg.base ** -arg.exp))
                elif arg.is_Rational and not arg.is_Integer and arg.p == 1:
                    denominator.append(repr(float(arg.q)))
                else:
                    numerator.append(p(arg))
            text = " * ".join(numerator) or "1.0"
            if denominator:
                text += " / " + (denominator[0] if len(denominator) == 1 else f"({' * '.join(denominator)})")
            return f"{sign}({text})" if sign else f"({text})"
        if isinstance(expr, sympy.Pow):
            base, exponent = expr.args
            if exponent.is_Integer and 1 <= int(exponent) <= 4:
                return "(" + " * ".join([p(base)] * int(exponent)) + ")"
            if exponent.is_Integer and -4 <= int(exponent) <= -1:
                return "(1.0 / (" + " * ".join([p(base)] * -int(exponent)) + "))"
            if exponent == sympy.Rational(1, 2):
                return f"math.sqrt({p(base)})"
            if exponent == -sympy.Rational(1, 2):
                return f"(1.0 / math.sqrt({p(base)}))"
            return f"({p(base)} ** {p(exponent)})"
        functions = {sympy.log: "math.log", log10: "math.log10", log1p: "math.log1p", sympy.sin: "math.sin",
                     sympy.cos: "math.cos", sympy.tan: "math.tan", sympy.sinh: "math.sinh",
                     sympy.cosh: "math.cosh", sympy.tanh: "math.tanh", sympy.atan: "math.atan", sympy.Abs: "abs"}
        if self.vectorised:
            functions.update({sympy.exp: "vexp", expm1: "vexpm1", exprel: "vexprel"})
        else:
            functions.update({sympy.exp: "math.exp", expm1: "math.expm1", exprel: "exprel_kernel"})
        if expr.func in functions:
            if expr.func is sympy.log and len(expr.args) > 1:
                return f"(math.log({p(expr.args[0])}) / math.log({p(expr.args[1])}))"
            return f"{functions[expr.func]}({p(expr.args[0])})"
        if isinstance(expr, sympy.sign):
            x = p(expr.args[0])
            return f"(1.0 if {x} > 0.0 else (-1.0 if {x} < 0.0 else 0.0))"
        if isinstance(expr, (sympy.Min, sympy.Max)):
            name = "min" if isinstance(expr, sympy.Min) else "max"
            args = [p(arg) for arg in expr.args]
            text = args[0]
            for arg in args[1:]:
                text = f"{name}({text}, {arg})"
            return text
        if isinstance(expr, sympy.Piecewise):
            nested: str | None = None
            for value, condition in reversed(expr.args):
                if nested is None or condition is sympy.true:
                    nested = p(value)
                else:
                    nested = f"({p(value)} if {p(condition)} else {nested})"
            return nested or ""  # a Piecewise has at least one (value, condition) pair
        if isinstance(expr, sympy.core.relational.Relational):
            return f"({p(expr.lhs)} {expr.rel_op} {p(expr.rhs)})"
        if isinstance(expr, sympy.And):
            return "(" + " & ".join(p(arg) for arg in expr.args) + ")"
        if isinstance(expr, sympy.Or):
            return "(" + " | ".join(p(arg) for arg in expr.args) + ")"
        if isinstance(expr, sympy.Not):
            return f"(not {p(expr.args[0])})"
        if isinstance(expr, sympy.Mod):
            return f"({p(expr.args[0])} % {p(expr.args[1])})"
        raise NotImplementedError(f"cannot emit {expr.func.__name__}: {expr}")
