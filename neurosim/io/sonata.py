"""Results -> SONATA files that SONATA readers (libsonata, bmtk, NEURON's reportinglib) open as they are.

``write(results, directory)`` writes

- ``spikes.h5``: ``/spikes/<population>/timestamps`` (ms, attribute ``units = "ms"``) and
  ``node_ids`` (uint64), with the attribute ``sorting`` as SONATA's HDF5 enum
  (``none`` 0, ``by_id`` 1, ``by_time`` 2) set to ``by_time``;
- ``<variable>.h5`` for each recorded variable (SONATA puts one variable in a report file), in the
  element-report layout: ``/report/<population>/data`` (time x element, float32 as SONATA
  requires, attribute ``units``),
  ``mapping/node_ids`` (uint64), ``mapping/index_pointers`` (uint64, ``n + 1``: point neurons have
  one element each), ``mapping/element_ids`` (uint32, zeros) and ``mapping/time`` =
  ``[start, stop, step]`` in ms.

The file ``results.h5`` stays neurosim's own (seconds, every variable, analyses, provenance);
these files are the exchange copy, with ``neurosim_version`` and ``protocol_yaml`` (when there is a
protocol) as root attributes. Variables are written in their SI unit, except ``v`` in mV, as
SONATA's reports are.
"""
from __future__ import annotations

import os
import pathlib

import h5py
import numpy as np

from .._version import __version__
from ..core.results import Results
from .hdf5 import _SORTING as SORTING
from .hdf5 import write_atomic

#: SI unit -> (scale, the unit written) for report data; other units are written as they are.
_REPORT_UNITS = {"V": (1e3, "mV")}


def sorting_attribute(group: h5py.Group, order: str = "by_time") -> None:
    """Set SONATA's enum attribute ``sorting`` on a spike population group."""
    group.attrs.create("sorting", {"none": 0, "by_id": 1, "by_time": 2}[order], dtype=SORTING)


def _image(fill) -> bytes:
    with h5py.File(f"neurosim-sonata-{id(fill)}.h5", "w", driver="core", backing_store=False) as f:
        fill(f)
        f.flush()
        return f.id.get_file_image()


def _provenance(f: h5py.File, results: Results) -> None:
    f.attrs["neurosim_version"] = results.attributes.get("neurosim_version", __version__)
    if "protocol_yaml" in results.attributes:
        f.attrs["protocol_yaml"] = results.attributes["protocol_yaml"]
    f.attrs["magic"] = np.uint32(0x0A7A)  # SONATA files' magic number and version
    f.attrs["version"] = np.array([0, 1], np.uint32)


def write(results: Results, directory: str | os.PathLike) -> list[pathlib.Path]:
    """Write ``spikes.h5`` and one ``<variable>.h5`` report per recorded variable; returns the paths."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def spikes(f):
        _provenance(f, results)
        for name, trains in results.spikes.items():
            order = np.lexsort((trains.node_ids, trains.times))
            group = f.create_group(f"spikes/{name}")
            sorting_attribute(group, "by_time")
            group.create_dataset("timestamps", data=trains.times[order] * 1e3).attrs["units"] = "ms"
            group.create_dataset("node_ids", data=trains.node_ids[order].astype(np.uint64))

    paths = [directory / "spikes.h5"]
    write_atomic(paths[0], _image(spikes))
    variables = sorted({variable for records in results.states.values() for variable in records})
    for variable in variables:
        def report(f, variable=variable):
            _provenance(f, results)
            for name, records in results.states.items():
                if variable in records:
                    _report(f.create_group(f"report/{name}"), records[variable], results.dt)
        path = directory / f"{variable}.h5"
        write_atomic(path, _image(report))
        paths.append(path)
    return paths


def _report(group: h5py.Group, record, dt: float) -> None:
    scale, unit = _REPORT_UNITS.get(record.unit, (1.0, record.unit))
    data = (np.asarray(record.data, np.float64) * scale).astype(np.float32)
    group.create_dataset("data", data=data).attrs["units"] = unit
    mapping = group.create_group("mapping")
    n = len(record.node_ids)
    mapping.create_dataset("node_ids", data=np.asarray(record.node_ids, np.uint64))
    mapping.create_dataset("index_pointers", data=np.arange(n + 1, dtype=np.uint64))
    mapping.create_dataset("element_ids", data=np.zeros(n, np.uint32))
    times = record.times
    step = times[1] - times[0] if len(times) > 1 else dt
    start = times[0] if len(times) else 0.0
    stop = start + len(times) * step
    mapping.create_dataset("time", data=np.array([start, stop, step]) * 1e3).attrs["units"] = "ms"
