"""Functions a connection can compute: Python callables, or names usable from YAML.

A function maps one represented value ``x`` (a vector of the pre ensemble's dimensions) to a value
or vector; it is evaluated point by point on the evaluation points when decoders are solved.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError, did_you_mean


def _product(x):
    if x.shape[0] < 2:
        raise ParameterError("function 'product'", f"{x.shape[0]}-dimensional input", "at least 2 dimensions")
    return np.prod(x)


#: name -> function of one point ``x`` (a 1-D array)
NAMED: dict[str, Callable] = {
    "identity": lambda x: x,
    "square": lambda x: x**2,          # element-wise
    "product": _product,               # x[0] * x[1] * ... (one output)
    "norm": lambda x: np.linalg.norm(x),
}


def resolve(function) -> Callable:
    """A callable for ``function`` (a callable, a name from :data:`NAMED`, or None for identity)."""
    if function is None:
        return NAMED["identity"]
    if isinstance(function, str):
        if function not in NAMED:
            raise ParameterError("function", function, f"one of {sorted(NAMED)}{did_you_mean(function, NAMED)}")
        return NAMED[function]
    if not callable(function):
        raise ParameterError("function", function, f"a callable or one of {sorted(NAMED)}")
    return function


def evaluate(function, points: np.ndarray) -> np.ndarray:
    """``function`` at each row of ``points`` (M x D) as an (M x D_out) array of finite values."""
    f = resolve(function)
    values = [np.atleast_1d(np.asarray(f(point), float)) for point in points]
    if any(v.ndim != 1 or v.shape != values[0].shape for v in values):
        raise ParameterError("function output", "values of varying shape", "one vector shape for every point")
    out = np.vstack(values)
    if not np.all(np.isfinite(out)):
        raise ParameterError("function output", "non-finite values", "finite values at every evaluation point")
    return out
