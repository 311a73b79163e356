"""Physical dimensions of equation terms and the unit names equations may use (Brian2's names).

A :class:`Dim` is a vector of exponents over the SI base dimensions (length, mass, time,
current, temperature, amount). Unit names (``volt``, ``mV``, ``nS``, ``ms``, ``uF``, ``cm2``...)
are looked up in :data:`UNITS`, which maps each name to its SI scale (an exact rational) and
dimension, so ``20*mV`` in an equation is the constant 1/50 V.
"""
from __future__ import annotations

from fractions import Fraction

import sympy

from ..units import BRIAN2_UNITS, DIMENSIONS, ureg

BASE = ("[length]", "[mass]", "[time]", "[current]", "[temperature]", "[substance]")
_SYMBOLS = ("m", "kg", "s", "A", "K", "mol")


class Dim(tuple):
    """Exponents of the SI base dimensions; ``Dim()`` is dimensionless, :data:`BOOL` a truth value."""

    def __new__(cls, exponents=(0, 0, 0, 0, 0, 0)):
        return super().__new__(cls, tuple(Fraction(e) for e in exponents))

    def __mul__(self, other):
        return Dim(a + b for a, b in zip(self, other, strict=True))

    def __truediv__(self, other):
        return Dim(a - b for a, b in zip(self, other, strict=True))

    def __pow__(self, power):
        return Dim(a * Fraction(power).limit_denominator(1000) for a in self)

    @property
    def dimensionless(self) -> bool:
        return self is not BOOL and all(e == 0 for e in self)

    def __str__(self) -> str:
        if self is BOOL:
            return "boolean"
        for name, unit in DIMENSIONS.items():
            if of_unit(unit) == self:
                return f"{name} ({unit})" if name != "dimensionless" else "dimensionless"
        return _si_unit_name(self)

    # the tuple's hash/eq are kept: equal exponents are equal dimensions
    __hash__ = tuple.__hash__


class _Bool(Dim):
    def __str__(self):
        return "boolean"


BOOL = _Bool((99,) * len(BASE))
ONE = Dim()


def _si_unit_name(dim: Dim) -> str:
    parts = []
    for symbol, exponent in zip(_SYMBOLS, dim, strict=True):
        if exponent == 1:
            parts.append(symbol)
        elif exponent:
            parts.append(f"{symbol}**{exponent}")
    return "*".join(parts) or "1"


def of_pint(quantity) -> Dim:
    """Dimension of a pint quantity or unit."""
    dims = quantity.dimensionality
    return Dim(dims.get(base, 0) for base in BASE)


def of_unit(unit: str) -> Dim:
    """Dimension of a pint unit string such as ``"volt"`` or ``"ampere / meter ** 2"``."""
    return of_pint(ureg.Quantity(1.0, unit))


#: The dimension name (as in :data:`neurosim.units.DIMENSIONS`) of a Dim, if it has one.
def dimension_name(dim: Dim) -> str | None:
    for name, unit in DIMENSIONS.items():
        if of_unit(unit) == dim:
            return name
    return None


_BASE_UNITS = {  # Brian2's unit names -> (SI dimension exponents as pint unit, long and short spellings)
    "volt": ("volt", ["volt", "V"]),
    "amp": ("ampere", ["amp", "ampere", "A"]),
    "siemens": ("siemens", ["siemens", "S"]),
    "second": ("second", ["second", "s"]),
    "farad": ("farad", ["farad", "F"]),
    "ohm": ("ohm", ["ohm"]),
    "hertz": ("hertz", ["hertz", "Hz"]),
    "metre": ("meter", ["metre", "meter", "m"]),
    "coulomb": ("coulomb", ["coulomb", "C"]),
    "molar": ("mole / liter", ["molar", "M"]),
    "mole": ("mole", ["mole", "mol"]),
}
_PREFIXES = {"f": -15, "p": -12, "n": -9, "u": -6, "m": -3, "c": -2, "k": 3, "M": 6, "G": 9}


def _build_units() -> dict[str, tuple[sympy.Rational, Dim]]:
    units: dict[str, tuple[sympy.Rational, Dim]] = {}
    for pint_unit, names in _BASE_UNITS.values():
        quantity = ureg.Quantity(1.0, pint_unit).to_base_units()
        base_scale = sympy.nsimplify(quantity.magnitude, rational=True)
        dim = of_pint(quantity)
        for name in names:
            units[name] = (base_scale, dim)
            for prefix, exponent in _PREFIXES.items():
                # Brian2 spells prefixed long names 'mvolt', 'nsiemens', 'msecond', 'uamp'
                units[prefix + name] = (base_scale * sympy.Rational(10) ** exponent, dim)
    # lengths, areas and volumes as Brian2 names them: um2, cm2, mm3, metre2 ...
    for name in ("m", "metre", "meter"):
        for prefix, exponent in [("", 0), *_PREFIXES.items()]:
            scale = sympy.Rational(10) ** exponent
            units[f"{prefix}{name}2"] = (scale**2, of_unit("meter") ** 2)
            units[f"{prefix}{name}3"] = (scale**3, of_unit("meter") ** 3)
    units.pop("Mm2", None)
    units["kilogram"] = units["kg"] = (sympy.Integer(1), of_unit("kilogram"))
    units["kelvin"] = (sympy.Integer(1), of_unit("kelvin"))
    units["ms"] = (sympy.Rational(1, 1000), of_unit("second"))
    units["mM"] = (sympy.Integer(1), of_unit("mole / meter ** 3"))  # 1 mmol/l = 1 mol/m^3
    return units


#: Unit names usable in equations: name -> (SI scale, dimension).
UNITS = _build_units()


def parse_unit(text: str, where: str = "unit") -> Dim:
    """Dimension of a unit declaration after ``:`` (``volt``, ``amp/meter**2``, ``1``, ``mV/ms``)."""
    import ast

    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(f"'{text}' is not a unit expression") from None

    def walk(node) -> Dim:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return ONE
        if isinstance(node, ast.Name):
            if node.id in UNITS:
                return UNITS[node.id][1]
            if node.id in ("boolean", "bool"):
                return BOOL
            from ..errors import did_you_mean
            raise ValueError(f"unknown unit '{node.id}'{did_you_mean(node.id, UNITS)}")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            left, right = walk(node.left), walk(node.right)
            return left * right if isinstance(node.op, ast.Mult) else left / right
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            sign = 1
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
                sign, exponent = -1, exponent.operand
            if isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float)):
                return walk(node.left) ** (sign * exponent.value)
        raise ValueError(f"'{ast.unparse(node)}' is not a unit expression (write e.g. volt, amp/meter**2 or 1)")

    return walk(tree)


def brian2_unit(dim: Dim) -> str:
    """A Brian2 unit expression for ``dim`` (``volt``, ``amp``, ``metre**-2*amp``...; ``1`` when dimensionless)."""
    if dim is BOOL:
        return "boolean"
    name = dimension_name(dim)
    if name in BRIAN2_UNITS:
        return BRIAN2_UNITS[name]
    brian = ("metre", "kilogram", "second", "amp", "kelvin", "mole")
    parts = [f"{unit}**{int(e) if e.denominator == 1 else float(e)}" for unit, e in zip(brian, dim, strict=True) if e]
    return "*".join(parts) or "1"
