"""``neurosim compare PROTOCOL --against nest``: the protocol in neurosim and, independently built, in NEST.

Deterministic protocols (no Poisson or OU input, no recurrent loop) are compared per population
with the agreement NEST's model allows (:data:`DETERMINISTIC`): NEST's ``iaf_psc_exp`` and
``iaf_psc_alpha`` integrate exactly as neurosim does, so traces agree to rounding and spike times
are identical; HH models and ``iaf_cond_exp`` are integrated by NEST with adaptive RKF45 (converged
to microseconds), so the difference is neurosim's own time-discretisation error, bounded by
:func:`drift_steps` (measured against a converged scipy ``solve_ivp`` reference); AdEx against
NEST's ``aeif_*`` by the lag NEST's reset inside its step allows (:func:`reset_lag`). Other protocols
are compared over independent realisations: each seed gives neurosim and NEST their *own*
connectivity and initial values, and the realisation means of rate, ISI CV and pairwise
correlation are compared with Welch's t-test. Writes ``comparison.json``; exit status 0 / 1 / 2.
"""
from __future__ import annotations

import json
import pathlib
import time

import numpy as np
import scipy.stats

from ..errors import ParameterError
from ..protocol import build, load
from ..units import si_floats
from . import nest
from .command import _jsonable, columns, is_deterministic, tolerances_of
from .metrics import spike_agreement, spike_statistics, trace_agreement

#: Agreement per NEST model in deterministic runs: ``voltage`` (V) and ``relative`` (of the range)
#: bound trace differences (None: traces are reported, spikes judge); ``exact``: spike times must be
#: identical; otherwise paired spike times may differ by :func:`drift_steps`.
DETERMINISTIC = {
    "iaf_psc_exp": {"voltage": 1e-12, "relative": 1e-9, "exact": True},
    "iaf_psc_alpha": {"voltage": 1e-12, "relative": 1e-9, "exact": True},
    "iaf_cond_exp": {"voltage": None, "relative": None, "exact": False},
    "hh_psc_alpha": {"voltage": None, "relative": None, "exact": False},
    "hh_cond_exp_traub": {"voltage": None, "relative": None, "exact": False},
    **{model: {"voltage": None, "relative": None, "exact": False} for model in nest.AEIF_MODELS.values()},
}
#: Spike-time drift of neurosim's HH integrators against a converged reference: the largest
#: ``(|t_neurosim - t_ref| - dt) / (t_ref - t_onset)`` per ms of ``dt`` (exponential Euler is first
#: order), measured at dt 0.01 ms over 1 s of tonic firing with scipy ``solve_ivp`` (DOP853,
#: rtol = atol = 1e-12; docs/compare.md): squid 0.3-2 nA 1.0-1.2, Traub 0.05-0.3 nA 0.8-1.4.
DRIFT_PER_MS = {"hh_squid": 1.2, "hh_traub": 1.4}
#: Safety factor on the measured drift.
MARGIN = 2.0
#: The spike-time shift (steps) allowed on top of the AdEx reset lag (:func:`reset_lag_violation`):
#: one step for the step stamp, where the crossing lies close to a step boundary in either run.
AEIF_SLACK = 1.0


def drift_steps(population, dt: float, duration: float) -> float:
    """Largest spike-time difference (steps) allowed against NEST's converged RKF45 for a population
    that neurosim does not integrate exactly: ``MARGIN * drift * dt * duration`` (ms), at least 1 step.

    neurosim's LIF with conductance receptors holds the conductances over the step (one step of
    timing error at most, measured 1); HH with exponential Euler drifts by :data:`DRIFT_PER_MS`."""
    if population.model not in DRIFT_PER_MS:
        return 1.0
    drift = DRIFT_PER_MS[population.model] * (dt * 1e3)
    return max(MARGIN * drift * duration / dt, 1.0)


def reset_lag(count: int, refractory_steps: float) -> np.ndarray:
    """Upper bound (steps) of neurosim's lag behind NEST's aeif models at each of ``count`` spikes
    (see :func:`reset_lag_violation`)."""
    k = np.arange(count)
    return k if refractory_steps < 2 else np.minimum(k, 1)


def reset_lag_violation(ours, reference, dt: float, t_ref) -> float:
    """How far (steps) AdEx spike times leave the reset-lag bound against NEST's aeif models; <= 0 passes.

    NEST resets ``v`` inside its step, at the RKF45 sub-step that crosses ``V_peak``; neurosim at the
    end of the step, later by less than one step. Without refractoriness neurosim's trajectory is
    then NEST's, delayed: the ``k``-th spike of a neuron (from 0) lags by less than ``k`` steps. A
    refractory period of two or more steps ends in the same step in both (NEST's ``t_ref`` is one
    step shorter, as for ``iaf_*``), erasing the lag: at most one step. Allowed:
    ``-AEIF_SLACK <= shift_k <= lag_k + AEIF_SLACK`` (paired by order; counts must agree);
    ``t_ref`` (s) per neuron or one value."""
    steps = np.broadcast_to(np.round(np.asarray(t_ref, float) / dt), ours.counts().shape)
    worst = -AEIF_SLACK  # no spikes: nothing to bound
    for node in np.flatnonzero(ours.counts() > 0):
        mine, theirs = ours.of(node), reference.of(node)
        if len(mine) != len(theirs):
            continue  # the count check fails the row
        shift = np.round((mine - theirs) / dt, 6)  # whole steps up to rounding
        lag = reset_lag(len(shift), steps[node])
        worst = max(worst, float(np.max(np.maximum(shift - lag - AEIF_SLACK, -AEIF_SLACK - shift))))
    return worst


def deterministic(protocol, ours, reference) -> dict:
    """Per population and variable: trace and spike agreement against NEST with :data:`DETERMINISTIC`."""
    spec = protocol.spec
    models = {name: nest.nest_model(name, pop) for name, pop in spec.network.populations.items()}
    rows, spikes = [], []
    for name, records in ours.states.items():
        limits = DETERMINISTIC.get(models[name], {"voltage": None, "relative": None})
        for variable, record in records.items():
            row = {"population": name, "nest_model": models[name],
                   **trace_agreement(record, reference.states[name][variable])}
            key = "voltage" if record.unit == "V" else "relative"
            value = row["max_abs"] if key == "voltage" else row["relative_to_range"]
            row["tolerance"] = limits[key]
            row["passed"] = True if limits[key] is None else bool(value <= limits[key])
            rows.append(row)
    for name, trains in ours.spikes.items():
        population = spec.network.populations[name]
        if models[name] == "poisson_generator":
            continue
        exact = DETERMINISTIC[models[name]]["exact"]
        if population.model == "adex":  # the k-th spike may lag by k steps (reset_lag_violation)
            refractory = np.round(np.min(nest.model_params(population)["t_ref"]) / spec.dt)
            allowed = float(reset_lag(int(trains.counts().max(initial=1)), refractory)[-1]) + AEIF_SLACK
        else:
            allowed = 1e-6 if exact else drift_steps(population, spec.dt, spec.duration)
        row = {"population": name, "nest_model": models[name], "allowed_shift_steps": allowed,
               **spike_agreement(trains, reference.spikes[name], ours.dt, max_shift_steps=int(np.ceil(allowed)) + 1)}
        row["passed"] = bool(row["max_count_difference"] == 0 and row["unpaired"] == 0
                             and row["max_shift_steps"] <= allowed)
        if population.model == "adex":
            row["reset_lag_violation_steps"] = reset_lag_violation(trains, reference.spikes[name], spec.dt,
                                                                   nest.model_params(population)["t_ref"])
            row["passed"] = row["passed"] and row["reset_lag_violation_steps"] <= 0
        spikes.append(row)
    return {"mode": "deterministic", "traces": rows, "spikes": spikes,
            "passed": all(row["passed"] for row in rows + spikes)}


def statistical(ours: list, reference: list, tolerances) -> dict:
    """Realisation means of rate, ISI CV and correlation per population, Welch's t-test on them
    (pass: every p-value above ``alpha``), as the Brian2 comparison judges them."""
    rows = []
    for name in ours[0].spikes:
        a = [spike_statistics([run], name, tolerances.window, tolerances.bin_size) for run in ours]
        b = [spike_statistics([run], name, tolerances.window, tolerances.bin_size) for run in reference]
        for metric in ("rate", "isi_cv", "correlation"):
            mean_a = np.array([np.nanmean(s[metric]) if len(s[metric]) else np.nan for s in a])
            mean_b = np.array([np.nanmean(s[metric]) if len(s[metric]) else np.nan for s in b])
            mean_a, mean_b = mean_a[np.isfinite(mean_a)], mean_b[np.isfinite(mean_b)]
            if len(mean_a) >= 2 and len(mean_b) >= 2:
                welch = scipy.stats.ttest_ind(mean_a, mean_b, equal_var=False)
                p_value = float(welch.pvalue) if np.isfinite(welch.pvalue) else float(mean_a.mean() == mean_b.mean())
            else:
                p_value = float("nan")
            rows.append({"population": name, "metric": metric, "realisation_means": [mean_a.tolist(), mean_b.tolist()],
                         "mean": [float(mean_a.mean()), float(mean_b.mean())] if len(mean_a) and len(mean_b) else None,
                         "welch_p": p_value,
                         "passed": bool(p_value > tolerances.alpha) if np.isfinite(p_value) else True})
    return {"mode": "statistical", "seeds": [r.seed for r in ours], "distributions": rows,
            "passed": all(row["passed"] for row in rows)}


def table(report: dict) -> str:
    """The agreement table printed by the command."""
    if report["mode"] == "deterministic":
        def limit(r: dict) -> str:
            if r["tolerance"] is None:
                return "spikes"
            return f"{r['tolerance']:.0e}" + (" V" if r["unit"] == "V" else " rel")

        traces = [("population", -11, "{population}"), ("NEST model", -19, "{nest_model}"),
                  ("variable", -9, "{variable}"),
                  ("max |diff|", 13, lambda r: f"{r['max_abs']:.3e} {r['unit'] or '-':<1}"), ("tolerance", 13, limit)]
        spikes = [("population", -11, "{population}"), ("NEST model", -19, "{nest_model}"),
                  ("spikes (neurosim / NEST)", -26, lambda r: f"{r['spikes'][0]} / {r['spikes'][1]}"),
                  ("max shift", 10, "{max_shift_steps:.3g}"), ("allowed", 10, "{allowed_shift_steps:.3g}"),
                  ("unpaired", 9, "{unpaired}")]
        spike_lines = columns(spikes, report["spikes"])
        spike_lines[0] += "   (shifts in steps)"
        return "\n".join(columns(traces, report["traces"]) + spike_lines)

    def relative(r: dict) -> float:
        a, b = r["mean"]
        return (a - b) / abs(b) if b else float("nan")

    distributions = [("population", -11, "{population}"), ("metric", -13, "{metric}"),
                     ("mean neurosim", 14, lambda r: f"{r['mean'][0]:.4g}"),
                     ("mean NEST", 11, lambda r: f"{r['mean'][1]:.4g}"),
                     ("rel. diff", 11, lambda r: f"{relative(r):+.2%}"), ("Welch p", 10, "{welch_p:.3g}")]
    return "\n".join([f"seeds {report['seeds']} (independent realisations in each simulator)",
                      *columns(distributions, [row for row in report["distributions"] if row["mean"] is not None])])


def run(args) -> int:
    """``neurosim compare PROTOCOL --against nest`` (``args``: protocol, output)."""
    protocol = load(args.protocol)
    if protocol.is_experiment:
        raise ParameterError("protocol", protocol.file, "a network protocol (experiments have no network to compare)")
    mode, _, tolerances = tolerances_of(protocol.spec)
    output = pathlib.Path(args.output or pathlib.Path("results") / protocol.name / "compare_nest")
    started = time.perf_counter()
    seed, notes = protocol.spec.seed, []
    simulator = build(protocol)
    if mode == "auto":
        mode = "deterministic" if is_deterministic(simulator.network) else "statistical"
    if mode == "deterministic":
        reference = nest.run(protocol, seed, deterministic=True)
        with si_floats():
            ours = simulator.run(protocol.spec.duration)
        runs = [(ours, reference)]
        report = deterministic(protocol, ours, reference)
    else:
        raised = nest.minimum_delays(protocol)
        if raised:  # NEST's minimum delay is dt: both simulators run the protocol with it
            notes.append(f"delays below dt raised to dt = {protocol.spec.dt * 1e3:g} ms in both simulators "
                         f"(NEST's minimum delay): {', '.join(raised)}")
            protocol = load(args.protocol, sets=raised)
        seeds = [seed + offset for offset in range(tolerances.seeds)]
        references = nest.run_many(protocol, seeds)
        with si_floats():
            mine = [build(load(args.protocol, sets=raised, seed=s)).run(protocol.spec.duration) for s in seeds]
        runs = list(zip(mine, references, strict=True))
        report = statistical(mine, references, tolerances)
    print(f"{protocol.name}: neurosim vs NEST {runs[0][1].attributes['simulator'].split()[-1]}, {mode} comparison")
    for note in notes:
        print(f"note: {note}")
    print(table(report))
    output.mkdir(parents=True, exist_ok=True)
    document = {"protocol": protocol.name, "protocol_file": protocol.file,
                "against": runs[0][1].attributes["simulator"],
                "dt": protocol.spec.dt, "duration": protocol.spec.duration, "tolerances": tolerances.as_dict(),
                "passed": report["passed"], "report": report, "notes": notes,
                "elapsed_seconds": time.perf_counter() - started,
                "nest_own_spike_counts": runs[0][1].attributes.get("nest_own_spike_counts"),
                "timings": [{"seed": a.seed, "neurosim": a.timings, "nest": b.timings} for a, b in runs]}
    (output / "comparison.json").write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")
    print(f"{'PASSED' if report['passed'] else 'FAILED'}; wrote {output / 'comparison.json'}")
    return 0 if report["passed"] else 1
