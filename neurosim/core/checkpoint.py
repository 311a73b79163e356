"""Checkpoints: the complete run state of a :class:`~neurosim.core.simulator.Simulator` in one ``.npz``.

The run state is everything the compiled loop can change plus what the monitors recorded: every
array argument of the generated step loop (state variables, receptor states, ring buffers and the
spike lists of the last step; the ring's phase is the step count), the state of every run-time
``numpy.random.Generator`` (Poisson sources, noise, stochastic units), the monitors' recorded data
and the step count. Arrays that the loop only reads and that can be large (a projection's CSR
synapse arrays, listed in a component's ``constant_arrays``) are stored as a SHA-256 digest, and
buffers that every chunk overwrites before reading (``scratch_arrays``: a spike monitor's chunk
buffers) are not stored.

Restoring needs a simulator built from the same description: its build reproduces every constant
array (same seed, same rules), and the checkpoint is refused with a
:class:`~neurosim.errors.CheckpointError` when the time step, dtype, seed, generated code (the
network description as compiled, ignoring only how loops are split over threads), neurosim's kernel
sources, the fingerprint of the freshly built arrays (heterogeneous parameters, initial values), an
array's shape or a constant array's digest differ. Arrays are then copied *into* the
simulator's arrays (so views such as the spike-flag words stay views) and Generators get their
saved state, so the continued run is bit-identical to an uninterrupted one.

Files are written to a temporary file in the same directory and moved into place with
``os.replace``, so a checkpoint is either the old or the new one, never half written. No pickle:
metadata is JSON, arrays are ``.npy`` members (``numpy.load(..., allow_pickle=False)``).
"""
from __future__ import annotations

import hashlib
import json
import os
import pathlib

import numpy as np

from ..errors import CheckpointError
from . import codegen
from .connectivity import homogeneous

FORMAT, VERSION = "neurosim-checkpoint", 1


def _digest(array: np.ndarray) -> str:
    data = array[:1] if homogeneous(array) else np.ascontiguousarray(array)  # one weight for all: no copy
    digest = hashlib.sha256(f"{data.dtype.str}{array.shape}".encode())
    if data.size:
        digest.update(data.data.cast("B"))
    return digest.hexdigest()


def _code_hash(simulator) -> str:
    """Hash of the generated loop (threading of loops removed: results do not depend on it) and of
    neurosim's kernel sources."""
    source = simulator.writer.source(serial=True).replace("numba.prange(", "range(").replace(", parallel=True", "")
    if codegen._DIGEST is None:
        codegen._DIGEST = codegen._kernel_sources_digest()
    return hashlib.sha256((source + codegen._DIGEST).encode()).hexdigest()


def _components(simulator):
    net = simulator.network
    return [*net.populations.values(), *net.stimuli, *net.projections, *net.monitors]


def _names(simulator, kind: str) -> set[str]:
    """Loop arguments that components list in ``constant_arrays`` (read only) or ``scratch_arrays``
    (overwritten before they are read in every chunk)."""
    writer = simulator.writer
    return {writer.ref(component, local) for component in _components(simulator)
            for local in getattr(component, kind, ()) if writer.ref(component, local) in writer.args}


def _constant_names(simulator) -> set[str]:
    return _names(simulator, "constant_arrays") | _names(simulator, "scratch_arrays")


def fingerprint(simulator) -> str:
    """Hash of every non-constant array (parameters, initial state, buffers) and scalar argument of
    the loop, taken right after the build: two builds agree exactly when their descriptions do."""
    constants = _constant_names(simulator)
    digest = hashlib.sha1()
    for name, value in simulator.writer.args.items():
        if isinstance(value, np.ndarray) and name not in constants:
            data = np.ascontiguousarray(value)
            digest.update(f"{name}{data.dtype.str}{data.shape}".encode())
            if data.size:
                digest.update(data.data.cast("B"))
        elif not isinstance(value, (np.ndarray, np.random.Generator)):
            digest.update(f"{name}={value!r}".encode())
    return digest.hexdigest()


def _header(simulator) -> dict:
    return {"format": FORMAT, "version": VERSION, "dt": simulator.dt, "dtype": np.dtype(simulator.dtype).name,
            "seed": simulator.network.seed, "code": _code_hash(simulator), "built": simulator.fingerprint}


def save(simulator, path) -> None:
    """Write ``simulator``'s run state to ``path`` atomically (see the module doc)."""
    path = pathlib.Path(path)
    constants, scratch = _names(simulator, "constant_arrays"), _names(simulator, "scratch_arrays")
    arrays, meta = {}, {**_header(simulator), "step": simulator.step, "arrays": {}, "constants": {},
                        "scratch": [], "generators": {}, "scalars": {}, "monitors": []}
    for name, value in simulator.writer.args.items():
        if isinstance(value, np.random.Generator):
            meta["generators"][name] = value.bit_generator.state
        elif isinstance(value, np.ndarray) and name in scratch:
            meta["scratch"].append(name)
        elif isinstance(value, np.ndarray) and name in constants:
            meta["constants"][name] = _digest(value)
        elif isinstance(value, np.ndarray):
            arrays[f"args/{name}"] = value
            meta["arrays"][name] = [value.dtype.str, list(value.shape)]
        else:
            meta["scalars"][name] = repr(value)
    for index, monitor in enumerate(simulator.network.monitors):
        state = monitor.run_state()
        meta["monitors"].append(sorted(state))
        arrays.update({f"monitors/{index}/{key}": value for key, value in state.items()})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            # numpy's stub types **kwds against savez's allow_pickle: bool; the keys here are array names
            np.savez(handle, __meta__=np.array(json.dumps(meta)), **arrays)  # type: ignore[arg-type]
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise CheckpointError(f"cannot write checkpoint {path}: {error.strerror or error}") from None


def load(simulator, path) -> None:
    """Restore the run state saved in ``path`` into ``simulator`` (built from the same network)."""
    path = pathlib.Path(path)
    try:
        archive = np.load(path, allow_pickle=False)
        meta = json.loads(str(archive["__meta__"]))
    except (OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from None
    with archive:
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise CheckpointError(f"{path} is not a neurosim checkpoint of format version {VERSION}")
        header = _header(simulator)
        for key, what in (("dt", "time step dt"), ("dtype", "dtype"), ("seed", "network seed")):
            if meta[key] != header[key]:
                raise CheckpointError(f"checkpoint {path} was written with {what} = {meta[key]!r}, "
                                      f"this simulator has {header[key]!r}")
        if meta["code"] != header["code"]:
            raise CheckpointError(f"checkpoint {path} belongs to a different network or neurosim version: "
                                  "the generated step loop differs (populations, parameters, connections, "
                                  "stimuli or monitors changed, or neurosim's kernels were updated)")
        if meta["built"] != header["built"]:
            raise CheckpointError(f"checkpoint {path} belongs to a different network: parameters or initial "
                                  "values built here differ from those of the checkpointed run")
        args = simulator.writer.args
        expected = {name for name, value in args.items() if isinstance(value, (np.ndarray, np.random.Generator))}
        saved = set(meta["arrays"]) | set(meta["constants"]) | set(meta["scratch"]) | set(meta["generators"])
        if saved != expected:
            raise CheckpointError(f"checkpoint {path} does not match this network: arrays "
                                  f"{sorted(saved ^ expected)[:5]} are in one but not the other")
        for name, text in meta["scalars"].items():
            if repr(args.get(name)) != text:
                raise CheckpointError(f"checkpoint {path} does not match this network: {name} = {text}, "
                                      f"here {args.get(name)!r}")
        for name, digest in meta["constants"].items():
            if _digest(args[name]) != digest:
                raise CheckpointError(f"checkpoint {path} does not match this network: the synapses "
                                      f"({name}) built here differ from the checkpoint's")
        for name, (dtype, shape) in meta["arrays"].items():
            if args[name].dtype.str != dtype or list(args[name].shape) != shape:
                raise CheckpointError(f"checkpoint {path} does not match this network: {name} has dtype "
                                      f"{dtype} and shape {tuple(shape)}, here {args[name].dtype.str} "
                                      f"and {args[name].shape}")
        for name in meta["arrays"]:
            args[name][...] = archive[f"args/{name}"]
        for name, state in meta["generators"].items():
            args[name].bit_generator.state = state
        for index, (monitor, keys) in enumerate(zip(simulator.network.monitors, meta["monitors"], strict=True)):
            monitor.load_run_state({key: archive[f"monitors/{index}/{key}"] for key in keys})
        simulator.step = int(meta["step"])
        simulator.complete = True
