"""Running a protocol: simulate (or call the experiment), analyse, attach provenance, draw figures."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import analysis, experiment
from .._version import __version__
from ..core.neurons import models
from ..core.results import Results
from ..core.simulator import Simulator
from ..core.timegrid import to_steps
from ..units import si_floats
from . import schema
from .build import build
from .load import Protocol

#: ``progress(done, total)``: steps done of the run's total.
Progress = Callable[[int, int], None]
#: ``(every, path)``: a checkpoint every ``every`` s of model time, to ``path``.
Checkpoint = tuple[float, str | os.PathLike]


@dataclass
class Outcome:
    """Results of a protocol and its figures (file name -> matplotlib Figure)."""

    results: Results
    figures: dict = field(default_factory=dict)


def run(protocol: Protocol, progress: Progress | None = None, simulator: Simulator | None = None,
        checkpoint: Checkpoint | None = None) -> Outcome:
    """Run ``protocol``; ``progress(done, total)`` is called as the run advances.

    For network protocols ``simulator`` may be one already built with :func:`build` (so a caller can
    keep a handle on it) or restored from a checkpoint: it runs until the protocol's duration.
    ``checkpoint = (every, path)`` writes ``simulator.checkpoint(path)`` every ``every`` s of model
    time. Results of an interrupted run come back with ``complete=False``.
    """
    if protocol.is_experiment:
        return _experiment(protocol, progress)
    assert isinstance(protocol.spec, schema.NetworkProtocol)
    simulator = simulator or build(protocol)
    results = simulate(simulator, protocol.spec.duration, progress, checkpoint)
    finish(protocol, results)
    return Outcome(results, _figures(protocol, results))


def simulate(simulator: Simulator, duration: float, progress: Progress | None,
             checkpoint: Checkpoint | None) -> Results:
    """Run ``simulator`` from its current step to ``duration`` (s), in segments of ``checkpoint[0]`` s
    with a checkpoint after each one that does not end the run, also after a Ctrl-C."""
    dt = simulator.dt
    end = to_steps(duration, dt, "duration", "duration")
    every = end if checkpoint is None else max(1, to_steps(checkpoint[0], dt, "duration", "checkpoint_every"))
    first = simulator.step

    def report(start):
        return None if progress is None else (lambda done, total: progress(start - first + done, end - first))

    while True:
        start = simulator.step
        with si_floats():
            results = simulator.run(max(0, min(every, end - start)) * dt, report(start))
        if simulator.step >= end or (simulator.step == start and results.complete):
            return results
        if checkpoint is not None:
            simulator.checkpoint(checkpoint[1])
        if not results.complete:
            return results


def _figures(protocol: Protocol, results: Results) -> dict:
    from .figures import draw  # matplotlib is imported only when figures are drawn

    return draw(protocol, results)


def provenance(protocol: Protocol) -> dict:
    """Root attributes of the results file describing where the results came from."""
    return {"neurosim_version": __version__, "protocol_yaml": protocol.yaml(), "protocol_name": protocol.name,
            "protocol_file": protocol.file}


def finish(protocol: Protocol, results: Results) -> Results:
    """Add the protocol's analyses and provenance to ``results`` (in place; returns it)."""
    results.attributes.update(provenance(protocol))
    results.analysis = analyse(protocol, results)
    return results


#: Analyses that count spikes in bins of ``bin_size``: they need a window of at least one bin.
BINNED = ("fano_factor", "synchrony", "population_rate")


def analyse(protocol: Protocol, results: Results) -> dict:
    """``{"summary": {population: {...}}, <analysis type>: {population: {...}}}`` (SI units)."""
    spec = protocol.spec
    assert isinstance(spec, schema.NetworkProtocol)
    tree: dict[str, dict] = {"summary": analysis.summary(results)}
    for item in spec.analyses:
        spikes = results.spikes.get(item.population)
        if spikes is None:
            raise protocol.error(("analyses",), f"population '{item.population}' has no recorded spikes "
                                                "(add it to record.spikes)")
        window = item.window or (0.0, results.duration)
        window = (window[0], min(window[1], results.duration))
        binned = item.type in BINNED
        if window[1] <= window[0] or (binned and window[1] - window[0] < item.bin_size):
            continue  # not enough recorded yet (interrupted before the window or its first bin)
        value: dict[str, object]
        if item.type == "firing_rates":
            value = {"rate": analysis.firing_rates(spikes, window)}
        elif item.type == "isi_cv":
            cv = analysis.isi_cv(spikes, window)
            value = {"cv": cv, "mean": float(cv.mean()) if cv.size else float("nan")}
        elif item.type == "fano_factor":
            fano = analysis.fano_factor(spikes, window, item.bin_size)
            value = {"fano": fano, "mean": float(fano.mean()) if fano.size else float("nan")}
        elif item.type == "synchrony":
            value = {"chi": analysis.synchrony(spikes, window, item.bin_size),
                     "count_correlation": analysis.spike_count_correlation(spikes, window, item.bin_size)}
        elif item.type == "population_rate":
            time, rate = analysis.population_rate(spikes, window, item.bin_size)
            value = {"time": time, "rate": rate,
                     "peak_frequency": analysis.peak_frequency(spikes, window, item.bin_size),
                     "modulation": analysis.rate_modulation(spikes, window, item.bin_size)}
        else:
            assert item.input is not None  # a tuning_curve analysis (the loader requires its input)
            inputs, rate = analysis.tuning_curve(spikes, _input_values(protocol, item.input), window)
            value = {"input": inputs, "rate": rate, "input_dimension": _input_dimension(protocol, item.input)}
        tree.setdefault(item.type, {})[item.population] = value
    return tree


def _input_values(protocol: Protocol, dotted: str) -> np.ndarray:
    from .load import resolve_path
    return np.asarray(resolve_path(protocol.spec, dotted), float)


def _input_dimension(protocol: Protocol, dotted: str) -> str:
    """Dimension of the tuning-curve input named by ``dotted`` (a parameter or a stimulus field)."""
    keys = dotted.split(".")
    spec = protocol.spec
    assert isinstance(spec, schema.NetworkProtocol)
    if keys[0] == "stimuli":
        target = spec.stimuli[int(keys[1])].population
        return models()[spec.network.populations[target].model].input_dimension
    population = spec.network.populations[keys[2]]
    cls = models()[population.model]
    if keys[3] == "params":
        return cls.param_spec[keys[4]].dimension
    return cls.state_spec[keys[4]][0]


def _experiment(protocol: Protocol, progress) -> Outcome:
    spec = protocol.spec
    assert isinstance(spec, schema.ExperimentProtocol)
    report = (lambda fraction, text: progress(fraction, 1.0)) if progress else None
    output = experiment.run_experiment(spec.experiment, dict(spec.config), spec.seed, report)
    results = Results(seed=spec.seed)
    results.attributes.update(provenance(protocol))
    results.analysis = {spec.experiment: {"metrics": dict(output.metrics), "curves": dict(output.curves),
                                          "arrays": dict(output.arrays)}}
    drawn = {f"{name}.png": figure for name, figure in output.figures.items()}
    return Outcome(results, drawn or _figures(protocol, results))
