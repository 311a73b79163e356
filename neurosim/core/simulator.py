"""The clock: builds a network for a time step, compiles its step loop and runs it in chunks.

Inside a step, in order (Brian2's schedule): state monitors record; inputs are cleared and
stimuli and dense projections add to them; every population updates its state, applies its
threshold and reset; spikes propagate into ring buffers; receptor states receive what arrives
now; spike and rate monitors record. A chunk of steps runs entirely inside one compiled call.
Between chunks: monitor buffers are flushed, states are checked for NaN/inf, progress is
reported and Ctrl-C is honoured (the run stops cleanly and its results are marked incomplete).

The :class:`Network` given to a simulator is a description that the simulator never changes: it
builds a private deep copy (``simulator.network``), and everything a run changes (state arrays,
receptor states, ring buffers, monitor contents, run-time Generators) belongs to that copy. So
several simulators can run one network independently, and ``reset()`` rebuilds from the
description. ``checkpoint(path)`` / ``restore(path)`` save and load the run state
(:mod:`neurosim.core.checkpoint`); pickling a simulator is refused in favour of them.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import re
import signal
import threading
import time

import numba
import numpy as np

from ..errors import ParameterError, SimulationError
from ..rng import generator
from ..units import quantity, ureg
from . import batch, openmp
from .codegen import CodeWriter, compile_chunk
from .monitors import RateMonitor, SpikeMonitor, StateMonitor, SynapseMonitor
from .network import Network
from .population import Population
from .results import Results
from .timegrid import to_steps

log = logging.getLogger(__name__)  # ``neurosim.core.simulator``: one INFO line per phase

DTYPES: dict[str, type[np.floating]] = {"float64": np.float64, "float32": np.float32}


class Simulator:
    """Runs a :class:`Network` with a fixed step ``dt`` (s).

    ``dtype`` ('float64' or 'float32') sets the precision of state arrays; ``threads`` the number
    of threads of the compiled loop (results are identical for a fixed seed and thread count).
    ``network`` is the simulator's own built copy of the description ``description``; read built
    arrays and state through it or :meth:`population`.
    ``source`` is the generated step loop (a Python module defining ``run_chunk``; ``neurosim run
    --show-code`` writes it next to the results). ``jit=False`` runs that same source as plain
    Python calling the compiled kernels: slow, for inspection and debugging; results are
    bit-identical. If Numba refuses the loop, the error names the population, its model and the
    equation the failing line was generated from.
    ``inline_constants`` False passes homogeneous parameters and receptor coefficients to the
    loop as arguments instead of literals, so that networks differing only in parameter values
    (sweep points) reuse one compiled loop (see :class:`~neurosim.core.codegen.CodeWriter`).
    ``exp`` is the exponential of the neuron updates: ``"vexp"`` (:mod:`neurosim.equations.vexp`,
    vectorisable, within 1 ulp) or ``"libm"`` (``math.exp``, within 0.5 ulp; the loop stays scalar).
    """

    def __init__(self, network: Network, dt="0.1 ms", dtype: str = "float64", threads: int = 1,
                 target_chunk_seconds: float = 0.25, jit: bool = True, inline_constants: bool = True,
                 exp: str = "vexp"):
        if isinstance(dt, (str, ureg.Quantity, int, float, np.integer, np.floating)) and not isinstance(dt, bool):
            dt = quantity(dt, "time", "dt")  # "0.1 ms", 0.1 * neurosim.ms; SI floats in si_floats()
        if not isinstance(dt, float) or not np.isfinite(dt) or dt <= 0:
            raise ParameterError("dt", dt, "a time step > 0 s")
        if dtype not in DTYPES:
            raise ParameterError("dtype", dtype, f"one of {list(DTYPES)}")
        most = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # numba.config sets it from the environment
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= most:
            raise ParameterError("threads", threads, f"an integer in [1, {most}]")
        if not isinstance(network, Network):
            raise ParameterError("network", type(network).__name__, "a neurosim.core.network.Network")
        self.description, self.dt, self.dtype, self.threads = network, float(dt), DTYPES[dtype], threads
        self.target_chunk_seconds = target_chunk_seconds
        if not isinstance(jit, bool):
            raise ParameterError("jit", jit, "True or False")
        self.jit = jit
        if not isinstance(inline_constants, bool):
            raise ParameterError("inline_constants", inline_constants, "True or False")
        self.inline_constants = inline_constants
        if exp not in CodeWriter.EXP:
            raise ParameterError("exp", exp, f"one of {list(CodeWriter.EXP)}")
        self.exp = exp
        self._chunk = None
        self.reset()

    def reset(self) -> None:
        """Rebuild the run state from the description: step 0, the same initial values,
        connectivity and random streams, so the next run repeats the first one exactly."""
        self.step = 0
        self.complete = True
        self.timings = {"build": 0.0, "first_chunk": 0.0, "run": 0.0}
        started = time.perf_counter()
        self._build()
        self.timings["build"] = time.perf_counter() - started
        net = self.network
        log.info("build: %d neurons in %d populations, %d synapses in %d projections in %.2f s",
                 sum(pop.n for pop in net.populations.values()), len(net.populations),
                 sum(_synapse_count(p) for p in net.projections), len(net.projections), self.timings["build"])

    def population(self, name: str) -> Population:
        """The simulator's built population ``name`` (its ``state``, ``z``, ... are this run's)."""
        return self.network.population(name)

    def __reduce__(self):
        raise TypeError("a neurosim Simulator cannot be pickled (its compiled loop and the aliasing of "
                        "its arrays do not survive pickling); save the run with Simulator.checkpoint(path) "
                        "and continue it with Simulator(network, ...).restore(path)")

    # -- build ---------------------------------------------------------------------------------
    def _build(self) -> None:
        self.network = copy.deepcopy(self.description)  # the user's objects are never built or run
        net, dt, seed = self.network, self.dt, self.network.seed
        batched = net.batch is not None
        if batched:
            batch.check(net)
        for pop in net.populations.values():
            if batched:
                batch.build_population(pop, dt, self.dtype, seed, net)
                continue
            with _owned("population", pop.name):
                pop.build(dt, self.dtype, generator(seed, "build", f"population:{pop.name}"))
            pop.run_rng = generator(seed, "run", f"population:{pop.name}")
        ring = {name: 0 for name in net.populations}  # 0: no delayed input, no ring buffer
        for projection in net.projections:
            if batched:
                batch.build_projection(projection, dt, seed, net)
            else:
                with _owned("projection", projection.name):
                    projection.build(dt, generator(seed, "build", f"projection:{projection.name}"))
            if not getattr(projection, "immediate", True):
                ring[projection.post.name] = max(ring[projection.post.name], projection.max_delay + 1)
        for pop in net.populations.values():
            pop.allocate_ring(ring[pop.name])
            if batched and pop.ring_length:
                pop.ring = np.zeros((net.batch, *pop.ring.shape), pop.ring.dtype)
        for stimulus in net.stimuli:
            if batched:
                batch.build_stimulus(stimulus, dt, self.dtype, seed, net)
                continue
            with _owned("stimulus", stimulus.name):
                stimulus.build(dt, self.dtype, generator(seed, "build", f"stimulus:{stimulus.name}"))
            stimulus.run_rng = generator(seed, "run", f"stimulus:{stimulus.name}")
        for index, projection in enumerate(net.projections):  # a summed input is read once it is complete
            if getattr(projection, "source", None) == "i_ext":
                later = [p.name for p in net.projections[index + 1:] if p.post is projection.pre]
                if later:
                    raise ParameterError(f"projection '{projection.name}': source", "i_ext",
                                         f"a projection added after those into '{projection.pre.name}' ({later})")
        driven = ({id(s.target) for s in net.stimuli}
                  | {id(post) for p in net.projections
                     if not hasattr(p, "receptor") or getattr(p, "drives_input", False)
                     for post in getattr(p, "posts", (p.post,))})
        for pop in net.populations.values():
            pop.has_input = id(pop) in driven
        seen = set()
        for monitor in net.monitors:
            key = (type(monitor).__name__, monitor.population.name, getattr(monitor, "variable", ""))
            if key in seen:
                raise ParameterError("monitor", f"{key[0]} of '{key[1]}' {key[2]}".strip(),
                                     "one monitor per kind and variable")
            seen.add(key)
        writer = CodeWriter(self.threads, self.inline_constants, self.exp)
        if batched:
            writer.batch = net.batch
            for value in batch.per_copy_arguments(net):
                writer.copies(value)
        for component in [*net.populations.values(), *net.stimuli, *net.projections, *net.monitors]:
            component.emit(writer)
        self.writer = writer
        source = writer.source()
        if source != getattr(self, "source", None):
            self._chunk = None
        self.source = source
        from .checkpoint import fingerprint
        # of the built arrays: a checkpoint is restored only into the same build (batched networks have none)
        self.fingerprint = None if batched else fingerprint(self)

    def _compiled(self):
        if self._chunk is None:
            try:
                self._chunk = compile_chunk(self.source)
            except SyntaxError as exc:
                raise _compile_error(exc, exc.lineno, self.source, self.network) from None
            if not self.jit:
                self._chunk = self._chunk.py_func
        return self._chunk

    # -- run -----------------------------------------------------------------------------------
    def run(self, duration: float, progress=None) -> Results:
        """Advance by ``duration`` (s); returns the results so far (``complete`` False if interrupted).

        ``progress(done_steps, total_steps)`` is called after every chunk.
        """
        if isinstance(duration, (str, ureg.Quantity, int, float, np.integer, np.floating)) \
                and not isinstance(duration, bool):
            duration = quantity(duration, "time", "duration")  # "1 s"; SI floats in si_floats()
        if not isinstance(duration, float) or not np.isfinite(duration) or duration < 0:
            raise ParameterError("duration", duration, "a time >= 0 s")
        total = to_steps(duration, self.dt, "duration", "run duration")
        interrupted = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.set())
        openmp.configure_waiting()  # before the first run loads libgomp
        numba.set_num_threads(self.threads)
        chunk = self._compiled()
        stops = [component for component in [*self.network.monitors, *self.network.populations.values()]
                 if hasattr(component, "stopped")]  # Settle (core.settle), asynchronous binary units
        for component in stops:
            component.start()
        started = time.perf_counter()
        try:
            done, n_chunk = 0, min(total, 100)
            while done < total and not interrupted.is_set():
                n_chunk = max(1, min(n_chunk, total - done))
                for monitor in self.network.monitors:
                    monitor.prepare_chunk(n_chunk)
                args = list(self.writer.args.values())
                args += [component.chunk_values(self.step, n_chunk) for component in self.writer.chunk_args.values()]
                chunk_start = time.perf_counter()
                try:
                    n_done = chunk(self.step, n_chunk, self.dt, *args)
                except numba.core.errors.NumbaError as exc:  # raised while compiling, never while running
                    loc = getattr(exc, "loc", None)
                    found = _CHUNK_LINE.findall(str(exc))
                    line = getattr(loc, "line", None) if "neurosim_chunk_" in str(getattr(loc, "filename", "")) \
                        else (int(found[0]) if found else None)
                    raise _compile_error(exc, line, self.source, self.network) from None
                elapsed = time.perf_counter() - chunk_start
                if self.step == 0:
                    self.timings["first_chunk"] = elapsed
                    _log_compilation(chunk, elapsed)
                for monitor in self.network.monitors:
                    monitor.flush(self.step, n_done, self.dt)
                self.step += n_done
                done += n_done
                self._check_finite(self.step - n_done)
                if progress is not None:
                    progress(done, total)
                if any(component.stopped(self.step) for component in stops):
                    break
                if n_done == n_chunk and elapsed > 0:
                    n_chunk = int(np.clip(n_chunk * self.target_chunk_seconds / elapsed, 10, 1_000_000))
        except SimulationError:
            self.complete = False
            raise
        finally:
            self.timings["run"] += time.perf_counter() - started
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if interrupted.is_set():
            self.complete = False
        wall = time.perf_counter() - started
        log.info("run: %.4g s of model time (%d steps) in %.2f s%s", done * self.dt, done, wall,
                 "" if self.complete else ", interrupted")
        return self.results()

    def _check_finite(self, chunk_start: int) -> None:
        for pop in self.network.populations.values():
            for variable, array in [*pop.state.items(), ("synaptic state", pop.z)]:
                if array.size and not np.all(np.isfinite(array)):
                    bad = np.argwhere(~np.isfinite(np.atleast_2d(array)))[0][-1]
                    value = np.atleast_2d(array)[:, bad]
                    raise SimulationError(
                        f"population '{pop.name}': {variable} of neuron {bad} became {value[~np.isfinite(value)][0]} "
                        f"between t = {chunk_start * self.dt:.6g} s and t = {self.step * self.dt:.6g} s "
                        f"(dt = {self.dt} s; check parameters, inputs and dt)",
                        time=self.step * self.dt, population=pop.name, index=int(bad))

    def results(self, copy: int | None = None):
        """Everything recorded so far. For a batched network: the :class:`Results` of copy ``copy``
        (an index in ``range(batch)``), or a list with one per copy when ``copy`` is None."""
        batch = self.network.batch
        if batch is None and copy is not None:
            raise ParameterError("results: copy", copy, "None (the network is not batched)")
        if batch is not None:
            if copy is None:
                return [self.results(c) for c in range(batch)]
            if isinstance(copy, bool) or not isinstance(copy, (int, np.integer)) or not 0 <= copy < batch:
                raise ParameterError("results: copy", copy, f"an index in [0, {batch})")
        results = Results(dt=self.dt, duration=self.step * self.dt, seed=self.network.seed, complete=self.complete,
                          population_sizes={name: pop.n for name, pop in self.network.populations.items()},
                          timings=dict(self.timings))
        for projection in self.network.projections:
            if hasattr(projection, "synaptic_state"):
                results.synapses[projection.name] = projection.synaptic_state()
        for monitor in self.network.monitors:
            name = monitor.population.name
            if isinstance(monitor, SpikeMonitor):
                results.spikes[name] = monitor.result(self.dt, copy)
            elif isinstance(monitor, StateMonitor):
                results.states.setdefault(name, {})[monitor.variable] = monitor.result(self.dt, copy)
            elif isinstance(monitor, SynapseMonitor):
                results.synapse_states.setdefault(monitor.projection.name, {})[monitor.local] = monitor.result(self.dt)
            elif isinstance(monitor, RateMonitor):
                results.rates[name] = monitor.result(self.dt, copy)
        return results

    # -- checkpoints ---------------------------------------------------------------------------
    def checkpoint(self, path) -> None:
        """Write the complete run state to ``path`` (an ``.npz`` file, written atomically)."""
        if self.network.batch is not None:
            raise ParameterError("checkpoint", f"batch = {self.network.batch}", "an unbatched network (batched "
                                 "networks have no checkpoints yet)")
        from .checkpoint import save
        save(self, path)

    def restore(self, path) -> Simulator:
        """Continue the run saved in ``path`` by :meth:`checkpoint`; this simulator must be built from
        the same network description, ``dt`` and ``dtype`` (else :class:`CheckpointError`). Returns self."""
        if self.network.batch is not None:
            raise ParameterError("restore", f"batch = {self.network.batch}", "an unbatched network (batched "
                                 "networks have no checkpoints yet)")
        from .checkpoint import load
        load(self, path)
        return self


@contextlib.contextmanager
def _owned(kind: str, name: str):
    """A ``ParameterError`` raised while building component ``(kind, name)`` carries it as ``owner``."""
    try:
        yield
    except ParameterError as exc:
        if exc.owner is None:
            exc.owner = (kind, name)
        raise


def _synapse_count(projection) -> int:
    """Synapses of a built projection: CSR entries, or the nonzero entries of a dense matrix."""
    if hasattr(projection, "indices"):
        return int(projection.indices.size)
    return int(np.count_nonzero(getattr(projection, "post_matrix", np.zeros(0))))


_CHUNK_LINE = re.compile(r'neurosim_chunk_[0-9a-f]+\.py", line (\d+)')
_HEADER = re.compile(r"#\s+(\S+) \(model '([^']+)'")  # the header CodeWriter.add_lines writes


def _compile_error(exc: BaseException, line: int | None, source: str, network: Network) -> SimulationError:
    """Numba's (or Python's) refusal of the generated loop, located in the model it came from: the
    population and model whose code holds ``line`` (1-based in ``source``), and the equation or
    reset statement the failing local was generated from."""
    told = [text.strip() for text in str(exc).strip().splitlines() if text.strip()]
    reason = told[1] if len(told) > 1 and told[0].startswith("Failed in") else (told or [type(exc).__name__])[0]
    lines = source.splitlines()
    if line is None or not 1 <= line <= len(lines):
        return SimulationError(f"the generated step loop does not compile ({reason}); "
                               "inspect Simulator.source (neurosim run --show-code writes it)")
    code = lines[line - 1].strip()
    where = ""
    for previous in reversed(lines[:line]):
        header = _HEADER.match(previous.strip())
        if header:
            population, model = header.groups()
            where = f"population '{population}' (model '{model}'"
            definition = getattr(network.populations.get(population), "definition", None)
            where += _equation_of(definition, code) + "), "
            break
    return SimulationError(f"the generated step loop does not compile: {where}step loop line {line} "
                           f"'{code}': {reason} (Simulator.source holds the loop; "
                           f"neurosim run --show-code writes it)")


def _equation_of(definition, code: str) -> str:
    """``", equation '...'"``: the model equation (or reset statement) a generated assignment computes."""
    if definition is None or "__" not in code.split("=")[0]:
        return ""
    local = code.split("=")[0].strip().split("__", 1)[1]
    reset = re.fullmatch(r"(\w+)_r(\d+)", local)
    if reset and reset.group(1) in definition.states:
        reset_text = definition.reset if isinstance(definition.reset, str) else "\n".join(definition.reset or [])
        statements = [s.strip() for s in re.split(r"[;\n]", reset_text) if s.strip()]
        index = int(reset.group(2))
        return f", reset '{statements[index]}'" if index < len(statements) else ""
    state = local[4:] if local.startswith("new_") else None
    for text in definition.text.splitlines():
        if state is not None and re.match(rf"\s*d{state}\s*/\s*dt\s*=", text):
            return f", equation '{text.strip()}'"
    return f", equations '{'; '.join(t.strip() for t in definition.text.splitlines() if t.strip())}'"


def _log_compilation(chunk, elapsed: float) -> None:
    """Log whether the first chunk compiled the step loop or loaded it from Numba's on-disk cache."""
    stats = getattr(chunk, "stats", None)
    if stats is None:
        log.info("compile: none (pure Python step loop, jit off); first chunk %.2f s", elapsed)
    elif sum(stats.cache_hits.values()):
        log.info("compile: cache hit, step loop loaded from the kernel cache (first chunk %.2f s)", elapsed)
    else:
        log.info("compile: step loop compiled by Numba (first chunk %.2f s, cached for the next run)", elapsed)
