"""Physical quantities: the only place where unit strings are parsed.

Inside neurosim every quantity is a plain float in SI units (s, V, A, S, F, Hz, m).
``to_si("20 ms", "time", name="tau_m")`` returns 0.02 and raises ``ParameterError`` naming the
parameter when the dimension is wrong. A bare number is accepted only for dimensionless values.

The Python API follows one rule, applied by :func:`quantity` to every dimensional argument of
the core, coding and learning layers: a unit string (``"20 ms"``) or a pint quantity
(``20 * neurosim.ms``); a bare number only when it is 0 (or infinite: the same in every unit) or
inside :func:`si_floats`, where bare numbers are SI (s, V, A, S, F, Hz). ``tau_m=20`` is an
error naming ``tau_m`` and the expected unit.

Quantity strings follow a restricted grammar, checked before pint sees them (pint evaluates
arbitrary arithmetic, so ``9**9**9 ms`` would never return)::

    quantity := number [unit]            at most MAX_QUANTITY_LENGTH characters
    number   := [+-] digits [. digits] [(e|E) [+-] digits]      (finite)
    unit     := ["1"] ["/"] factor (("*" | "/" | "·" | " ") factor)*  at most MAX_UNIT_FACTORS factors
    factor   := name [("^" | "**") [-] digit]  |  "(" unit ")"  exponents -4..4, one level of ()
    name     := letters, "_", "µ", "Ω" (a unit pint knows, with an SI prefix: ms, nA, uS, MOhm)
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import re

import numpy as np
import pint

from .errors import ParameterError

ureg: pint.UnitRegistry = pint.UnitRegistry()

#: Dimension names used in parameter specs -> a pint unit whose dimensionality they share (SI base).
DIMENSIONS: dict[str, str] = {
    "dimensionless": "dimensionless",
    "time": "second",
    "frequency": "hertz",
    "voltage": "volt",
    "current": "ampere",
    "conductance": "siemens",
    "capacitance": "farad",
    "resistance": "ohm",
    "charge": "coulomb",
    "current_density": "ampere / meter ** 2",
    "conductance_density": "siemens / meter ** 2",
    "capacitance_density": "farad / meter ** 2",
    "area": "meter ** 2",
    "voltage_per_time": "volt / second",
    "concentration": "mole / meter ** 3",
}

#: The unit a user would write for each dimension, used in error messages and plots.
DISPLAY_UNITS: dict[str, str] = {
    "dimensionless": "", "time": "ms", "frequency": "Hz", "voltage": "mV", "current": "nA",
    "conductance": "nS", "capacitance": "pF", "resistance": "Mohm", "charge": "pC",
    "current_density": "uA/cm^2", "conductance_density": "mS/cm^2",
    "capacitance_density": "uF/cm^2", "area": "um^2", "voltage_per_time": "mV/ms",
    "concentration": "mM",
}

#: The SI unit symbol of each dimension: how stored values (always SI) are labelled in results and tables.
SI_SYMBOLS: dict[str, str] = {
    "dimensionless": "", "time": "s", "frequency": "Hz", "voltage": "V", "current": "A", "conductance": "S",
    "capacitance": "F", "resistance": "Ohm", "charge": "C", "current_density": "A/m^2",
    "conductance_density": "S/m^2", "capacitance_density": "F/m^2", "area": "m^2", "voltage_per_time": "V/s",
    "concentration": "mol/m^3",
}


#: The same units as Brian2 spells them (its unit names; dimensions without one are written from base units).
BRIAN2_UNITS: dict[str, str] = {
    "dimensionless": "1", "time": "second", "frequency": "hertz", "voltage": "volt", "current": "amp",
    "conductance": "siemens", "capacitance": "farad", "resistance": "ohm", "charge": "coulomb", "area": "metre**2",
}


def si_symbol(dimension: str | None) -> str:
    """The SI symbol of ``dimension`` (``"voltage"`` -> ``"V"``), ``""`` when it is unknown or None."""
    return SI_SYMBOLS.get(dimension, "") if dimension else ""


@functools.cache
def _si_unit(dimension: str):
    if dimension not in DIMENSIONS:
        raise KeyError(f"unknown dimension {dimension!r}")
    return ureg.Quantity(1.0, DIMENSIONS[dimension]).to_base_units().units


#: Longest quantity string accepted, and most unit factors in it (``uA/cm^2`` has two).
MAX_QUANTITY_LENGTH, MAX_UNIT_FACTORS, MAX_EXPONENT = 64, 6, 4

_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*")
_NAME = r"[A-Za-z_\u00b5\u03bc\u2126][A-Za-z_\u00b5\u03bc\u2126]*"
_FACTOR = rf"{_NAME}(?:\s*(?:\^|\*\*)\s*-?\d)?"
_GROUP = rf"(?:{_FACTOR}|\(\s*{_FACTOR}(?:\s*(?:\*|/|\u00b7|\s)\s*{_FACTOR})*\s*\))"
_UNIT = re.compile(rf"(?:/\s*)?{_GROUP}(?:\s*(?:\*|/|\u00b7|\s)\s*{_GROUP})*\s*")
_EXPONENT = re.compile(r"(?:\^|\*\*)\s*(-?\d+)")
_PER = re.compile(r"^1\s*/")


class UnitSyntaxError(ValueError):
    """A quantity string outside the restricted grammar (see the module docstring)."""


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    """``"20 ms"`` -> pint Quantity, or ``UnitSyntaxError``/pint's error; never evaluates arithmetic."""
    if len(text) > MAX_QUANTITY_LENGTH:
        raise UnitSyntaxError(f"longer than {MAX_QUANTITY_LENGTH} characters")
    number = _NUMBER.match(text)
    if number is None:
        raise UnitSyntaxError("expected a number first, e.g. '20 ms'")
    magnitude = float(number.group(1))
    if not math.isfinite(magnitude):
        raise UnitSyntaxError("the number is out of range")
    unit = _PER.sub("/", text[number.end():], count=1)  # "0.02 1/ms" is "0.02 /ms"
    if not unit:
        return ureg.Quantity(magnitude, "dimensionless")
    if _UNIT.fullmatch(unit) is None:
        raise UnitSyntaxError("expected a unit such as 'ms', 'nA' or 'uA/cm^2' after the number")
    if len(re.findall(_NAME, unit)) > MAX_UNIT_FACTORS:
        raise UnitSyntaxError(f"more than {MAX_UNIT_FACTORS} unit factors")
    if any(abs(int(e)) > MAX_EXPONENT for e in _EXPONENT.findall(unit)):
        raise UnitSyntaxError(f"unit exponents must lie in [-{MAX_EXPONENT}, {MAX_EXPONENT}]")
    unit = unit.strip().replace("^", "**").replace("\u00b7", "*")
    if unit.startswith("/"):
        unit = "1 " + unit
    return ureg.Quantity(magnitude, ureg.parse_units(unit) if "(" not in unit else ureg.parse_expression(unit).units)


def dimension_name(value) -> str | None:
    """The name of the dimension (a key of ``DIMENSIONS``) of a quantity string, if it parses and is known."""
    try:
        quantity = _parse(str(value).strip())
    except Exception:
        return None
    for name, unit in DIMENSIONS.items():
        if quantity.dimensionality == ureg.Quantity(1.0, unit).dimensionality:
            return name
    return None


def to_si(value, dimension: str, name: str = "value"):
    """Convert ``value`` (a string such as ``"20 ms"``, a number, or a list of either) to SI floats.

    A bare number (or a numpy array) is taken as already in SI units only when ``dimension`` is
    ``"dimensionless"``; otherwise it must carry a unit. Lists are converted element-wise and
    returned as a float array.
    """
    if isinstance(value, (list, tuple)):
        return np.array([to_si(v, dimension, f"{name}[{i}]") for i, v in enumerate(value)], float)
    if isinstance(value, bool):
        raise ParameterError(name, value, f"a quantity of dimension {dimension}")
    unit_hint = DISPLAY_UNITS.get(dimension, "")
    if isinstance(value, (int, float, np.integer, np.floating, np.ndarray)):
        if dimension == "dimensionless":
            if isinstance(value, np.ndarray):
                return np.asarray(value, float)
            if not math.isfinite(value):
                raise ParameterError(name, value, "a finite number")
            return float(value)
        raise ParameterError(name, value, f"a {dimension} with a unit, e.g. '{value} {unit_hint}'")
    if isinstance(value, pint.Quantity):
        quantity = value
    elif isinstance(value, str):
        if len(value) > MAX_QUANTITY_LENGTH:
            raise ParameterError(name, value[:24] + "...", f"a {dimension} of at most {MAX_QUANTITY_LENGTH} "
                                 f"characters, such as '1 {unit_hint}'")
        try:
            quantity = _parse(value.strip())
        except Exception as exc:
            raise ParameterError(name, value, f"a {dimension} such as '1 {unit_hint}' ({exc})") from None
    else:
        raise ParameterError(name, value, f"a {dimension} such as '1 {unit_hint}'")
    target = _si_unit(dimension)
    if quantity.dimensionality != ureg.Quantity(1.0, target).dimensionality:
        got = "dimensionless" if quantity.dimensionless else str(quantity.dimensionality)
        raise ParameterError(name, value, f"a {dimension} (e.g. '1 {unit_hint}'), got {got}")
    magnitude = quantity.to(target).magnitude
    if isinstance(magnitude, np.ndarray):
        return np.asarray(magnitude, float)
    if not math.isfinite(magnitude):
        raise ParameterError(name, value, f"a finite {dimension}")
    return float(magnitude)


_SI_FLOATS = contextvars.ContextVar("neurosim_si_floats", default=False)


@contextlib.contextmanager
def si_floats(enabled: bool = True):
    """Within this ``with`` block, bare numbers given for dimensional API arguments are SI floats
    (s, V, A, S, F, Hz) instead of errors: for code that computes values in SI (neurosim's own
    protocol builder, scripts ported from Nengo's seconds). ``si_floats(False)`` restores the rule
    inside an enclosing block."""
    token = _SI_FLOATS.set(bool(enabled))
    try:
        yield
    finally:
        _SI_FLOATS.reset(token)


def quantity(value, dimension: str, name: str):
    """A dimensional API argument in SI: strings and pint quantities (scalars, arrays or lists of
    them) converted by :func:`to_si`; bare numbers and arrays of numbers only when dimensionless,
    zero or infinite, or inside :func:`si_floats`; anything else raises ``ParameterError`` naming
    ``name`` and the expected unit."""
    if isinstance(value, (list, tuple)):
        return np.array([quantity(v, dimension, f"{name}[{i}]") for i, v in enumerate(value)], float)
    if isinstance(value, (int, float, np.integer, np.floating, np.ndarray)) and not isinstance(value, bool):
        array = np.asarray(value, float)
        if dimension == "dimensionless" or _SI_FLOATS.get() or not np.any(np.isfinite(array) & (array != 0)):
            return array if isinstance(value, np.ndarray) else float(value)
        hint = DISPLAY_UNITS.get(dimension, "")
        si = f"{ureg.Unit(DIMENSIONS[dimension]):~}" if dimension in DIMENSIONS else ""
        shown: object = value if np.ndim(value) == 0 else f"array of shape {np.shape(value)}"
        example = " or ".join(dict.fromkeys(f"'{value:g} {unit}'" for unit in (hint, si))) if np.ndim(value) == 0 \
            else f"values * neurosim.{hint}"
        article = "an" if dimension[0] in "aeiou" else "a"
        raise ParameterError(name, shown, f"{article} {dimension} with a unit, such as {example} (bare numbers are SI "
                                          "only inside neurosim.units.si_floats())")
    return to_si(value, dimension, name)


def format_si(value: float, dimension: str) -> str:
    """Render an SI float in the customary display unit, e.g. ``0.02, 'time' -> '20 ms'``."""
    unit = DISPLAY_UNITS[dimension]
    if not unit:
        return f"{value:g}"
    return f"{ureg.Quantity(value, _si_unit(dimension)).to(unit).magnitude:g} {unit}"


#: Units as pint quantities of magnitude 1 in :data:`ureg`, for ``20 * ms`` (also ``neurosim.ms``).
second, ms, us = (ureg.Quantity(1.0, u) for u in ("s", "ms", "us"))
Hz, kHz = (ureg.Quantity(1.0, u) for u in ("Hz", "kHz"))
volt, mV = (ureg.Quantity(1.0, u) for u in ("V", "mV"))
amp, nA, pA = (ureg.Quantity(1.0, u) for u in ("A", "nA", "pA"))
siemens, nS, uS = (ureg.Quantity(1.0, u) for u in ("S", "nS", "uS"))
farad, nF, pF = (ureg.Quantity(1.0, u) for u in ("F", "nF", "pF"))
ohm, MOhm, GOhm = (ureg.Quantity(1.0, u) for u in ("ohm", "Mohm", "Gohm"))
