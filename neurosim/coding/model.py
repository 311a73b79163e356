"""A small NEF model builder over :class:`neurosim.core.network.Network` (Nengo's ``Network`` + ``Simulator``).

    model = Model(seed=1, mode="spiking")
    stim = model.node("stim", lambda t: np.sin(2 * np.pi * t))
    a = model.ensemble("a", 100)
    b = model.ensemble("b", 100)
    model.connect(stim, a)
    model.connect(a, b, function="square")
    model.probe(b, synapse="10 ms")
    data = model.run("2 s", dt="1 ms")       # data.t, data.decoded["b"]

Each ensemble becomes one core population, each node D linear rate units, each connection one
``DenseProjection``; probes are passthrough nodes recorded by a ``StateMonitor`` (see
:mod:`neurosim.coding.probes` for their exact timing) and spike probes are ``SpikeMonitor``\\ s.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.network import Network
from ..core.results import Results, SpikeTrains
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..units import quantity, si_floats
from .connection import Connection
from .ensemble import NEURON_TYPES, Ensemble
from .functions import evaluate
from .node import Node

#: model modes and the neuron type they give ensembles (any neuron type name is accepted as well)
MODES = {"spiking": "lif", "rate": "lif_rate"}


@dataclass
class ModelData:
    """What a run produced: ``decoded[probe]`` (T x D) sampled at ``t`` (s), ``spikes[ensemble]``."""

    t: np.ndarray
    dt: float
    decoded: dict[str, np.ndarray] = field(default_factory=dict)
    spikes: dict[str, SpikeTrains] = field(default_factory=dict)
    results: Results | None = None


class Model:
    """Ensembles, nodes, connections and probes sharing one seed; ``mode`` sets the default neuron type."""

    def __init__(self, seed: int = 0, mode: str = "spiking"):
        self.network_seed = Network(seed).seed  # validates the seed
        allowed = list(MODES) + list(NEURON_TYPES)
        if mode not in allowed:
            raise ParameterError("model mode", mode, f"one of {allowed}")
        self.seed, self.mode = self.network_seed, mode
        self.ensembles: dict[str, Ensemble] = {}
        self.nodes: dict[str, Node] = {}
        self.connections: list[Connection] = []
        self.probes: dict[str, Node] = {}
        self.spike_probes: list[str] = []

    def _check_new(self, name: str) -> None:
        if name in self.ensembles or name in self.nodes:
            raise ParameterError("name", name, "a name not used yet in this model")

    def ensemble(self, name: str, n_neurons: int, dimensions: int = 1, **kwargs) -> Ensemble:
        """Add an :class:`Ensemble` (keyword arguments as there); its neuron type follows the mode."""
        self._check_new(name)
        kwargs.setdefault("neuron_type", MODES.get(self.mode, self.mode))
        ensemble = Ensemble(name, n_neurons, dimensions, seed=self.seed, **kwargs)
        self.ensembles[name] = ensemble
        return ensemble

    def node(self, name: str, output, dimensions: int | None = None) -> Node:
        """Add a :class:`Node` with ``output`` (constant, callable of t, or None for passthrough)."""
        self._check_new(name)
        node = Node(name, output, dimensions)
        self.nodes[name] = node
        return node

    def _member(self, item, role: str):
        if item is not self.ensembles.get(getattr(item, "name", None)) and \
                item is not self.nodes.get(getattr(item, "name", None)):
            raise ParameterError(f"connection {role}", getattr(item, "name", item), "an ensemble or node of this model")

    def connect(self, pre, post, **kwargs) -> Connection:
        """Add a :class:`Connection` (``function``, ``transform``, ``synapse``, ``solver``, ``weights``, ...)."""
        self._member(pre, "pre")
        self._member(post, "post")
        name = kwargs.pop("name", None) or f"{pre.name}_to_{post.name}"
        used = {c.name for c in self.connections}
        name = name if name not in used else f"{name}_{len(self.connections)}"
        connection = Connection(pre, post, name=name, **kwargs)
        if connection.learning_rule is not None:
            self._check_new(connection.learning_rule.name)
            self.nodes[connection.learning_rule.name] = connection.learning_rule
        self.connections.append(connection)
        return connection

    def probe(self, target, synapse="10 ms", function=None, name: str | None = None) -> str:
        """Record the decoded value of ``target`` (or ``function`` of it) through a ``synapse`` (s) lowpass."""
        self._member(target, "probe target")
        name = name or f"{target.name}_probe"
        if name in self.probes or name in self.ensembles or name in self.nodes:
            raise ParameterError("probe name", name, "a name not used yet in this model")
        dimensions = target.dimensions
        if function is not None and isinstance(target, Ensemble):
            dimensions = evaluate(function, target.eval_points[:1]).shape[1]
        sink = Node(name, None, dimensions)
        self.probes[name] = sink
        self.connections.append(Connection(target, sink, function=function, synapse=synapse, name=f"{name}_in"))
        return name

    def probe_spikes(self, ensemble: Ensemble) -> None:
        """Record the spikes of a spiking ensemble (``ModelData.spikes[name]``)."""
        self._member(ensemble, "spike probe")
        if not isinstance(ensemble, Ensemble) or not ensemble.spiking:
            raise ParameterError("spike probe", ensemble.name, "a spiking ensemble")
        self.spike_probes.append(ensemble.name)

    def build(self) -> Network:
        """The core network of this model (a new one on each call)."""
        with si_floats():  # the ensembles' values are SI already
            return self._build()

    def _build(self) -> Network:
        net = Network(self.seed)
        populations = {}
        for item in [*self.ensembles.values(), *self.nodes.values(), *self.probes.values()]:
            populations[item.name] = net.add(item.population())
            if isinstance(item, Node) and item.stimulus(populations[item.name]) is not None:
                net.add(item.stimulus(populations[item.name]))
        for connection in self.connections:
            error = None if connection.learning_rule is None else populations[connection.learning_rule.name]
            net.add(connection.projection(populations[connection.pre.name], populations[connection.post.name], error))
        for name in self.probes:
            net.record_state(populations[name], "x")
        for name in self.spike_probes:
            net.record_spikes(populations[name])
        return net

    def run(self, duration, dt="1 ms", progress=None) -> ModelData:
        """Build and simulate for ``duration`` with step ``dt`` (unit strings, e.g. ``"2 s"``, ``"1 ms"``)."""
        duration, dt = quantity(duration, "time", "duration"), quantity(dt, "time", "dt")
        with si_floats():
            simulator = Simulator(self.build(), dt=dt)
            results = simulator.run(duration, progress=progress)
        data = ModelData(t=np.arange(simulator.step) * dt, dt=dt, results=results)
        for name in self.probes:
            data.decoded[name] = results.states[name]["x"].data
        data.spikes = dict(results.spikes)
        return data
