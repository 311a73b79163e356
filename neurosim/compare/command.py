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

import numpy as np

from ..core.neurons.sources import PoissonSource
from ..core.results import Results
from ..core.stimuli import OUNoise
from ..errors import ParameterError
from ..protocol import build, load
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
    lines = [f"seeds neurosim {report['seeds'][0]}, reference {report['seeds'][1]} (one realisation each)",
             (f"{'population':<12}{'metric':<8}{'mean neurosim':>15}{'mean ref.':>15}{'rel. diff':>11}"
              f"{'Welch t':>9}{'p':>10}{'detectable':>11}{'n':>7}  result")]
    for row in report["realisations"]:
        n = f"{row['n'][0]}/{row['n'][1]}"
        means = [f"{m:.4g} ± {s:.2g}" if np.isfinite(s) else f"{m:.4g}"
                 for m, s in zip(row["mean"], row["std"], strict=True)]
        lines.append(f"{row['population']:<12}{row['metric']:<8}{means[0]:>15}{means[1]:>15}"
                     f"{row['relative_mean_difference']:>+11.2%}{row['t']:>9.3f}{row['p_value']:>10.3g}"
                     f"{row['detectable']:>11.1%}{n:>7}"
                     f"  {mark(row['passed'])}")
    return "\n".join(lines)


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
