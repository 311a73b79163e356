"""Agreement between two runs of the same network (neurosim and a reference simulator).

Deterministic runs (single neurons, small feed-forward networks without random input) are
compared trace by trace and spike by spike: the largest difference of each recorded variable,
spike-count differences per neuron and spike-time differences in steps of ``dt``. Random
networks, random input and chaotic recurrent networks are compared at the level of
*realisations*: each run (one seed, one network) gives one mean firing rate and one mean ISI CV
per population, and the two samples of realisation means (several seeds per simulator) are
compared with Welch's t-test and the relative difference of their means. Neurons of one network
are not independent samples (they share its connectivity and input), so pooling them into a
distribution test rejects real agreement; realisations are independent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.stats

from ..analysis import binned_counts, firing_rates, isi_cv
from ..core.results import Results, SpikeTrains, StateRecord
from ..protocol.schema import Compare


def _default(key: str):
    """The default of tolerance ``key``: the protocol's ``compare:`` block is the one tolerance model."""
    return Compare.model_fields[key].default


@dataclass(frozen=True)
class Tolerances:
    """Pass criteria of a comparison in SI floats: the fields and defaults of the protocol's
    ``compare:`` block (:class:`neurosim.protocol.schema.Compare`; ``docs/compare.md`` says where the
    defaults come from), without its mode.

    ``voltage`` (V): largest allowed difference of voltage traces; ``relative``: of other traces,
    relative to the trace's range; ``spike_steps``: largest spike-time difference in steps;
    ``spike_count``: largest spike-count difference of any neuron; ``alpha``: the smallest
    Welch's t-test p-value accepted; ``seeds``: realisations per simulator of a statistical comparison;
    ``bin_size`` (s): bins of the correlations in ``distributions.png``; ``window``: analysis
    window (s) of the statistics, whole run if None.
    """

    voltage: float = _default("voltage")
    relative: float = _default("relative")
    spike_steps: int = _default("spike_steps")
    spike_count: int = _default("spike_count")
    alpha: float = _default("alpha")
    seeds: int = _default("seeds")
    bin_size: float = _default("bin_size")
    window: tuple[float, float] | None = _default("window")

    def as_dict(self) -> dict:
        return asdict(self)


def trace_agreement(a: StateRecord, b: StateRecord) -> dict:
    """Largest absolute difference of two records of one variable, where and when it occurs, and
    the same relative to the range of ``a``."""
    if a.data.shape != b.data.shape or not np.array_equal(a.times, b.times):
        raise ValueError(f"records of '{a.variable}' differ in shape: {a.data.shape} vs {b.data.shape}")
    diff = np.abs(a.data - b.data)
    step, column = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else (0, 0)
    span = float(np.ptp(a.data)) if a.data.size else 0.0
    worst = float(diff.max()) if diff.size else 0.0
    return {"variable": a.variable, "unit": a.unit, "max_abs": worst,
            "relative_to_range": worst / span if span else 0.0,
            "rms": float(np.sqrt(np.mean(diff**2))) if diff.size else 0.0,
            "at_time": float(a.times[step]) if diff.size else 0.0,
            "neuron": int(a.node_ids[column]) if diff.size else 0}


def match_spikes(a: np.ndarray, b: np.ndarray, max_shift: float) -> tuple[np.ndarray, int, int]:
    """Pair the sorted spike times ``a`` and ``b`` in time order, each pair at most ``max_shift`` apart.

    Returns the paired differences ``b - a`` and the numbers of unpaired spikes of ``a`` and ``b``.
    """
    i = j = 0
    shifts = []
    while i < len(a) and j < len(b):
        delta = b[j] - a[i]
        if abs(delta) <= max_shift:
            shifts.append(delta)
            i += 1
            j += 1
        elif delta > 0:
            i += 1
        else:
            j += 1
    return np.asarray(shifts, float), len(a) - len(shifts), len(b) - len(shifts)


def spike_agreement(a: SpikeTrains, b: SpikeTrains, dt: float, max_shift_steps: int = 10) -> dict:
    """Spike counts, count differences per neuron and spike-time differences (in steps) of paired
    spikes (pairs at most ``max_shift_steps`` apart; see :func:`match_spikes`)."""
    count_a, count_b = a.counts(), b.counts()
    shifts, unpaired = [], 0
    for node in np.flatnonzero((count_a > 0) | (count_b > 0)):
        paired, left_a, left_b = match_spikes(a.of(node), b.of(node), (max_shift_steps + 0.5) * dt)
        shifts.append(paired)
        unpaired += left_a + left_b
    shifts = np.concatenate(shifts) / dt if shifts else np.zeros(0)
    return {"spikes": [int(count_a.sum()), int(count_b.sum())],
            "max_count_difference": int(np.abs(count_a - count_b).max()) if count_a.size else 0,
            "max_shift_steps": float(np.abs(shifts).max()) if shifts.size else 0.0,
            "mean_shift_steps": float(shifts.mean()) if shifts.size else 0.0, "unpaired": int(unpaired)}


def deterministic_agreement(ours: Results, reference: Results, tolerances: Tolerances) -> dict:
    """Trace and spike agreement of every population and variable recorded in both runs, with a verdict."""
    rows = []
    for name, records in ours.states.items():
        for variable, record in records.items():
            row = {"population": name, **trace_agreement(record, reference.states[name][variable])}
            if record.unit == "V":
                row["tolerance"], row["passed"] = tolerances.voltage, row["max_abs"] <= tolerances.voltage
            else:
                row["tolerance"], row["passed"] = tolerances.relative, row["relative_to_range"] <= tolerances.relative
            rows.append(row)
    spikes = []
    for name, trains in ours.spikes.items():
        row = {"population": name, **spike_agreement(trains, reference.spikes[name], ours.dt)}
        row["passed"] = (row["max_count_difference"] <= tolerances.spike_count and row["unpaired"] == 0
                         and row["max_shift_steps"] <= tolerances.spike_steps)
        spikes.append(row)
    return {"mode": "deterministic", "traces": rows, "spikes": spikes,
            "passed": all(row["passed"] for row in rows + spikes)}


def pairwise_correlations(spikes: SpikeTrains, window: tuple[float, float], bin_size: float,
                          max_neurons: int = 200) -> np.ndarray:
    """Pearson correlations of binned spike counts of all pairs among neurons ``0 .. max_neurons-1``
    (the same neurons in both runs), leaving out pairs with a silent neuron."""
    counts = binned_counts(spikes, window, bin_size)[:max_neurons]
    active = counts.std(axis=1) > 0
    if active.sum() < 2:
        return np.zeros(0)
    matrix = np.corrcoef(counts[active])
    return matrix[np.triu_indices(int(active.sum()), 1)]


def spike_statistics(runs: list[Results], population: str, window: tuple[float, float] | None,
                     bin_size: float) -> dict[str, np.ndarray]:
    """Per-neuron rates (Hz), ISI CVs and pairwise correlations of ``population``, pooled over ``runs``,
    and the mean rate of each run."""
    pooled = {"rate": [], "isi_cv": [], "correlation": []}
    means = []
    for results in runs:
        span = window or (0.0, results.duration)
        trains = results.spikes[population]
        rates = firing_rates(trains, span)
        pooled["rate"].append(rates)
        pooled["isi_cv"].append(isi_cv(trains, span))
        pooled["correlation"].append(pairwise_correlations(trains, span, bin_size))
        means.append(float(rates.mean()))
    stats = {key: np.concatenate(values) for key, values in pooled.items()}
    stats["mean_rate_per_run"] = np.asarray(means)
    return stats


def realisation_means(runs: list[Results], population: str, window: tuple[float, float] | None) -> dict:
    """One value per run: the mean firing rate (Hz) of ``population``'s neurons and the mean ISI
    CV of its neurons with at least two intervals (NaN if none has)."""
    rates, cvs = [], []
    for results in runs:
        span = window or (0.0, results.duration)
        trains = results.spikes[population]
        rates.append(float(firing_rates(trains, span).mean()))
        cv = isi_cv(trains, span)
        cvs.append(float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else float("nan"))
    return {"rate": np.asarray(rates), "isi_cv": np.asarray(cvs)}


def welch_test(ours: np.ndarray, reference: np.ndarray, alpha: float = 0.01, power: float = 0.8) -> dict:
    """Welch's two-sample t-test of two sets of realisation means (NaN values dropped).

    With no spread on either side the p-value is 1 for equal means and 0 otherwise; with fewer
    than two values on a side it is NaN (no test). ``detectable``: the relative difference of
    means that the test detects at level ``alpha`` with probability ``power``,
    ``(t_{1-alpha/2} + t_power) * SE / |mean of reference|`` (Welch-Satterthwaite degrees of freedom)."""
    a, b = (np.asarray(x, float) for x in (ours, reference))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    row = {"n": [len(a), len(b)], "values": [a.tolist(), b.tolist()],
           "mean": [float(a.mean()) if len(a) else float("nan"), float(b.mean()) if len(b) else float("nan")],
           "std": [float(a.std(ddof=1)) if len(a) > 1 else float("nan"),
                   float(b.std(ddof=1)) if len(b) > 1 else float("nan")]}
    row["detectable"] = float("nan")
    if len(a) < 2 or len(b) < 2:
        row.update(t=float("nan"), p_value=float("nan"))
    elif a.var() == 0 and b.var() == 0:
        row.update(t=0.0 if a[0] == b[0] else float("inf"), p_value=1.0 if a[0] == b[0] else 0.0, detectable=0.0)
    else:
        test = scipy.stats.ttest_ind(a, b, equal_var=False)
        row.update(t=float(test.statistic), p_value=float(test.pvalue))
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        quantiles = scipy.stats.t.ppf(1 - alpha / 2, df) + scipy.stats.t.ppf(power, df)
        row["detectable"] = float(quantiles * np.sqrt(va + vb) / abs(row["mean"][1])) if row["mean"][1] else np.inf
    m_a, m_b = row["mean"]
    row["relative_mean_difference"] = (m_a - m_b) / abs(m_b) if m_b else (0.0 if m_a == m_b else float("inf"))
    return row


def statistical_agreement(ours: list[Results], reference: list[Results], tolerances: Tolerances) -> dict:
    """Realisation means of the rate and ISI CV of every recorded population (one value per run)
    compared with Welch's t-test: pass when every p-value is above ``alpha``. A metric that neither side can
    measure (no neuron with two intervals) passes untested; one measured in fewer than two
    realisations of a side fails."""
    rows = []
    for name in ours[0].spikes:
        a = realisation_means(ours, name, tolerances.window)
        b = realisation_means(reference, name, tolerances.window)
        for metric in ("rate", "isi_cv"):
            test = welch_test(a[metric], b[metric], tolerances.alpha)
            if np.isfinite(test["p_value"]):
                passed = test["p_value"] > tolerances.alpha
            else:
                passed = test["n"][0] == test["n"][1] == 0
            rows.append({"population": name, "metric": metric, **test, "passed": bool(passed)})
    return {"mode": "statistical", "seeds": [[r.seed for r in ours], [r.seed for r in reference]],
            "realisations": rows, "passed": all(row["passed"] for row in rows)}
