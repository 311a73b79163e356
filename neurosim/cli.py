"""The ``neurosim`` command: ``run``, ``resume``, ``validate``, ``plot`` and ``compare`` protocols.

Exit status: 0 success, 2 invalid input (the message names file, line and key), 130 interrupted
by Ctrl-C (results so far are written with ``complete = False``).
"""
from __future__ import annotations

import argparse
import importlib
import math
import pathlib
import sys
import time

from .errors import NeurosimError

EXIT_INVALID, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # files only, no windows
    try:
        return args.handler(args)
    except NeurosimError as exc:
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return EXIT_INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neurosim", description="Run spiking-network protocols written in YAML.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a protocol, write results.h5 and its plots")
    run.add_argument("protocol", help="protocol YAML file")
    run.add_argument("-o", "--output", help="output directory (default: results/<protocol name>/)")
    run.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override a protocol value, e.g. --set duration='200 ms' (repeatable)")
    run.add_argument("--seed", type=int, help="override the protocol's seed")
    run.add_argument("--quiet", action="store_true", help="no progress bar or status lines")
    run.add_argument("--checkpoint-every", metavar="TIME",
                     help="write OUTPUT/checkpoint.npz every TIME of model time (e.g. '10 s'); "
                          "continue an interrupted run with 'neurosim resume OUTPUT'")
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
    compare.add_argument("--against", required=True, choices=["brian2"])
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
    return parser


def _validate(args) -> int:
    """Check every file; report each invalid one; exit 2 if any was invalid."""
    from .protocol import load

    status = 0
    for file in args.protocols:
        try:
            protocol = load(file, args.set)
        except NeurosimError as exc:
            print(f"neurosim: error: {exc}", file=sys.stderr)
            status = EXIT_INVALID
            continue
        kind = f"experiment '{protocol.spec.experiment}'" if protocol.is_experiment else "network protocol"
        print(f"{file}: ok ({kind} '{protocol.name}')")
    return status


class _Progress:
    """A tqdm bar that appears once a run has taken more than a second; ``(done, total)`` updates."""

    def __init__(self, quiet: bool, unit: str):
        self.quiet, self.unit, self.bar = quiet, unit, None

    def __call__(self, done, total) -> None:
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, delay=1.0, file=sys.stderr, dynamic_ncols=True,
                            unit_scale=self.unit == "step", leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run(args, resumed=None) -> int:
    """``resumed``: (protocol, output directory, checkpoint interval) of ``neurosim resume``."""
    from . import io
    from .protocol import build, load
    from .protocol.run import finish, run

    started = time.perf_counter()
    if resumed is None:
        protocol = load(args.protocol, args.set, args.seed)
        output = pathlib.Path(args.output or pathlib.Path("results") / protocol.name)
        every = _checkpoint_setup(args.checkpoint_every, protocol, output)
    else:
        protocol, output, every = resumed
    status = (lambda text: None) if args.quiet else (lambda text: print(f"neurosim: {text}", file=sys.stderr))
    progress = _Progress(args.quiet, "step" if not protocol.is_experiment else "")
    simulator, outcome = None, None
    try:
        if protocol.is_experiment:
            status(f"running experiment '{protocol.spec.experiment}' ({protocol.name})")
        else:
            spec = protocol.spec
            simulator = build(protocol)
            if resumed is not None:
                simulator.restore(output / "checkpoint.npz")
                status(f"resuming '{protocol.name}' at t = {simulator.step * spec.dt:g} s")
            status(f"running '{protocol.name}': {spec.duration:g} s of model time in steps of {spec.dt * 1e3:g} ms")
        outcome = run(protocol, progress, simulator, None if every is None else (every, output / "checkpoint.npz"))
        results = outcome.results
    except KeyboardInterrupt:
        if simulator is None:
            print("neurosim: interrupted before the simulation started; nothing written", file=sys.stderr)
            return EXIT_INTERRUPTED
        simulator.complete = False
        results = finish(protocol, simulator.results())
    finally:
        progress.close()
    results.timings["total"] = time.perf_counter() - started
    path = io.save(results, output / "results.h5")
    written = _save_figures(outcome.figures if outcome else {}, output)
    if not protocol.is_experiment:
        print(format_summary(results.analysis["summary"], results.duration))
    else:
        _print_metrics(results.analysis[protocol.spec.experiment]["metrics"])
    status(f"wrote {path}" + "".join(f", {name}" for name in written))
    if not results.complete:
        print(f"neurosim: interrupted at t = {results.duration:g} s; results so far written with complete = False",
              file=sys.stderr)
        return EXIT_INTERRUPTED
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


def _plot(args) -> int:
    from . import io
    from .protocol import loads
    from .protocol.figures import draw

    path = pathlib.Path(args.results)
    try:
        results = io.load(path)
    except OSError as exc:
        print(f"neurosim: error: {path}: cannot read results ({exc})", file=sys.stderr)
        return EXIT_INVALID
    protocol = loads(results.attributes["protocol_yaml"], f"{path}:protocol_yaml")
    output = pathlib.Path(args.output) if args.output else path.parent
    written = _save_figures(draw(protocol, results), output)
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


def _save_figures(figures: dict, output: pathlib.Path) -> list[str]:
    import matplotlib.pyplot as plt

    output.mkdir(parents=True, exist_ok=True)
    for name, figure in figures.items():
        figure.savefig(output / name, dpi=120)
        plt.close(figure)
    return list(figures)


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
