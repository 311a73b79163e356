"""Generates and compiles the chunk function of one network: the whole step loop in Numba.

Each component (population, projection, stimulus, monitor) contributes a few lines of code per
phase of the time step, calling its own ``@njit`` kernels. The generated module is written under
the kernel cache directory and named by a hash of its source and of the neurosim kernels it
calls, so Numba's on-disk cache (``cache=True``) makes the second run of a network start fast
and a change in any kernel recompiles.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import sys
import types
import typing
import warnings

import numpy as np

from .. import kernel_cache
from ..errors import NeurosimWarning

#: Order of the phases inside one time step (Brian2's order: state update, threshold and reset
#: inside "update", then spike propagation). State monitors record after the step's input is
#: summed but before the update, so ``v`` is the value at the start of the step (Brian2's
#: ``when='start'``) and ``i_ext`` the input applied during the step.
PHASES = ("precheck", "clear", "input", "record_state", "update", "propagate", "deliver", "record")

_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]


def cache_dir() -> pathlib.Path:
    """Where generated modules and Numba's cache live: the checked per-user directory of
    :mod:`neurosim.kernel_cache` (``NEUROSIM_CACHE_DIR`` overrides); ``CacheError`` if unusable."""
    return kernel_cache.ensure()


def _kernel_sources_digest() -> str:
    """Hash of neurosim's core sources: generated chunk code is recompiled when they change."""
    digest = hashlib.sha256()
    for path in sorted([*(_PACKAGE_ROOT / "core").rglob("*.py"), *(_PACKAGE_ROOT / "equations").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_DIGEST = None
#: Names of the chunk modules this process has imported (each one is a Numba compilation, or a
#: load from Numba's on-disk cache); ``len(LOADED)`` is what sweeps report as compilations.
LOADED: list[str] = []


def compile_chunk(source: str):
    """Write ``source`` (defining ``run_chunk``) to the cache and import it; returns the function."""
    global _DIGEST
    if _DIGEST is None:
        _DIGEST = _kernel_sources_digest()
    key = hashlib.sha256((source + _DIGEST).encode()).hexdigest()[:20]
    name = f"neurosim_chunk_{key}"
    if name in sys.modules:
        return sys.modules[name].run_chunk
    directory = cache_dir()
    path = directory / f"{name}.py"
    try:
        intact = path.read_text() == source
    except (OSError, UnicodeDecodeError):
        intact = False
    if not intact:
        if path.exists():
            warnings.warn(f"corrupt generated module {path} rewritten", NeurosimWarning, stacklevel=2)
        tmp = directory / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(source)
        os.replace(tmp, path)
    # Executed from ``source`` itself (no .pyc): what runs is what was checked. The file stays for
    # Numba, which keys its on-disk cache by the function's file.
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    LOADED.append(name)
    return module.run_chunk


class ChunkArgument(typing.Protocol):
    """A component that gives a kernel argument afresh for each chunk of steps (monitor buffers,
    waveform values)."""

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray: ...


class CodeWriter:
    """Collects the arguments and per-phase code lines of all components of a network."""

    #: Populations at least this large split their update loop over threads (smaller ones would
    #: lose more to the per-step start of a parallel region, a few microseconds, than they gain).
    PARALLEL_MIN_NEURONS = 10_000
    #: Projections onto populations at least this large propagate spikes over threads (each thread
    #: owns a range of targets; results do not depend on the thread count).
    PARALLEL_MIN_TARGETS = 10_000

    def __init__(self, threads: int = 1, inline_constants: bool = True):
        self.threads = threads
        self.inline_constants = inline_constants
        self.args: dict[str, object] = {}      # argument name -> value (array, Generator, number)
        self.chunk_args: dict[str, ChunkArgument] = {}  # argument name -> component, refreshed per chunk
        self.locals: dict[str, str] = {}        # local variable name -> initial expression
        self.imports: set[str] = set()
        self.lines: dict[str, list[str]] = {phase: [] for phase in PHASES}
        self.definitions: list[str] = []        # module-level functions generated for components (plasticity)
        self._prefix: dict[int, str] = {}

    def prefix(self, component) -> str:
        """The component's name (``E``, ``E_to_I_exc``) when it has one not used yet, else its type
        and a number: generated names read ``E_v``, ``E_to_I_exc_indptr``."""
        key = id(component)
        if key not in self._prefix:
            name = getattr(component, "name", None)
            taken = self._prefix.values()
            if not (isinstance(name, str) and name.isidentifier()) or any(  # no name may extend another
                    name == other or name.startswith(other + "_") or other.startswith(name + "_") for other in taken):
                name = f"{type(component).__name__.lower()}{len(self._prefix)}"
            self._prefix[key] = name
        return self._prefix[key]

    def ref(self, component, local: str) -> str:
        """The name under which ``component``'s array or local ``local`` appears in the code."""
        return f"{self.prefix(component)}_{local}"

    def value(self, component, key: str, array: np.ndarray, index: str = "i") -> str:
        """Code for element ``index`` of a per-neuron parameter: a constant (see :meth:`constant`)
        when all elements are equal (homogeneous parameters then cost no memory traffic), else an
        array argument."""
        array = np.asarray(array)
        if array.size and np.all(array == array.flat[0]):
            return self.constant(component, key, array.flat[0])
        self.args[self.ref(component, key)] = array
        return f"{self.ref(component, key)}[{index}]"

    def constant(self, component, key: str, scalar) -> str:
        """Code for a number fixed during the run: a literal if ``inline_constants`` (the compiler
        can fold it), else a float argument, so networks that differ only in such numbers (the
        points of a parameter sweep) share one compiled loop."""
        if self.inline_constants:
            return repr(float(scalar))
        self.args[self.ref(component, key)] = float(scalar)
        return self.ref(component, key)

    def loop(self, n: int, min_neurons: int | None = None) -> str:
        """``range(n)`` for a loop over independent neurons, ``numba.prange(n)`` when it pays to
        thread it (``n >= min_neurons``, by default ``PARALLEL_MIN_NEURONS``)."""
        threshold = self.PARALLEL_MIN_NEURONS if min_neurons is None else min_neurons
        return f"numba.prange({n})" if self.threads > 1 and n >= threshold else f"range({n})"

    def source(self) -> str:
        names = list(self.args) + list(self.chunk_args)
        parallel = any("numba.prange(" in line for lines in self.lines.values() for line in lines)
        body = ["@numba.njit(cache=True, nogil=True" + (", parallel=True" if parallel else "") + ")",
                f"def run_chunk(step0, n_steps, dt, {', '.join(names)}):"]
        body += [f"    {name} = {init}" for name, init in self.locals.items()]
        body += ["    for k in range(n_steps):", "        step = step0 + k"]
        for phase in PHASES:
            for line in self.lines[phase]:
                body.append("        " + line)
        body.append("    return n_steps")
        header = ["# generated by neurosim.core.codegen; do not edit", "import numba", "import numpy as np"]
        header += sorted(self.imports)
        definitions = [line for source in self.definitions for line in ["", "", source.rstrip("\n")]]
        return "\n".join(header + definitions + ["", ""] + body) + "\n"
