"""The spike-train statistics behind the protocols' analyses, on trains with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from neurosim import analysis
from neurosim.core.results import Results, SpikeTrains


def _trains(per_neuron: list[np.ndarray]) -> SpikeTrains:
    ids = np.concatenate([np.full(len(t), i) for i, t in enumerate(per_neuron)]).astype(np.int64)
    times = np.concatenate(per_neuron)
    order = np.argsort(times, kind="stable")
    return SpikeTrains(ids[order], times[order], len(per_neuron))


def _poisson(rate, duration, n, seed=0):
    rng = np.random.default_rng(seed)
    return _trains([np.sort(rng.uniform(0, duration, rng.poisson(rate * duration))) for _ in range(n)])


def test_rates_and_cv_of_regular_trains():
    trains = _trains([np.arange(0, 1, 0.1), np.arange(0, 1, 0.05), np.array([0.5])])
    assert analysis.firing_rates(trains, (0, 1)) == pytest.approx([10, 20, 1])
    cv = analysis.isi_cv(trains, (0, 1))
    assert cv.shape == (2,)
    assert cv == pytest.approx([0, 0], abs=1e-9)


def test_poisson_statistics():
    trains = _poisson(20.0, 50.0, 40)
    # 1000 intervals per neuron: CV within a few percent of 1; Fano factor of counts near 1
    assert analysis.isi_cv(trains, (0, 50)).mean() == pytest.approx(1.0, abs=0.03)
    assert analysis.fano_factor(trains, (0, 50), 0.1).mean() == pytest.approx(1.0, abs=0.05)
    assert abs(analysis.spike_count_correlation(trains, (0, 50), 0.01)) < 0.01
    assert analysis.synchrony(trains, (0, 50), 0.01) < 3 / 40  # independent: about 1/N


def test_synchronous_trains_have_synchrony_one():
    times = np.sort(np.random.default_rng(1).uniform(0, 10, 200))
    trains = _trains([times] * 5)
    assert analysis.synchrony(trains, (0, 10), 0.01) == pytest.approx(1.0)
    assert analysis.spike_count_correlation(trains, (0, 10), 0.01) == pytest.approx(1.0)


def test_population_rate_and_tuning_curve():
    trains = _trains([np.arange(0, 1, 0.1), np.arange(0, 1, 0.05)])
    centres, rate = analysis.population_rate(trains, (0, 1), 0.5)
    assert centres == pytest.approx([0.25, 0.75])
    assert rate == pytest.approx([15, 15])
    inputs, rates = analysis.tuning_curve(trains, np.array([2.0, 1.0]), (0, 1))
    assert list(inputs) == [1.0, 2.0]
    assert list(rates) == [20, 10]


def test_window_excludes_spikes_outside():
    trains = _trains([np.array([0.1, 0.2, 0.9])])
    assert analysis.firing_rates(trains, (0.0, 0.5)) == pytest.approx([4.0])
    summary = analysis.summary(Results(spikes={"P": trains}, duration=1.0), (0.0, 0.5))
    assert summary["P"]["spikes"] == 2
    assert summary["P"]["mean_rate"] == pytest.approx(4.0)


def test_burst_sizes_groups_spikes_closer_than_the_gap():
    from neurosim.analysis import burst_sizes

    times = np.array([0.100, 0.104, 0.108, 0.200, 0.300, 0.3099])  # 3-spike burst, lone spike, doublet
    assert burst_sizes(times, gap=0.01) == [3, 1, 2]
    assert burst_sizes(times, gap=0.001) == [1] * 6
    assert burst_sizes(np.array([]), gap=0.01) == []
