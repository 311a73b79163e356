"""Nodes: values given as functions of time (inputs to ensembles), as Nengo's ``Node``.

A node of ``dimensions`` D is simulated as D linear rate units with ``tau = 0``
(``rate_population(activation="linear")``), whose input is the node's output ``u(t)`` added as a
waveform stimulus: in step ``k`` the unit's ``rate`` equals ``u(k dt)`` exactly, and connections
from the node read it one step later, like every projection. With ``output=None`` the node passes
on what connections into it deliver (Nengo's passthrough node); decoded-value probes are such nodes.
"""
from __future__ import annotations

import numpy as np

from ..core.neurons.rate import rate_population
from ..core.population import Population, check_name
from ..core.stimuli import Waveform
from ..errors import ParameterError


class _Output(Waveform):
    """The node's output ``u(t)`` as a stimulus on its linear units."""

    def __init__(self, target, node: Node):
        super().__init__(target, name=f"{node.name}_output")
        self.node = node

    def values(self, t):
        return self.node.evaluate(t)


class Node:
    """``output``: a constant (scalar or D-vector), a vectorised callable ``u(t)`` of a (T,) array of
    times (s) returning (T,) or (T, D) values, or None (passthrough; ``dimensions`` required)."""

    def __init__(self, name: str, output, dimensions: int | None = None):
        self.name = check_name(name, "node")
        self.output = output
        if output is None:
            if isinstance(dimensions, bool) or not isinstance(dimensions, (int, np.integer)) or dimensions <= 0:
                raise ParameterError(f"node '{name}': dimensions", dimensions,
                                     "a positive integer for a passthrough node")
            found = int(dimensions)
        elif callable(output):
            probe = np.asarray(output(np.zeros(2)), float)
            found = 1 if probe.ndim == 1 else probe.shape[-1]
            if probe.ndim not in (1, 2) or probe.shape[0] != 2:
                raise ParameterError(f"node '{name}': output(t)", f"shape {probe.shape} for 2 times",
                                     "a vectorised function returning (T,) or (T, D) values")
        else:
            constant = np.atleast_1d(np.asarray(output, float))
            if constant.ndim != 1 or not np.all(np.isfinite(constant)):
                raise ParameterError(f"node '{name}': output", output, "a finite scalar or vector, or a callable u(t)")
            found = constant.shape[0]
        if dimensions is not None and dimensions != found:
            raise ParameterError(f"node '{name}': dimensions", dimensions, f"the output's dimensions ({found})")
        self.dimensions = found

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """``u(t)`` as a (T, D) array."""
        t = np.asarray(t, float)
        if callable(self.output):
            values = np.asarray(self.output(t), float).reshape(len(t), -1)
            if values.shape[1] != self.dimensions or not np.all(np.isfinite(values)):
                raise ParameterError(f"node '{self.name}': output(t)", f"shape {values.shape}",
                                     f"finite values of shape (T, {self.dimensions})")
            return values
        return np.broadcast_to(np.atleast_1d(np.asarray(self.output, float)), (len(t), self.dimensions)).copy()

    def population(self) -> Population:
        return rate_population(self.name, self.dimensions, activation="linear")

    def stimulus(self, population) -> Waveform | None:
        """The stimulus that writes the output onto the node's units (None for a passthrough node)."""
        return None if self.output is None else _Output(population, self)
