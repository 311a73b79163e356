"""Spike-train statistics in plain numpy: rates, ISI CV, Fano factor, synchrony, tuning curves.

Every function takes a :class:`~neurosim.core.results.SpikeTrains` (node ids and times in s) and
returns numpy arrays or floats in SI units (s, Hz). Windows are half-open ``[start, stop)`` in s.
"""
from __future__ import annotations

import numpy as np

from .core.results import Results, SpikeTrains


def _in_window(spikes: SpikeTrains, window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    start, stop = window
    keep = (spikes.times >= start) & (spikes.times < stop)
    return spikes.node_ids[keep], spikes.times[keep]


def firing_rates(spikes: SpikeTrains, window: tuple[float, float]) -> np.ndarray:
    """Spike count of each neuron in ``window`` divided by its length (Hz), shape ``(n_neurons,)``."""
    ids, _ = _in_window(spikes, window)
    return np.bincount(ids, minlength=spikes.n_neurons) / (window[1] - window[0])


def isi_cv(spikes: SpikeTrains, window: tuple[float, float], min_intervals: int = 2) -> np.ndarray:
    """Coefficient of variation (std/mean) of the inter-spike intervals of each neuron with at least
    ``min_intervals`` intervals in ``window``; neurons with fewer are left out (so the array may be
    shorter than the population). Poisson trains give 1, regular firing 0."""
    ids, times = _in_window(spikes, window)
    order = np.lexsort((times, ids))
    ids, times = ids[order], times[order]
    same = ids[1:] == ids[:-1]
    intervals, owners = np.diff(times)[same], ids[1:][same]
    counts = np.bincount(owners, minlength=spikes.n_neurons)
    sums = np.bincount(owners, intervals, minlength=spikes.n_neurons)
    squares = np.bincount(owners, intervals**2, minlength=spikes.n_neurons)
    enough = counts >= max(min_intervals, 2)
    mean = sums[enough] / counts[enough]
    variance = np.maximum(squares[enough] / counts[enough] - mean**2, 0.0)
    return np.sqrt(variance) / mean


def binned_counts(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> np.ndarray:
    """Spike counts per neuron and bin, shape ``(n_neurons, n_bins)``; the last partial bin is dropped."""
    n_bins = int(np.floor((window[1] - window[0]) / bin_size + 1e-9))
    ids, times = _in_window(spikes, (window[0], window[0] + n_bins * bin_size))
    bins = np.minimum(((times - window[0]) / bin_size).astype(np.int64), n_bins - 1)
    counts = np.zeros((spikes.n_neurons, n_bins))
    np.add.at(counts, (ids, bins), 1)
    return counts


def fano_factor(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> np.ndarray:
    """Variance / mean of each active neuron's spike counts in bins of ``bin_size`` s (Poisson: 1)."""
    counts = binned_counts(spikes, window, bin_size)
    mean = counts.mean(axis=1)
    active = mean > 0
    return counts[active].var(axis=1) / mean[active]


def spike_count_correlation(spikes: SpikeTrains, window: tuple[float, float], bin_size: float,
                            max_neurons: int = 200) -> float:
    """Mean Pearson correlation of binned spike counts over all pairs among the first ``max_neurons``
    active neurons (independent trains: about 0)."""
    counts = binned_counts(spikes, window, bin_size)
    counts = counts[counts.std(axis=1) > 0][:max_neurons]
    if len(counts) < 2:
        return 0.0
    matrix = np.corrcoef(counts)
    return float(matrix[np.triu_indices(len(counts), 1)].mean())


def synchrony(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> float:
    """Golomb's synchrony chi^2 = Var(population mean count) / mean of single-neuron variances, over
    active neurons: about ``1/N`` for asynchronous firing, 1 for full synchrony."""
    counts = binned_counts(spikes, window, bin_size)
    counts = counts[counts.sum(axis=1) > 0]
    single = counts.var(axis=1).mean() if len(counts) else 0.0
    return float(counts.mean(axis=0).var() / single) if single > 0 else 0.0


def population_rate(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Bin centres (s) and the population rate in each bin (Hz per neuron)."""
    counts = binned_counts(spikes, window, bin_size).sum(axis=0)
    centres = window[0] + (np.arange(len(counts)) + 0.5) * bin_size
    return centres, counts / (spikes.n_neurons * bin_size)


def tuning_curve(spikes: SpikeTrains, inputs: np.ndarray, window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Rates (Hz) against the per-neuron input ``inputs``, sorted by input (an f-I curve)."""
    order = np.argsort(inputs, kind="stable")
    return np.asarray(inputs, float)[order], firing_rates(spikes, window)[order]


def summary(results: Results, window: tuple[float, float] | None = None) -> dict[str, dict[str, float]]:
    """Per recorded population: neurons, spikes, mean rate (Hz), mean ISI CV over neurons with at
    least two intervals (NaN when none have) and how many neurons that CV covers."""
    window = window or (0.0, results.duration)
    table = {}
    for name, spikes in results.spikes.items():
        cv = isi_cv(spikes, window) if window[1] > window[0] else np.zeros(0)
        length = window[1] - window[0]
        n_spikes = int(np.count_nonzero((spikes.times >= window[0]) & (spikes.times < window[1])))
        table[name] = {"neurons": spikes.n_neurons, "spikes": n_spikes,
                       "mean_rate": n_spikes / (spikes.n_neurons * length) if length > 0 else 0.0,
                       "isi_cv": float(cv.mean()) if cv.size else float("nan"), "cv_neurons": int(cv.size)}
    return table
