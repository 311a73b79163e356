"""Each plot function draws something with labelled axes and returns its axes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurosim import plotting
from neurosim.core.neurons.rate import lif_rate
from neurosim.core.results import RateRecord, SpikeTrains, StateRecord

rng = np.random.default_rng(0)
TIMES = np.sort(rng.uniform(0, 1, 500))
SPIKES = {"E": SpikeTrains(rng.integers(0, 50, 500), TIMES, 50), "I": SpikeTrains(rng.integers(0, 10, 100),
                                                                                 np.sort(rng.uniform(0, 1, 100)), 10)}


def _labelled(ax):
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    assert ax.has_data()
    return True


@pytest.mark.parametrize(("draw", "unit"), [
    (lambda ax: plotting.raster(SPIKES, ax=ax), "ms"),
    (lambda ax: plotting.rate_histogram(SPIKES, (0, 1), ax=ax), "Hz"),
    (lambda ax: plotting.traces(StateRecord("v", np.array([3]), np.arange(100) * 1e-4,
                                            -0.065 + 0.01 * rng.random((100, 1)), "V"), ax=ax), "mV"),
    (lambda ax: plotting.tuning_curve(np.linspace(0, 5, 20), lif_rate(np.linspace(0, 5, 20)), "dimensionless",
                                      ax=ax, analytic=(np.linspace(0, 5, 200), lif_rate(np.linspace(0, 5, 200)))),
     "Hz"),
    (lambda ax: plotting.tuning_curve(np.linspace(0, 2e-9, 5), np.arange(5.0), "current", ax=ax), "nA"),
    (lambda ax: plotting.population_rates({"E": RateRecord(np.arange(1000) * 1e-3, rng.random(1000))}, ax=ax), "Hz"),
    (lambda ax: plotting.curves({"loss": np.linspace(1, 0, 10)}, ax=ax), ""),
])
def test_plot_functions_draw_labelled_axes(draw, unit):
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    assert _labelled(ax)
    assert unit in ax.get_xlabel() + ax.get_ylabel()
    plt.close(fig)


def test_functions_make_their_own_axes_when_none_given():
    ax = plotting.raster(SPIKES)
    assert _labelled(ax)
    plt.close(ax.figure)


def test_raster_figure_has_raster_and_rate_histogram(tmp_path):
    fig = plotting.raster_figure(SPIKES, (0, 1), max_neurons=20)
    top, bottom = fig.axes
    assert top.get_ylabel().startswith("neuron")
    assert "rate (Hz)" in bottom.get_ylabel()
    assert len(top.collections) == 2  # one scatter per population
    fig.savefig(tmp_path / "raster.png")
    assert (tmp_path / "raster.png").stat().st_size > 5_000
    plt.close(fig)


def test_tuning_curve_in_display_units():
    fig, ax = plt.subplots()
    plotting.tuning_curve(np.array([0.0, 1e-9, 2e-9]), np.array([0.0, 10.0, 20.0]), "current", ax=ax)
    assert list(ax.lines[0].get_xdata()) == pytest.approx([0, 1, 2])  # nA
    plt.close(fig)


def test_raster_separates_and_labels_populations():
    fig, ax = plt.subplots()
    plotting.raster(SPIKES, ax=ax)
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["E (50)", "I (10)"]
    boundaries = [line.get_ydata()[0] for line in ax.get_lines()]
    assert boundaries == [49.5]  # between the 50 E neurons and the I neurons stacked above them
    plt.close(fig)


def test_marker_size_shrinks_with_the_number_of_spikes_within_bounds():
    sizes = [plotting.marker_size(n) for n in (1, 100, 10_000, 10_000_000)]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 12.0
    assert sizes[-1] == 0.4


def test_legends_sit_outside_the_data():
    fig, ax = plt.subplots()
    plotting.rate_histogram(SPIKES, (0, 1), ax=ax)
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.x0 > ax.get_window_extent().x1
    plt.close(fig)
