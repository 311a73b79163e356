"""Parameter specifications: name, SI dimension, default, constraint; checked once, at build.

Values may be SI floats, strings with units (``"20 ms"``), or per-neuron arrays (SI). Resolved
parameters are float arrays of length ``n`` so that every kernel can treat them per neuron.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..equations.dimensions import Dim, of_unit
from ..errors import ParameterError, did_you_mean
from ..units import DIMENSIONS, format_si, quantity, si_floats, ureg

CONSTRAINTS = {
    "any": (lambda x: np.ones_like(x, bool), "any finite value"),
    "positive": (lambda x: x > 0, "a value > 0"),
    "nonnegative": (lambda x: x >= 0, "a value >= 0"),
    "probability": (lambda x: (x >= 0) & (x <= 1), "a value in [0, 1]"),
}


@dataclass(frozen=True)
class Param:
    """One model parameter: ``dimension`` a name in :data:`neurosim.units.DIMENSIONS` (or, for a
    dimension without a name, its SI unit), ``default`` in SI units, ``doc`` what it is. ``dim``, the
    exponents of the SI base units, is derived from a named ``dimension`` when not given."""

    name: str
    dimension: str
    default: float
    constraint: str = "any"
    doc: str = ""
    dim: Dim = field(default=None, compare=False)  # type: ignore[assignment]  # set in __post_init__
    #: equation models: the default as an expression of other parameters (a sympy expression such as
    #: ``1*uF/cm2*area``), used whenever the parameter is not given; ``default`` is its value at the
    #: other defaults
    derived: Any = field(default=None, compare=False)

    def __post_init__(self):
        if self.dim is None:
            object.__setattr__(self, "dim", of_unit(DIMENSIONS[self.dimension]))

    def describe(self) -> str:
        return f"{self.name} ({self.dimension}, default {format_si(self.default, self.dimension)}): {self.doc}"


def to_value(value, dimension: str, name: str):
    """A scalar or array parameter in SI by the API's unit rule (:func:`neurosim.units.quantity`):
    strings, pint quantities and lists with units converted; bare numbers only when dimensionless,
    zero, or inside :func:`neurosim.units.si_floats`."""
    if isinstance(value, (str, ureg.Quantity, list, tuple, int, float, np.integer, np.floating, np.ndarray)) \
            and not isinstance(value, bool):
        return quantity(value, dimension, name)
    raise ParameterError(name, value,
                         f"a {dimension} (number in SI units, string with a unit, pint quantity, or array)")


def label(owner: tuple[str, str]) -> str:
    """``("population", "E")`` -> ``"population 'E'"``: how messages name the owner of a value."""
    return f"{owner[0]} '{owner[1]}'"


def check_value(value, param: Param, n: int, owner: tuple[str, str], key: str | None = None) -> np.ndarray:
    """Broadcast ``value`` to ``n`` floats and check finiteness and the constraint.

    ``owner`` (e.g. ``("population", "E")``) and ``key`` (default: the parameter's name) are carried by
    the :class:`~neurosim.errors.ParameterError` so that callers can locate the value without parsing
    the message."""
    key = param.name if key is None else key
    name = f"{label(owner)}: {param.name}"
    try:
        value = to_value(value, param.dimension, name)
    except ParameterError as exc:
        raise ParameterError(exc.name, exc.value, exc.expected, owner=owner, key=key) from None
    array = np.asarray(value, float)
    if array.ndim > 1 or (array.ndim == 1 and array.shape[0] != n):
        raise ParameterError(name, f"array of shape {array.shape}", f"a scalar or an array of shape ({n},)",
                             owner=owner, key=key)
    array = np.broadcast_to(array, (n,)).astype(float)
    if not np.all(np.isfinite(array)):
        raise ParameterError(name, value, "finite values", owner=owner, key=key)
    test, text = CONSTRAINTS[param.constraint]
    bad = ~test(array)
    if bad.any():
        shown = array[bad][0]
        raise ParameterError(name, format_si(shown, param.dimension), text, owner=owner, key=key)
    return array


def check_names(spec: dict[str, Param], given, owner: tuple[str, str], model: str = "this model") -> None:
    """Every name in ``given`` is a parameter of ``spec``; an unknown one raises with a suggestion."""
    for key in given:
        if key not in spec:
            raise ParameterError(f"{label(owner)}: {key}", given[key],
                                 f"a parameter of {model}{did_you_mean(key, spec)}; parameters: {', '.join(spec)}",
                                 owner=owner, key=f"params.{key}")


def check(spec: dict[str, Param], given: dict, owner: tuple[str, str], model: str = "this model") -> None:
    """The checks of :func:`resolve` on the ``given`` values only, each at its own size (no array of
    ``n`` is made: a protocol is checked before its memory estimate)."""
    check_names(spec, given, owner, model)
    for key, value in given.items():
        check_value(value, spec[key], int(np.size(value)) if np.ndim(value) else 1, owner, f"params.{key}")


def resolve(spec: dict[str, Param], given: dict, n: int, owner: tuple[str, str],
            model: str = "this model") -> dict[str, np.ndarray]:
    """All parameters of ``spec`` as arrays of length ``n`` (errors keyed ``params.<name>``)."""
    check_names(spec, given, owner, model)
    with si_floats(True):  # the defaults are SI floats; given values follow the API's unit rule
        defaults = {name: check_value(p.default, p, n, owner, f"params.{name}") for name, p in spec.items()
                    if name not in given}
    return {name: check_value(given[name], p, n, owner, f"params.{name}") if name in given else defaults[name]
            for name, p in spec.items()}
