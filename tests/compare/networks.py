"""Networks of the Brian2 comparison tests, built with the core Python API."""
from __future__ import annotations

import numpy as np

from neurosim.core import connectivity
from neurosim.core.distributions import Normal, Uniform
from neurosim.core.network import Network
from neurosim.core.synapses import Synapse

mV, ms, nS = 1e-3, 1e-3, 1e-9


def _two_populations(net, model, params, receptors, initial, weights):
    """E (3200) and I (800), all four projections with p = 0.02 (autapses allowed, as in Brian2's examples)."""
    pops = {name: net.add_population(name, n, model, params=params, receptors=receptors, initial=initial)
            for name, n in (("E", 3200), ("I", 800))}
    for pre, weight in weights.items():
        for post in pops.values():
            net.connect(pops[pre], post, receptor=pre, rule=connectivity.rule("fixed_probability", p=0.02),
                        weight=weight)
    for pop in pops.values():
        net.record_spikes(pop)
    return net


def cuba(seed: int, tau_m: float = 20 * ms) -> Network:
    """Brian2's examples/CUBA.py: jumps of v by we = 1.62 mV and wi = -9 mV are currents we/R, wi/R."""
    r_m = 20 * ms / 1e-9  # tau_m / cm with the default cm of 1 nF
    params = {"cm": 1e-9, "tau_m": tau_m, "v_rest": -49 * mV, "v_thresh": -50 * mV, "v_reset": -60 * mV,
              "tau_refrac": 5 * ms}
    receptors = {"E": Synapse("exponential", 5 * ms), "I": Synapse("exponential", 10 * ms)}
    return _two_populations(Network(seed=seed), "lif", params, receptors, {"v": Uniform(-60 * mV, -50 * mV)},
                            {"E": 1.62 * mV / r_m, "I": -9 * mV / r_m})


def cobahh(seed: int) -> Network:
    """Brian2's examples/COBAHH.py (hh_traub defaults are its parameters); initial values as there."""
    receptors = {"E": Synapse("exponential", 5 * ms, kind="conductance", e_rev=0.0),
                 "I": Synapse("exponential", 10 * ms, kind="conductance", e_rev=-80 * mV)}
    initial = {"v": Normal(-65 * mV, 5 * mV), "syn_E": Normal(40 * nS, 15 * nS), "syn_I": Normal(200 * nS, 120 * nS)}
    return _two_populations(Network(seed=seed), "hh_traub", {}, receptors, initial, {"E": 6 * nS, "I": 67 * nS})


def poisson_spike_list(n: int, rate: float, duration: float, dt: float, seed: int):
    """Indices and times (on the step grid) of ``n`` Poisson trains, drawn once."""
    steps, indices = np.nonzero(np.random.default_rng(seed).random((round(duration / dt), n)) < rate * dt)
    return indices, steps * dt
