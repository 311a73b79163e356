"""Neuron models, one module each; ``make_population(model, name, n, ...)`` picks one by name."""
from __future__ import annotations

from ...errors import ParameterError, did_you_mean


def models() -> dict:
    """Model name -> Population class (imported lazily)."""
    from ..stimuli import PoissonSource, SpikeSource
    from .lif import LIF, LIFDimensionless

    classes = [LIF, LIFDimensionless, PoissonSource, SpikeSource]
    for module_name in ("hh", "rate", "binary"):
        try:
            module = __import__(f"neurosim.core.neurons.{module_name}", fromlist=["MODELS"])
        except ModuleNotFoundError as exc:
            if exc.name != f"neurosim.core.neurons.{module_name}":
                raise
            continue
        classes += list(module.MODELS)
    return {cls.model: cls for cls in classes}


def make_population(model: str, name: str, n: int, **kwargs):
    """A population of ``model`` (e.g. 'lif', 'hh_squid', 'poisson'); unknown names get a suggestion."""
    available = models()
    if model not in available:
        raise ParameterError(f"population '{name}': model", model,
                             f"one of {sorted(available)}{did_you_mean(model, available)}")
    return available[model](name, n, **kwargs)
