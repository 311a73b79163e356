"""``build(protocol)``: a validated network protocol -> :class:`~neurosim.core.simulator.Simulator`.

A ``ParameterError`` raised by the core while building is reported as a ``ProtocolError`` at the
YAML entry of the component that raised it (its structured ``owner`` and ``key``).
"""
from __future__ import annotations

import contextlib

import numpy as np

from ..core import connectivity, stimuli
from ..core.monitors import SynapseMonitor
from ..core.network import Network
from ..core.neurons import equation, make_population
from ..core.neurons.sources import PoissonSource
from ..core.plasticity import PlasticProjection
from ..core.simulator import Simulator
from ..core.synapses import Synapse
from ..errors import ParameterError, did_you_mean
from ..units import si_floats
from . import schema
from .load import Protocol, _key_path


@contextlib.contextmanager
def _located(protocol: Protocol, path: tuple, owners: dict | None = None):
    """Turn a core ``ParameterError`` into a located ``ProtocolError``: at the entry of ``exc.owner``
    (looked up in ``owners``) and ``exc.key`` below it, else at ``path``. The message is never parsed."""
    try:
        yield
    except ParameterError as exc:
        owners = owners or {}
        owner = tuple(exc.owner) if exc.owner is not None else None
        where = (*owners[owner], *_key_path(exc.key)) if owner in owners else path
        raise protocol.error(where, f"{exc}") from None


def build(protocol: Protocol, inline_constants: bool = True) -> Simulator:
    """Populations, projections, stimuli and monitors of the protocol, built for its ``dt``
    (``inline_constants``: see :class:`~neurosim.core.simulator.Simulator`). The protocol's values
    are SI floats already checked against their units, so the core is called in ``si_floats()``."""
    with si_floats():
        return _build(protocol, inline_constants)


def _build(protocol: Protocol, inline_constants: bool) -> Simulator:
    spec = protocol.spec
    assert isinstance(spec, schema.NetworkProtocol)  # experiments are run, not built
    net = Network(seed=spec.seed)
    owners: dict[tuple[str, str], tuple] = {}
    for name, population in spec.network.populations.items():
        path: tuple = ("network", "populations", name)
        owners[("population", name)] = path
        with _located(protocol, path, owners):
            net.add(_population(name, population))
    for index, connection in enumerate(spec.network.connections):
        path = ("network", "connections", index)
        with _located(protocol, path):
            ends = (net.population(connection.pre), net.population(connection.post), connection.receptor)
            common = {"rule": connectivity.rule(**connection.rule), "weight": connection.weight,
                      "delay": connection.delay, "allow_autapses": connection.allow_autapses, "name": connection.name}
            if connection.plasticity is None:
                projection = net.add(connectivity.Projection(*ends, weight_dtype=connection.weight_dtype, **common))
            elif connection.weight_dtype != "float64":
                raise protocol.error((*path, "weight_dtype"), f"weight_dtype = {connection.weight_dtype!r}: "
                                     "plastic weights are stored as float64 (omit weight_dtype)")
            else:
                with _located(protocol, (*path, "plasticity")):
                    projection = net.add(PlasticProjection(*ends, connection.plasticity.model,
                                                           params=connection.plasticity.params,
                                                           initial=connection.plasticity.initial, **common))
        owners[("projection", projection.name)] = path
    for index, stimulus in enumerate(spec.stimuli):
        path = ("stimuli", index)
        with _located(protocol, path):
            component = net.add(_stimulus(stimulus, net.population(stimulus.population)))
        owners[("stimulus", component.name)] = path
    _monitors(protocol, net)
    with _located(protocol, (), owners):
        return Simulator(net, dt=spec.dt, dtype=spec.dtype, threads=spec.threads, inline_constants=inline_constants)


def _population(name: str, population: schema.Population):
    if population.model == "poisson":
        return PoissonSource(name, population.n, population.rate)
    synapse_models = equation.synapse_models()
    receptors = {key: (synapse_models[r.kernel], r.params) if r.kernel in synapse_models else
                 Synapse(kernel=r.kernel, tau=Synapse.tau if r.tau is None else r.tau, kind=r.kind,
                         e_rev=r.e_rev, tau_rise=r.tau_rise)
                 for key, r in population.receptors.items()}
    return make_population(population.model, name, population.n, params=population.params,
                           receptors=receptors, initial=population.initial, **population.options)


def _stimulus(stimulus, target):
    common = {"neurons": stimulus.neurons, "name": stimulus.name}
    if isinstance(stimulus, schema.ConstantStimulus):
        stop = np.inf if stimulus.stop is None else stimulus.stop
        return stimuli.Constant(target, stimulus.amplitude, stimulus.start, stop, **common)
    if isinstance(stimulus, schema.StepStimulus):
        return stimuli.Step(target, np.array(stimulus.times), np.array(stimulus.amplitudes), **common)
    if isinstance(stimulus, schema.RampStimulus):
        return stimuli.Ramp(target, stimulus.amplitude_start, stimulus.amplitude_stop, stimulus.start,
                            stimulus.stop, **common)
    if isinstance(stimulus, schema.SineStimulus):
        stop = np.inf if stimulus.stop is None else stimulus.stop
        return stimuli.Sine(target, stimulus.amplitude, stimulus.frequency, stimulus.phase, stimulus.offset,
                            stimulus.start, stop, **common)
    if isinstance(stimulus, schema.PoissonInputStimulus):
        return stimuli.PoissonInput(target, stimulus.receptor, stimulus.n_sources, stimulus.rate, stimulus.weight,
                                    **common)
    return stimuli.OUNoise(target, stimulus.mean, stimulus.sigma, stimulus.tau, **common)


def _monitors(protocol: Protocol, net: Network) -> None:
    assert isinstance(protocol.spec, schema.NetworkProtocol)
    record = protocol.spec.record
    spiking = [name for name, pop in net.populations.items() if pop.spiking]
    for index, name in enumerate(spiking if record.spikes is None else record.spikes):
        with _located(protocol, ("record", "spikes", index) if record.spikes is not None else ("record",)):
            net.record_spikes(net.population(name))
    for index, name in enumerate(record.rates):
        with _located(protocol, ("record", "rates", index)):
            net.record_rate(net.population(name))
    for index, state in enumerate(record.states):
        with _located(protocol, ("record", "states", index)):
            net.record_state(net.population(state.population), state.variable, state.neurons, state.every)
    projections = {projection.name: projection for projection in net.projections}
    for index, recording in enumerate(record.synapses):
        path = ("record", "synapses", index)
        if recording.projection not in projections:
            raise protocol.error((*path, "projection"), f"no projection named '{recording.projection}'"
                                 f"{did_you_mean(recording.projection, projections)}")
        with _located(protocol, path):
            net.add(SynapseMonitor(projections[recording.projection], recording.variable, recording.synapses,
                                   recording.every))
