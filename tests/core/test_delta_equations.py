"""Delta receptors (voltage jumps) on equation models: lif_equations and lif_nef against the
hand-written LIFs, which add the jump after the update and drop it while refractory."""
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


CASES = {  # generated, hand-written, their params, weight, current, initial v
    "dimensional": ("lif_equations", "lif", {"tau_refrac": "2 ms"}, {"tau_refrac": "2 ms"}, 1.5e-3, "0.5 nA",
                    np.linspace(-65e-3, -51e-3, 10)),
    # the hand-written clamp at min_voltage is moved out of reach (lif_nef has none)
    "nef": ("lif_nef", "lif_dimensionless", {"tau_ref": "2 ms"}, {"tau_ref": "2 ms", "min_voltage": -1e9}, 0.08,
            0.6, np.linspace(0.0, 0.9, 10)),
}


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 1e-3])
@pytest.mark.parametrize("case", list(CASES))
def test_delta_receptor_matches_handwritten(case, delay):
    generated, hand, params, hand_params, weight, current, v0 = CASES[case]
    _, b = run(generated, params, weight, current, delay, v0)
    options = {"spike_timing": "step"} if hand == "lif_dimensionless" else {}
    _, a = run(hand, hand_params, weight, current, delay, v0, **options)
    assert len(a.spikes["E"].times) > 20
    np.testing.assert_array_equal(b.spikes["E"].times, a.spikes["E"].times)
    np.testing.assert_array_equal(b.spikes["E"].node_ids, a.spikes["E"].node_ids)
    np.testing.assert_allclose(b.states["E"]["v"].data, a.states["E"]["v"].data, rtol=1e-12, atol=1e-15)


def test_delta_receptor_translates_to_a_jump_of_v():
    sim, _ = run("lif_nef", {"tau_ref": "2 ms"}, 0.08, 0.6, 0.0, 0.0)
    assert translate(sim.population("E")).on_pre == {"d": "v += w"}
