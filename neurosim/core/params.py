"""Parameter specifications: name, SI dimension, default, constraint; checked once, at build.

Values may be SI floats, strings with units (``"20 ms"``), or per-neuron arrays (SI). Resolved
parameters are float arrays of length ``n`` so that every kernel can treat them per neuron.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError, did_you_mean
from ..units import format_si, to_si, ureg

CONSTRAINTS = {
    "any": (lambda x: np.ones_like(x, bool), "any finite value"),
    "positive": (lambda x: x > 0, "a value > 0"),
    "nonnegative": (lambda x: x >= 0, "a value >= 0"),
    "probability": (lambda x: (x >= 0) & (x <= 1), "a value in [0, 1]"),
}


@dataclass(frozen=True)
class Param:
    """One model parameter: ``default`` is in SI units; ``doc`` says what it is."""

    name: str
    dimension: str
    default: float
    constraint: str = "any"
    doc: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.dimension}, default {format_si(self.default, self.dimension)}): {self.doc}"


def to_value(value, dimension: str, name: str):
    """A scalar or array parameter in SI: strings, pint quantities and lists with units are converted,
    numbers kept."""
    if isinstance(value, (str, ureg.Quantity)):
        return to_si(value, dimension, name)
    if isinstance(value, (list, tuple)):
        return np.array([to_value(v, dimension, f"{name}[{i}]") for i, v in enumerate(value)], float)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.astype(float)
    raise ParameterError(name, value,
                         f"a {dimension} (number in SI units, string with a unit, pint quantity, or array)")


def check_value(value, param: Param, n: int, owner: str) -> np.ndarray:
    """Broadcast ``value`` to ``n`` floats and check finiteness and the constraint."""
    label = f"{owner}: {param.name}"
    value = to_value(value, param.dimension, label)
    array = np.asarray(value, float)
    if array.ndim > 1 or (array.ndim == 1 and array.shape[0] != n):
        raise ParameterError(label, f"array of shape {array.shape}", f"a scalar or an array of shape ({n},)")
    array = np.broadcast_to(array, (n,)).astype(float)
    if not np.all(np.isfinite(array)):
        raise ParameterError(label, value, "finite values")
    test, text = CONSTRAINTS[param.constraint]
    bad = ~test(array)
    if bad.any():
        shown = array[bad][0]
        raise ParameterError(label, format_si(shown, param.dimension), text)
    return array


def resolve(spec: dict[str, Param], given: dict, n: int, owner: str) -> dict[str, np.ndarray]:
    """All parameters of ``spec`` as arrays of length ``n``; unknown names raise with a suggestion."""
    for key, value in given.items():
        if key not in spec:
            raise ParameterError(f"{owner}: {key}", value,
                                 f"a parameter of this model, one of {sorted(spec)}{did_you_mean(key, spec)}")
    return {name: check_value(given.get(name, p.default), p, n, owner) for name, p in spec.items()}
