"""Run state belongs to the Simulator: a Network is a description that any number of simulators
can build and run independently; ``reset()`` repeats a run exactly; pickling is refused."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.network import Network
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import OUNoise
from neurosim.core.synapses import Synapse
from neurosim.io import hdf5

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def network(seed: int = 4) -> Network:
    """Poisson drive with delays into a recurrent LIF population with OU noise; spikes, v and rate recorded."""
    net = Network(seed=seed)
    src = net.add(PoissonSource("src", 40, rate=30.0))
    pop = net.add_population("a", 60, "lif", params={"v_thresh": -60e-3, "tau_refrac": 2e-3},
                             receptors={"e": Synapse("exponential", 5e-3)})
    net.add(conn.Projection(src, pop, "e", rule=conn.FixedProbability(0.3), weight=0.6e-9, delay=1e-3))
    net.add(conn.Projection(pop, pop, "e", rule=conn.FixedProbability(0.1), weight=0.1e-9, delay=2e-3))
    net.add(OUNoise(pop, mean=0.0, sigma=0.1e-9, tau=5e-3))
    net.record_spikes(pop)
    net.record_state(pop, "v", neurons=[0, 7])
    net.record_rate(pop)
    return net


def assert_same(first, second):
    np.testing.assert_array_equal(first.spikes["a"].node_ids, second.spikes["a"].node_ids)
    np.testing.assert_array_equal(first.spikes["a"].times, second.spikes["a"].times)
    np.testing.assert_array_equal(first.states["a"]["v"].data, second.states["a"]["v"].data)
    np.testing.assert_array_equal(first.rates["a"].rate, second.rates["a"].rate)


def test_two_simulators_on_one_network_are_independent(tmp_path):
    net = network()
    first = Simulator(net, dt=DT)
    before = first.run(0.1)
    second = Simulator(net, dt=DT)
    other = second.run(0.1)
    assert len(before.spikes["a"].times) > 100
    assert_same(before, other)               # same description, same seed: the same run
    assert_same(before, first.results())     # the second run left the first simulator alone
    hdf5.save(other, tmp_path / "second.h5")  # the file says sorting = by_time: it must be
    saved = hdf5.load(tmp_path / "second.h5").spikes["a"]
    assert np.all(np.diff(saved.times) >= 0)
    assert len(saved.times) == len(before.spikes["a"].times)
    assert net.population("a").state == {}
    assert net.monitors[0]._ids == []


def test_reset_and_rebuild_repeat_the_run_exactly():
    sim = Simulator(network(), dt=DT)
    first = sim.run(0.06)
    sim.reset()
    assert sim.step == 0
    assert len(sim.results().spikes["a"].times) == 0
    assert_same(first, sim.run(0.06))
    assert_same(first, Simulator(network(), dt=DT).run(0.06))


def test_state_is_read_from_the_simulator():
    net = network()
    sim = Simulator(net, dt=DT)
    sim.run(0.01)
    assert sim.population("a") is sim.network.population("a") is not net.population("a")
    assert sim.population("a").state["v"].shape == (60,)
    assert sim.description is net


def test_pickling_is_refused_and_points_to_checkpoints():
    sim = Simulator(network(), dt=DT)
    sim.run(0.01)
    with pytest.raises(TypeError, match=r"Simulator\.checkpoint\(path\)"):
        pickle.dumps(sim)
