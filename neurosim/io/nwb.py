"""Results -> an NWB file (``pip install 'neurosim[nwb]'``), via pynwb.

The ``Units`` table has one row per neuron of every spike-recorded population (``spike_times``
in s, columns ``population`` and ``node_id``); each recorded variable becomes a ``TimeSeries``
``<population>_<variable>`` in ``acquisition`` (time x neuron, its SI unit, explicit timestamps,
the neuron indices in the description). Provenance: ``source_script`` holds the protocol YAML
when there is one, ``notes`` the seed, ``dt``, duration and completeness, and the session
description names the neurosim version.
"""
from __future__ import annotations

import datetime
import os
import pathlib
import uuid

import numpy as np

from .._version import __version__
from ..core.results import Results


def to_nwb(results: Results, path: str | os.PathLike) -> pathlib.Path:
    """Write ``results`` to the NWB file ``path``; returns the path."""
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    version = results.attributes.get("neurosim_version", __version__)
    protocol = results.attributes.get("protocol_yaml")
    nwb = NWBFile(
        session_description=f"neurosim {version} simulation"
                            + (f" of protocol '{results.attributes['protocol_name']}'"
                               if "protocol_name" in results.attributes else ""),
        identifier=str(uuid.uuid4()), session_start_time=datetime.datetime.now(datetime.UTC),
        source_script=protocol, source_script_file_name="protocol.yaml" if protocol else None,
        notes=f"seed {results.seed}, dt {results.dt} s, duration {results.duration} s, complete {results.complete}")
    if results.spikes:
        nwb.add_unit_column("population", "neurosim population of the neuron")
        nwb.add_unit_column("node_id", "index of the neuron in its population")
        for name, trains in results.spikes.items():
            order = np.lexsort((trains.times, trains.node_ids))
            ids, times = trains.node_ids[order], trains.times[order]
            starts = np.searchsorted(ids, np.arange(trains.n_neurons + 1))
            for node in range(trains.n_neurons):
                nwb.add_unit(spike_times=times[starts[node]:starts[node + 1]], population=name, node_id=node)
    for name, variables in results.states.items():
        for variable, record in variables.items():
            nwb.add_acquisition(TimeSeries(
                name=f"{name}_{variable}", data=np.asarray(record.data), unit=record.unit or "dimensionless",
                timestamps=np.asarray(record.times),
                description=f"{variable} of population '{name}', neurons {np.asarray(record.node_ids).tolist()}"))
    path = pathlib.Path(path)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path
