"""COBAHH (Brette et al. 2007, benchmark 3; Brian2's examples/COBAHH.py): Traub-Miles HH with
conductance synapses, exponential Euler; p = 0.02 at N = 4000, 80 synapses per neuron above.
neurosim runs the shipped protocol as it is (exact gate propagators, float64 weights); a spec's
``sets: ["network.populations.E.tables={v: {min: -150 mV, max: 100 mV, step: 0.01 mV}}", ...]``
measures the gate tables."""

import numpy as np

from .common import brian2_ei_objects, connection_probability, protocol_simulator, worker_main

mV, ms, nS = 1e-3, 1e-3, 1e-9


def neurosim_build(spec):
    """The shipped ``protocols/cobahh.yaml`` at the spec's size (see ``common.protocol_simulator``)."""
    return protocol_simulator("cobahh", spec)


def brian2_build(spec, b2):
    """Brian2's examples/COBAHH.py, with N and p as parameters."""
    n = spec["n"]
    u = b2.units
    namespace = {"gl": 10 * u.nS, "El": -60 * u.mV, "EK": -90 * u.mV, "ENa": 50 * u.mV, "g_na": 20 * u.uS,
                 "g_kd": 6 * u.uS, "VT": -63 * u.mV, "Ee": 0 * u.mV, "Ei": -80 * u.mV, "taue": 5 * u.ms,
                 "taui": 10 * u.ms, "Cm": 200 * u.pF, "we": 6 * u.nS, "wi": 67 * u.nS, "mV": u.mV,
                 "ms": u.ms, "nS": u.nS}
    eqs = """
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-g_na*(m*m*m)*h*(v-ENa)-g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = alpha_m*(1-m)-beta_m*m : 1
    dn/dt = alpha_n*(1-n)-beta_n*n : 1
    dh/dt = alpha_h*(1-h)-beta_h*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
    beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
    alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
    beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
    alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
    beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
    """
    group = b2.NeuronGroup(n, eqs, threshold="v>-20*mV", refractory=3 * u.ms, method="exponential_euler",
                           namespace=namespace, dt=spec["dt"] * u.second)
    group.v = "El + (randn() * 5 - 5)*mV"
    group.ge = "(randn() * 1.5 + 4) * 10.*nS"
    group.gi = "(randn() * 12 + 20) * 10.*nS"
    return brian2_ei_objects(group, n, namespace, b2)


def nest_build(spec, nest):
    """The same network in NEST 3.10: ``hh_cond_exp_traub`` (adaptive RKF45; NEST's spike criterion,
    a peak above V_T + 30 mV), gates at steady state of the initial ``V_m``, inhibitory conductance
    weights negative (NEST's convention), delays of one step. ``g_ex``/``g_in`` cannot be set, so
    the initial conductances of Brian2's script arrive as one spike per neuron from a
    ``spike_generator`` (see :func:`nest_initial_conductances`)."""
    from neurosim.compare.nest_child import steady_state_gates

    n, dt = spec["n"], spec["dt"] * 1e3
    params = {"C_m": 200.0, "g_L": 10.0, "E_L": -60.0, "E_K": -90.0, "E_Na": 50.0, "g_Na": 20000.0,
              "g_K": 6000.0, "V_T": -63.0, "E_ex": 0.0, "E_in": -80.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
              "t_ref": 3.0}
    exc = nest.Create("hh_cond_exp_traub", n * 4 // 5, params=params)
    inh = nest.Create("hh_cond_exp_traub", n - n * 4 // 5, params=params)
    neurons = exc + inh
    neurons.V_m = nest.random.normal(-65.0, 5.0)
    v = np.asarray(neurons.get("V_m"), float)
    neurons.set({key: value.tolist() for key, value in steady_state_gates("traub", v, np.full(n, -63.0)).items()})
    rule = {"rule": "pairwise_bernoulli", "p": connection_probability(n)}
    nest.Connect(exc, neurons, rule, {"weight": 6.0, "delay": dt})
    nest.Connect(inh, neurons, rule, {"weight": -67.0, "delay": dt})
    generators = nest_initial_conductances(nest, neurons, np.random.default_rng(spec.get("seed", 1)), dt)
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    return recorder, n, n + generators


def nest_initial_conductances(nest, neurons, rng, dt: float) -> int:
    """Give NEST's neurons Brian2's initial conductances (``ge = (1.5 randn + 4) 10 nS``,
    ``gi = (12 randn + 20) 10 nS``): a spike at ``dt`` from one ``spike_generator`` per neuron and
    receptor, its weight the drawn conductance scaled up by its decay until it lands (measured:
    NEST adds it at the end of step 2, so the conductance decayed for 2 dt). Drawn values below 0
    (0.4 % of ge, 4.8 % of gi) are 0: a negative weight would reach the other receptor. Returns
    the number of connections made (ms, nS)."""
    n = len(neurons)
    made = 0
    for mean, std, tau, sign in ((40.0, 15.0, 5.0, 1.0), (200.0, 120.0, 10.0, -1.0)):
        g0 = np.maximum(rng.normal(mean, std, n), 0.0) * np.exp(2 * dt / tau)
        generators = nest.Create("spike_generator", n, params={"spike_times": [dt]})
        nest.Connect(generators, neurons, "one_to_one", {"weight": (sign * g0).tolist(), "delay": dt})
        made += n
    return made


if __name__ == "__main__":
    worker_main(neurosim_build, brian2_build, nest_build)
