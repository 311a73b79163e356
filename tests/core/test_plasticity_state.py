"""Saving and reloading plastic state: HDF5 round trip, a second run seeded with saved weights that
reproduces one longer run bit-for-bit, checkpoints that carry synaptic state, the protocol block."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

from neurosim.core.connectivity import Explicit
from neurosim.core.network import Network
from neurosim.core.neurons.sources import SpikeSource
from neurosim.core.plasticity import PlasticProjection
from neurosim.core.simulator import Simulator
from neurosim.errors import ProtocolError
from neurosim.io import hdf5
from neurosim.protocol.build import build
from neurosim.protocol.load import load

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

ROOT = pathlib.Path(__file__).resolve().parents[2]
DT = 2.0**-13  # s; step * DT is exact, so spike times shifted by whole steps give the same differences
N = 30
PRE, POST = np.arange(N).repeat(N), np.tile(np.arange(N), N)


def trains(rng, first: int, last: int):
    index, step = np.nonzero(rng.random((N, last - first)) < 30.0 * DT)
    return index, step + first


def network(pre_trains, post_trains, weight, pairs=None):
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", N, pre_trains[0], pre_trains[1] * DT))
    post = net.add(SpikeSource("post", N, post_trains[0], post_trains[1] * DT))
    net.add(PlasticProjection(pre, post, None, "stdp_additive", params={"wmax": 1.0}, weight=weight,
                              rule=Explicit(*(pairs or (PRE, POST))), delay=10 * DT, name="syn"))
    return net


def test_saved_weights_seed_a_run_that_continues_a_longer_one_bit_for_bit(tmp_path):
    """Activity in [0, 1 s) and [3 s, 4 s); the split at 2 s falls in a silence of 2 s (100 trace
    time constants, below the weights' rounding), so the weights alone carry the state."""
    rng = np.random.default_rng(7)
    steps = round(1.0 / DT)
    parts = [(trains(rng, 0, steps), trains(rng, 0, steps)), (trains(rng, 3 * steps, 4 * steps),
                                                             trains(rng, 3 * steps, 4 * steps))]
    joined = [tuple(np.concatenate([parts[0][k][m], parts[1][k][m]]) for m in range(2)) for k in range(2)]
    w0 = np.random.default_rng(8).uniform(0, 1, N * N)
    long_run = Simulator(network(*joined, w0), dt=DT)
    long_run.run(4.5)
    first = Simulator(network(*parts[0], w0), dt=DT)
    hdf5.save(first.run(2.0), tmp_path / "first.h5")
    saved = hdf5.load(tmp_path / "first.h5").synapses["syn"]
    assert np.array_equal(saved["w"], first.network.projections[0].state["w"])
    shifted = [(index, step - 2 * steps) for index, step in parts[1]]
    second = Simulator(network(*shifted, saved["w"], (saved["pre"], saved["post"])), dt=DT)
    second.run(2.5)
    final = long_run.network.projections[0].state["w"]
    assert not np.array_equal(final, saved["w"])  # the second part changed the weights
    assert np.array_equal(second.network.projections[0].state["w"], final)


def test_checkpoint_carries_synaptic_state(tmp_path):
    rng = np.random.default_rng(2)
    net = network(trains(rng, 0, 8000), trains(rng, 0, 8000), 0.5)
    whole = Simulator(net, dt=DT)
    whole.run(8000 * DT)
    half = Simulator(net, dt=DT)
    half.run(4000 * DT)
    half.checkpoint(tmp_path / "c.npz")
    resumed = Simulator(net, dt=DT).restore(tmp_path / "c.npz")
    resumed.run(4000 * DT)
    for key, value in whole.network.projections[0].state.items():
        assert np.array_equal(resumed.network.projections[0].state[key], value), key


def test_song_protocol_and_weight_reload(tmp_path):
    protocol = load(ROOT / "protocols" / "stdp_song2000.yaml", sets=["duration=50 ms"])
    results = build(protocol).run(0.05)
    hdf5.save(results, tmp_path / "song.h5")
    weights = results.synapses["input_to_neuron"]
    record = hdf5.load(tmp_path / "song.h5").synapse_states["input_to_neuron"]["w"]
    assert record.node_ids.tolist() == [0, 1, 2, 3, 4]
    assert record.data.shape == (1, 5)
    assert weights["w"].shape == (1000,)
    assert np.all((weights["w"] >= 0) & (weights["w"] <= 0.2e-9 * (1 + 1e-12)))
    text = (ROOT / "protocols" / "stdp_song2000.yaml").read_text()
    seeded = tmp_path / "seeded.yaml"
    seeded.write_text(text.replace("{distribution: uniform, low: 0 nS, high: 0.2 nS}",
                                   "{from: song.h5, projection: input_to_neuron}"))
    simulator = build(load(seeded, sets=["duration=1 ms"]))
    assert np.array_equal(simulator.network.projections[0].state["w"], weights["w"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{distribution: uniform, low: 0 nS, high: 0.2 nS}",
                                "{from: song.h5, projection: input_to_neurons}"))
    with pytest.raises(ProtocolError, match="input_to_neuron"):
        load(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text.replace("{wmax: 0.2 nS,", "{wmax: 0.2 nA,"))
    with pytest.raises(ProtocolError, match=r"wrong.yaml:\d+.*wmax"):
        build(load(wrong))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(text.replace("{projection: input_to_neuron, variable: w",
                                    "{projection: input_to_neurons, variable: w"))
    with pytest.raises(ProtocolError, match=r"unknown.yaml:\d+.*input_to_neuron"):
        build(load(unknown))


def test_synapse_monitor_records_weights(tmp_path):
    """Pre at step 100, post at step 300 (no delay): w is W0 until step 300, then W0 + dApre*exp(-200 dt/tau)."""
    from neurosim.core.monitors import SynapseMonitor
    net = Network(seed=0)
    pre = net.add(SpikeSource("pre", 2, [0, 1], [100 * DT, 100 * DT]))
    post = net.add(SpikeSource("post", 2, [0, 1], [300 * DT, 300 * DT]))
    projection = net.add(PlasticProjection(pre, post, None, "stdp_additive", params={"wmax": 1.0}, weight=0.5,
                                           rule=Explicit([0, 1], [0, 1]), name="syn"))
    net.add(SynapseMonitor(projection, "w", synapses=[1], every=10))
    results = Simulator(net, dt=DT).run(500 * DT)
    hdf5.save(results, tmp_path / "r.h5")
    record = hdf5.load(tmp_path / "r.h5").synapse_states["syn"]["w"]
    assert record.node_ids.tolist() == [1]
    assert record.data.shape == (50, 1)
    steps = np.arange(0, 500, 10)
    expected = np.where(steps >= 300, 0.5 + 0.01 * np.exp(-(300 * DT - 100 * DT) / 0.02), 0.5)
    assert np.array_equal(record.times, (steps + 1) * DT)
    assert np.max(np.abs(record.data[:, 0] - expected)) < 1e-15
