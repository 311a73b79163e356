"""Results of a run: spikes, recorded state variables and population rates as numpy arrays (SI)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SpikeTrains:
    """All recorded spikes of one population: ``node_ids[k]`` fired at ``times[k]`` (s), time-ordered."""

    node_ids: np.ndarray
    times: np.ndarray
    n_neurons: int

    def counts(self) -> np.ndarray:
        return np.bincount(self.node_ids, minlength=self.n_neurons)

    def of(self, node: int) -> np.ndarray:
        """Spike times (s) of one neuron."""
        return self.times[self.node_ids == node]


@dataclass
class StateRecord:
    """``data[i, j]``: value of ``variable`` of neuron ``node_ids[j]`` at ``times[i]``, in SI units."""

    variable: str
    node_ids: np.ndarray
    times: np.ndarray
    data: np.ndarray
    unit: str = ""


@dataclass
class RateRecord:
    """Population rate (Hz) per step: spikes in the step / (neurons * dt)."""

    times: np.ndarray
    rate: np.ndarray


@dataclass
class Results:
    """What a simulation produced, in memory; ``io.save`` / ``io.load`` round-trip it."""

    spikes: dict[str, SpikeTrains] = field(default_factory=dict)
    states: dict[str, dict[str, StateRecord]] = field(default_factory=dict)  # population -> variable -> record
    rates: dict[str, RateRecord] = field(default_factory=dict)
    #: plastic projection -> {"pre", "post" (indices per synapse), "w" and the rule's other variables} (SI)
    synapses: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: plastic projection -> variable -> record of a synapse monitor (``node_ids``: synapse indices)
    synapse_states: dict[str, dict[str, StateRecord]] = field(default_factory=dict)
    dt: float = 0.0
    duration: float = 0.0
    seed: int = 0
    complete: bool = True
    population_sizes: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    analysis: dict = field(default_factory=dict)  # nested dicts of arrays and floats
    attributes: dict = field(default_factory=dict)  # provenance: protocol text, version, ...
