"""Spike-train statistics in plain numpy: rates, ISI CV, Fano factor, synchrony, population-rate
spectrum and modulation, Brunel's network states, tuning curves.

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


def rate_spectrum(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Periodogram of the population rate (mean removed): frequencies (Hz, from ``1/T`` to the
    Nyquist ``1/(2 bin_size)``) and power (Hz^2 per Hz, one-sided, ``2 |FFT|^2 bin_size / n``)."""
    _, rate = population_rate(spikes, window, bin_size)
    if len(rate) < 2:
        return np.zeros(0), np.zeros(0)
    power = 2 * np.abs(np.fft.rfft(rate - rate.mean())) ** 2 * bin_size / len(rate)
    return np.fft.rfftfreq(len(rate), bin_size)[1:], power[1:]


def rate_modulation(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> float:
    """Modulation depth of the population rate beyond counting noise: ``sqrt(2 (Var r - mean r /
    (N bin_size))) / mean r`` for the rate ``r`` in bins (Hz), ``N`` neurons (NaN without spikes).

    ``mean r / (N bin_size)`` is the variance of ``r`` when the neurons fire as independent Poisson
    processes, so asynchronous firing gives about 0; a rate ``r0 (1 + m sin(2 pi f t))`` gives ``m``:
    1 when the global activity falls to zero between volleys (Brunel's synchronous states)."""
    _, rate = population_rate(spikes, window, bin_size)
    mean = rate.mean() if rate.size else 0.0
    if mean <= 0:
        return float("nan")
    excess = rate.var() - mean / (spikes.n_neurons * bin_size)
    return float(np.sqrt(2 * max(excess, 0.0)) / mean)


def peak_frequency(spikes: SpikeTrains, window: tuple[float, float], bin_size: float) -> float:
    """Frequency (Hz) of the largest peak of :func:`rate_spectrum`, NaN without spikes: the
    frequency of a global oscillation of the population (noise for asynchronous firing)."""
    frequency, power = rate_spectrum(spikes, window, bin_size)
    return float(frequency[np.argmax(power)]) if power.size and power.max() > 0 else float("nan")


#: Thresholds of :func:`brunel_regime`: modulation depth of a synchronous global activity, and ISI
#: CV below which firing is regular (an order of magnitude below a Poisson train's 1).
SYNCHRONOUS_MODULATION, REGULAR_CV = 1.0, 0.1


def brunel_regime(isi_cv: float, modulation: float, peak_frequency: float, delay: float) -> str:
    """Brunel's (2000) state of a sparse E-I network from its measures: ``"AI"`` (asynchronous
    irregular) when the population rate's :func:`rate_modulation` is below 1 (it does not fall to
    zero between volleys), else ``"SR"`` (synchronous regular) when the mean ISI CV is below 0.1,
    else ``"SI fast"`` when the :func:`peak_frequency` exceeds ``1 / (8 delay)`` (half the frequency
    ``1 / (4 delay)`` of the delay-set fast oscillation), else ``"SI slow"``. ``delay`` in s."""
    if not modulation >= SYNCHRONOUS_MODULATION:
        return "AI"
    if isi_cv < REGULAR_CV:
        return "SR"
    return "SI fast" if peak_frequency > 1 / (8 * delay) else "SI slow"


def burst_sizes(times: np.ndarray, gap: float) -> list[int]:
    """Spike counts of the bursts of one neuron's sorted spike ``times`` (s): spikes closer than
    ``gap`` (s) belong to the same burst; a lone spike is a burst of 1. Empty ``times``: ``[]``."""
    if len(times) == 0:
        return []
    counts, current = [], 1
    for isi in np.diff(times):
        if isi < gap:
            current += 1
        else:
            counts.append(current)
            current = 1
    return [*counts, current]


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
