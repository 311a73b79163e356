"""Network: populations, projections, stimuli and monitors, plus the seed all random draws come from;
the simulator turns it into one generated loop (populations are in :mod:`neurosim.core.population`).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, did_you_mean
from .connectivity import Projection
from .monitors import Monitor, RateMonitor, SpikeMonitor, StateMonitor
from .neurons import make_population
from .population import Population
from .stimuli import Stimulus


class Network:
    """Populations, projections, stimuli and monitors, plus the seed all random draws come from.

    A description: a :class:`~neurosim.core.simulator.Simulator` builds and runs its own deep copy
    and never changes these objects (read built state from the simulator).

    ``batch``: None, or the number ``B`` of independent copies of the state that one run advances
    (mini-batches, trials); copies are numbered ``first_copy ... first_copy + B - 1``, which sets
    their random streams (see :mod:`neurosim.core.batch`)."""

    def __init__(self, seed: int = 0, batch: int | None = None, first_copy: int = 0):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError("seed", seed, "a non-negative integer")
        self.seed = int(seed)
        if batch is not None and (isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1):
            raise ParameterError("batch", batch, "None or a positive integer number of copies")
        if isinstance(first_copy, bool) or not isinstance(first_copy, (int, np.integer)) or first_copy < 0 \
                or (first_copy and batch is None):
            raise ParameterError("first_copy", first_copy, "a non-negative integer (with batch set)")
        self.batch = None if batch is None else int(batch)
        self.first_copy = int(first_copy)
        self.populations: dict[str, Population] = {}
        self.projections: list = []
        self.stimuli: list = []
        self.monitors: list = []

    def add(self, component):
        """Add a population, projection, stimulus or monitor; returns it."""
        if isinstance(component, Population):
            if component.name in self.populations:
                raise ParameterError("population name", component.name, "a name not used yet in this network")
            self.populations[component.name] = component
        elif isinstance(component, Stimulus):
            self._check_member(component.target)
            self.stimuli.append(component)
        elif isinstance(component, Monitor):
            self._check_member(component.population)
            self.monitors.append(component)
        else:
            self._check_member(component.pre)
            self._check_member(component.post)
            self.projections.append(component)
        return component

    def _check_member(self, population: Population) -> None:
        if self.populations.get(population.name) is not population:
            raise ParameterError("population", population.name, "a population added to this network first")

    def population(self, name: str) -> Population:
        if name not in self.populations:
            raise ParameterError("population", name,
                                 f"one of {sorted(self.populations)}{did_you_mean(name, self.populations)}")
        return self.populations[name]

    # -- conveniences for the Python API -------------------------------------------------------
    def add_population(self, name: str, n: int, model: str, **kwargs) -> Population:
        return self.add(make_population(model, name, n, **kwargs))

    def connect(self, pre, post, **kwargs):
        return self.add(Projection(pre, post, **kwargs))

    def record_spikes(self, population, neurons=None):
        return self.add(SpikeMonitor(population, neurons))

    def record_state(self, population, variable: str, neurons=None, every: int = 1):
        return self.add(StateMonitor(population, variable, neurons, every))

    def record_rate(self, population):
        return self.add(RateMonitor(population))
