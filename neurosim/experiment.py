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


def register_experiment(name: str):
    """Decorator: make ``function(**config, seed=..., progress=...)`` runnable as ``experiment: name``."""

    def decorate(function):
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} registered twice")
        EXPERIMENTS[name] = function
        return function

    return decorate


def config_keys(name: str) -> list[str]:
    """The configuration keys experiment ``name`` accepts (its keyword parameters)."""
    parameters = inspect.signature(EXPERIMENTS[name]).parameters
    return [p for p in parameters if p not in ("seed", "progress")]


def run_experiment(name: str, config: dict, seed: int, progress: Progress | None = None) -> ExperimentOutput:
    """Run experiment ``name`` with ``config``; unknown names and keys raise ``ParameterError``."""
    load_experiments()
    if name not in EXPERIMENTS:
        raise ParameterError("experiment", name, f"one of {sorted(EXPERIMENTS)}{did_you_mean(name, EXPERIMENTS)}")
    allowed = config_keys(name)
    for key, value in config.items():
        if key not in allowed:
            raise ParameterError(f"experiment '{name}': {key}", value,
                                 f"one of {allowed}{did_you_mean(key, allowed)}")
    return EXPERIMENTS[name](**config, seed=seed, progress=progress or (lambda fraction, text: None))


def load_experiments() -> None:
    """Import the packages that register experiments (kept lazy: they pull in heavier code)."""
    import neurosim.baselines
    import neurosim.coding
    import neurosim.learning  # noqa: F401
