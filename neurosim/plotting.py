"""Figures of results (matplotlib): rasters, rate histograms, traces, tuning curves.

Each function draws into ``ax`` (a new figure's axes when omitted) and returns the axes. Inputs
are SI (s, V, A, Hz); axes are labelled in display units (ms, mV, nA, Hz). The module leaves the
backend alone (the command line selects Agg; notebooks keep their inline backend).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .analysis import population_rate
from .core.results import RateRecord, SpikeTrains, StateRecord
from .units import DIMENSIONS, DISPLAY_UNITS, format_si, ureg

#: SI unit symbol of a record (``StateRecord.unit``) -> its dimension.
_DIMENSION_OF_UNIT = {"V": "voltage", "A": "current", "S": "conductance", "s": "time", "Hz": "frequency",
                      "A/m^2": "current_density", "S/m^2": "conductance_density", "": "dimensionless"}


def display(dimension: str) -> tuple[str, float]:
    """The display unit of ``dimension`` and the factor from SI to it (e.g. voltage -> ('mV', 1000))."""
    unit = DISPLAY_UNITS.get(dimension, "")
    if not unit:
        return "", 1.0
    return unit, float(ureg.Quantity(1.0, DIMENSIONS[dimension]).to(unit).magnitude)


def _legend_outside(ax) -> None:
    """The legend to the right of the axes, off the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False, borderaxespad=0.0)


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    return ax


def marker_size(n_spikes: int) -> float:
    """Scatter marker area (pt^2) for a raster of ``n_spikes`` dots: large enough to see a few
    hundred spikes, small enough that tens of thousands do not merge into a blot."""
    return float(np.clip(4000.0 / max(n_spikes, 1) ** 0.75, 0.4, 12.0))


def raster(spikes: dict[str, SpikeTrains], ax=None, max_neurons: int = 200, window=None):
    """Dots at (time, neuron) for the first ``max_neurons`` neurons of each population, stacked
    from the bottom in the order given, separated by a line and labelled on the right."""
    ax = _axes(ax)
    offset, shown_total, kept = 0, [], []
    for name, trains in spikes.items():
        shown = min(trains.n_neurons, max_neurons)
        keep = trains.node_ids < shown
        if window is not None:
            keep &= (trains.times >= window[0]) & (trains.times < window[1])
        kept.append((name, trains, keep, offset, shown))
        shown_total.append(int(keep.sum()))
        offset += shown
    size = marker_size(sum(shown_total))
    for name, trains, keep, start, shown in kept:
        ax.scatter(trains.times[keep] * 1e3, trains.node_ids[keep] + start, s=size, marker=".", linewidths=0,
                   label=name, rasterized=True)
        if len(kept) > 1:
            ax.annotate(f"{name} ({trains.n_neurons})", xy=(1.0, (start + shown / 2) / max(offset, 1)),
                        xycoords="axes fraction", xytext=(4, 0), textcoords="offset points", va="center",
                        ha="left", rotation=90, fontsize="small")
            if start:
                ax.axhline(start - 0.5, color="0.3", lw=0.8)
    ax.set_ylim(-0.5, max(offset, 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"neuron (first {max_neurons} per population)" if len(spikes) > 1 else "neuron index")
    if window is not None:
        ax.set_xlim(window[0] * 1e3, window[1] * 1e3)
    return ax


def rate_histogram(spikes: dict[str, SpikeTrains], window, ax=None, bin_size: float = 5e-3):
    """Population rate (Hz per neuron) in bins of ``bin_size`` s, one step line per population."""
    ax = _axes(ax)
    for name, trains in spikes.items():
        _, rate = population_rate(trains, window, bin_size)
        ax.stairs(rate, (window[0] + bin_size * np.arange(len(rate) + 1)) * 1e3, baseline=None, label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {bin_size * 1e3:g} ms bins")
    ax.set_xlim(window[0] * 1e3, window[1] * 1e3)
    ax.set_ylim(bottom=0)
    if len(spikes) > 1:
        _legend_outside(ax)
    return ax


def raster_figure(spikes: dict[str, SpikeTrains], window, max_neurons: int = 200, bin_size: float = 5e-3,
                  title: str | None = None):
    """A figure with a raster above its population-rate histogram (shared time axis)."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, height_ratios=(3, 1), layout="constrained")
    raster(spikes, top, max_neurons, window)
    top.set_xlabel("")
    rate_histogram(spikes, window, bottom, bin_size)
    if title:
        fig.suptitle(title)
    return fig


def traces(record: StateRecord, ax=None, max_traces: int = 5, window=None, population: str | None = None):
    """Time course of a recorded variable for up to ``max_traces`` neurons (within ``window``, s);
    ``population`` names the neurons in the legend."""
    ax = _axes(ax)
    if window is not None:
        ax.set_xlim(window[0] * 1e3, window[1] * 1e3)
    unit, factor = display(_DIMENSION_OF_UNIT.get(record.unit, "dimensionless"))
    for column in range(min(max_traces, record.data.shape[1])):
        who = f"{population} {record.node_ids[column]}" if population else f"neuron {record.node_ids[column]}"
        ax.plot(record.times * 1e3, record.data[:, column] * factor, lw=1, label=who)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{record.variable} ({unit})" if unit else record.variable)
    if record.data.shape[1] > 1 or population:
        _legend_outside(ax)
    return ax


def tuning_curve(inputs, rate, dimension: str = "current", ax=None, analytic=None, label: str = "simulated"):
    """Firing rate (Hz) against input (SI ``dimension``, shown in its display unit);
    ``analytic = (inputs, rate)`` is drawn as a line beneath the simulated points."""
    ax = _axes(ax)
    unit, factor = display(dimension)
    if analytic is not None:
        ax.plot(np.asarray(analytic[0]) * factor, analytic[1], color="0.3", lw=2, label="analytic")
    ax.plot(np.asarray(inputs) * factor, rate, "o", ms=3, label=label)
    ax.set_xlabel(f"input ({unit})" if unit else "input J (dimensionless)")
    ax.set_ylabel("firing rate (Hz)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def population_rates(rates: dict[str, RateRecord], ax=None, bin_size: float = 5e-3):
    """Recorded population rates (Hz), averaged over bins of ``bin_size`` s."""
    ax = _axes(ax)
    for name, record in rates.items():
        if len(record.times) < 2:
            continue
        width = max(1, round(bin_size / (record.times[1] - record.times[0])))
        n_bins = len(record.rate) // width
        means = record.rate[:n_bins * width].reshape(n_bins, width).mean(axis=1)
        edges = record.times[0] + (record.times[1] - record.times[0]) * width * np.arange(n_bins + 1)
        ax.stairs(means, edges * 1e3, baseline=None, label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"population rate (Hz), {format_si(bin_size, 'time')} bins")
    if len(rates) > 1:
        _legend_outside(ax)
    return ax


def curves(values: dict[str, np.ndarray], ax=None, xlabel: str = "index", ylabel: str = "value"):
    """Line plot of named 1-D curves (e.g. an experiment's stored learning curves)."""
    ax = _axes(ax)
    for name, curve in values.items():
        ax.plot(np.asarray(curve, float), label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if values:
        _legend_outside(ax)
    return ax
