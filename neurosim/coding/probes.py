"""Probes: decoded values over time and filtered spike trains, and the filters that explain them.

Decoded-value probe (used by :class:`~neurosim.coding.model.Model`): a ``DenseProjection`` from the
ensemble (pre factor: the decoders of ``function``, post factor: the identity) into a small linear
``rate_population`` with ``tau = 0`` whose ``x`` a ``StateMonitor`` records. It costs O(N D) per step
and uses exactly the arithmetic and filter of a connection, so a probe shows what a downstream
population receives. Timing: the projection reads the previous step's activity and the monitor
records at the start of a step, so sample ``m`` (time ``m dt``) is
``delay(lowpass(decoded activity), 2)[m]`` in terms of the functions below (checked in the tests).

Filtered spike trains ``s(t) = a(t) * h(t)`` with ``a(t) = sum_p delta(t - t_p)`` and the unit-area
lowpass ``h(t) = exp(-t/tau)/tau`` (the course notes write ``h`` with a typo; this is the
literature's first-order synapse), computed afterwards from recorded spikes by
:func:`filtered_spikes` with the same discretisation as the simulator's synapses.
"""
from __future__ import annotations

import numpy as np
import scipy.signal

from ..core.results import SpikeTrains
from ..errors import ParameterError


def lowpass(u, tau: float, dt: float) -> np.ndarray:
    """Nengo's zero-order-hold lowpass along axis 0: ``y[k] = a y[k-1] + (1 - a) u[k]``, ``a = exp(-dt/tau)``.

    ``tau = 0`` returns ``u``. The step response is ``1 - a^(k+1)``.
    """
    u = np.asarray(u, float)
    if tau < 0:
        raise ParameterError("lowpass: tau", tau, "a time constant >= 0 s")
    if tau == 0:
        return u.copy()
    a = np.exp(-dt / tau)
    return scipy.signal.lfilter([1.0 - a], [1.0, -a], u, axis=0)


def delay(u, steps: int) -> np.ndarray:
    """``u`` delayed by ``steps`` samples along axis 0 (zeros shifted in)."""
    u = np.asarray(u, float)
    out = np.zeros_like(u)
    if steps < len(u):
        out[steps:] = u[:len(u) - steps]
    return out


def spike_counts(spikes: SpikeTrains, n_steps: int, dt: float) -> np.ndarray:
    """Spikes per step and neuron, an (n_steps x n_neurons) array."""
    steps = np.round(spikes.times / dt).astype(np.int64)
    keep = steps < n_steps
    counts = np.zeros((n_steps, spikes.n_neurons))
    np.add.at(counts, (steps[keep], spikes.node_ids[keep]), 1.0)
    return counts


def filtered_spikes(spikes: SpikeTrains, n_steps: int, dt: float, tau: float) -> np.ndarray:
    """``s(t) = a(t) * h(t)`` (Hz) at the end of each step: spikes as ``1/dt`` impulses, lowpassed."""
    return lowpass(spike_counts(spikes, n_steps, dt) / dt, tau, dt)


def decode_spikes(spikes: SpikeTrains, decoders, n_steps: int, dt: float, tau: float) -> np.ndarray:
    """Decoded value ``s(t) @ decoders`` (n_steps x D) from recorded spikes, without a probe population."""
    decoders = np.asarray(decoders, float)
    decoders = decoders[:, None] if decoders.ndim == 1 else decoders
    return lowpass(spike_counts(spikes, n_steps, dt) @ decoders / dt, tau, dt)
