"""Neuron models, one module each; ``make_population(model, name, n, ...)`` picks one by name."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import ParameterError, did_you_mean

if TYPE_CHECKING:
    from ..population import Population


def models() -> dict:
    """Model name -> Population class (imported lazily: the registry is read at build time)."""
    from .binary import BinaryPopulation
    from .equation import registered
    from .sampling import NeuralSamplingPopulation
    from .sources import PoissonSource, SpikeSource

    classes: list[type[Population]] = [BinaryPopulation, NeuralSamplingPopulation, PoissonSource, SpikeSource]
    return {**{cls.model: cls for cls in classes}, **registered()}


def make_population(model: str, name: str, n: int, **kwargs):
    """A population of ``model`` (e.g. 'lif', 'hh_squid', 'poisson'); unknown names get a suggestion.
    ``'rate'`` with ``activation=a`` is the equation model ``rate_<a>`` with ``tau = 0`` by default."""
    if model == "rate":
        from .rate import rate_population
        return rate_population(name, n, **kwargs)
    available = models()
    if model not in available:
        raise ParameterError(f"population '{name}': model", model,
                             f"one of {sorted(available)}{did_you_mean(model, available)}")
    return available[model](name, n, **kwargs)
