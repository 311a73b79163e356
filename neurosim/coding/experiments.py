"""The ``nef_*`` experiments: tuning curves, communication channel, square, integrator, oscillator.

Each returns an :class:`~neurosim.experiment.ExperimentOutput`. Decoded signals are compared with
the *ideal* signal: the input passed through the same synapses with the same one-step delays
(:mod:`neurosim.coding.probes`), so the RMSE measures representation error only. RMSEs skip the
first ``SKIP`` seconds (the start-up transient of the filters and of the initial voltages).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..core.network import Network
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..experiment import ExperimentOutput
from .connection import Connection
from .dynamics import integrator, oscillation_frequency, oscillator
from .ensemble import Ensemble
from .functions import evaluate
from .model import MODES, Model
from .node import Node
from .probes import delay, lowpass

SKIP = 0.1  # s


def _rmse(a, b, t) -> float:
    keep = t >= SKIP
    return float(np.sqrt(np.mean((np.asarray(a)[keep] - np.asarray(b)[keep]) ** 2)))


def _through(u, synapse: float, dt: float) -> np.ndarray:
    """What a connection with ``synapse`` delivers: lowpass, read one step late."""
    return delay(lowpass(u, synapse, dt), 1)


def _probed(u, synapse: float, dt: float) -> np.ndarray:
    """What a decoded-value probe records for a decoded signal ``u`` (see :mod:`.probes`)."""
    return delay(lowpass(u, synapse, dt), 2)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ParameterError("mode", mode, f"one of {list(MODES)}")


def _raster(ax, spikes, duration: float, title: str) -> None:
    ax.plot(spikes.times, spikes.node_ids, "|", markersize=2, markeredgewidth=0.5, color="k")
    ax.set(xlim=(0, duration), xlabel="time (s)", ylabel="neuron", title=title)


def tuning_curves(n_neurons: int = 20, neuron_type: str = "lif", duration: float = 1.0, n_points: int = 41,
                  dt: float = 0.001, *, seed: int, progress) -> ExperimentOutput:
    """Tuning curves of a 1-D ensemble (Nengo defaults): analytic or measured rate curve against rates
    counted in a spiking simulation of every neuron at ``n_points`` values of x; static decoding RMSE."""
    ens = Ensemble("ens", n_neurons, seed=seed, neuron_type=neuron_type)
    x = np.linspace(-ens.radius, ens.radius, n_points)
    rates = ens.rates(x)
    decode = Connection(ens, Node("out", None, 1))
    metrics = {"static_rmse": decode.rmse, "n_eval_points": float(len(ens.eval_points))}
    fig = Figure(figsize=(10, 4))
    ax_curve, ax_decode = fig.subplots(1, 2)
    ax_curve.plot(x, rates, lw=1)
    measured = None
    if ens.spiking:
        progress(0.1, "simulating every neuron at each x")
        currents = ens.currents(x).ravel()  # point-major: index = point * n_neurons + neuron
        net = Network(seed)
        grid = net.add(_grid_population(ens, currents))
        net.record_spikes(grid)
        sim_dt = dt if neuron_type == "lif" else ens.hh_dt
        spikes = Simulator(net, dt=sim_dt).run(duration).spikes["grid"]
        measured = (spikes.counts() / duration).reshape(n_points, n_neurons)
        ax_curve.plot(x, measured, ".", ms=3, color="k")
        metrics["max_rate_error_hz"] = float(np.abs(measured - rates).max())
    ax_curve.set(xlabel="represented value x", ylabel="firing rate (Hz)",
                 title=f"{n_neurons} {neuron_type} tuning curves"
                 + (" (dots: simulated)" if measured is not None else ""))
    decoded = rates @ decode.decoders
    ax_decode.plot(x, x, "k--", lw=1, label="x")
    ax_decode.plot(x, decoded, label="decoded (static)")
    ax_decode.set(xlabel="represented value x", ylabel="decoded value",
                  title=f"static RMSE {decode.rmse:.4f}")
    ax_decode.legend()
    fig.tight_layout()
    arrays = {"rates": rates, "encoders": ens.encoders, "gain": ens.gain, "bias": ens.bias,
              "max_rates": ens.max_rates, "intercepts": ens.intercepts, "decoders": decode.decoders}
    if measured is not None:
        arrays["measured_rates"] = measured
    return ExperimentOutput(metrics=metrics, curves={"x": x, "decoded": decoded}, arrays=arrays,
                            figures={"tuning_curves": fig})


def _grid_population(ens: Ensemble, currents: np.ndarray):
    from ..core.neurons import make_population

    if ens.neuron_type == "lif":
        return make_population("lif_dimensionless", "grid", currents.size,
                               params={"tau_rc": ens.tau_rc, "tau_ref": ens.tau_ref, "bias": currents})
    return ens.hh_curve.population("grid", currents.size, currents)


def _sine_model(n_neurons, mode, seed, frequency):
    model = Model(seed=seed, mode=mode)
    stim = model.node("stim", lambda t: np.sin(2 * np.pi * frequency * t))
    a = model.ensemble("a", n_neurons)
    b = model.ensemble("b", n_neurons)
    return model, stim, a, b


def _signal_figure(t, traces: dict, ylabel: str, title: str, spikes=None, duration=None, raster="a"):
    fig = Figure(figsize=(9, 6 if spikes is not None else 3.5))
    axes = fig.subplots(2, 1, sharex=True) if spikes is not None else [fig.subplots()]
    for label, (values, style) in traces.items():
        axes[0].plot(t, values, style, lw=1, label=label, zorder=3 if style == "k--" else 2)
    axes[0].set(ylabel=ylabel, title=title)
    axes[0].legend(fontsize=8, loc="upper right")
    if spikes is not None:
        _raster(axes[1], spikes, duration, f"spikes of ensemble {raster}")
    else:
        axes[0].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def _run_sine(model, a, mode: str, duration: float, dt: float, frequency: float, synapse: float, progress):
    """Run a sine model (spikes of ``a`` probed in spiking mode): the data, ``t``, the input ``u`` and
    the ideal value at ``a`` (``u`` through one ``synapse`` lowpass)."""
    if mode == "spiking":
        model.probe_spikes(a)
    progress(0.1, "simulating")
    data = model.run(duration, dt)
    u = np.sin(2 * np.pi * frequency * data.t)[:, None]
    return data, data.t, u, _through(u, synapse, dt)


def communication_channel(n_neurons: int = 100, duration: float = 2.0, mode: str = "spiking",
                          frequency: float = 1.0, synapse: float = 0.005, probe_synapse: float = 0.01,
                          dt: float = 0.001, *, seed: int, progress) -> ExperimentOutput:
    """A 1 Hz sine through two ensembles (stim -> a -> b, identity decoders, ``synapse`` lowpass)."""
    _check_mode(mode)
    model, stim, a, b = _sine_model(n_neurons, mode, seed, frequency)
    model.connect(stim, a, synapse=synapse)
    ab = model.connect(a, b, synapse=synapse)
    b_out = Connection(b, Node("out", None, 1))
    model.probe(a, synapse=probe_synapse)
    model.probe(b, synapse=probe_synapse)
    data, t, u, x_a = _run_sine(model, a, mode, duration, dt, frequency, synapse, progress)
    x_b = _through(x_a, synapse, dt)
    ideal_a, ideal_b = _probed(x_a, probe_synapse, dt), _probed(x_b, probe_synapse, dt)
    dec_a, dec_b = data.decoded["a_probe"], data.decoded["b_probe"]
    metrics = {"rmse_a": _rmse(dec_a, ideal_a, t), "rmse_b": _rmse(dec_b, ideal_b, t),
               "static_rmse_a": ab.rmse, "static_rmse_b": b_out.rmse}
    fig = _signal_figure(t, {"ideal at b (filtered input)": (ideal_b[:, 0], "k--"), "decoded a": (dec_a[:, 0], "-"),
                             "decoded b": (dec_b[:, 0], "-")}, "value",
                         f"communication channel, {n_neurons} {mode} neurons per population: "
                         f"RMSE a {metrics['rmse_a']:.4f}, b {metrics['rmse_b']:.4f}",
                         data.spikes.get("a"), duration)
    return ExperimentOutput(metrics=metrics, curves={"t": t, "input": u[:, 0], "ideal_a": ideal_a[:, 0],
                                                     "ideal_b": ideal_b[:, 0], "decoded_a": dec_a[:, 0],
                                                     "decoded_b": dec_b[:, 0]},
                            figures={"communication_channel": fig})


def square(n_neurons: int = 100, duration: float = 2.0, mode: str = "spiking", frequency: float = 1.0,
           synapse: float = 0.005, probe_synapse: float = 0.01, dt: float = 0.001, *, seed: int,
           progress) -> ExperimentOutput:
    """A sine into ensemble a; b receives ``x**2`` decoded from a (a nonlinear transformation)."""
    _check_mode(mode)
    model, stim, a, b = _sine_model(n_neurons, mode, seed, frequency)
    model.connect(stim, a, synapse=synapse)
    ab = model.connect(a, b, function="square", synapse=synapse)
    model.probe(b, synapse=probe_synapse)
    data, t, u, x_a = _run_sine(model, a, mode, duration, dt, frequency, synapse, progress)
    ideal = _probed(_through(evaluate("square", x_a), synapse, dt), probe_synapse, dt)
    decoded = data.decoded["b_probe"]
    metrics = {"rmse": _rmse(decoded, ideal, t), "static_rmse": ab.rmse}
    fig = _signal_figure(t, {"input x": (_probed(x_a, probe_synapse, dt)[:, 0], ":"),
                             "ideal x^2 (filtered)": (ideal[:, 0], "k--"), "decoded b": (decoded[:, 0], "-")},
                         "value", f"square, {n_neurons} {mode} neurons: RMSE {metrics['rmse']:.4f}",
                         data.spikes.get("a"), duration)
    return ExperimentOutput(metrics=metrics, curves={"t": t, "input": u[:, 0], "ideal": ideal[:, 0],
                                                     "decoded": decoded[:, 0]}, figures={"square": fig})


def _window_mean(t, y, centre: float, half: float = 0.025) -> float:
    return float(np.mean(y[(t >= centre - half) & (t <= centre + half)]))


def integrator_experiment(n_neurons: int = 100, duration: float = 2.0, mode: str = "spiking", tau: float = 0.1,
                          amplitude: float = 1.0, step_start: float = 0.1, step_stop: float = 0.6,
                          probe_synapse: float = 0.01, dt: float = 0.001, discrete_mapping: bool = False, *,
                          seed: int, progress) -> ExperimentOutput:
    """``dx/dt = u``: a step of ``amplitude`` from ``step_start`` to ``step_stop`` (s), then no input.

    Metrics: slope fitted over the step (after 50 ms), its error against ``amplitude`` (%), and the
    drift of x over the 1 s from ``step_stop + 0.1`` s (mean of +-25 ms windows).
    """
    _check_mode(mode)
    if duration < step_stop + 1.15:
        raise ParameterError("duration", duration, f"at least step_stop + 1.15 s = {step_stop + 1.15} s (1 s of hold)")
    model = Model(seed=seed, mode=mode)
    stim = model.node("u", lambda t: amplitude * ((t >= step_start) & (t < step_stop)))
    ens = integrator(model, "x", n_neurons, stim, tau=tau, dt=dt if discrete_mapping else None)
    model.probe(ens, synapse=probe_synapse)
    if mode == "spiking":
        model.probe_spikes(ens)
    progress(0.1, "simulating")
    data = model.run(duration, dt)
    t, y = data.t, data.decoded["x_probe"][:, 0]
    ramp = (t >= step_start + 0.05) & (t < step_stop)
    slope = float(np.polyfit(t[ramp], y[ramp], 1)[0])
    hold = step_stop + 0.1
    start, end = _window_mean(t, y, hold), _window_mean(t, y, hold + 1.0)
    ideal = _probed(np.cumsum(stim.evaluate(t - dt)[:, 0]) * dt, probe_synapse, dt)
    metrics = {"slope": slope, "slope_error_percent": 100 * (slope - amplitude) / amplitude,
               "held_value": start, "drift_per_s": end - start, "rmse": _rmse(y, ideal, t)}
    fig = _signal_figure(t, {"input u": (stim.evaluate(t)[:, 0], ":"), "ideal integral": (ideal, "k--"),
                             "decoded x": (y, "-")}, "value",
                         f"integrator, {n_neurons} {mode} neurons: slope {slope:.3f} (designed {amplitude:g}), "
                         f"drift {end - start:+.4f} per s", data.spikes.get("x"), duration, raster="x")
    return ExperimentOutput(metrics=metrics, curves={"t": t, "input": stim.evaluate(t)[:, 0], "decoded": y,
                                                     "ideal": ideal}, figures={"integrator": fig})


def oscillator_experiment(n_neurons: int = 200, duration: float = 5.0, mode: str = "spiking", omega: float = 10.0,
                          damping: float = 0.0, tau: float = 0.1, kick: float = 0.8, probe_synapse: float = 0.01,
                          dt: float = 0.001, discrete_mapping: bool = False, *, seed: int,
                          progress) -> ExperimentOutput:
    """Harmonic oscillator ``dx/dt = [[-damping, -omega], [omega, -damping]] x + u`` (2-D ensemble).

    A kick ``u = [kick / 0.1 s, 0]`` during the first 0.1 s starts it near amplitude ``kick``. Metrics:
    frequency from the slope of the unwrapped phase from 0.5 s on (to the end, or for ``damping > 0``
    over one decay time ``1/damping``, while the amplitude is well above the spike noise), against
    ``omega / 2 pi``; amplitude (|x|) range over the last second; for ``damping > 0`` the decay rate
    fitted to log |x| over the same window.
    """
    _check_mode(mode)
    model = Model(seed=seed, mode=mode)
    stim = model.node("u", lambda t: np.where(t < 0.1, kick / 0.1, 0.0)[:, None] * np.array([[1.0, 0.0]]))
    ens = oscillator(model, "osc", n_neurons, stim, omega=omega, damping=damping, tau=tau,
                     dt=dt if discrete_mapping else None)
    model.probe(ens, synapse=probe_synapse)
    progress(0.1, "simulating")
    data = model.run(duration, dt)
    t, x = data.t, data.decoded["osc_probe"]
    after = (t >= 0.5) & (t <= (0.5 + 1.0 / damping if damping > 0 else duration))
    amplitude = np.linalg.norm(x, axis=1)
    last = t >= duration - 1.0
    design = omega / (2 * np.pi)
    frequency = oscillation_frequency(t[after], x[after])
    metrics = {"frequency_hz": frequency, "design_frequency_hz": design,
               "frequency_error_percent": 100 * (frequency - design) / design,
               "amplitude_min_last_s": float(amplitude[last].min()),
               "amplitude_max_last_s": float(amplitude[last].max())}
    if damping > 0:
        metrics["decay_rate"] = float(-np.polyfit(t[after], np.log(amplitude[after]), 1)[0])
    fig = Figure(figsize=(11, 4))
    ax_t, ax_p = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    ax_t.plot(t, x[:, 0], lw=1, label="x0")
    ax_t.plot(t, x[:, 1], lw=1, label="x1")
    ax_t.plot(t, amplitude, "k:", lw=1, label="|x|")
    ax_t.set(xlabel="time (s)", ylabel="decoded state",
             title=f"oscillator, {n_neurons} {mode} neurons: {frequency:.4f} Hz (designed {design:.4f} Hz)")
    ax_t.legend(fontsize=8, loc="upper right")
    ax_p.plot(x[after, 0], x[after, 1], lw=0.5)
    ax_p.set(xlabel="x0", ylabel="x1", title="phase portrait (fit window)", aspect="equal")
    fig.tight_layout()
    return ExperimentOutput(metrics=metrics, curves={"t": t, "x0": x[:, 0], "x1": x[:, 1], "amplitude": amplitude},
                            figures={"oscillator": fig})
