"""Pure-input scaling: N uncoupled LIF neurons driven by their constant input alone (CUBA's
neuron, rest El = -49 mV above threshold Vt = -50 mV), no synapses: the cost of the neuron update
and spike recording as N grows. Every neuron fires at 1/(5 ms + 20 ms ln(11)) = 18.87 Hz after its
first spike (the initial v is uniform in [Vr, Vt])."""
from .common import worker_main

mV, ms = 1e-3, 1e-3


def neurosim_build(spec):
    from neurosim.core.distributions import Uniform
    from neurosim.core.network import Network
    from neurosim.core.neurons import make_population

    net = Network(seed=spec.get("seed", 1))
    params = {"cm": 1e-9, "tau_m": 20 * ms, "v_rest": -49 * mV, "v_reset": -60 * mV, "v_thresh": -50 * mV,
              "tau_refrac": 5 * ms}
    pop = net.add(make_population("lif", "P", spec["n"], params=params, initial={"v": Uniform(-60 * mV, -50 * mV)}))
    net.record_spikes(pop)
    return net


def brian2_build(spec, b2):
    u = b2.units
    namespace = {"taum": 20 * u.ms, "Vt": -50 * u.mV, "Vr": -60 * u.mV, "El": -49 * u.mV}
    group = b2.NeuronGroup(spec["n"], "dv/dt = -(v-El)/taum : volt (unless refractory)", threshold="v>Vt",
                           reset="v = Vr", refractory=5 * u.ms, method="exact", namespace=namespace,
                           dt=spec["dt"] * u.second)
    group.v = "Vr + rand() * (Vt - Vr)"
    spikes = b2.SpikeMonitor(group)
    return [group, spikes], spikes, spec["n"]


if __name__ == "__main__":
    worker_main(neurosim_build, brian2_build)
