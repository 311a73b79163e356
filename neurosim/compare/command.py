"""``neurosim compare PROTOCOL.yaml --against brian2``: run a protocol in neurosim and in Brian2.

Deterministic protocols (no Poisson or OU input, no recurrent loop of projections) are compared
trace by trace and spike by spike with the protocol's seed; the others statistically over
``seeds`` consecutive seeds starting at the protocol's (see :mod:`neurosim.compare.metrics`).
Writes ``comparison.json`` and PNGs to the output directory, prints an agreement table and
returns 0 when every criterion holds, 1 when one does not.
"""
from __future__ import annotations

import json
import pathlib
import time

import numpy as np

from ..core.stimuli import OUNoise, PoissonSource
from ..errors import ParameterError
from ..protocol import build, load
from .brian2 import Brian2Model
from .metrics import Tolerances, deterministic_agreement, statistical_agreement
from .plots import distributions_figure, raster_figure, traces_figure

MODES = ("auto", "deterministic", "statistical")


def is_deterministic(network) -> bool:
    """True when two exact simulators must agree step by step: no random input and no recurrent loop."""
    if any(isinstance(pop, PoissonSource) for pop in network.populations.values()):
        return False
    if any(isinstance(stim, OUNoise) for stim in network.stimuli):
        return False
    edges = {}
    for projection in network.projections:
        edges.setdefault(projection.pre.name, set()).add(projection.post.name)

    def reaches(start, goal, seen):
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    return not any(reaches(name, name, set()) for name in network.populations)


def tolerances_of(spec) -> tuple[str, Tolerances]:
    """The protocol's ``compare:`` block as (mode, tolerances); defaults where it is absent."""
    block = getattr(spec, "compare", None)
    if block is None:
        return "auto", Tolerances()
    values = block if isinstance(block, dict) else block.model_dump()
    mode = values.pop("mode", "auto")
    if mode not in MODES:
        raise ParameterError("compare: mode", mode, f"one of {MODES}")
    return mode, Tolerances(**{key: value for key, value in values.items() if value is not None})


def run_pair(path: str, seed: int, target: str, codegen: str = "cython"):
    """Build protocol ``path`` with ``seed`` once; run it in neurosim and in Brian2; returns both results."""
    protocol = load(path, seed=seed)
    simulator = build(protocol)
    model = Brian2Model(simulator)
    ours = simulator.run(protocol.spec.duration)
    reference = model.run(protocol.spec.duration, target=target, codegen=codegen)
    return protocol, simulator, ours, reference


def run(args) -> int:
    """Entry point of ``neurosim compare`` (``args``: protocol, against, output, target)."""
    if args.against == "nest":
        from .nest_command import run as run_nest

        return run_nest(args)
    protocol = load(args.protocol)
    if protocol.is_experiment:
        raise ParameterError("protocol", protocol.file, "a network protocol (experiments have no network to compare)")
    mode, tolerances = tolerances_of(protocol.spec)
    output = pathlib.Path(args.output or pathlib.Path("results") / protocol.name / "compare_brian2")
    codegen = getattr(args, "codegen", "cython")
    started = time.perf_counter()
    _, simulator, ours, reference = run_pair(args.protocol, protocol.spec.seed, args.target, codegen)
    if mode == "auto":
        mode = "deterministic" if is_deterministic(simulator.network) else "statistical"
    runs = [(ours, reference)]
    if mode == "statistical":
        for offset in range(1, tolerances.seeds):
            runs.append(run_pair(args.protocol, protocol.spec.seed + offset, args.target, codegen)[2:])
        report = statistical_agreement([r[0] for r in runs], [r[1] for r in runs], tolerances)
    else:
        report = deterministic_agreement(ours, reference, tolerances)
    print(f"{protocol.name}: neurosim vs Brian2 ({args.target}, {codegen}), {mode} comparison")
    print(table(report))
    written = _write(output, protocol, args, report, tolerances, runs, time.perf_counter() - started)
    print(f"{'PASSED' if report['passed'] else 'FAILED'}; wrote {', '.join(str(output / name) for name in written)}")
    return 0 if report["passed"] else 1


def table(report: dict) -> str:
    """The agreement table printed by the command."""
    mark = (lambda ok: "ok" if ok else "FAIL")
    if report["mode"] == "deterministic":
        lines = [f"{'population':<12}{'variable':<10}{'max |diff|':>14}{'rel. range':>12}{'tolerance':>12}  result"]
        for row in report["traces"]:
            limit = f"{row['tolerance']:.1e}" + (" V" if row["unit"] == "V" else " rel")
            lines.append(f"{row['population']:<12}{row['variable']:<10}{row['max_abs']:>12.3e} {row['unit'] or '-':<2}"
                         f"{row['relative_to_range']:>11.2e}{limit:>13}  {mark(row['passed'])}")
        lines.append(f"{'population':<12}{'spikes (neurosim / Brian2)':<30}{'max count diff':>16}"
                     f"{'max shift (dt)':>16}{'unpaired':>10}  result")
        for row in report["spikes"]:
            counts = f"{row['spikes'][0]} / {row['spikes'][1]}"
            lines.append(f"{row['population']:<12}{counts:<30}{row['max_count_difference']:>16}"
                         f"{row['max_shift_steps']:>16.1f}{row['unpaired']:>10}  {mark(row['passed'])}")
        return "\n".join(lines)
    lines = [f"seeds {report['seeds']}",
             (f"{'population':<12}{'metric':<13}{'mean neurosim':>14}{'mean Brian2':>13}{'rel. diff':>11}"
              f"{'KS D':>8}{'KS p':>10}{'Cohen d':>9}{'n':>14}  result")]
    for row in report["distributions"]:
        n = f"{row['n'][0]}/{row['n'][1]}"
        lines.append(f"{row['population']:<12}{row['metric']:<13}{row['mean'][0]:>14.4g}{row['mean'][1]:>13.4g}"
                     f"{row['relative_mean_difference']:>+11.2%}{row['ks_statistic']:>8.3f}{row['p_value']:>10.3g}"
                     f"{row['cohen_d']:>+9.3f}{n:>14}  {mark(row['passed'])}")
    return "\n".join(lines)


def _write(output: pathlib.Path, protocol, args, report, tolerances, runs, elapsed) -> list[str]:
    import brian2

    output.mkdir(parents=True, exist_ok=True)
    ours, reference = runs[0]
    document = {
        "protocol": protocol.name, "protocol_file": protocol.file, "against": f"brian2 {brian2.__version__}",
        "target": args.target, "dt": ours.dt, "duration": ours.duration, "tolerances": tolerances.as_dict(),
        "passed": report["passed"], "report": report, "elapsed_seconds": elapsed,
        "timings": [{"seed": a.seed, "neurosim": a.timings, "brian2": b.timings} for a, b in runs],
        "note": "Poisson and OU draws cannot match Brian2's generator sample by sample; such runs are "
                "compared statistically.",
    }
    (output / "comparison.json").write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")
    written = ["comparison.json"]
    figures = {"traces.png": traces_figure(ours, reference), "raster.png": raster_figure(ours, reference)}
    if report["mode"] == "statistical":
        figures["distributions.png"] = distributions_figure([a for a, _ in runs], [b for _, b in runs],
                                                            tolerances.window, tolerances.bin_size)
    for name, figure in figures.items():
        if figure is not None:
            figure.savefig(output / name, dpi=110)
            written.append(name)
    return written


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
