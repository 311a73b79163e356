"""Experiments that are not a spiking-network run: training a model, a capacity sweep, ...

A protocol with ``experiment: <name>`` calls the function listed under that name in
:data:`EXPERIMENTS` with the protocol's ``config`` mapping as keyword arguments, plus ``seed`` and
``progress``. The function returns an :class:`ExperimentOutput`; the protocol runner stores its metrics,
curves and arrays in the results file (under ``/analysis/<name>/``) and saves its figures as PNG.
"""
from __future__ import annotations

import importlib
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

_TIMES = {"duration": "time", "dt": "time", "synapse": "time", "probe_synapse": "time"}


@dataclass(frozen=True)
class Entry:
    """Where an experiment lives (``"module:function"``, imported only when it is used) and the
    dimension of its arguments that are physical quantities in SI (e.g. ``{"duration": "time"}``):
    a protocol may give those as a number in SI or a string with a unit."""

    target: str
    units: dict[str, str] = field(default_factory=dict)


#: Experiment name -> where its function lives. The one list of experiments: a new experiment is
#: a function returning :class:`ExperimentOutput` and a line here (no registration by import).
EXPERIMENTS: dict[str, Entry] = {
    "nef_tuning_curves": Entry("neurosim.coding.experiments:tuning_curves", {"duration": "time", "dt": "time"}),
    "nef_communication_channel": Entry("neurosim.coding.experiments:communication_channel",
                                       {**_TIMES, "frequency": "frequency"}),
    "nef_square": Entry("neurosim.coding.experiments:square", {**_TIMES, "frequency": "frequency"}),
    "nef_integrator": Entry("neurosim.coding.experiments:integrator_experiment",
                            {**_TIMES, "tau": "time", "step_start": "time", "step_stop": "time"}),
    # omega in rad/s: a number
    "nef_oscillator": Entry("neurosim.coding.experiments:oscillator_experiment", {**_TIMES, "tau": "time"}),
    "hopfield_recall": Entry("neurosim.learning.experiments:hopfield_recall"),
    "hopfield_capacity": Entry("neurosim.learning.experiments:hopfield_capacity"),
    "rbm_digits": Entry("neurosim.learning.experiments:rbm_digits"),
    "pc_digits": Entry("neurosim.learning.experiments:pc_digits"),
    "baseline_mlp_digits": Entry("neurosim.baselines.experiments:mlp_digits"),
    "baseline_fgsm": Entry("neurosim.baselines.experiments:fgsm_digits"),
    "baseline_rnn_adding": Entry("neurosim.baselines.experiments:rnn_adding"),
    "baseline_transformer_reverse": Entry("neurosim.baselines.experiments:transformer_reverse"),
    "baseline_vae_digits": Entry("neurosim.baselines.experiments:vae_digits"),
    "baseline_gan_mixture": Entry("neurosim.baselines.experiments:gan_mixture"),
    "baseline_diffusion": Entry("neurosim.baselines.experiments:diffusion"),
    "baseline_cnn_digits": Entry("neurosim.baselines.experiments:cnn_digits"),
    "baseline_adversarial": Entry("neurosim.baselines.experiments:adversarial_defence"),
    "baseline_autoencoder_digits": Entry("neurosim.baselines.experiments:autoencoder_digits"),
    "baseline_grammar_words": Entry("neurosim.baselines.experiments:grammar_words"),
}


def experiment_function(name: str) -> Callable[..., ExperimentOutput]:
    """The function of experiment ``name``, imported now; unknown names raise ``ParameterError``."""
    if name not in EXPERIMENTS:
        raise ParameterError("experiment", name, f"one of {sorted(EXPERIMENTS)}{did_you_mean(name, EXPERIMENTS)}")
    module, function = EXPERIMENTS[name].target.split(":")
    return getattr(importlib.import_module(module), function)


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
    with a tuple default, a list of the default's element type; quantities (``Entry.units``) may carry a
    unit and come back as SI floats. Raises ``ParameterError`` with ``key`` set to the config key."""
    from .units import to_si

    parameters = inspect.signature(experiment_function(name)).parameters
    allowed = config_keys(name)
    checked = {}
    for key, value in config.items():
        if key not in allowed:
            raise ParameterError(f"experiment '{name}': {key}", value,
                                 f"one of {allowed}{did_you_mean(key, allowed)}", key=key)
        parameter, dimension = parameters[key], EXPERIMENTS[name].units.get(key)
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
    parameters = inspect.signature(experiment_function(name)).parameters
    return [p for p in parameters if p not in ("seed", "progress")]


def run_experiment(name: str, config: dict, seed: int, progress: Progress | None = None) -> ExperimentOutput:
    """Run experiment ``name`` with ``config``; unknown names and keys raise ``ParameterError``."""
    function = experiment_function(name)
    config = check_config(name, config)
    return function(**config, seed=seed, progress=progress or (lambda fraction, text: None))
