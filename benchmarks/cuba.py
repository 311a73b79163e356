"""CUBA (Brette et al. 2007, benchmark 2; Brian2's examples/CUBA.py): current-based LIF, 80 % E /
20 % I, p = 0.02 at N = 4000 and 80 synapses per neuron above, exact integration. neurosim runs the
shipped protocol (``protocols/cuba.yaml``)."""

from .common import brian2_ei_objects, connection_probability, protocol_simulator, worker_main

mV, ms = 1e-3, 1e-3
R = 20e-3 / 1e-9  # tau_m / cm: Brian2's voltage jumps we, wi are the currents we/R, wi/R here


def neurosim_build(spec):
    """The shipped ``protocols/cuba.yaml`` at the spec's size (see ``common.protocol_simulator``)."""
    return protocol_simulator("cuba", spec)


def brian2_build(spec, b2):
    """Brian2's examples/CUBA.py, with N and p as parameters."""
    n = spec["n"]
    u = b2.units
    namespace = {"taum": 20 * u.ms, "taue": 5 * u.ms, "taui": 10 * u.ms, "Vt": -50 * u.mV, "Vr": -60 * u.mV,
                 "El": -49 * u.mV, "we": (60 * 0.27 / 10) * u.mV, "wi": (-20 * 4.5 / 10) * u.mV}
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    group = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * u.ms, method="exact",
                           namespace=namespace, dt=spec["dt"] * u.second)
    group.v = "Vr + rand() * (Vt - Vr)"
    group.ge, group.gi = 0 * u.mV, 0 * u.mV
    return brian2_ei_objects(group, n, namespace, b2)


def nest_build(spec, nest):
    """The same network in NEST 3.10: ``iaf_psc_exp`` (pA, pF, ms), ``pairwise_bernoulli``, delays of
    one step (NEST's minimum; Brian2 and neurosim use 0), ``t_ref`` one step shorter (NEST clamps one
    step longer; see docs/compare.md)."""
    n, dt = spec["n"], spec["dt"] * 1e3
    params = {"C_m": 1000.0, "tau_m": 20.0, "E_L": -49.0, "V_reset": -60.0, "V_th": -50.0, "t_ref": 5.0 - dt,
              "tau_syn_ex": 5.0, "tau_syn_in": 10.0}
    exc = nest.Create("iaf_psc_exp", n * 4 // 5, params=params)
    inh = nest.Create("iaf_psc_exp", n - n * 4 // 5, params=params)
    neurons = exc + inh
    neurons.V_m = nest.random.uniform(-60.0, -50.0)
    rule = {"rule": "pairwise_bernoulli", "p": connection_probability(n)}
    nest.Connect(exc, neurons, rule, {"weight": 1.62 * mV / R * 1e12, "delay": dt})
    nest.Connect(inh, neurons, rule, {"weight": -9 * mV / R * 1e12, "delay": dt})
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    return recorder, n, n


if __name__ == "__main__":
    worker_main(neurosim_build, brian2_build, nest_build)
