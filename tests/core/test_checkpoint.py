"""Checkpoint/restore: a resumed run is bit-identical to an uninterrupted one, and a checkpoint of
another network, seed or time step is refused."""
from __future__ import annotations

import numba
import numpy as np
import pytest

from neurosim.core import connectivity as conn
from neurosim.core.codegen import CodeWriter
from neurosim.core.distributions import Uniform
from neurosim.core.network import Network
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import OUNoise
from neurosim.core.synapses import Synapse
from neurosim.errors import CheckpointError, TimeGridWarning

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4


def network(seed: int = 7, weight: float = 0.5e-9, v_thresh: float = -60e-3, v_low: float = -70e-3) -> Network:
    """Poisson drive, heterogeneous delays (ring buffer), OU noise, conductance and current receptors,
    a time-varying Poisson rate; every monitor kind."""
    net = Network(seed=seed)
    src = net.add(PoissonSource("src", 50, rate=25.0))
    wave = net.add(PoissonSource("wave", 10, rate=lambda t: 40.0 + 30.0 * np.sin(2 * np.pi * 5.0 * t)))
    pop = net.add_population("a", 80, "lif", params={"v_thresh": v_thresh, "tau_refrac": 2e-3},
                             receptors={"e": Synapse("exponential", 5e-3),
                                        "g": Synapse("alpha", 3e-3, kind="conductance", e_rev=0.0)},
                             initial={"v": Uniform(v_low, -60e-3)})
    net.add(conn.Projection(src, pop, "e", rule=conn.FixedProbability(0.3), weight=weight, delay=Uniform(0.5e-3, 3e-3)))
    net.add(conn.Projection(wave, pop, "g", rule=conn.FixedProbability(0.5), weight=2e-9, delay=1e-3))
    net.add(conn.Projection(pop, pop, "e", rule=conn.FixedProbability(0.1), weight=0.1e-9))
    net.add(OUNoise(pop, mean=0.05e-9, sigma=0.1e-9, tau=5e-3))
    net.record_spikes(pop)
    net.record_spikes(src)
    net.record_state(pop, "v", neurons=[0, 5, 9], every=3)
    net.record_state(pop, "syn_g", neurons=[1])
    net.record_rate(pop)
    return net


def build(threads: int = 1, **kwargs) -> Simulator:
    with pytest.warns(TimeGridWarning):  # the uniform delays are off the grid
        return Simulator(network(**kwargs), dt=DT, threads=threads)


def test_resumed_run_is_bit_identical(tmp_path):
    whole = build().run(0.15)
    sim = build()
    sim.run(0.0537)  # stops with spikes in flight in the ring buffer
    sim.checkpoint(tmp_path / "run.npz")
    sim.run(0.01)  # the original goes on; the checkpoint must not change
    resumed = build().restore(tmp_path / "run.npz")
    assert resumed.step == 537
    after = resumed.run(0.15 - 0.0537)
    assert after.duration == pytest.approx(whole.duration)
    assert len(whole.spikes["a"].times) > 200
    for name in ("a", "src"):
        np.testing.assert_array_equal(after.spikes[name].node_ids, whole.spikes[name].node_ids)
        np.testing.assert_array_equal(after.spikes[name].times, whole.spikes[name].times)
    for variable in ("v", "syn_g"):
        np.testing.assert_array_equal(after.states["a"][variable].times, whole.states["a"][variable].times)
        np.testing.assert_array_equal(after.states["a"][variable].data, whole.states["a"][variable].data)
    np.testing.assert_array_equal(after.rates["a"].rate, whole.rates["a"].rate)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # written atomically: no temporary left


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="one thread available")
def test_a_checkpoint_resumes_at_another_thread_count(tmp_path, monkeypatch):
    # every loop and projection threaded (split over blocks, or whole on one thread as scheduled):
    # the code compared is the serial one, and the run goes on bit-identically
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(CodeWriter, "PARALLEL_MIN_TARGETS", 1)
    whole = build().run(0.1)
    sim = build(threads=2)
    assert "numba.prange(2)" in sim.source
    sim.run(0.0421)
    sim.checkpoint(tmp_path / "run.npz")
    after = build(threads=1).restore(tmp_path / "run.npz").run(0.1 - 0.0421)
    for name in ("a", "src"):
        np.testing.assert_array_equal(after.spikes[name].node_ids, whole.spikes[name].node_ids)
        np.testing.assert_array_equal(after.spikes[name].times, whole.spikes[name].times)
    np.testing.assert_array_equal(after.states["a"]["v"].data, whole.states["a"]["v"].data)


@pytest.mark.parametrize(("change", "match"), [
    ({"seed": 8}, "seed"),
    ({"weight": 0.6e-9}, r"does not match this network: the synapses \(src_to_a_e_weights\)"),
    ({"v_thresh": -59e-3}, "different network"),
    ({"v_low": -69e-3}, "parameters or initial values"),
])
def test_checkpoint_of_another_network_is_refused(tmp_path, change, match):
    sim = build()
    sim.run(0.01)
    sim.checkpoint(tmp_path / "run.npz")
    with pytest.raises(CheckpointError, match=match):
        build(**change).restore(tmp_path / "run.npz")


def test_checkpoint_with_another_dt_or_bad_file_is_refused(tmp_path):
    sim = build()
    sim.checkpoint(tmp_path / "run.npz")
    with pytest.warns(TimeGridWarning), pytest.raises(CheckpointError, match="time step dt"):
        Simulator(network(), dt=2 * DT).restore(tmp_path / "run.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        build().restore(tmp_path / "bad.npz")
    with pytest.raises(CheckpointError, match="cannot write checkpoint"):
        sim.checkpoint(tmp_path / "missing" / "run.npz")
