"""Results <-> HDF5, in the SONATA layouts, written atomically.

Layout (all times in **seconds**, attribute ``units = "s"``; SONATA's convention is ms, but
seconds keep the round trip bit-exact, and the attribute says so):

- ``/spikes/<population>/node_ids`` (int64) and ``/spikes/<population>/timestamps`` (float64),
  attributes ``sorting = "by_time"`` and ``n_neurons``;
- ``/report/<population>/<variable>/data`` (time x neuron, attribute ``units``: SI unit),
  ``mapping/node_ids``, ``mapping/time`` = [start, stop, step] (SONATA) and
  ``mapping/timestamps`` (every sample time, exact);
- ``/rates/<population>/{timestamps, rate}`` (Hz);
- ``/analysis/...``: nested groups of datasets (arrays and scalars);
- ``/populations``: attribute per population = number of neurons;
- root attributes: ``seed``, ``dt`` and ``duration`` (s), ``complete``, ``wall_clock_<phase>`` (s)
  and the provenance in ``Results.attributes`` (``neurosim_version``, ``protocol_yaml``, ... as set
  by ``protocol.run``).

The file is written to a temporary name in the target directory and renamed over the target
(``os.replace``), so a reader never sees a half-written file.
"""
from __future__ import annotations

import os
import pathlib
import tempfile

import h5py
import numpy as np

from ..core.results import RateRecord, Results, SpikeTrains, StateRecord

_FIELDS = ("seed", "dt", "duration", "complete")
_TIMING = "wall_clock_"


def save(results: Results, path: str | os.PathLike) -> pathlib.Path:
    """Write ``results`` to ``path`` atomically; returns the path."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w", track_order=True) as f:
            _write(f, results)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _write(f: h5py.File, results: Results) -> None:
    for key, value in results.attributes.items():
        f.attrs[key] = value
    f.attrs["seed"], f.attrs["dt"], f.attrs["duration"] = results.seed, results.dt, results.duration
    f.attrs["complete"] = results.complete
    for key, seconds in results.timings.items():
        f.attrs[_TIMING + key] = seconds
    sizes = f.create_group("populations")
    for name, n in results.population_sizes.items():
        sizes.attrs[name] = n
    for name, trains in results.spikes.items():
        group = f.create_group(f"spikes/{name}")
        group.attrs["sorting"], group.attrs["n_neurons"] = "by_time", trains.n_neurons
        group.create_dataset("node_ids", data=trains.node_ids)
        group.create_dataset("timestamps", data=trains.times).attrs["units"] = "s"
    for name, variables in results.states.items():
        for variable, record in variables.items():
            group = f.create_group(f"report/{name}/{variable}")
            group.create_dataset("data", data=record.data).attrs["units"] = record.unit
            mapping = group.create_group("mapping")
            mapping.create_dataset("node_ids", data=record.node_ids)
            step = record.times[1] - record.times[0] if len(record.times) > 1 else results.dt
            stop = record.times[-1] + step if len(record.times) else 0.0
            start = record.times[0] if len(record.times) else 0.0
            mapping.create_dataset("time", data=np.array([start, stop, step])).attrs["units"] = "s"
            mapping.create_dataset("timestamps", data=record.times).attrs["units"] = "s"
    for name, record in results.rates.items():
        group = f.create_group(f"rates/{name}")
        group.create_dataset("timestamps", data=record.times).attrs["units"] = "s"
        group.create_dataset("rate", data=record.rate).attrs["units"] = "Hz"
    _write_tree(f.create_group("analysis", track_order=True), results.analysis)


def _write_tree(group: h5py.Group, tree: dict) -> None:
    for key, value in tree.items():
        if isinstance(value, dict):
            _write_tree(group.create_group(str(key), track_order=True), value)
        else:
            group.create_dataset(str(key), data=value)


def load(path: str | os.PathLike) -> Results:
    """Read a results file written by :func:`save`."""
    with h5py.File(path, "r") as f:
        attributes = {key: _plain(value) for key, value in f.attrs.items()}
        results = Results(seed=int(attributes.pop("seed")), dt=float(attributes.pop("dt")),
                          duration=float(attributes.pop("duration")), complete=bool(attributes.pop("complete")))
        results.timings = {key[len(_TIMING):]: float(attributes.pop(key)) for key in list(attributes)
                           if key.startswith(_TIMING)}
        results.attributes = attributes
        results.population_sizes = {name: int(n) for name, n in f["populations"].attrs.items()}
        for name, group in f.get("spikes", {}).items():
            results.spikes[name] = SpikeTrains(node_ids=group["node_ids"][()], times=group["timestamps"][()],
                                               n_neurons=int(group.attrs["n_neurons"]))
        for name, variables in f.get("report", {}).items():
            for variable, group in variables.items():
                results.states.setdefault(name, {})[variable] = StateRecord(
                    variable, group["mapping/node_ids"][()], group["mapping/timestamps"][()], group["data"][()],
                    unit=_plain(group["data"].attrs["units"]))
        for name, group in f.get("rates", {}).items():
            results.rates[name] = RateRecord(times=group["timestamps"][()], rate=group["rate"][()])
        results.analysis = _read_tree(f["analysis"])
    return results


def _read_tree(group: h5py.Group) -> dict:
    return {key: _read_tree(item) if isinstance(item, h5py.Group) else _plain(item[()]) for key, item in group.items()}


def _plain(value):
    """h5py scalars and byte strings as Python values; arrays and strings unchanged."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value
