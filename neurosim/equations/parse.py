"""Brian2's equation syntax -> sympy, with every term's dimension checked.

Equations are written one per line, as in Brian2::

    dv/dt = (v_rest - v + R*I)/tau_m : volt (unless refractory)   # differential equation
    I_leak = g_L*(E_L - v) : amp                                   # subexpression
    tau_m : second                                                  # parameter

User text is never evaluated: it is parsed with Python's ``ast`` (``mode='eval'``), only the node
types, names and functions listed here are accepted, and sympy expressions are built from the
tree. Each node's dimension is computed on the way (:mod:`neurosim.equations.dimensions`), so an
error names the model, the equation and the offending term as the user wrote it.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy
from sympy.codegen.cfunctions import expm1, log1p, log10

from ..errors import ParameterError, did_you_mean
from .dimensions import BOOL, ONE, UNITS, Dim, parse_unit

#: Names a model cannot define: the clock, the step, Brian2's neuron index and group size, and
#: the refractoriness bookkeeping.
RESERVED = ("t", "dt", "i", "N", "not_refractory", "ref_left", "lastspike", "xi")
#: Flags allowed after an equation's unit.
FLAGS = ("unless refractory", "constant")


class exprel(sympy.Function):
    """``(exp(x) - 1)/x`` with its limit 1 at ``x = 0`` (Brian2's and scipy's ``exprel``)."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Integer(1)
        return None

    def fdiff(self, argindex=1):
        x = self.args[0]
        return (x * sympy.exp(x) - sympy.exp(x) + 1) / x**2

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return (sympy.exp(x) - 1) / x


class EquationError(ParameterError):
    """An equation, condition or statement of a model is invalid.

    ``model`` names the model, ``part`` the place (``"equations"``, ``"threshold"``, ``"reset"``,
    ``"refractory"``, ``"on_pre"``, ``"output"``), ``line`` the 1-based line inside that part,
    ``text`` the offending line and ``term`` the offending term as written.
    """

    def __init__(self, model: str, part: str, message: str, *, text: str = "", term: str | None = None,
                 line: int | None = None):
        super().__init__(f"model '{model}': {part}", text, message, owner=("model", model), key=part)
        self.model, self.part, self.message, self.text, self.term, self.line = model, part, message, text, term, line
        self.file: str | None = None  # the model file and the line in it, set when read from a file
        self.file_line: int | None = None
        where = f"model '{model}', {part}" + (f" line {line}" if line and part in ("equations", "reset") else "")
        shown = f" '{text.strip()}'" if text.strip() else ""
        Exception.__init__(self, f"{where}{shown}: {message}")


@dataclass
class Equation:
    """One line of a model's equations, before its expression is converted."""

    kind: str          # "differential", "subexpression" or "parameter"
    name: str
    dim: Dim
    expression: str    # the right-hand side as written ("" for parameters)
    flags: tuple[str, ...]
    line: int          # 1-based line inside the equations text
    text: str          # the whole line
    expr: sympy.Expr | None = field(default=None, repr=False)  # set by the converter
    # an event-driven trace of a plasticity rule: (a, b) of dx/dt = a*x + b, set by core/plasticity.py
    linear: tuple[sympy.Expr, sympy.Expr] | None = field(default=None, repr=False)


_DIFF = re.compile(r"^d(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*/\s*dt$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_identifier(name: str, model: str, part: str, text: str, line: int | None = None) -> str:
    if not _NAME.match(name):
        raise EquationError(model, part, f"'{name}' is not a name (letters, digits, underscores)", text=text, line=line)
    if name in RESERVED:
        raise EquationError(model, part, f"'{name}' is reserved (reserved names: {', '.join(RESERVED)})",
                            text=text, term=name, line=line)
    return name  # a name may shadow a unit (PyNN's ``cm``): declared names are looked up first


def split_lines(text: str) -> list[tuple[int, str]]:
    """Non-empty lines of ``text`` with their 1-based numbers, comments (``#``) removed."""
    if not isinstance(text, str):
        raise TypeError("equations must be a string")
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append((number, line))
    return lines


def parse_equations(text: str, model: str) -> list[Equation]:
    """Split Brian2-style equations into :class:`Equation` records (names, units, flags checked)."""
    if not isinstance(text, str):
        raise EquationError(model, "equations", "expected the equations as a string, one per line",
                            text=repr(text))
    equations: list[Equation] = []
    seen: dict[str, int] = {}
    for number, line in split_lines(text):
        if ":" not in line:
            raise EquationError(model, "equations", "expected 'dx/dt = expression : unit', "
                                "'name = expression : unit' or 'name : unit'", text=line, line=number)
        left, unit_part = line.rsplit(":", 1)
        flags: tuple[str, ...] = ()
        match = re.match(r"^(?P<unit>[^(]*?)\s*(\((?P<flags>[^)]*)\))?\s*$", unit_part.strip())
        if not match:
            raise EquationError(model, "equations", f"cannot read the unit '{unit_part.strip()}'", text=line,
                                line=number)
        if match.group("flags") is not None:
            flags = tuple(flag.strip() for flag in match.group("flags").split(",") if flag.strip())
            for flag in flags:
                if flag not in FLAGS:
                    raise EquationError(model, "equations", f"unknown flag '{flag}'{did_you_mean(flag, FLAGS)}; "
                                        f"flags: {', '.join(FLAGS)}", text=line, term=flag, line=number)
        try:
            dim = parse_unit(match.group("unit") or "")
        except ValueError as exc:
            raise EquationError(model, "equations", str(exc), text=line, term=match.group("unit"),
                                line=number) from None
        if "=" in left:
            target, expression = (part.strip() for part in left.split("=", 1))
            diff = _DIFF.match(target.replace(" ", ""))
            kind = "differential" if diff else "subexpression"
            name = diff.group("name") if diff else target
            if not expression:
                raise EquationError(model, "equations", "the right-hand side is empty", text=line, line=number)
        else:
            kind, name, expression = "parameter", left.strip(), ""
        check_identifier(name, model, "equations", line, number)
        if name in seen:
            raise EquationError(model, "equations", f"'{name}' is defined twice (also line {seen[name]})",
                                text=line, term=name, line=number)
        if "unless refractory" in flags and kind != "differential":
            raise EquationError(model, "equations", "'unless refractory' applies to differential equations only",
                                text=line, line=number)
        if dim is BOOL and kind == "differential":
            raise EquationError(model, "equations", "a differential equation cannot be boolean", text=line, line=number)
        seen[name] = number
        equations.append(Equation(kind, name, dim, expression, flags, number, line))
    return equations


# -- expressions ---------------------------------------------------------------------------------
def _same(model, part, text, line, node_a, dim_a, node_b, dim_b, what, source):
    if dim_a != dim_b and not (_is_zero(node_a) or _is_zero(node_b)):
        a, b = ast.get_source_segment(source, node_a), ast.get_source_segment(source, node_b)
        raise EquationError(model, part, f"{what}: '{a}' has dimension {dim_a} but '{b}' has {dim_b}",
                            text=text, term=a if dim_a != ONE else b, line=line)


def _is_zero(node) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value == 0


_ONE_ARG = {"exp": sympy.exp, "log": sympy.log, "log10": log10, "log1p": log1p, "expm1": expm1,
            "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "sinh": sympy.sinh, "cosh": sympy.cosh,
            "tanh": sympy.tanh, "arctan": sympy.atan, "exprel": exprel, "sign": sympy.sign}
#: Every function an expression may call (``before`` in thresholds only, see :class:`Converter`).
FUNCTIONS = (*_ONE_ARG, "sqrt", "abs", "clip", "min", "max", "minimum", "maximum", "where", "int", "before")


def before_symbol(name: str) -> sympy.Symbol:
    """The symbol of ``before(name)``: the state variable's value at the start of the step."""
    return sympy.Symbol(f"_before_{name}", real=True)


class Converter:
    """Converts expression text to sympy within one model's ``symbols`` (name -> dimension).

    ``part`` and ``line`` locate the text for error messages. Unit names (``mV``) are constants.
    ``before``: the state variables ``before(x)`` may name (the value at the start of the step);
    empty except while a threshold is converted.
    """

    def __init__(self, model: str, symbols: dict[str, Dim]):
        self.model, self.symbols = model, dict(symbols)
        self.sympy = {name: sympy.Symbol(name, real=True) for name in self.symbols}
        self.before: set[str] = set()

    def symbol(self, name: str) -> sympy.Symbol:
        return self.sympy[name]

    def expression(self, source: str, part: str, text: str | None = None, line: int | None = None):
        """``(sympy expression, Dim)`` of ``source``."""
        text = source if text is None else text
        try:
            tree = ast.parse(source.strip(), mode="eval").body
        except SyntaxError as exc:
            raise EquationError(self.model, part, f"invalid syntax ({exc.msg})", text=text, line=line) from None
        return self._walk(tree, source.strip(), part, text, line)

    def condition(self, source: str, part: str, text: str | None = None, line: int | None = None):
        expr, dim = self.expression(source, part, text, line)
        if dim is not BOOL:
            raise EquationError(self.model, part, f"expected a condition (e.g. 'v > v_thresh'), got an expression "
                                f"of dimension {dim}", text=text or source, term=source.strip(), line=line)
        return expr

    def _walk(self, node, source, part, text, line):
        walk = (lambda child: self._walk(child, source, part, text, line))
        segment = (lambda child: ast.get_source_segment(source, child))
        fail = (lambda message, child: EquationError(self.model, part, message, text=text, term=segment(child),
                                                     line=line))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return (sympy.true if node.value else sympy.false), BOOL
            if isinstance(node.value, int):
                return sympy.Integer(node.value), ONE
            if isinstance(node.value, float):
                return sympy.Float(node.value), ONE
            raise fail(f"unsupported constant '{segment(node)}'", node)
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.sympy[node.id], self.symbols[node.id]
            if node.id in UNITS:
                scale, dim = UNITS[node.id]
                return scale, dim
            choices = [*self.symbols, *FUNCTIONS]
            raise fail(f"undefined symbol '{node.id}'{did_you_mean(node.id, choices)}; defined: "
                       f"{', '.join(self.symbols) or 'none'}", node)
        if isinstance(node, ast.UnaryOp):
            operand, dim = walk(node.operand)
            if isinstance(node.op, ast.Not):
                if dim is not BOOL:
                    raise fail(f"'not' needs a condition, got dimension {dim}", node.operand)
                return sympy.Not(operand), BOOL
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                if dim is BOOL:
                    raise fail("a condition cannot be negated with '-'; use 'not'", node)
                return (-operand if isinstance(node.op, ast.USub) else operand), dim
            raise fail(f"unsupported operator in '{segment(node)}'", node)
        if isinstance(node, ast.BinOp):
            left, dim_l = walk(node.left)
            right, dim_r = walk(node.right)
            if isinstance(node.op, (ast.BitAnd, ast.BitOr)):
                if dim_l is not BOOL or dim_r is not BOOL:
                    raise fail("'&' and '|' combine conditions; use 'and'/'or' between comparisons", node)
                return (sympy.And(left, right) if isinstance(node.op, ast.BitAnd) else sympy.Or(left, right)), BOOL
            for child, dim in ((node.left, dim_l), (node.right, dim_r)):
                if dim is BOOL:
                    raise fail("a condition used as a number; write int(condition)", child)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                _same(self.model, part, text, line, node.left, dim_l, node.right, dim_r, "terms of a sum differ",
                      source)
                dim = dim_r if _is_zero(node.left) else dim_l
                return (left + right if isinstance(node.op, ast.Add) else left - right), dim
            if isinstance(node.op, ast.Mult):
                return left * right, dim_l * dim_r
            if isinstance(node.op, ast.Div):
                return left / right, dim_l / dim_r
            if isinstance(node.op, ast.Pow):
                if not dim_r.dimensionless:
                    raise fail(f"an exponent must be dimensionless, '{segment(node.right)}' has dimension {dim_r}",
                               node.right)
                if dim_l.dimensionless:
                    return left**right, ONE
                if not right.is_number:
                    raise fail(f"'{segment(node.left)}' has dimension {dim_l}: its exponent must be a number, "
                               f"not '{segment(node.right)}'", node)
                return left**right, dim_l ** Fraction(str(sympy.Rational(right)))
            if isinstance(node.op, ast.Mod):
                _same(self.model, part, text, line, node.left, dim_l, node.right, dim_r, "operands of '%' differ",
                      source)
                return sympy.Mod(left, right), dim_l
            raise fail(f"unsupported operator in '{segment(node)}'", node)
        if isinstance(node, ast.BoolOp):
            values = []
            for child in node.values:
                value, dim = walk(child)
                if dim is not BOOL:
                    raise fail(f"'and'/'or' combine conditions, '{segment(child)}' has dimension {dim}", child)
                values.append(value)
            return (sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)), BOOL
        if isinstance(node, ast.Compare):
            operators = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
                         ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne}
            parts, previous = [], node.left
            prev_expr, prev_dim = walk(node.left)
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                if type(op) not in operators:
                    raise fail(f"unsupported comparison in '{segment(node)}'", node)
                expr, dim = walk(comparator)
                if BOOL in (dim, prev_dim):
                    raise fail("comparisons are between numbers, not conditions", node)
                _same(self.model, part, text, line, previous, prev_dim, comparator, dim,
                      "the two sides of a comparison differ", source)
                parts.append(operators[type(op)](prev_expr, expr, evaluate=False))
                previous, prev_expr, prev_dim = comparator, expr, dim
            return (parts[0] if len(parts) == 1 else sympy.And(*parts)), BOOL
        if isinstance(node, ast.IfExp):
            cond, dim_c = walk(node.test)
            if dim_c is not BOOL:
                raise fail("the test of 'a if test else b' must be a condition", node.test)
            body, dim_b = walk(node.body)
            other, dim_o = walk(node.orelse)
            _same(self.model, part, text, line, node.body, dim_b, node.orelse, dim_o, "the branches differ", source)
            return sympy.Piecewise((body, cond), (other, True)), dim_b
        if isinstance(node, ast.Call):
            return self._call(node, walk, segment, fail, source, part, text, line)
        raise fail(f"unsupported syntax '{segment(node)}' ({type(node).__name__}); expressions use numbers, "
                   f"names, + - * / **, comparisons, and/or/not and the functions {', '.join(FUNCTIONS)}", node)

    def _call(self, node, walk, segment, fail, source, part, text, line):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise fail("only plain calls of the listed functions are allowed", node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise fail(f"unknown function '{name}'{did_you_mean(name, FUNCTIONS)}; functions: {', '.join(FUNCTIONS)}",
                       node)
        arity = {"clip": 3, "where": 3, "min": 2, "max": 2, "minimum": 2, "maximum": 2}.get(name, 1)
        if len(node.args) != arity:
            raise fail(f"{name}() takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}", node)
        if name == "before":
            arg = node.args[0]
            if not self.before:
                raise fail("before(x) is allowed in a threshold only", node)
            if not isinstance(arg, ast.Name) or arg.id not in self.before:
                raise fail(f"before() takes a state variable, one of {', '.join(sorted(self.before))}", node)
            return before_symbol(arg.id), self.symbols[arg.id]
        args = [walk(arg) for arg in node.args]
        if name == "int":
            (value, dim), = args
            if dim is not BOOL:
                raise fail("int() converts a condition to 0 or 1", node.args[0])
            return sympy.Piecewise((sympy.Integer(1), value), (sympy.Integer(0), True)), ONE
        if name == "where":
            (cond, dim_c), (a, dim_a), (b, dim_b) = args
            if dim_c is not BOOL:
                raise fail("the first argument of where() must be a condition", node.args[0])
            _same(self.model, part, text, line, node.args[1], dim_a, node.args[2], dim_b,
                  "the branches of where() differ", source)
            return sympy.Piecewise((a, cond), (b, True)), dim_a
        for arg, (_, dim) in zip(node.args, args, strict=True):
            if dim is BOOL:
                raise fail(f"{name}() takes numbers, not conditions", arg)
        if name in ("clip", "min", "max", "minimum", "maximum"):
            for other, (_, dim) in zip(node.args[1:], args[1:], strict=True):
                _same(self.model, part, text, line, node.args[0], args[0][1], other, dim,
                      f"the arguments of {name}() differ", source)
            values = [value for value, _ in args]
            if name == "clip":
                return sympy.Min(sympy.Max(values[0], values[1]), values[2]), args[0][1]
            function = sympy.Min if name in ("min", "minimum") else sympy.Max
            return function(*values), args[0][1]
        (value, dim), = args
        if name == "abs":
            return sympy.Abs(value), dim
        if name == "sqrt":
            return sympy.sqrt(value), dim ** Fraction(1, 2)
        if not dim.dimensionless:
            raise fail(f"the argument of {name}() must be dimensionless, '{segment(node.args[0])}' has dimension "
                       f"{dim}", node.args[0])
        return _ONE_ARG[name](value), ONE


@dataclass
class Statement:
    """``target op expression`` of a reset or on_pre block (op is ``=``, ``+=``, ``-=``, ``*=``, ``/=``)."""

    target: str
    op: str
    expr: sympy.Expr
    line: int
    text: str

    def value(self, symbol: sympy.Symbol) -> sympy.Expr:
        """The new value of the target as an expression of its old value ``symbol``."""
        if self.op == "=":
            return self.expr
        return {"+=": symbol + self.expr, "-=": symbol - self.expr, "*=": symbol * self.expr,
                "/=": symbol / self.expr}[self.op]


_STATEMENT = re.compile(r"^(?P<target>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>\+=|-=|\*=|/=|=)\s*(?P<expr>.+)$")


def statements(converter: Converter, text: str, part: str, targets: dict[str, Dim]) -> list[Statement]:
    """Parse a block of assignments (one per line or separated by ';'); ``targets`` may be assigned."""
    if isinstance(text, (list, tuple)):
        text = "\n".join(str(item) for item in text)
    if not isinstance(text, str):
        raise EquationError(converter.model, part, "expected statements such as 'v = v_reset', one per line",
                            text=repr(text))
    result = []
    for number, line in split_lines(text):
        for piece in (p.strip() for p in line.split(";")):
            if not piece:
                continue
            match = _STATEMENT.match(piece)
            if not match or match.group("expr").startswith("="):
                raise EquationError(converter.model, part, "expected an assignment 'name = expression' "
                                    "(or +=, -=, *=, /=)", text=piece, line=number)
            target, op = match.group("target"), match.group("op")
            if target not in targets:
                known = "defined" if target in converter.symbols else "undefined"
                raise EquationError(converter.model, part, f"assigns {known} name '{target}', which is not a "
                                    f"state variable{did_you_mean(target, targets)}; state variables: "
                                    f"{', '.join(targets)}", text=piece, term=target, line=number)
            expr, dim = converter.expression(match.group("expr"), part, piece, number)
            expected = targets[target] if op in ("=", "+=", "-=") else ONE
            if dim != expected and not (op in ("=", "+=", "-=") and expr == 0):
                raise EquationError(converter.model, part, f"'{match.group('expr').strip()}' has dimension {dim}, "
                                    f"expected {expected} for '{target} {op} ...'", text=piece,
                                    term=match.group("expr").strip(), line=number)
            result.append(Statement(target, op, expr, number, piece))
    return result
