"""Experiments that are not a spiking-network run: training a model, a capacity sweep, ...

A protocol with ``experiment: <name>`` calls the function registered under that name with the
protocol's ``config`` mapping as keyword arguments, plus ``seed`` and ``progress``. The function
returns an :class:`ExperimentOutput`; the protocol runner stores its metrics, curves and arrays in
the results file (under ``/analysis/<name>/``) and saves its figures as PNG.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError, did_you_mean


@dataclass
class ExperimentOutput:
    """What an experiment returns: scalar metrics, 1-D curves, other arrays and figures."""

    metrics: dict[str, float] = field(default_factory=dict)
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # name -> matplotlib Figure


Progress = Callable[[float, str], None]  # (fraction done in [0, 1], short status text)

EXPERIMENTS: dict[str, Callable[..., ExperimentOutput]] = {}
#: Experiment name -> {config key: dimension} of its quantity arguments (SI floats; see ``check_config``).
UNITS: dict[str, dict[str, str]] = {}


def register_experiment(name: str, units: dict[str, str] | None = None):
    """Decorator: make ``function(**config, seed=..., progress=...)`` runnable as ``experiment: name``.

    ``units`` names the dimension of arguments that are physical quantities in SI (e.g.
    ``{"duration": "time"}``): a protocol may give them as a number in SI or a string with a unit.
    """

    def decorate(function):
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} registered twice")
        EXPERIMENTS[name] = function
        UNITS[name] = dict(units or {})
        return function

    return decorate


_SCALARS = {"int": int, "float": float, "bool": bool, "str": str}


def _typed(value, kind: type, key: str):
    """``value`` checked as ``kind`` (ints are floats too; bools are only bools), or ParameterError."""
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if kind is float and ok and not np.isfinite(value):
        ok = False
    if not ok:
        expected = {int: "an integer", float: "a finite number", bool: "true or false", str: "a string"}[kind]
        raise ParameterError(key, value, expected, key=key)
    return value


def check_config(name: str, config: dict) -> dict:
    """``config`` of experiment ``name`` checked against its signature: unknown keys, and each value's
    type from the annotation (``int``, ``float``, ``bool``, ``str``) or, for unannotated arguments
    with a tuple default, a list of the default's element type; quantities (``UNITS``) may carry a
    unit and come back as SI floats. Raises ``ParameterError`` with ``key`` set to the config key."""
    from .units import to_si

    parameters = inspect.signature(EXPERIMENTS[name]).parameters
    allowed = config_keys(name)
    checked = {}
    for key, value in config.items():
        if key not in allowed:
            raise ParameterError(f"experiment '{name}': {key}", value,
                                 f"one of {allowed}{did_you_mean(key, allowed)}", key=key)
        parameter, dimension = parameters[key], UNITS.get(name, {}).get(key)
        annotation = parameter.annotation if isinstance(parameter.annotation, str) else \
            getattr(parameter.annotation, "__name__", None)
        default = parameter.default
        if dimension is not None and isinstance(value, str):
            try:
                checked[key] = to_si(value, dimension, key)
            except ParameterError as exc:
                raise ParameterError(key, value, exc.expected, key=key) from None
        elif annotation in _SCALARS:
            checked[key] = _typed(value, _SCALARS[annotation], key)
        elif isinstance(default, tuple) and default:
            kind = type(default[0]) if all(type(v) is type(default[0]) for v in default) else None
            if not isinstance(value, list) or not value or kind not in (int, float, str):
                raise ParameterError(key, value, f"a non-empty list like {list(default)}", key=key)
            checked[key] = [_typed(item, kind, f"{key}[{i}]") for i, item in enumerate(value)]
        else:
            checked[key] = value
    return checked


def config_keys(name: str) -> list[str]:
    """The configuration keys experiment ``name`` accepts (its keyword parameters)."""
    parameters = inspect.signature(EXPERIMENTS[name]).parameters
    return [p for p in parameters if p not in ("seed", "progress")]


def run_experiment(name: str, config: dict, seed: int, progress: Progress | None = None) -> ExperimentOutput:
    """Run experiment ``name`` with ``config``; unknown names and keys raise ``ParameterError``."""
    load_experiments()
    if name not in EXPERIMENTS:
        raise ParameterError("experiment", name, f"one of {sorted(EXPERIMENTS)}{did_you_mean(name, EXPERIMENTS)}")
    config = check_config(name, config)
    return EXPERIMENTS[name](**config, seed=seed, progress=progress or (lambda fraction, text: None))


def load_experiments() -> None:
    """Import the packages that register experiments (kept lazy: they pull in heavier code)."""
    import neurosim.baselines
    import neurosim.coding
    import neurosim.learning  # noqa: F401
