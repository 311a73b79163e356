"""Results -> a Neo ``Block`` (``pip install 'neurosim[neo]'``), for Elephant and the Neo ecosystem.

One ``Segment`` holds a ``SpikeTrain`` per neuron of every spike-recorded population (``t_start``
0, ``t_stop`` the run's duration, in s; annotations ``population`` and ``node_id``; neurons that
did not fire get an empty train) and an ``AnalogSignal`` per recorded variable (time x neuron, in
its SI unit, ``sampling_period`` the recording interval; annotations ``population``,
``variable`` and array annotation ``node_ids``). The block carries the provenance as annotations.
"""
from __future__ import annotations

import numpy as np

from ..core.results import Results


def to_neo(results: Results):
    """The Neo ``Block`` of ``results`` (see the module docstring)."""
    import neo
    import quantities as pq

    block = neo.Block(name="neurosim", seed=results.seed, dt=results.dt, complete=results.complete,
                      **{k: v for k, v in results.attributes.items() if isinstance(v, (str, int, float))})
    segment = neo.Segment(name="run")
    block.segments.append(segment)
    for name, trains in results.spikes.items():
        order = np.lexsort((trains.times, trains.node_ids))
        ids, times = trains.node_ids[order], trains.times[order]
        starts = np.searchsorted(ids, np.arange(trains.n_neurons + 1))
        for node in range(trains.n_neurons):
            segment.spiketrains.append(neo.SpikeTrain(
                times[starts[node]:starts[node + 1]] * pq.s, t_start=0.0 * pq.s, t_stop=results.duration * pq.s,
                name=f"{name}[{node}]", population=name, node_id=node))
    for name, variables in results.states.items():
        for variable, record in variables.items():
            step = record.times[1] - record.times[0] if len(record.times) > 1 else results.dt
            unit = {"": "dimensionless"}.get(record.unit, record.unit)
            segment.analogsignals.append(neo.AnalogSignal(
                record.data, units=unit, sampling_period=step * pq.s,
                t_start=(record.times[0] if len(record.times) else 0.0) * pq.s, name=f"{name}.{variable}",
                population=name, variable=variable, array_annotations={"node_ids": np.asarray(record.node_ids)}))
    return block
