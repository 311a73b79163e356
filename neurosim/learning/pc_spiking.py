"""Predictive coding with LIF populations in rate-coded form (linear activation; relaxation only).

Every quantity ``q`` of the rate network (the value ``x_l`` of a free layer, the error ``e_l`` of
layer ``l >= 1``) is a push-pull pair of ``lif_dimensionless``
populations in one population of ``2 m`` neurons per unit: the ``m`` positive neurons receive
``J = J_bias + gain q``, the ``m`` negative ones ``J_bias - gain q``. A linear decoder reads
``q = (r_+ - r_-) / (2 m gain r'(J_bias))`` from their lowpass-filtered spike trains (``r'`` the
slope of the LIF rate curve): the offsets ``r(J_bias)`` and the curve's even-order terms cancel, so
the code is linear to third order in ``gain q``. Links are factored dense projections from spikes
(decoders times encoders) with one synaptic lowpass ``tau_syn``:

- errors: ``e_l = pi_l (x_l - W_l^T x_{l-1} - b_l)``, the clamped layers and biases in the bias currents;
- values (an NEF integrator, Eliasmith & Anderson 2003): ``x_l`` feeds its own input (weight 1,
  the memory) plus ``tau_syn / tau_x (-e_l + W_{l+1} e_{l+1})``, so the filtered input obeys
  ``dx_l/dt = (-e_l + W_{l+1} e_{l+1}) / tau_x``, the rate network's relaxation.

Only ``linear`` networks: ``f(x)`` for a nonlinear ``f`` and the gate ``f'(x) back`` need nonlinear
decoders (heterogeneous tuning curves) and a product of two represented quantities. The fixed
point is compared with the rate network's (:meth:`PredictiveCodingNetwork.relax`).
"""
from __future__ import annotations

import numpy as np

from ..core.dense import DenseProjection
from ..core.network import Network
from ..core.neurons import make_population
from ..core.neurons.rate import lif_rate
from ..core.simulator import Simulator
from ..errors import ParameterError
from ..units import quantity, si_floats
from .data import check_count
from .predictive_coding import PredictiveCodingNetwork

TAU_RC, TAU_REF = 0.02, 0.002  # lif_dimensionless defaults (s)


def slope(j_bias) -> np.ndarray:
    """``dr/dJ`` (Hz per unit input) of the dimensionless LIF's rate curve at ``j_bias`` (> 1)."""
    j_bias = np.asarray(j_bias, float)
    r = lif_rate(j_bias, TAU_RC, TAU_REF)
    return r * r * TAU_RC / (j_bias * (j_bias - 1.0))


class SpikingRelaxation:
    """A linear :class:`PredictiveCodingNetwork` with layers ``clamped`` to ``x[l]`` (one sample),
    the others relaxing as LIF push-pull populations of ``m`` neurons per sign and unit."""

    def __init__(self, network: PredictiveCodingNetwork, x: list, clamped: set, gamma: float = 1.0, m: int = 20,
                 j_bias=(2.0, 4.0), gain: float = 0.5, tau_syn="5 ms", tau_x="20 ms", dt="0.2 ms", seed: int = 0):
        """``j_bias``: range of the neurons' bias currents (uniform, > 1 + gain |q|); ``gain``: input per
        unit of a quantity; ``tau_syn``: synapses into error populations; ``tau_x``: the relaxation
        time constant (synapses into value populations, ``tau_x / pi``)."""
        if network.activation != "linear":
            raise ParameterError("activation", network.activation, "'linear' (spiking predictive coding decodes "
                                 "linear functions of the rates only)")
        if 0 not in clamped:
            raise ParameterError("clamped", sorted(clamped), "a set with the input layer 0 (a free input needs "
                                 "the prior's error node, which is not built)")
        tau_syn, tau_x = quantity(tau_syn, "time", "tau_syn"), quantity(tau_x, "time", "tau_x")
        self.dt = quantity(dt, "time", "dt")
        self.network, self.m, self.gain = network, check_count("m", m), float(gain)
        L, sizes = network.n_layers, network.sizes
        x = [np.asarray(v, float).ravel() for v in x]
        self.free = [l for l in range(L + 1) if l not in clamped]
        self.precision = [1.0] * (L - 1) + [float(gamma)]
        net = Network(seed=seed)
        rng = np.random.default_rng(seed)
        pops, bias = {}, {}
        for l in range(1, L + 1):  # the constant part of each quantity: clamped layers and biases
            const = -network.b[l - 1].copy()
            if l in clamped:
                const += x[l]
            if l - 1 in clamped:
                const -= network.W[l - 1].T @ x[l - 1]
            bias[("e", l)] = self.precision[l - 1] * const
            if l in self.free:
                bias[("x", l)] = network.b[l - 1] + (network.W[l - 1].T @ x[l - 1] if l - 1 in clamped else 0.0)
        self.decoders = {}  # per neuron: sign / (2 m gain r'(J_i)), the pair (i+, i-) sharing J_i
        with si_floats():
            for key, constant in bias.items():
                n = len(constant)
                sign = np.repeat([1.0, -1.0], n * self.m)
                unit_constant = np.tile(np.repeat(constant, self.m), 2)
                j = np.tile(rng.uniform(*j_bias, n * self.m), 2)  # heterogeneous: no common frequency to lock to
                self.decoders[key] = sign / (2 * self.m * self.gain * slope(j))
                pops[key] = net.add(make_population(
                    "lif_dimensionless", f"{key[0]}{key[1]}", 2 * n * self.m, spike_timing="precise",
                    params={"bias": j + self.gain * sign * unit_constant},
                    initial={"v": rng.uniform(0.0, 1.0, 2 * n * self.m)}))
            self.pops = pops

            def link(source, target, A, name, tau):
                """``q_target += A q_source`` (A: n_target x n_source) through decoders and encoders."""
                n_src, n_tgt = A.shape[1], A.shape[0]
                decode = np.tile(np.repeat(np.eye(n_src), self.m, axis=1), 2) * self.decoders[source]
                spread = np.repeat(np.eye(n_tgt), self.m, axis=0)  # unit -> its m neurons
                encode = self.gain * np.vstack([spread @ A, -(spread @ A)])
                net.add(DenseProjection(pops[source], pops[target], pre_matrix=decode, post_matrix=encode,
                                        tau=tau, name=name))

            for l in range(1, L + 1):
                pi = self.precision[l - 1]
                if l in self.free:
                    link(("x", l), ("e", l), pi * np.eye(sizes[l]), f"x{l}_e{l}", tau_syn)
                if l - 1 in self.free:
                    link(("x", l - 1), ("e", l), -pi * network.W[l - 1].T, f"x{l - 1}_e{l}", tau_syn)
            for l in self.free:  # x_l = lowpass(mu_l + W_{l+1} e_{l+1} / pi_l), time constant tau_x / pi_l
                pi = self.precision[l - 1]
                if l - 1 in self.free:
                    link(("x", l - 1), ("x", l), network.W[l - 1].T, f"x{l - 1}_x{l}", tau_x / pi)
                if l < L:
                    link(("e", l + 1), ("x", l), network.W[l] / pi, f"e{l + 1}_x{l}", tau_x / pi)
            for key in pops:
                net.record_spikes(pops[key])
            self.simulator = Simulator(net, dt=self.dt)

    def run(self, duration, window) -> dict:
        """Run ``duration`` and decode every quantity from the last ``window`` (times): each neuron's
        rate is ``(spikes - 1) / (last - first spike time)`` there (exact for regular firing, where
        a count over the window would be biased by the neurons' phases), ``{('x' or 'e', l): vector}``."""
        window = quantity(window, "time", "window")
        results = self.simulator.run(duration)
        stop = self.simulator.step * self.dt
        decoded = {}
        for key, pop in self.pops.items():
            trains = results.spikes[pop.name]
            keep = trains.times >= stop - window - 1e-12
            ids, times = trains.node_ids[keep], trains.times[keep]
            n_spikes = np.bincount(ids, minlength=pop.n)
            first = np.full(pop.n, np.inf)
            last = np.full(pop.n, -np.inf)
            np.minimum.at(first, ids, times)
            np.maximum.at(last, ids, times)
            rates = np.where(n_spikes >= 2, (n_spikes - 1) / np.maximum(last - first, 1e-300), n_spikes / window)
            decoded[key] = (rates * self.decoders[key]).reshape(2, pop.n // (2 * self.m), self.m).sum(axis=(0, 2))
        return decoded


__all__ = ["SpikingRelaxation", "slope"]
