"""Batched networks: ``Network(batch=B)`` runs ``B`` independent copies of its state in one loop.

Every population, stimulus and monitor then holds one entry per copy: state arrays have shape
``(B, n)``, receptor states ``(B, rows, n)``, monitor buffers a leading copy axis. Parameters,
connectivity and weights are shared (one array). The generated loop runs each phase of a step for
copy 0, 1, ..., B-1 on that copy's rows (views), with the same compiled kernels as an unbatched
network, so copy ``c`` computes exactly what an unbatched run computes: a batch equals ``B``
separate runs bit for bit. (Dense projections therefore stay per-copy matrix-vector loops: BLAS
``gemm`` rounds a row of a ``B``-row product differently from a one-row product, ~1e-15.)

Random streams: copy ``c`` draws its initial values and its run-time noise from
``generator(seed, phase, name, copy=c)``, with ``c = first_copy + index``; copy 0 is the stream of
an unbatched network. So copy ``c`` of ``Network(seed, batch=B)`` equals the single copy of
``Network(seed, batch=1, first_copy=c)``, and ``batch=1, first_copy=0`` equals ``batch=None``.
Connectivity and other build-time structure is drawn once, from the unbatched streams.

Supported: rate, equation-model and LIF populations; dense and static sparse projections;
waveform stimuli (shared, or per copy: ``TimeSeries`` values ``(B, T, n)``), Ornstein-Uhlenbeck
noise; spike, state and rate monitors. Refused with a :class:`ParameterError` naming the
component: plastic projections (the copies would share, hence couple through, their weights),
Poisson, spike-source and Hodgkin-Huxley populations, binary populations with asynchronous updates,
Poisson input, synapse monitors.
"""
from __future__ import annotations

import copy as copying

import numba
import numpy as np

from ..errors import ParameterError
from ..rng import generator


def check(network) -> None:
    """Refuse components that cannot be batched (see the module docstring), naming them."""
    for component in [*network.populations.values(), *network.projections, *network.stimuli, *network.monitors]:
        if not getattr(component, "batchable", False):
            name = getattr(component, "name", None) or f"of '{component.population.name}'"
            raise ParameterError(f"{type(component).__name__} {name}", f"batch = {network.batch}",
                                 "batch = None: this component has no batched form (batched networks support rate, "
                                 "equation and LIF populations, dense and static projections, waveform and OU "
                                 "stimuli, spike/state/rate monitors)")


def copy_numbers(network) -> range:
    """The global copy numbers ``first_copy ... first_copy + B - 1`` of a batched network."""
    return range(network.first_copy, network.first_copy + network.batch)


def run_generators(seed, name: str, network) -> numba.typed.List:
    """The run streams ``generator(seed, "run", name, copy=c)`` of the copies, as a Numba typed list:
    the loop indexes it by the copy number at run time (a tuple would be unrolled by Numba into a
    branch per copy, and compile time would grow with the batch size)."""
    generators = numba.typed.List()
    for c in copy_numbers(network):
        generators.append(generator(seed, "run", name, copy=c))
    return generators


def build_population(pop, dt, dtype, seed, network) -> None:
    """Build ``pop`` once per copy (initial values from the copy's build stream) and stack the
    per-copy arrays (state, receptor states, input, spike lists) along a leading copy axis."""
    built = []
    for c in copy_numbers(network):
        member = copying.deepcopy(pop)
        member.build(dt, dtype, generator(seed, "build", f"population:{pop.name}", copy=c))
        built.append(member)
    pop.__dict__.update(built[0].__dict__)
    pop.state = {key: np.stack([m.state[key] for m in built]) for key in built[0].state}
    if hasattr(pop, "extra"):  # equation populations: dense inputs and stored output
        pop.extra = {key: np.stack([m.extra[key] for m in built]) for key in built[0].extra}
    for attribute in ("z", "i_ext", "spikes", "n_spikes"):
        setattr(pop, attribute, np.stack([getattr(m, attribute) for m in built]))
    pop.run_rng = run_generators(seed, f"population:{pop.name}", network)


def build_stimulus(stimulus, dt, dtype, seed, network) -> None:
    """Build ``stimulus`` once per copy and stack what it changes during a run (``run_arrays``)."""
    built = []
    for c in copy_numbers(network):
        member = copying.deepcopy(stimulus, {id(stimulus.target): stimulus.target})  # the target stays shared
        member.build(dt, dtype, generator(seed, "build", f"stimulus:{stimulus.name}", copy=c))
        built.append(member)
    stimulus.__dict__.update(built[0].__dict__)
    for attribute in getattr(stimulus, "run_arrays", ()):
        setattr(stimulus, attribute, np.stack([getattr(m, attribute) for m in built]))
    stimulus.run_rng = run_generators(seed, f"stimulus:{stimulus.name}", network)


def per_copy_arguments(network) -> list:
    """The built objects that carry a copy axis (what the code writer must index by copy)."""
    values = []
    for pop in network.populations.values():
        values += [*pop.state.values(), *getattr(pop, "extra", {}).values(), pop.z, pop.i_ext, pop.spikes,
                   pop.n_spikes, pop.run_rng]
        if pop.ring_length:
            values.append(pop.ring)
    for stimulus in network.stimuli:
        values += [getattr(stimulus, a) for a in getattr(stimulus, "run_arrays", ())] + [stimulus.run_rng]
    for projection in network.projections:
        values += [getattr(projection, a) for a in getattr(projection, "run_arrays", ())]
    return values


def build_projection(projection, dt, seed, network) -> None:
    """Build ``projection`` (its structure from the unbatched stream) and give every array it
    changes during a run (``run_arrays``, e.g. a dense projection's filtered signal) a copy axis."""
    projection.build(dt, generator(seed, "build", f"projection:{projection.name}"))
    for attribute in getattr(projection, "run_arrays", ()):
        setattr(projection, attribute, np.repeat(getattr(projection, attribute)[None], network.batch, axis=0))
