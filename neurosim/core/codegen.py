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
import re
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
PHASES = ("precheck", "clear", "input", "record_state", "update", "propagate", "learn", "deliver", "record")
#: Phases that run once per step in a batched network, on the whole arrays (every copy): learning
#: rules that average over the copies of a mini-batch (:mod:`neurosim.core.dense_plasticity`).
WHOLE_BATCH_PHASES = ("learn",)

_PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[1]


def cache_dir() -> pathlib.Path:
    """Where generated modules and Numba's cache live: the checked per-user directory of
    :mod:`neurosim.kernel_cache` (``NEUROSIM_CACHE_DIR`` overrides); ``CacheError`` if unusable."""
    return kernel_cache.ensure()


def _kernel_sources_digest() -> str:
    """Hash of neurosim's core sources: generated chunk code is recompiled when they change."""
    return kernel_cache.sources_digest([_PACKAGE_ROOT / "core", _PACKAGE_ROOT / "equations"])


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


class AllCopies(str):
    """A line of code that works on every copy of a batched network at once (its arrays by their
    ``<name>__copies`` argument): the writer emits it outside the per-copy loop of its phase."""


class PerThread(str):
    """A line of code for the block ``_b`` of ``threads`` blocks of its targets (``threads > 1``,
    ending in ``_b, <threads>)``). The writer runs each run of consecutive such lines of a phase
    inside one ``for _b in numba.prange(threads)``, one parallel region for all of them, as
    :func:`schedule` decides: a ``group`` (the lines that write one array, in order) either runs
    split, each thread on its block, or whole (``0, 1)``) on one thread. ``rows`` and ``synapses``
    estimate its work per step: the CSR rows it may walk (its source's size) and its synapses."""

    group: str
    rows: float
    synapses: float

    def __new__(cls, text: str, group: str = "", rows: float = 0.0, synapses: float = 0.0):
        line = super().__new__(cls, text)
        line.group, line.rows, line.synapses = group, rows, synapses
        return line


#: The cost of walking to a spike's CSR row, in synapses added: a row is a memory latency apart from
#: the previous one; each thread of a split group pays it for every row, whole or not (CUBA at
#: N = 100 000 on an AMD EPYC: 49 ns per row, 1.2 ns per synapse).
ROW_COST = 40.0


def schedule(lines: list[PerThread], threads: int) -> tuple[set[str], dict[str, int]]:
    """Which groups of ``lines`` run split over all threads, and on which thread each other group
    runs whole: the plan of least estimated makespan among "split the k costliest groups, place the
    others longest first on the least loaded thread" (k = 0 .. all). Results do not depend on it:
    every array is written by one group, in line order, on one thread per target."""
    whole: dict[str, float] = {}
    split: dict[str, float] = {}
    for line in lines:
        whole[line.group] = whole.get(line.group, 0.0) + ROW_COST * line.rows + line.synapses
        split[line.group] = split.get(line.group, 0.0) + ROW_COST * line.rows + line.synapses / threads
    order = sorted(whole, key=lambda group: -whole[group])  # stable: ties keep line order
    best: tuple[float, set[str], dict[str, int]] | None = None
    for k in range(len(order) + 1):
        loads = [sum(split[group] for group in order[:k])] * threads
        placed = {}
        for group in order[k:]:
            thread = loads.index(min(loads))
            loads[thread] += whole[group]
            placed[group] = thread
        if best is None or max(loads) < best[0]:
            best = (max(loads), set(order[:k]), placed)
    assert best is not None
    return best[1], best[2]


class ChunkArgument(typing.Protocol):
    """A component that gives a kernel argument afresh for each chunk of steps (monitor buffers,
    waveform values)."""

    def chunk_values(self, step0: int, n_steps: int) -> np.ndarray: ...


class CodeWriter:
    """Collects the arguments, locals and per-phase code lines of all components of a network.

    A component's ``emit(w)`` uses this API (never the writer's internals):

    - :meth:`ref` names its arrays (``E_v``, ``E_to_I_exc_indptr``): the component's name, then the local;
    - :meth:`add_argument` / :meth:`add_chunk_argument` pass an array, Generator or number (the
      latter refreshed per chunk by ``component.chunk_values(step, n)``); arguments that no line uses
      are left out of the signature;
    - :meth:`add_local` declares a local of ``run_chunk`` set before the step loop;
    - :meth:`add_import` / :meth:`add_definition` add module-level imports and functions;
    - :meth:`add_lines` appends code to a phase of :data:`PHASES`; the first lines of a component in a
      phase are preceded by a one-line comment naming the component (``# E (lif): update``);
    - :meth:`value`, :meth:`constant` and :meth:`loop` write parameters and loops.
    """

    #: Populations at least this large split their update loop over threads (smaller ones would
    #: lose more to the per-step start of a parallel region, a few microseconds, than they gain).
    PARALLEL_MIN_NEURONS = 10_000
    #: Projections onto populations at least this large propagate spikes over threads (whole on one
    #: thread or split into ranges of targets, see :func:`schedule`; results do not depend on it).
    PARALLEL_MIN_TARGETS = 10_000

    #: The exponentials of generated neuron updates (``exp``): ``vexp`` (:mod:`neurosim.equations.vexp`,
    #: vectorisable, within 1 ulp) or ``libm`` (``math.exp``, a call that keeps the loop scalar).
    EXP: typing.ClassVar[dict[str, tuple[str, str]]] = {
        "vexp": ("vexp", "from neurosim.equations.vexp import vexp"), "libm": ("math.exp", "import math")}

    def __init__(self, threads: int = 1, inline_constants: bool = True, exp: str = "vexp"):
        self.threads = threads
        self.inline_constants = inline_constants
        self.exp = exp
        self._args: dict[str, object] = {}        # argument name -> value (array, Generator, number)
        self._chunk_args: dict[str, ChunkArgument] = {}  # argument name -> component, refreshed per chunk
        self._locals: dict[str, str] = {}         # local variable name -> initial expression
        self._imports: set[str] = set()
        self._lines: dict[str, list[str]] = {phase: [] for phase in PHASES}
        self._definitions: list[str] = []         # module-level functions generated for components (plasticity)
        self._headed: set[tuple[str, int]] = set()
        self._prefix: dict[int, str] = {}
        self._used: set[str] | None = None
        #: Batched networks (:mod:`neurosim.core.batch`): the number of copies, and the ids of the
        #: arguments (arrays, tuples of Generators) whose leading axis is the copy index.
        self.batch: int | None = None
        self.per_copy: set[int] = set()

    # -- the API of components ----------------------------------------------------------------
    def add_argument(self, name: str, value) -> str:
        """Pass ``value`` (array, Generator, number) to the loop as ``name``; returns ``name``.
        Adding a name again is allowed for the same value only (a clash of two components' names
        is a bug: ``ValueError``)."""
        if name in self._args and self._args[name] is not value and not _same(self._args[name], value):
            raise ValueError(f"generated argument '{name}' given two different values (a name clash)")
        self._args[name] = value
        return name

    def add_arguments(self, arguments: dict) -> None:
        """:meth:`add_argument` for every ``name: value`` of ``arguments``."""
        for name, value in arguments.items():
            self.add_argument(name, value)

    def add_chunk_argument(self, name: str, component: ChunkArgument) -> str:
        """An argument refreshed per chunk with ``component.chunk_values(step, n_steps)``."""
        self._chunk_args[name] = component
        return name

    def add_local(self, name: str, initial: str) -> str:
        """A local of ``run_chunk`` set to the code ``initial`` before the step loop."""
        self._locals[name] = initial
        return name

    def add_import(self, *lines: str) -> None:
        """Module-level imports of the generated code (``"from neurosim.core.synapses import deliver"``)."""
        self._imports.update(lines)

    def exp_call(self) -> str:
        """The name of the exponential function generated updates call (:data:`EXP`); adds its import."""
        name, line = self.EXP[self.exp]
        self.add_import(line)
        return name

    def add_definition(self, source: str) -> None:
        """A module-level function generated for a component (its source)."""
        self._definitions.append(source)

    def add_lines(self, phase: str, component, lines, what: str | None = None) -> None:
        """Append ``lines`` (a string or a list) to ``phase``; the first lines of ``component`` in
        ``phase`` get a header comment ``# <name> (<what>): <phase>``."""
        if phase not in self._lines:
            raise ValueError(f"unknown phase '{phase}'; phases: {', '.join(PHASES)}")
        lines = [lines] if isinstance(lines, str) else list(lines)
        key = (phase, id(component))
        if component is not None and key not in self._headed:
            self._headed.add(key)
            kind = what or getattr(component, "model", "") or type(component).__name__
            self._lines[phase].append(f"# {self.prefix(component)} ({kind}): {phase}")
        self._lines[phase] += lines

    # -- what the simulator reads ---------------------------------------------------------------
    @property
    def args(self) -> dict[str, object]:
        """The loop's arguments in signature order (after :meth:`source`: only those it uses)."""
        return {k: v for k, v in self._args.items() if self._used is None or k in self._used}

    @property
    def chunk_args(self) -> dict[str, ChunkArgument]:
        """Per-chunk arguments: name -> the component that fills them (after :meth:`source`: used ones)."""
        return {k: v for k, v in self._chunk_args.items() if self._used is None or k in self._used}

    def prefix(self, component) -> str:
        """The component's name (``E``, ``E_to_I_exc``) when it is an identifier not used yet (and
        without ``__``, which separates a population's loop locals: ``E__v``), else its type and a
        number: generated names read ``E_v``, ``E_to_I_exc_indptr``. Two components' arguments
        that would still share a name are refused by :meth:`add_argument`."""
        key = id(component)
        if key not in self._prefix:
            name = getattr(component, "name", None)
            if not (isinstance(name, str) and name.isidentifier()) or "__" in name or name in self._prefix.values():
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
        self.add_argument(self.ref(component, key), array)
        return f"{self.ref(component, key)}[{index}]"

    def constant(self, component, key: str, scalar) -> str:
        """Code for a number fixed during the run: a literal if ``inline_constants`` (the compiler
        can fold it), else a float argument, so networks that differ only in such numbers (the
        points of a parameter sweep) share one compiled loop."""
        if self.inline_constants:
            return repr(float(scalar))
        self.add_argument(self.ref(component, key), float(scalar))
        return self.ref(component, key)

    def loop(self, n: int, min_neurons: int | None = None) -> str:
        """``range(n)`` for a loop over independent neurons, ``numba.prange(n)`` when it pays to
        thread it (``n >= min_neurons``, by default ``PARALLEL_MIN_NEURONS``)."""
        threshold = self.PARALLEL_MIN_NEURONS if min_neurons is None else min_neurons
        return f"numba.prange({n})" if self.threads > 1 and n >= threshold else f"range({n})"

    def copies(self, value):
        """Mark ``value`` (an argument) as holding one entry per copy of a batched network; returns it."""
        self.per_copy.add(id(value))
        return value

    def whole(self, component, local: str) -> str:
        """The name of ``component``'s array ``local`` with every copy (``(B, ...)``) for code in a
        whole-batch phase; the array itself in an unbatched network or if it has no copy axis."""
        name = self.ref(component, local)
        if self.batch is not None and id(self.args.get(name)) in self.per_copy:
            return f"{name}__copies"
        return name

    def source(self, serial: bool = False) -> str:
        """The module defining ``run_chunk(step0, n_steps, dt, *args)``; unused arguments are dropped.
        In a batched network each phase runs once per copy on that copy's rows (``<name>__copies[_copy]``),
        except :class:`AllCopies` lines, which work on all copies at once. ``serial``: the
        :class:`PerThread` lines as the serial loop writes them (what checkpoints compare: results
        do not depend on the threads)."""
        loop = [line for phase in PHASES for line in self._lines[phase]]
        definitions = [line for source in self._definitions for line in ["", "", source.rstrip("\n")]]
        code = "\n".join([*self._locals.values(), *loop, *definitions])
        used = set(_IDENT.findall(code))
        used |= {name.removesuffix("__copies") for name in used if name.endswith("__copies")}
        self._used = {name for name in [*self._args, *self._chunk_args] if name in used}
        names = [*self.args, *self.chunk_args]
        parallel = any((isinstance(line, PerThread) and not serial) or "numba.prange(" in line for line in loop)
        per_copy: set[str] = set()
        if self.batch is not None:
            per_copy = {name for name, value in self.args.items() if id(value) in self.per_copy}
            per_copy |= {name for name, component in self.chunk_args.items() if id(component) in self.per_copy}
        signature = [f"{name}__copies" if name in per_copy else name for name in names]
        # error_model "numpy": a float division by zero gives inf or nan (caught by the simulator's
        # check of the state after each chunk) instead of a ZeroDivisionError test per division,
        # whose branch keeps LLVM from vectorising a loop that divides (conductance LIF, HH)
        options = "cache=True, nogil=True, error_model=\"numpy\"" + (", parallel=True" if parallel else "")
        body = [f"@numba.njit({options})",
                f"def run_chunk(step0, n_steps, dt, {', '.join(signature)}):"]
        body += [f"    {name} = {init}" for name, init in self._locals.items()]
        if per_copy:  # the number of copies from an argument: the source (one compilation) serves any batch size
            body.append(f"    _batch = len({min(per_copy)}__copies)")
        body += ["    for k in range(n_steps):", "        step = step0 + k"]
        for phase in PHASES:
            if self.batch is None or phase in WHOLE_BATCH_PHASES:
                body += [self.INDENT + line for line in self._per_thread(self._lines[phase], serial)]
                continue
            groups: list[list[str]] = []  # runs of per-copy lines, and AllCopies lines alone
            for line in self._lines[phase]:
                if isinstance(line, AllCopies) or not groups or isinstance(groups[-1][0], AllCopies):
                    groups.append([])
                groups[-1].append(line)
            for group in groups:
                if isinstance(group[0], AllCopies) or all(line.lstrip().startswith("#") for line in group):
                    body += [self.INDENT + line for line in group]
                    continue
                text = "\n".join(group)
                body.append(f"{self.INDENT}for _copy in range(_batch):")
                body += [f"{self.INDENT}    {name} = {name}__copies[_copy]" for name in sorted(per_copy)
                         if re.search(rf"\b{name}\b", text)]
                body += [f"{self.INDENT}    " + line for line in self._per_thread(group, serial)]
        body.append("    return n_steps")
        header = ["# generated by neurosim.core.codegen; do not edit", "import numba", "import numpy as np"]
        header += sorted(self._imports)
        return "\n".join(header + definitions + ["", ""] + body) + "\n"

    INDENT = "        "  # the body of the step loop

    def _per_thread(self, lines: list[str], serial: bool = False) -> list[str]:
        """``lines`` with every run of :class:`PerThread` lines (and the comments before each)
        inside one ``for _b in numba.prange(threads):``: first the lines of split groups, then per
        thread (``if _b == t:``) those of the groups it runs whole (:func:`schedule`). With
        ``serial``, every PerThread line is written as the serial loop has it (``0, 1)``)."""
        out: list[str] = []
        run: list[tuple[list[str], PerThread]] = []  # the current run: (comments, line)
        pending: list[str] = []  # comments not yet placed: they go with the next line

        def close() -> None:
            if not run:
                return
            split, placed = schedule([line for _, line in run], self.threads)
            out.append(f"for _b in numba.prange({self.threads}):")
            for comments, line in run:
                if line.group in split:
                    out.extend("    " + text for text in [*comments, line])
            for thread in sorted(set(placed.values())):
                out.append(f"    if _b == {thread}:")
                for comments, line in run:
                    if placed.get(line.group) == thread:
                        out.extend("        " + text for text in [*comments, _whole(line)])
            run.clear()

        for line in lines:
            if line.lstrip().startswith("#"):
                pending.append(line)
            elif isinstance(line, PerThread) and not serial:
                run.append((pending[:], line))
                pending.clear()
            else:
                close()
                out.extend([*pending, _whole(line) if isinstance(line, PerThread) else line])
                pending.clear()
        close()
        return out + pending


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _whole(line: str) -> str:
    """A :class:`PerThread` line for all targets at once (``_b, <threads>)`` -> ``0, 1)``)."""
    return re.sub(r", _b, \d+\)$", ", 0, 1)", line)


def _same(a, b) -> bool:
    """Whether two argument values are equal (arrays: same dtype, shape and elements)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and not isinstance(a, (np.ndarray, np.random.Generator)) and a == b
