"""The protocol's ``plots:`` drawn from results: file name -> matplotlib Figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import plotting
from ..core.neurons.rate import lif_rate
from ..core.results import Results
from . import schema
from .load import Protocol


def draw(protocol: Protocol, results: Results) -> dict:
    """Figures of every entry of ``plots:`` (experiments: their stored curves, one figure)."""
    if protocol.is_experiment:
        return _experiment_curves(protocol, results)
    assert isinstance(protocol.spec, schema.NetworkProtocol)
    figures = {}
    for plot in protocol.spec.plots:
        name = plot.file or f"{plot.type}.png"
        figure = _draw(protocol, results, plot)
        if figure is not None:
            figure.suptitle(plot.title or _default_title(protocol, results, plot))
            if plot.size is not None:
                figure.set_size_inches(*plot.size)
            figure.set_dpi(plot.dpi)
            figures[name] = figure
    return figures


_WHAT = {"raster": "spikes", "traces": "{variable}", "tuning_curve": "tuning curve", "rates": "population rate"}


def _default_title(protocol: Protocol, results: Results, plot) -> str:
    """``<protocol>: <what> of <populations>``, e.g. ``cuba: spikes of E, I``."""
    source = {"raster": results.spikes, "rates": results.rates, "traces": results.states,
              "tuning_curve": results.analysis.get("tuning_curve", {})}[plot.type]
    names = [name for name in source if plot.populations is None or name in plot.populations]
    if plot.type == "traces":
        names = [name for name in names if plot.variable in results.states[name]]
    what = _WHAT[plot.type].format(variable=plot.variable)
    return f"{protocol.name}: {what} of {', '.join(names)}" if names else f"{protocol.name}: {what}"


def _draw(protocol: Protocol, results: Results, plot):
    window = plot.window or (0.0, results.duration)
    if window[1] <= window[0]:
        return None
    populations = plot.populations
    if plot.type == "raster":
        spikes = {name: results.spikes[name] for name in populations or results.spikes if name in results.spikes}
        return plotting.raster_figure(spikes, window, plot.max_neurons, plot.bin_size) if spikes else None
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    if plot.type == "traces":
        records = {name: variables[plot.variable] for name, variables in results.states.items()
                   if plot.variable in variables and (populations is None or name in populations)}
        for name, record in records.items():
            plotting.traces(record, ax, window=plot.window, population=name)
    elif plot.type == "rates":
        plotting.population_rates({name: record for name, record in results.rates.items()
                                   if populations is None or name in populations}, ax, bin_size=plot.bin_size)
    else:
        for population, curve in results.analysis.get("tuning_curve", {}).items():
            if populations is not None and population not in populations:
                continue
            plotting.tuning_curve(curve["input"], curve["rate"], curve["input_dimension"], ax,
                                  analytic=_analytic(protocol, population, curve) if plot.analytic else None,
                                  label=f"{population} (simulated)")
    return fig


def _analytic(protocol: Protocol, population: str, curve: dict):
    """LIF rate for the population's (scalar) tau_rc and tau_ref, on a fine grid of the inputs."""
    assert isinstance(protocol.spec, schema.NetworkProtocol)
    params = protocol.spec.network.populations[population].params
    tau_rc, tau_ref = params.get("tau_rc", 0.02), params.get("tau_ref", 0.002)
    inputs = np.linspace(curve["input"].min(), curve["input"].max(), 500)
    return inputs, lif_rate(inputs, float(tau_rc), float(tau_ref))


def _experiment_curves(protocol: Protocol, results: Results) -> dict:
    assert isinstance(protocol.spec, schema.ExperimentProtocol)
    curves = results.analysis.get(protocol.spec.experiment, {}).get("curves", {})
    if not curves:
        return {}
    fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
    plotting.curves(curves, ax)
    ax.set_title(protocol.name)
    return {"curves.png": fig}
