"""Batched networks: a batch of B copies equals B separate runs bit for bit (neurosim.core.batch)."""
from __future__ import annotations

import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.dense import DenseProjection
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons.equation import Model
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import OUNoise, TimeSeries
from neurosim.core.synapses import Synapse
from neurosim.errors import ParameterError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

LEAKY = Model("batch_leaky", "dx/dt = (-x + i_ext)/tau : 1", parameters={"tau": "5 ms"})
B, T, DT = 3, 0.03, 1e-4


def network(inputs: np.ndarray, batch=None, first_copy=0, seed=7) -> Network:
    """Per-copy input (time series, different in every copy) and OU noise into rate units, a dense
    projection onto equation-model units and onto a LIF population with recurrent sparse
    connections (delays) and its own OU noise; every kind of monitor."""
    net = Network(seed=seed, batch=batch, first_copy=first_copy)
    rate = net.add_population("r", 4, "rate", params={"tau": 2e-3}, activation="tanh",
                              initial={"x": Uniform(-1.0, 1.0)})
    net.add(TimeSeries(rate, inputs, sample_dt=1e-3))
    net.add(OUNoise(rate, mean=0.0, sigma=0.3, tau=3e-3))
    leaky = net.add(LEAKY.population_class()("q", 5))
    weights = np.random.default_rng(0).normal(size=(5, 4))
    net.add(DenseProjection(rate, leaky, matrix=weights, tau=1e-3))
    lif = net.add_population("a", 30, "lif", params={"v_thresh": -60e-3, "tau_refrac": 2e-3},
                             receptors={"e": Synapse("exponential", 5e-3)}, initial={"v": Uniform(-70e-3, -60e-3)})
    net.add(DenseProjection(rate, lif, matrix=np.abs(np.random.default_rng(1).normal(size=(30, 4))) * 1e-9))
    net.add(conn.Projection(lif, lif, "e", rule=conn.FixedProbability(0.2), weight=0.2e-9, delay=1e-3))
    net.add(OUNoise(lif, mean=0.0, sigma=0.2e-9, tau=5e-3))
    net.record_state(rate, "rate")
    net.record_state(leaky, "x", every=3)
    net.record_state(lif, "v", neurons=[0, 5])
    net.record_spikes(lif)
    net.record_rate(lif)
    return net


def inputs(copies: int) -> np.ndarray:
    return np.random.default_rng(3).normal(size=(copies, 30, 4))


def assert_same(first, second):
    for name in ("r", "q", "a"):
        for variable, record in first.states[name].items():
            np.testing.assert_array_equal(record.data, second.states[name][variable].data)
            np.testing.assert_array_equal(record.times, second.states[name][variable].times)
    np.testing.assert_array_equal(first.spikes["a"].node_ids, second.spikes["a"].node_ids)
    np.testing.assert_array_equal(first.spikes["a"].times, second.spikes["a"].times)
    np.testing.assert_array_equal(first.rates["a"].rate, second.rates["a"].rate)


@pytest.mark.slow
def test_batch_equals_separate_runs_bit_for_bit():
    data = inputs(B)
    batched = Simulator(network(data, batch=B), dt=DT)
    batched.run(T)
    copies = batched.results()
    assert len(copies) == B
    for c in range(B):
        single = Simulator(network(data[c:c + 1], batch=1, first_copy=c), dt=DT)
        single.run(T)
        assert_same(copies[c], single.results(0))
        np.testing.assert_array_equal(batched.population("q").state["x"][c], single.population("q").state["x"][0])
    assert copies[0].spikes["a"].times.size > 0  # the LIF part spikes, so spike paths are compared
    # the copies differ (own inputs, noise and initial values), so the equality is not trivial
    assert not np.array_equal(copies[0].states["r"]["rate"].data, copies[1].states["r"]["rate"].data)
    assert not np.array_equal(copies[0].spikes["a"].times, copies[1].spikes["a"].times)


@pytest.mark.slow
def test_copy_zero_is_the_unbatched_network():
    data = inputs(1)
    batched = Simulator(network(data, batch=1), dt=DT)
    batched.run(T)
    plain = Simulator(network(data[0]), dt=DT)
    plain.run(T)
    assert_same(batched.results(0), plain.results())


def test_refusals_name_the_component():
    net = Network(batch=2)
    src = net.add(PoissonSource("src", 3, rate=10.0))
    net.record_spikes(src)
    with pytest.raises(ParameterError, match="PoissonSource src"):
        Simulator(net)
    with pytest.raises(ParameterError, match="batch"):
        Network(batch=0)
    with pytest.raises(ParameterError, match="first_copy"):
        Network(first_copy=2)
    with pytest.raises(ParameterError, match="values"):  # per-copy inputs for another batch size
        Simulator(network(inputs(2), batch=3))
    with pytest.raises(ParameterError, match="copy"):
        Simulator(network(inputs(2), batch=2)).results(2)


@pytest.mark.slow
def test_source_does_not_depend_on_the_batch_size():
    """The copies are a loop index (their count read from an argument, the run streams a typed list
    indexed at run time): one generated loop, hence one compilation, for every batch size, and a
    large batch still equals separate runs copy by copy."""
    few, many = Simulator(network(inputs(2), batch=2), dt=DT), Simulator(network(inputs(60), batch=60), dt=DT)
    assert few.source == many.source
    assert "range(_batch)" in many.source
    many.run(T)
    for c in (0, 37, 59):
        single = Simulator(network(inputs(60)[c:c + 1], batch=1, first_copy=c), dt=DT)
        single.run(T)
        assert_same(many.results(c), single.results(0))
