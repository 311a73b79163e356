"""Results <-> HDF5, in the SONATA layouts, written atomically.

Layout (all times in **seconds**, attribute ``units = "s"``; SONATA's convention is ms, but
seconds keep the round trip bit-exact, and the attribute says so):

- ``/spikes/<population>/node_ids`` (int64) and ``/spikes/<population>/timestamps`` (float64),
  attributes ``sorting`` (SONATA's HDF5 enum, ``by_time``) and ``n_neurons``; libsonata's
  ``SpikeReader`` reads them (in s);
- ``/report/<population>/<variable>/data`` (time x neuron, attribute ``units``: SI unit),
  ``mapping/node_ids``, ``mapping/time`` = [start, stop, step] (SONATA) and
  ``mapping/timestamps`` (every sample time, exact);
- ``/rates/<population>/{timestamps, rate}`` (Hz);
- ``/synapses/<projection>/{pre, post, w, ...}``: final state of every plastic projection, one entry
  per synapse (pre and post neuron indices, the weight in SI and the rule's other variables);
- ``/synapse_report/<projection>/<variable>/{data, synapses, timestamps}``: synapse monitors
  (time x synapse; ``synapses`` are indices into ``/synapses/<projection>``);
- ``/analysis/...``: nested groups of datasets (arrays and scalars);
- ``/populations``: attribute per population = number of neurons;
- root attributes: ``seed``, ``dt`` and ``duration`` (s), ``complete``, ``wall_clock_<phase>`` (s)
  and the provenance in ``Results.attributes`` (``neurosim_version``, ``protocol_yaml``, ... as set
  by ``protocol.run``); ``neurosim_version`` is written for results saved from the API too.

``neurosim.io.sonata`` writes the exchange copy in SONATA's units and element-report layout.

The file is assembled in memory (HDF5 core driver), written to a temporary name in the target
directory with plain ``os.write`` calls, flushed to disk and renamed over the target
(``os.replace``): a reader never sees a half-written file, a disk fault (ENOSPC, EFBIG, EIO) raises
:class:`~neurosim.errors.OutputError` with the temporary file removed and any previous file intact,
and HDF5 itself never meets a failing disk. Files get mode ``0666 & ~umask`` (0644 usually).

``load`` checks what it reads: a file that is not HDF5, lacks a required group or attribute,
holds values of the wrong type or declares datasets larger than ``MAX_LOAD_BYTES`` raises
``OutputError`` naming the file and the entry.
"""
from __future__ import annotations

import os
import pathlib
import tempfile

import h5py
import numpy as np

from .._version import __version__
from ..core.results import RateRecord, Results, SpikeTrains, StateRecord
from ..errors import OutputError

#: SONATA's ``sorting`` attribute of spike groups, an HDF5 enum.
_SORTING = h5py.enum_dtype({"none": 0, "by_id": 1, "by_time": 2}, basetype="u1")
_FIELDS = ("seed", "dt", "duration", "complete")
_TIMING = "wall_clock_"


def save(results: Results, path: str | os.PathLike) -> pathlib.Path:
    """Write ``results`` to ``path`` atomically; returns the path. Raises ``OutputError`` on I/O errors."""
    path = pathlib.Path(path)
    try:
        with h5py.File(f"neurosim-{id(results)}.h5", "w", driver="core", backing_store=False,
                       track_order=True) as f:
            _write(f, results)
            f.flush()
            image = f.id.get_file_image()
    except (TypeError, ValueError, OverflowError) as exc:
        raise OutputError(f"cannot store the results ({exc})", str(path)) from None
    write_atomic(path, image)
    return path


def write_atomic(path: pathlib.Path, data: bytes) -> None:
    """``data`` to ``path`` via a temporary file in the same directory, fsync and rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc})", str(path)) from None
    try:
        try:
            os.fchmod(handle, 0o666 & ~_umask())
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view[: 1 << 22]):]
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except OSError as exc:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write the results ({exc.strerror or exc}); nothing was written and any "
                          "previous file there is unchanged", str(path)) from None
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(f: h5py.File, results: Results) -> None:
    f.attrs["neurosim_version"] = __version__  # the writer's, unless the run recorded its own below
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
        group.attrs.create("sorting", 2, dtype=_SORTING)  # SONATA's enum: none 0, by_id 1, by_time 2
        group.attrs["n_neurons"] = trains.n_neurons
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
    for name, rate_record in results.rates.items():
        group = f.create_group(f"rates/{name}")
        group.create_dataset("timestamps", data=rate_record.times).attrs["units"] = "s"
        group.create_dataset("rate", data=rate_record.rate).attrs["units"] = "Hz"
    for name, weights in results.synapses.items():
        group = f.create_group(f"synapses/{name}")
        for variable, values in weights.items():
            group.create_dataset(variable, data=values)
    for name, variables in results.synapse_states.items():
        for variable, record in variables.items():
            group = f.create_group(f"synapse_report/{name}/{variable}")
            group.create_dataset("data", data=record.data)
            group.create_dataset("synapses", data=record.node_ids)
            group.create_dataset("timestamps", data=record.times).attrs["units"] = "s"
    _write_tree(f.create_group("analysis", track_order=True), results.analysis)


def _write_tree(group: h5py.Group, tree: dict) -> None:
    for key, value in tree.items():
        if isinstance(value, dict):
            _write_tree(group.create_group(str(key), track_order=True), value)
        else:
            group.create_dataset(str(key), data=value)


#: Largest total of dataset sizes ``load`` accepts (a hostile file may declare huge compressed data).
MAX_LOAD_BYTES = 16 * 2**30


def load(path: str | os.PathLike) -> Results:
    """Read a results file written by :func:`save`; ``OutputError`` names what is wrong with a bad one."""
    try:
        with h5py.File(path, "r") as f:
            return _read(f)
    except OutputError as exc:
        raise OutputError(exc.message, str(path)) from None
    except (OSError, KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise OutputError(f"not a readable neurosim results file ({reason})", str(path)) from None


def _read(f: h5py.File) -> Results:
    declared = 0

    def data(dataset, kind: str, name: str):
        nonlocal declared
        if not isinstance(dataset, h5py.Dataset):
            raise OutputError(f"{name}: expected a dataset")
        declared += dataset.size * dataset.dtype.itemsize
        if declared > MAX_LOAD_BYTES:
            raise OutputError(f"{name}: datasets larger than {MAX_LOAD_BYTES // 2**30} GiB in all")
        value = dataset[()]
        if kind and (np.ndim(value) != 1 or np.asarray(value).dtype.kind not in kind):
            raise OutputError(f"{name}: expected a 1-D array of {'integers' if kind == 'iu' else 'numbers'}")
        return value

    attributes = {key: _plain(value) for key, value in f.attrs.items()}
    for key in _FIELDS:
        if key not in attributes:
            raise OutputError(f"missing root attribute '{key}'")
    complete = attributes.pop("complete")
    if not isinstance(complete, bool):
        raise OutputError(f"attribute 'complete' = {complete!r}: expected a boolean")
    seed, dt, duration = attributes.pop("seed"), attributes.pop("dt"), attributes.pop("duration")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise OutputError(f"attribute 'seed' = {seed!r}: expected an integer >= 0")
    for name, value in (("dt", dt), ("duration", duration)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
            raise OutputError(f"attribute '{name}' = {value!r}: expected a time >= 0 s")
    results = Results(seed=seed, dt=float(dt), duration=float(duration), complete=complete)
    results.timings = {key[len(_TIMING):]: float(attributes.pop(key)) for key in list(attributes)
                       if key.startswith(_TIMING)}
    results.attributes = attributes
    results.population_sizes = {name: int(n) for name, n in f["populations"].attrs.items()}
    for name, group in f.get("spikes", {}).items():
        results.spikes[name] = SpikeTrains(node_ids=data(group["node_ids"], "iu", f"spikes/{name}/node_ids"),
                                           times=data(group["timestamps"], "f", f"spikes/{name}/timestamps"),
                                           n_neurons=int(group.attrs["n_neurons"]))
    for name, variables in f.get("report", {}).items():
        for variable, group in variables.items():
            where = f"report/{name}/{variable}"
            results.states.setdefault(name, {})[variable] = StateRecord(
                variable, data(group["mapping/node_ids"], "iu", f"{where}/mapping/node_ids"),
                data(group["mapping/timestamps"], "f", f"{where}/mapping/timestamps"),
                data(group["data"], "", f"{where}/data"), unit=str(_plain(group["data"].attrs["units"])))
    for name, group in f.get("rates", {}).items():
        results.rates[name] = RateRecord(times=data(group["timestamps"], "f", f"rates/{name}/timestamps"),
                                         rate=data(group["rate"], "f", f"rates/{name}/rate"))
    for name, group in f.get("synapses", {}).items():
        results.synapses[name] = {variable: data(group[variable], "iu" if variable in ("pre", "post") else "f",
                                                 f"synapses/{name}/{variable}") for variable in group}
    for name, variables in f.get("synapse_report", {}).items():
        for variable, group in variables.items():
            where = f"synapse_report/{name}/{variable}"
            results.synapse_states.setdefault(name, {})[variable] = StateRecord(
                variable, data(group["synapses"], "iu", f"{where}/synapses"),
                data(group["timestamps"], "f", f"{where}/timestamps"), data(group["data"], "", f"{where}/data"))
    results.analysis = _read_tree(f["analysis"], data, "analysis", 0)
    return results


def _read_tree(group: h5py.Group, data, where: str, depth: int) -> dict:
    if depth > 32:
        raise OutputError(f"{where}: groups nested deeper than 32 levels")
    return {key: _read_tree(item, data, f"{where}/{key}", depth + 1) if isinstance(item, h5py.Group)
            else _plain(data(item, "", f"{where}/{key}")) for key, item in group.items()}


def _plain(value):
    """h5py scalars and byte strings as Python values; arrays and strings unchanged."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value
