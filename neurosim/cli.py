"""The ``neurosim`` command: ``run``, ``resume``, ``validate``, ``plot``, ``compare``, ``sweep`` protocols;
``info``, ``cache``.

Exit status: 0 success; 2 invalid input or an unusable output (the message is
``neurosim: error: FILE:LINE: key.path: message``, or ``--set key.path: ...`` for overrides);
130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (results so far are written with
``complete = False``); 70 an internal error of neurosim (one line; the traceback with ``--debug``).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import math
import os
import pathlib
import signal
import sys
import time
import warnings

from .errors import NeurosimError, NeurosimWarning, OutputError

EXIT_INVALID, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_INTERNAL = 2, 130, 143, 70
log = logging.getLogger("neurosim")  # the CLI shows INFO (one line per phase); -q: warnings only, -v: debug


class Signals:
    """SIGINT and SIGTERM as ``KeyboardInterrupt`` (recording which came first), deferred inside
    :meth:`deferred`. A SIGTERM goes to whatever SIGINT handler is current, so the simulator's
    stop-between-chunks handler serves both."""

    def __init__(self):
        self.received: int | None = None
        self.deferring, self.pending = False, False

    def install(self) -> None:
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file-size limit: EFBIG, not death
        signal.signal(signal.SIGINT, self._interrupt)
        signal.signal(signal.SIGTERM, self._terminate)

    def _interrupt(self, signum, frame):
        self.received = self.received or signum
        if self.deferring:
            self.pending = True
            return
        raise KeyboardInterrupt

    def _terminate(self, signum, frame):
        self.received = self.received or signum
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self):
        """Signals inside the block only set ``pending``; the block always completes."""
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False

    @property
    def exit_code(self) -> int:
        return EXIT_TERMINATED if self.received == signal.SIGTERM else EXIT_INTERRUPTED


SIGNALS = Signals()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False) or bool(os.environ.get("NEUROSIM_DEBUG"))
    _configure_logging(args)
    global SIGNALS
    SIGNALS = Signals()
    in_main_thread = __import__("threading").current_thread() is __import__("threading").main_thread()
    previous = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) if in_main_thread else None
    if in_main_thread:
        SIGNALS.install()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", NeurosimWarning)
            warnings.showwarning = _show_warning
            import matplotlib

            matplotlib.use("Agg")  # files only, no windows
            return args.handler(args)
    except NeurosimError as exc:
        _error(exc)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("neurosim: interrupted", file=sys.stderr)
        return SIGNALS.exit_code
    except MemoryError:
        print("neurosim: error: out of memory (the estimate before building was too low; see "
              "docs/protocols.md, resource limits)", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        sys.stderr.close()  # the reader of our output went away (e.g. | head)
        return EXIT_INVALID
    except Exception as exc:
        print(f"neurosim: internal error, please report: {type(exc).__name__}: {exc}"[:500]
              + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exc()
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous[0])
            signal.signal(signal.SIGTERM, previous[1])


def _error(exc: BaseException) -> None:
    print(f"neurosim: error: {exc}", file=sys.stderr)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    prefix = "neurosim: warning" if issubclass(category, NeurosimWarning) else f"{category.__name__}"
    print(f"{prefix}: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neurosim", description="Run spiking-network protocols written in YAML.")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"neurosim {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log lines (-v: debug)")
    parser.add_argument("-q", dest="log_quiet", action="store_true", help="warnings and errors only")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a protocol, write results.h5 and its plots")
    run.add_argument("protocol", help="protocol YAML file")
    run.add_argument("-o", "--output", help="output directory (default: results/<protocol name>/)")
    run.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override a protocol value, e.g. --set duration='200 ms' (repeatable)")
    run.add_argument("--seed", type=int, help="override the protocol's seed")
    run.add_argument("--quiet", action="store_true", help="no progress bar or status lines")
    run.add_argument("--json", action="store_true", help="print the summary rows as JSON (as in a sweep's summary)")
    run.add_argument("--checkpoint-every", metavar="TIME",
                     help="write OUTPUT/checkpoint.npz every TIME of model time (e.g. '10 s'); "
                          "continue an interrupted run with 'neurosim resume OUTPUT'")
    run.add_argument("--no-memory-check", action="store_true",
                     help="build even when the memory estimate exceeds the available memory")
    run.set_defaults(handler=_run)

    resume = commands.add_parser("resume", help="continue a run from the last checkpoint in its output directory")
    resume.add_argument("directory", help="output directory of 'neurosim run --checkpoint-every'")
    resume.add_argument("--quiet", action="store_true", help="no progress bar or status lines")
    resume.set_defaults(handler=_resume)

    validate = commands.add_parser("validate", help="check protocols without running them")
    validate.add_argument("protocols", nargs="+", metavar="protocol")
    validate.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE")
    validate.set_defaults(handler=_validate)

    plot = commands.add_parser("plot", help="re-draw the plots of a results file")
    plot.add_argument("results", help="results.h5 written by 'neurosim run'")
    plot.add_argument("-o", "--output", help="output directory (default: next to the results file)")
    plot.set_defaults(handler=_plot)

    compare = commands.add_parser("compare", help="run a protocol in neurosim and in another simulator")
    compare.add_argument("protocol")
    compare.add_argument("--against", required=True, choices=["brian2", "nest"])
    compare.add_argument("-o", "--output", help="output directory")
    compare.add_argument("--target", choices=["runtime", "cpp_standalone"], default="runtime",
                         help="Brian2 device: runtime (default) or cpp_standalone")
    compare.add_argument("--codegen", choices=["cython", "numpy"], default="cython",
                         help="code generation of Brian2's runtime target (numpy: no compilation)")
    compare.add_argument("--same-network", action="store_true",
                         help="give the reference neurosim's built network (synapses, initial values) instead of "
                              "writing it from the protocol: step-by-step agreement of one realisation")
    compare.add_argument("--seeds", type=int, help="realisations per simulator of a statistical comparison "
                                                   "(default: the protocol's compare.seeds, 5)")
    compare.set_defaults(handler=_compare)

    sweep = commands.add_parser("sweep", help="run a protocol's sweep: block on a Dask cluster (local by default)")
    sweep.add_argument("protocol", help="protocol YAML file with a sweep: block")
    sweep.add_argument("-o", "--output", help="output directory (default: results/<protocol name>_sweep/)")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                       help="override a value of the base protocol (repeatable)")
    sweep.add_argument("-j", "--workers", type=int, help="local worker processes (default: sweep.cluster.workers, 2)")
    sweep.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    sweep.add_argument("--force", action="store_true", help="re-run points already completed in the output")
    sweep.add_argument("--fail-fast", action="store_true", help="stop at the first failed point")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or status lines")
    sweep.set_defaults(handler=_sweep)

    info = commands.add_parser("info", help="print a results file's provenance and summary")
    info.add_argument("results", help="results.h5 written by 'neurosim run' or a sweep point")
    info.set_defaults(handler=_info)
    _cache_parser(commands)
    models = commands.add_parser("models", help="list the neuron and synapse models, with their parameters and units")
    models.add_argument("files", nargs="*", help="model files (YAML) of your own to check and list too")
    models.set_defaults(handler=_models)
    return parser


def _validate(args) -> int:
    """Check every file (as ``run`` would, including the memory estimate); exit 2 if any was invalid."""
    from .protocol import load, resources

    status = 0
    for file in args.protocols:
        try:
            protocol = load(file, args.set)
            resources.check(protocol)
        except NeurosimError as exc:
            print(f"neurosim: error: {exc}", file=sys.stderr)
            status = EXIT_INVALID
            continue
        kind = f"experiment '{protocol.spec.experiment}'" if protocol.is_experiment else "network protocol"
        print(f"{file}: ok ({kind} '{protocol.name}')")
    return status


class _Progress:
    """A tqdm bar that appears once a run has taken more than a second; ``(done, total)`` updates.

    ``scale``: model seconds per unit of ``done`` (``dt`` for runs: the bar counts model seconds, with
    the ETA); the bar is removed when it closes, and the run's log line stays as its summary.
    """

    def __init__(self, quiet: bool, unit: str, scale: float = 1.0):
        self.quiet, self.unit, self.scale, self.bar = quiet, unit, scale, None

    def __call__(self, done, total) -> None:
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            model_time = "{n:.4g}/{total:.4g} s of model time [{elapsed}<{remaining}, {rate_fmt}]"
            self.bar = tqdm(total=total * self.scale, unit=f"{self.unit} model" if self.unit else "", delay=1.0,
                            file=sys.stderr, dynamic_ncols=True, leave=False,
                            bar_format="{l_bar}{bar}| " + model_time if self.unit == "s" else None)
        self.bar.update(done * self.scale - self.bar.n)
        if done >= total:
            self.close()  # before the run's summary line

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _run(args, resumed=None) -> int:
    """Check everything, then build, run, analyse, write results.h5, draw the plots (in that order).

    ``resumed``: (protocol, output directory, checkpoint interval) of ``neurosim resume``. An
    interrupt during the build writes nothing; during the run, the analysis or the plots the
    results so far are written with ``complete = False`` (plots already drawn are kept); during the
    write it waits for the write to finish. The exit status then says which signal it was.
    """
    from .protocol import build, load
    from .protocol.run import finish, run, simulate

    started = time.perf_counter()
    if resumed is None:
        protocol = load(args.protocol, args.set, args.seed)
        output = prepare_output(pathlib.Path(args.output or pathlib.Path("results") / protocol.name))
        every = _checkpoint_setup(args.checkpoint_every, protocol, output)
    else:
        protocol, output, every = resumed
    if not protocol.is_experiment and not getattr(args, "no_memory_check", False):
        from .protocol import resources

        resources.check(protocol)
    log.info("load: %s ('%s') in %.2f s", getattr(args, "protocol", None) or protocol.file, protocol.name,
             time.perf_counter() - started)
    status = log.info  # shown unless --quiet / -q
    progress = _Progress(args.quiet, "" if protocol.is_experiment else "s",
                         1.0 if protocol.is_experiment else protocol.spec.dt)
    simulator, results, figures = None, None, {}
    try:
        if protocol.is_experiment:
            status(f"running experiment '{protocol.spec.experiment}' ({protocol.name})")
            outcome = run(protocol, progress)
            results, figures = outcome.results, outcome.figures
        else:
            spec = protocol.spec
            simulator = build(protocol)
            if resumed is not None:
                simulator.restore(output / "checkpoint.npz")
                status(f"resuming '{protocol.name}' at t = {simulator.step * spec.dt:g} s")
            status(f"running '{protocol.name}': {spec.duration:g} s of model time in steps of {spec.dt * 1e3:g} ms")
            results = simulate(simulator, spec.duration, progress,
                               None if every is None else (every, output / "checkpoint.npz"))
            finish(protocol, results)
    except KeyboardInterrupt:
        if simulator is None:
            print("neurosim: interrupted before the simulation started; nothing written", file=sys.stderr)
            return SIGNALS.exit_code
        simulator.complete = False
        results = _partial(protocol, simulator)
    finally:
        progress.close()
    if SIGNALS.received is not None:
        results.complete = False
    results.timings["total"] = time.perf_counter() - started
    path = _write_results(results, output / "results.h5")
    written = []
    try:
        if SIGNALS.received is not None:
            figures = {}  # interrupted during the write: stop now that the file is safe
        elif not protocol.is_experiment and results.complete:
            from .protocol.figures import draw

            figures = draw(protocol, results)
        written = save_figures(figures, output)
    except KeyboardInterrupt:
        print("neurosim: interrupted while drawing the plots; results.h5 is written", file=sys.stderr)
    if getattr(args, "json", False):
        import json

        from .sweep.summary import rows

        print(json.dumps(rows(protocol, results), indent=1))
    elif "summary" in results.analysis:
        print(format_summary(results.analysis["summary"], results.duration))
    elif protocol.is_experiment:
        _print_metrics(results.analysis[protocol.spec.experiment]["metrics"])
    status(f"wrote {path}" + "".join(f", {output / name}" for name in written))
    if SIGNALS.received is not None or not results.complete:
        print(f"neurosim: interrupted at t = {results.duration:g} s; results so far written with complete = "
              f"{results.complete}", file=sys.stderr)
        return SIGNALS.exit_code
    return 0


def _sweep(args) -> int:
    """Run every point not done yet; exit 0 if all succeeded, 1 if some failed, 130 on Ctrl-C."""
    from .sweep import Sweep, execute

    definition = Sweep.from_file(args.protocol, args.set)
    cluster = definition.block.get("cluster", {})
    workers = args.workers or cluster.get("workers", 2)
    if workers < 1:
        print(f"neurosim: error: -j/--workers: expected an integer >= 1, got {workers}", file=sys.stderr)
        return EXIT_INVALID
    output = pathlib.Path(args.output or pathlib.Path("results") / f"{definition.base.name}_sweep")
    scheduler = args.scheduler or cluster.get("scheduler")
    points = definition.points()
    if not args.quiet:
        where = scheduler or f"a local cluster of {workers} worker process{'es' * (workers != 1)}"
        print(f"neurosim: sweep '{definition.base.name}': {len(points)} points "
              f"({' x '.join(str(len(a.values)) for a in definition.axes) or '1'} x {len(definition.seeds)} seeds) "
              f"on {where}", file=sys.stderr)
    outcome = execute(definition, output, workers=workers, scheduler=scheduler, force=args.force,
                      fail_fast=args.fail_fast, progress=not args.quiet)
    frame = outcome.frame
    statuses = frame.drop_duplicates("point")["status"].value_counts().to_dict()
    print(f"points: {', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))}")
    for worker, count in sorted(outcome.compilations.items()):
        print(f"worker {worker}: {count} step-loop compilation{'s' * (count != 1)}")
    for _, row in frame[frame["status"] == "failed"].drop_duplicates("point").iterrows():
        print(f"failed {row['point']} (seed {row['seed']}): {row['error']}", file=sys.stderr)
    if not args.quiet:
        print(f"neurosim: wrote {', '.join(str(path) for path in outcome.written)}", file=sys.stderr)
    if outcome.interrupted:
        print("neurosim: interrupted; completed points are kept, re-run the command to finish", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 1 if outcome.failed else 0


def _info(args) -> int:
    from . import io
    from .protocol import loads
    from .sweep.summary import rows

    path = pathlib.Path(args.results)
    try:
        results = io.load(path)
    except OSError as exc:
        print(f"neurosim: error: {path}: cannot read results ({exc})", file=sys.stderr)
        return EXIT_INVALID
    attributes = results.attributes
    text = attributes.get("protocol_yaml", "")
    print(f"{path}: protocol '{attributes.get('protocol_name', '?')}' from {attributes.get('protocol_file', '?')}, "
          f"neurosim {attributes.get('neurosim_version', '?')}")
    for line in text.splitlines():
        if line.startswith("# --set "):
            print(f"  {line[2:]}")
    print(f"  seed {results.seed}, dt {results.dt * 1e3:g} ms, duration {results.duration:g} s, "
          f"complete {results.complete}")
    print("  wall clock: " + ", ".join(f"{key} {value:.3g} s" for key, value in results.timings.items()))
    protocol = loads(text, f"{path}:protocol_yaml")
    if protocol.is_experiment:
        _print_metrics(results.analysis[protocol.spec.experiment]["metrics"])
        return 0
    print(format_summary(results.analysis["summary"], results.duration))
    for row in rows(protocol, results):
        extra = {key: value for key, value in row.items() if key not in ("population", "neurons", "spikes", "mean_rate",
                                                                          "isi_cv")}
        print(f"  {row['population']}: " + ", ".join(f"{key} {value:.4g}" for key, value in extra.items()))
    return 0


def _checkpoint_setup(every, protocol, output: pathlib.Path) -> float | None:
    """Parse ``--checkpoint-every`` and store what ``neurosim resume`` needs next to the checkpoints."""
    if every is None:
        return None
    import json

    from .units import to_si

    seconds = float(to_si(every, "time", "--checkpoint-every"))
    if protocol.is_experiment or not seconds > 0:
        from .errors import ParameterError
        raise ParameterError("--checkpoint-every", every, "a model time > 0 (e.g. '10 s') for a network protocol")
    output.mkdir(parents=True, exist_ok=True)
    (output / "protocol.yaml").write_text(protocol.yaml())
    (output / "resume.json").write_text(json.dumps({"checkpoint_every": seconds}))
    return seconds


def _resume(args) -> int:
    import json

    from .protocol import loads

    directory = pathlib.Path(args.directory)
    try:
        every = json.loads((directory / "resume.json").read_text())["checkpoint_every"]
        text = (directory / "protocol.yaml").read_text()
    except (OSError, ValueError, KeyError) as exc:
        print(f"neurosim: error: {directory}: not the output of 'neurosim run --checkpoint-every' ({exc})",
              file=sys.stderr)
        return EXIT_INVALID
    return _run(args, (loads(text, str(directory / "protocol.yaml")), directory, every))


def _partial(protocol, simulator):
    """Results of an interrupted run, with the analyses if a second interrupt does not stop them."""
    from .protocol.run import finish, provenance

    results = simulator.results()
    results.attributes.update(provenance(protocol))
    try:
        finish(protocol, results)
    except KeyboardInterrupt:
        print("neurosim: interrupted again: writing the results without analyses", file=sys.stderr)
    return results


def _write_results(results, path: pathlib.Path) -> pathlib.Path:
    from . import io

    started = time.perf_counter()
    with SIGNALS.deferred():  # a second interrupt waits for the atomic rename
        saved = io.save(results, path)
        if results.spikes or results.states:  # the SONATA exchange copy (spikes.h5, <variable>.h5)
            io.sonata.write(results, path.parent / "sonata")
    log.info("write: %s%s in %.2f s", saved, " and sonata/" if results.spikes or results.states else "",
             time.perf_counter() - started)
    return saved


def prepare_output(output: pathlib.Path) -> pathlib.Path:
    """Create the output directory and prove it writable (a probe file), before any work is done."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        if not output.is_dir():
            raise OutputError("is not a directory", str(output))
        probe = output / f".neurosim-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"output directory cannot be written ({exc.strerror or exc})", str(output)) from None
    return output


def _plot(args) -> int:
    from . import io
    from .protocol import loads
    from .protocol.figures import draw

    path = pathlib.Path(args.results)
    results = io.load(path)
    text = results.attributes.get("protocol_yaml")
    if not isinstance(text, str):
        raise OutputError("has no stored protocol (attribute protocol_yaml); 'neurosim plot' needs a file "
                          "written by 'neurosim run'", str(path))
    protocol = loads(text, f"{path}:protocol_yaml")
    output = prepare_output(pathlib.Path(args.output) if args.output else path.parent)
    written = save_figures(draw(protocol, results), output)
    print(f"wrote {', '.join(str(output / name) for name in written) or 'no plots (none in the protocol)'}")
    return 0


def _compare(args) -> int:
    try:
        command = importlib.import_module("neurosim.compare.command")
    except ModuleNotFoundError as exc:
        if exc.name not in ("neurosim.compare", "neurosim.compare.command"):
            raise
        print("neurosim: error: comparison support (neurosim.compare.command) is not installed in this "
              "version of neurosim", file=sys.stderr)
        return EXIT_INVALID
    return command.run(args)


def save_figures(figures: dict, output: pathlib.Path) -> list[str]:
    """Save each figure as ``output/<name>`` (names are plain file names, checked by the schema)."""
    import matplotlib.pyplot as plt

    written = []
    try:
        for name, figure in figures.items():
            if pathlib.Path(name).name != name or name.startswith("."):
                raise OutputError(f"plot file {name!r} is not a plain file name", str(output))
            try:
                with SIGNALS.deferred():
                    figure.savefig(output / name, dpi=figure.get_dpi())  # the plot's `dpi:`
            except OSError as exc:
                raise OutputError(f"cannot write the plot ({exc.strerror or exc})", str(output / name)) from None
            written.append(name)
    finally:
        for figure in figures.values():
            plt.close(figure)
    return written


class _LogHandler(logging.Handler):
    """``neurosim: message`` on stderr, printed above a progress bar (``tqdm.write``) when one is shown."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            line = f"neurosim: {self.format(record)}"
            if getattr(tqdm, "_instances", None):
                tqdm.write(line, file=sys.stderr)  # clears the bar, prints, redraws it
            else:
                print(line, file=sys.stderr)
        except Exception:
            self.handleError(record)


def _configure_logging(args) -> None:
    """INFO by default, WARNING with -q or a command's --quiet, DEBUG with -v."""
    quiet = args.log_quiet or getattr(args, "quiet", False)
    level = logging.WARNING if quiet else logging.DEBUG if args.verbose else logging.INFO
    log.handlers[:] = [_LogHandler()]
    log.setLevel(level)
    log.propagate = False


def _models(args) -> int:
    """Print every neuron and synapse model with its parameters (name, dimension, default, doc)."""
    from .core.neurons import equation, models
    from .core.params import Param

    user = []
    for path in args.files:
        if not os.path.isfile(path):
            print(f"neurosim: error: {path}: no such model file", file=sys.stderr)
            return EXIT_INVALID
        model = equation.load_file(path)
        equation.register(model, replace=True)
        user.append(model.name)
    neurons, synapses = models(), equation.synapse_models()
    for title, names in (("built-in neuron models", [n for n in neurons if n not in user]),
                         ("your models", user)):
        if not names:
            continue
        print(f"{title}:")
        for name in names:
            if name in synapses:
                print(f"  {name} (synapse): {synapses[name].doc}")
                continue
            cls = neurons[name]
            print(f"  {name}: {(cls.__doc__ or '').strip().splitlines()[0] if cls.__doc__ else ''}")
            for param in cls.param_spec.values():
                print(f"      {Param.describe(param)}")
    if synapses:
        print("synapse models (receptors):")
        for name, model in synapses.items():
            if name not in user:
                print(f"  {name}: {model.doc}")
    return 0


def _cache_parser(commands) -> None:
    cache = commands.add_parser("cache", help="show or empty the kernel cache (compiled step loops)")
    cache.add_argument("action", choices=["info", "clean"])
    cache.set_defaults(handler=_cache)


def _cache(args) -> int:
    from . import kernel_cache

    if args.action == "clean":
        print(f"removed {kernel_cache.clean()} files from {kernel_cache.directory()}")
        return 0
    info = kernel_cache.info()
    print(f"directory: {info['directory']}\nstatus:    {info['problem'] or 'ok (private to you)'}\n"
          f"files:     {info['files']} ({info['bytes'] / 2**20:.1f} MiB)")
    return 0 if info["problem"] in (None, "does not exist yet") else EXIT_INVALID


def format_summary(summary: dict, duration: float) -> str:
    """The per-population table printed after a run."""
    lines = [f"{'population':<12}{'neurons':>9}{'spikes':>10}{'rate (Hz)':>11}{'ISI CV':>8}   over {duration:g} s"]
    for name, row in summary.items():
        cv = "-" if math.isnan(row["isi_cv"]) else f"{row['isi_cv']:.2f}"
        lines.append(f"{name:<12}{row['neurons']:>9}{row['spikes']:>10}{row['mean_rate']:>11.2f}{cv:>8}")
    return "\n".join(lines)


def _print_metrics(metrics: dict) -> None:
    for name, value in metrics.items():
        print(f"{name:<32}{value:>12.6g}")
