"""Figures of a comparison: overlaid traces, rasters side by side, distributions as ECDFs."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core.results import Results
from .metrics import spike_statistics

LABELS = ("neurosim", "Brian2")
SCALES = {"V": ("mV", 1e3), "A": ("nA", 1e9), "S": ("nS", 1e9), "s": ("ms", 1e3)}


def traces_figure(ours: Results, reference: Results, max_traces: int = 3) -> Figure | None:
    """One row per recorded variable: both runs overlaid (top) and their difference (bottom)."""
    records = [(name, var) for name, variables in ours.states.items() for var in variables]
    if not records:
        return None
    figure = Figure(figsize=(10, 3.2 * len(records)), layout="constrained")
    axes = figure.subplots(2 * len(records), 1, squeeze=False, height_ratios=[3, 1] * len(records))[:, 0]
    for row, (name, variable) in enumerate(records):
        a, b = ours.states[name][variable], reference.states[name][variable]
        unit, scale = SCALES.get(a.unit, (a.unit, 1.0))
        top, bottom = axes[2 * row], axes[2 * row + 1]
        for column in range(min(max_traces, a.data.shape[1])):
            line, = top.plot(a.times * 1e3, a.data[:, column] * scale, lw=1.2,
                             label=f"{LABELS[0]}, neuron {a.node_ids[column]}")
            top.plot(b.times * 1e3, b.data[:, column] * scale, lw=1.2, ls="--", color="black", alpha=0.6,
                     label=f"{LABELS[1]}" if column == 0 else None)
            bottom.plot(a.times * 1e3, (a.data[:, column] - b.data[:, column]) * scale, lw=0.8, color=line.get_color())
        top.set_ylabel(f"{variable} ({unit})" if unit else variable)
        top.set_title(f"{name}: {variable}, {LABELS[0]} (solid) and {LABELS[1]} (dashed)")
        top.legend(loc="upper right", fontsize=8)
        bottom.set_ylabel(f"difference ({unit})" if unit else "difference")
        bottom.set_xlabel("time (ms)")
    return figure


def raster_figure(ours: Results, reference: Results, max_neurons: int = 200) -> Figure | None:
    """Spike rasters of the first ``max_neurons`` neurons of each population, neurosim left, Brian2 right."""
    names = list(ours.spikes)
    if not names:
        return None
    figure = Figure(figsize=(11, 2.6 * len(names) + 0.6), layout="constrained")
    axes = figure.subplots(len(names), 2, squeeze=False, sharex=True)
    for row, name in enumerate(names):
        for column, results in enumerate((ours, reference)):
            trains = results.spikes[name]
            keep = trains.node_ids < max_neurons
            ax = axes[row, column]
            ax.plot(trains.times[keep] * 1e3, trains.node_ids[keep], "|", ms=3, color="black")
            ax.set_xlim(0, results.duration * 1e3)
            ax.set_title(f"{LABELS[column]}: {name} "
                         f"({keep.sum()} spikes of neurons < {min(max_neurons, trains.n_neurons)})")
            ax.set_ylabel("neuron")
            ax.yaxis.get_major_locator().set_params(integer=True)
        axes[row, 0].sharey(axes[row, 1])
    for ax in axes[-1]:
        ax.set_xlabel("time (ms)")
    return figure


def distributions_figure(ours: list[Results], reference: list[Results], window, bin_size: float) -> Figure | None:
    """ECDFs (what the KS test compares) of firing rate, ISI CV and pairwise correlation per population."""
    names = list(ours[0].spikes)
    if not names:
        return None
    metrics = (("rate", "firing rate (Hz)"), ("isi_cv", "ISI CV"), ("correlation", "spike-count correlation"))
    figure = Figure(figsize=(12, 3.0 * len(names) + 0.6), layout="constrained")
    axes = figure.subplots(len(names), 3, squeeze=False)
    seeds = ", ".join(str(r.seed) for r in ours)
    for row, name in enumerate(names):
        stats = [spike_statistics(runs, name, window, bin_size) for runs in (ours, reference)]
        for column, (metric, label) in enumerate(metrics):
            ax = axes[row, column]
            for index, values in enumerate(s[metric] for s in stats):
                values = np.sort(values[np.isfinite(values)])
                ax.step(values, np.arange(1, len(values) + 1) / max(len(values), 1), where="post",
                        ls="-" if index == 0 else "--", label=f"{LABELS[index]} (n = {len(values)})")
            ax.set_xlabel(label)
            ax.set_ylabel("cumulative fraction")
            ax.set_title(f"{name}: {label}, seeds {seeds}", fontsize=9)
            ax.legend(fontsize=8, loc="lower right")
    return figure
