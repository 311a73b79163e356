"""``neurosim compare PROTOCOL.yaml --against brian2``: run a protocol in neurosim and in Brian2.

By default the Brian2 model is written from the protocol (:mod:`neurosim.compare.brian2_protocol`),
independently of neurosim's build; ``--same-network`` gives Brian2 neurosim's built network
instead (:mod:`neurosim.compare.brian2`: the same synapses and initial values), for step-by-step
agreement of a random network. Runs that must agree step by step (no random draw that differs
between the two, no random input, no recurrent loop) are compared trace by trace and spike by
spike; the others as independent realisations, ``seeds`` per simulator, with Welch's t-test on
realisation means (:mod:`neurosim.compare.metrics`). Progress goes to stderr. Writes
``comparison.json`` and PNGs to the output directory, prints an agreement table and returns 0
when every criterion holds, 1 when one does not.

A reference simulator is a function ``(protocol, simulator, options) -> Results`` in
:data:`REFERENCES`: ``simulator`` is neurosim's built, not yet run simulator of the same seed in
same-network mode and None otherwise.
"""
from __future__ import annotations

import json
import logging
import pathlib
import time
from collections.abc import Callable

import numpy as np

from ..core.neurons.sources import PoissonSource
from ..core.results import Results
from ..core.stimuli import OUNoise
from ..errors import ParameterError
from ..protocol import build, load
from ..units import si_floats
from .brian2 import Brian2Model
from .brian2_protocol import ProtocolModel
from .metrics import Tolerances, deterministic_agreement, statistical_agreement
from .plots import distributions_figure, raster_figure, traces_figure

MODES = ("auto", "deterministic", "statistical")
RANDOM_RULES = ("fixed_probability", "fixed_indegree")


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
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
                   for nxt in edges.get(start, ()))

    return not any(reaches(name, name, set()) for name in network.populations)


def random_build(spec) -> list[str]:
    """Parts of a network protocol drawn at random when the network is built (random connection
    rules, distributions of initial values, weights and delays): independent builds differ there."""
    parts = []
    for name, population in spec.network.populations.items():
        parts += [f"{name}.initial.{key}" for key, value in population.initial.items() if hasattr(value, "draw")]
    for index, connection in enumerate(spec.network.connections):
        rule = connection.rule
        if rule.get("name") in RANDOM_RULES and not (rule["name"] == "fixed_probability" and rule["p"] in (0, 1)):
            parts.append(f"connections.{index}.rule")
        parts += [f"connections.{index}.{key}" for key in ("weight", "delay")
                  if hasattr(getattr(connection, key), "draw")]
    return parts


def tolerances_of(spec) -> tuple[str, bool, Tolerances]:
    """The protocol's ``compare:`` block as (mode, same_network, tolerances); defaults where absent."""
    block = getattr(spec, "compare", None)
    if block is None:
        return "auto", False, Tolerances()
    values = block if isinstance(block, dict) else block.model_dump()
    mode = values.pop("mode", "auto")
    same_network = bool(values.pop("same_network", False))
    if mode not in MODES:
        raise ParameterError("compare: mode", mode, f"one of {MODES}")
    return mode, same_network, Tolerances(**{key: value for key, value in values.items() if value is not None})


def brian2_reference(protocol, simulator, options) -> Results:
    """Brian2's run of ``protocol`` (seed included): from neurosim's built ``simulator`` if given
    (same network), else written from the protocol."""
    target, codegen = options.target, getattr(options, "codegen", "cython")
    if simulator is not None:
        return Brian2Model(simulator).run(protocol.spec.duration, target=target, codegen=codegen)
    return ProtocolModel(protocol).run(protocol.spec.seed, target=target, codegen=codegen)


REFERENCES = {"brian2": brian2_reference}


def progress(message: str) -> None:
    """One ``compare:`` line on the ``neurosim`` logger (shown by the CLI unless ``-q``)."""
    logging.getLogger("neurosim.compare").info(f"compare: {message}")


def run_pair(path: str, seed: int, options, same_network: bool):
    """Protocol ``path`` with ``seed`` run in neurosim and in the reference ``options.against``;
    returns (protocol, simulator, ours, reference)."""
    protocol = load(path, seed=seed)
    simulator = build(protocol)
    against = options.against
    how = "same network as neurosim" if same_network else "written from the protocol"
    progress(f"seed {seed}: {against} ({how}) ...")
    started = time.perf_counter()
    reference = REFERENCES[against](protocol, simulator if same_network else None, options)
    progress(f"seed {seed}: {against} done in {time.perf_counter() - started:.1f} s; neurosim ...")
    started = time.perf_counter()
    with si_floats():
        ours = simulator.run(protocol.spec.duration)
    progress(f"seed {seed}: neurosim done in {time.perf_counter() - started:.1f} s")
    return protocol, simulator, ours, reference


def run(args) -> int:
    """Entry point of ``neurosim compare`` (``args``: protocol, against, output, target, codegen,
    same_network, seeds)."""
    if args.against == "nest":
        from .nest_command import run as run_nest

        return run_nest(args)
    protocol = load(args.protocol)
    if protocol.is_experiment:
        raise ParameterError("protocol", protocol.file, "a network protocol (experiments have no network to compare)")
    mode, same_network, tolerances = tolerances_of(protocol.spec)
    same_network = same_network or bool(getattr(args, "same_network", False))
    if getattr(args, "seeds", None):
        if args.seeds < 2:
            raise ParameterError("--seeds", args.seeds, "at least 2 realisations per simulator")
        tolerances = Tolerances(**{**tolerances.as_dict(), "seeds": args.seeds})
    if args.against == "brian2" and not same_network:
        ProtocolModel(protocol)  # untranslatable parts stop the comparison before anything runs
    against = args.against
    output = pathlib.Path(args.output or pathlib.Path("results") / protocol.name / f"compare_{against}")
    started = time.perf_counter()
    seed = protocol.spec.seed
    _, simulator, ours, reference = run_pair(args.protocol, seed, args, same_network)
    if mode == "auto":
        drawn = [] if same_network else random_build(protocol.spec)
        mode = "deterministic" if is_deterministic(simulator.network) and not drawn else "statistical"
    runs = [(ours, reference)]
    if mode == "statistical":
        for offset in range(1, tolerances.seeds):
            progress(f"realisation {offset + 1} of {tolerances.seeds} (statistical comparison)")
            runs.append(run_pair(args.protocol, seed + offset, args, same_network)[2:])
        report = statistical_agreement([r[0] for r in runs], [r[1] for r in runs], tolerances)
    else:
        report = deterministic_agreement(ours, reference, tolerances)
    report["same_network"] = same_network
    network = "same network" if same_network else "reference written from the protocol"
    kind = "comparison of independent realisations" if mode == "statistical" and not same_network else \
        f"{mode} comparison"
    print(f"{protocol.name}: neurosim vs {against} ({args.target}, {getattr(args, 'codegen', 'cython')}; "
          f"{network}), {kind}")
    print(table(report))
    written = _write(output, protocol, args, report, tolerances, runs, time.perf_counter() - started)
    print(f"{'PASSED' if report['passed'] else 'FAILED'}; wrote {', '.join(str(output / name) for name in written)}")
    return 0 if report["passed"] else 1


def table(report: dict) -> str:
    """The agreement table printed by the command."""
    if report["mode"] == "deterministic":
        traces = [("population", -12, "{population}"), ("variable", -10, "{variable}"),
                  ("max |diff|", 14, lambda r: f"{r['max_abs']:.3e} {r['unit'] or '-':<2}"),
                  ("rel. range", 12, "{relative_to_range:.2e}"),
                  ("tolerance", 13, lambda r: f"{r['tolerance']:.1e}" + (" V" if r["unit"] == "V" else " rel"))]
        spikes = [("population", -12, "{population}"),
                  ("spikes (neurosim / Brian2)", -30, lambda r: f"{r['spikes'][0]} / {r['spikes'][1]}"),
                  ("max count diff", 16, "{max_count_difference}"), ("max shift (dt)", 16, "{max_shift_steps:.1f}"),
                  ("unpaired", 10, "{unpaired}")]
        return "\n".join(columns(traces, report["traces"]) + columns(spikes, report["spikes"]))

    def mean(r: dict, side: int) -> str:
        m, s = r["mean"][side], r["std"][side]
        return f"{m:.4g} ± {s:.2g}" if np.isfinite(s) else f"{m:.4g}"

    realisations = [("population", -12, "{population}"), ("metric", -8, "{metric}"),
                    ("mean neurosim", 15, lambda r: mean(r, 0)), ("mean ref.", 15, lambda r: mean(r, 1)),
                    ("rel. diff", 11, "{relative_mean_difference:+.2%}"), ("Welch t", 9, "{t:.3f}"),
                    ("p", 10, "{p_value:.3g}"), ("detectable", 11, "{detectable:.1%}"),
                    ("n", 7, lambda r: f"{r['n'][0]}/{r['n'][1]}")]
    return "\n".join([f"seeds neurosim {report['seeds'][0]}, reference {report['seeds'][1]} (one realisation each)",
                      *columns(realisations, report["realisations"])])


def columns(spec: list[tuple[str, int, str | Callable[[dict], str]]], rows: list[dict]) -> list[str]:
    """A fixed-width table of ``rows`` (dicts with ``passed``): a header line, then a line per row
    ending in ``ok`` or ``FAIL``. ``spec`` is ``(title, width, cell)`` per column: a negative width
    aligns left; ``cell`` is a format string over the row's keys or a function of the row."""
    def line(cells) -> str:
        return "".join(f"{cell:<{-width}}" if width < 0 else f"{cell:>{width}}"
                       for cell, (_, width, _) in zip(cells, spec, strict=True))

    lines = [line(title for title, _, _ in spec) + "  result"]
    for row in rows:
        cells = (cell.format(**row) if isinstance(cell, str) else cell(row) for _, _, cell in spec)
        lines.append(line(cells) + ("  ok" if row["passed"] else "  FAIL"))
    return lines


def _write(output: pathlib.Path, protocol, args, report, tolerances, runs, elapsed) -> list[str]:
    output.mkdir(parents=True, exist_ok=True)
    ours, reference = runs[0]
    document = {
        "protocol": protocol.name, "protocol_file": protocol.file,
        "against": reference_version(args.against), "same_network": report["same_network"],
        "target": args.target, "dt": ours.dt, "duration": ours.duration, "tolerances": tolerances.as_dict(),
        "passed": report["passed"], "report": report, "elapsed_seconds": elapsed,
        "timings": [{"seed": a.seed, "neurosim": a.timings, "reference": b.timings} for a, b in runs],
        "note": "Random draws of the two simulators come from different generators; runs with random "
                "connectivity, initial values or input are compared as independent realisations.",
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


def reference_version(against: str) -> str:
    if against == "brian2":
        import brian2

        return f"brian2 {brian2.__version__}"
    return against


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
