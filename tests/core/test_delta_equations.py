"""Delta receptors (voltage jumps) on equation models translate to Brian2's ``v += w``
(tests/core/test_delta.py checks the jumps against NEST's iaf_psc_delta semantics)."""
import numpy as np
import pytest

from neurosim.compare.brian2_equations import translate
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def run(model, params, weight, current, delay, v0, **options):
    net = Network(seed=2)
    pop = net.add_population("E", 10, model, params=params, receptors={"d": Synapse(kind="delta")},
                             initial={"v": v0}, **options)
    # a jump every 0.5 ms: some land in refractory periods (2 ms), where they are dropped
    times = np.arange(0.001, 0.1, 0.0005)
    src = net.add(SpikeSource("S", 1, np.zeros(len(times), int), times))
    net.connect(src, pop, receptor="d", weight=weight, delay=delay)
    net.add(Constant(pop, current))
    net.record_state(pop, "v")
    net.record_spikes(pop)
    sim = Simulator(net, dt=DT)
    return sim, sim.run(0.1)


def test_delta_receptor_translates_to_a_jump_of_v():
    sim, _ = run("lif_dimensionless", {"tau_ref": "2 ms"}, 0.08, 0.6, 0.0, 0.0, spike_timing="step")
    assert translate(sim.population("E")).on_pre == {"d": "v += w"}
