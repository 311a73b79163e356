"""COBA (Brette et al. 2007, benchmark 1; Brian's COBA.py, Vogels & Abbott 2005): conductance-based
LIF, gL 10 nS, Ee 0 mV, Ei -80 mV, we 6 nS, wi 67 nS, initial v and conductances drawn as in
Brian's example; p = 0.02 at N = 4000, 80 synapses per neuron above; exponential Euler in both
(conductances held over the step). neurosim runs the shipped protocol
(``protocols/coba.yaml``)."""

from .common import brian2_ei_objects, protocol_simulator, worker_main

mV, ms, nS = 1e-3, 1e-3, 1e-9


def neurosim_build(spec):
    """The shipped ``protocols/coba.yaml`` at the spec's size (see ``common.protocol_simulator``)."""
    return protocol_simulator("coba", spec)


def brian2_build(spec, b2):
    n = spec["n"]
    u = b2.units
    namespace = {"Cm": 200 * u.pF, "gl": 10 * u.nS, "El": -60 * u.mV, "Ee": 0 * u.mV, "Ei": -80 * u.mV,
                 "taue": 5 * u.ms, "taui": 10 * u.ms, "we": 6 * u.nS, "wi": 67 * u.nS, "nS": u.nS, "mV": u.mV}
    eqs = """
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v))/Cm : volt (unless refractory)
    dge/dt = -ge/taue : siemens
    dgi/dt = -gi/taui : siemens
    """
    group = b2.NeuronGroup(n, eqs, threshold="v>-50*mV", reset="v = -60*mV", refractory=5 * u.ms,
                           method="exponential_euler", namespace=namespace, dt=spec["dt"] * u.second)
    group.v = "El + (randn() * 5 - 5)*mV"
    group.ge = "(randn() * 1.5 + 4) * 10.*nS"
    group.gi = "(randn() * 12 + 20) * 10.*nS"
    return brian2_ei_objects(group, n, namespace, b2)


if __name__ == "__main__":
    worker_main(neurosim_build, brian2_build)
