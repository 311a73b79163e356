"""Physical quantities: the only place where unit strings are parsed (with pint).

Inside neurosim every quantity is a plain float in SI units (s, V, A, S, F, Hz, m).
``to_si("20 ms", "time", name="tau_m")`` returns 0.02 and raises ``ParameterError`` naming the
parameter when the dimension is wrong. A bare number is accepted only for dimensionless values.
"""
from __future__ import annotations

import functools

import numpy as np
import pint

from .errors import ParameterError

ureg = pint.UnitRegistry()

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
    "conductance": "nS", "capacitance": "pF", "resistance": "MOhm", "charge": "pC",
    "current_density": "uA/cm^2", "conductance_density": "mS/cm^2",
    "capacitance_density": "uF/cm^2", "area": "um^2", "voltage_per_time": "mV/ms",
    "concentration": "mM",
}


@functools.cache
def _si_unit(dimension: str):
    if dimension not in DIMENSIONS:
        raise KeyError(f"unknown dimension {dimension!r}")
    return ureg.Quantity(1.0, DIMENSIONS[dimension]).to_base_units().units


@functools.lru_cache(maxsize=4096)
def _parse(text: str):
    return ureg.Quantity(text)


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
            return np.asarray(value, float) if isinstance(value, np.ndarray) else float(value)
        raise ParameterError(name, value, f"a {dimension} with a unit, e.g. '{value} {unit_hint}'")
    if isinstance(value, pint.Quantity):
        quantity = value
    elif isinstance(value, str):
        try:
            quantity = _parse(value.strip())
        except Exception as exc:  # noqa: BLE001 - pint raises unrelated types (even AssertionError) on bad text
            raise ParameterError(name, value, f"a {dimension} such as '1 {unit_hint}' ({exc})") from None
        if not isinstance(quantity, pint.Quantity):  # a plain number in a string
            quantity = ureg.Quantity(float(quantity), "dimensionless")
    else:
        raise ParameterError(name, value, f"a {dimension} such as '1 {unit_hint}'")
    target = _si_unit(dimension)
    if quantity.dimensionality != ureg.Quantity(1.0, target).dimensionality:
        got = "dimensionless" if quantity.dimensionless else str(quantity.dimensionality)
        raise ParameterError(name, value, f"a {dimension} (e.g. '1 {unit_hint}'), got {got}")
    magnitude = quantity.to(target).magnitude
    return np.asarray(magnitude, float) if isinstance(magnitude, np.ndarray) else float(magnitude)


def format_si(value: float, dimension: str) -> str:
    """Render an SI float in the customary display unit, e.g. ``0.02, 'time' -> '20 ms'``."""
    unit = DISPLAY_UNITS[dimension]
    if not unit:
        return f"{value:g}"
    return f"{ureg.Quantity(value, _si_unit(dimension)).to(unit).magnitude:g} {unit}"
