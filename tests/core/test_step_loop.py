"""The generated step loop is inspectable: ``Simulator.source`` is what runs, uncompiled it gives
bit-identical results (an equation neuron model driven through a plastic projection), and a loop
Numba refuses is reported against the population, model and equation it was generated from."""
import pathlib

import numpy as np
import pytest

from neurosim.core.connectivity import AllToAll
from neurosim.core.network import Network
from neurosim.core.neurons.equation import EquationPopulation
from neurosim.core.neurons.sources import PoissonSource
from neurosim.core.plasticity import PlasticProjection
from neurosim.core.population import collect_spikes
from neurosim.core.simulator import Simulator
from neurosim.core.stimuli import Constant
from neurosim.core.synapses import Synapse
from neurosim.errors import SimulationError

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-4
ROOT = pathlib.Path(__file__).resolve().parents[2]


def plastic_adex(jit: bool):
    """Poisson input onto AdEx neurons through an STDP projection: neuron, receptor and synapse
    state all change every few steps."""
    net = Network(seed=11)
    src = net.add(PoissonSource("in", 20, 80.0))
    post = net.add_population("E", 4, "adex", receptors={"exc": Synapse("exponential", 5e-3, "current")})
    net.add(Constant(post, "0.6 nA"))
    net.add(PlasticProjection(src, post, "exc", "stdp_additive", params={"wmax": "200 pA"}, rule=AllToAll(),
                              weight=100e-12, delay=1e-3, name="syn"))
    for variable in ("v", "w", "syn_exc"):
        net.record_state(post, variable)
    net.record_spikes(post)
    sim = Simulator(net, dt=DT, jit=jit)
    return sim, sim.run(0.05)


@pytest.mark.slow
def test_uncompiled_loop_with_plastic_projection_is_bit_identical():
    compiled_sim, compiled = plastic_adex(jit=True)
    plain_sim, plain = plastic_adex(jit=False)
    assert plain_sim.source == compiled_sim.source
    assert len(compiled.spikes["E"].times) > 0, "the run must exercise threshold, reset and the STDP updates"
    for variable in ("v", "w", "syn_exc"):
        np.testing.assert_array_equal(plain.states["E"][variable].data, compiled.states["E"][variable].data)
    np.testing.assert_array_equal(plain.spikes["E"].times, compiled.spikes["E"].times)
    weights = [sim.network.projections[0].state["w"] for sim in (compiled_sim, plain_sim)]
    assert not np.all(weights[0] == 100e-12), "STDP must have changed some weights"
    np.testing.assert_array_equal(weights[1], weights[0])


def test_compile_failure_names_population_model_and_equation(monkeypatch):
    """A line Numba cannot type (injected here: validation lets no such equation through) is
    reported with the population, the model and the equation, not a line of a hashed file."""
    original = EquationPopulation.emit_update

    def broken(self, w):
        original(self, w)
        lines = w._lines["update"]  # the writer's private phase lists: the test breaks one line
        for k, line in enumerate(lines):
            if "__new_w = " in line:
                lines[k] = line + " + undefined_helper"

    monkeypatch.setattr(EquationPopulation, "emit_update", broken)
    net = Network(seed=1)
    net.add_population("Exc", 2, "adex")
    sim = Simulator(net, dt=DT)
    with pytest.raises(SimulationError) as info:
        sim.run(0.001)
    message = str(info.value)
    assert "population 'Exc' (model 'adex', equation 'dw/dt = (a*(v - E_L) - w)/tau_w : amp')" in message
    assert "undefined_helper" in message
    line = int(message.split("step loop line ")[1].split(" ")[0])
    assert "Exc__new_w = " in sim.source.splitlines()[line - 1]
    assert "neurosim_chunk_" not in message


@pytest.mark.slow
def test_run_show_code_writes_the_step_loop_next_to_the_results(tmp_path, capsys):
    from neurosim.cli import main
    from neurosim.protocol import build, load

    protocol = ROOT / "protocols" / "adex_step.yaml"
    out = tmp_path / "out"
    assert main(["run", str(protocol), "-o", str(out), "--show-code", "--quiet", "--set", "duration=20 ms"]) == 0
    written = (out / "step_loop.py").read_text()
    assert written == build(load(str(protocol), ["duration=20 ms"])).source
    assert "# Tonic (model 'adex', 1 neurons, method rk4): update" in written
    assert (out / "results.h5").exists()
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    experiment = ROOT / "protocols" / "baseline_mlp_digits.yaml"
    assert main(["run", str(experiment), "-o", str(tmp_path / "exp"), "--show-code"]) == 2
    assert "--show-code: experiment" in capsys.readouterr().err
    assert not (tmp_path / "exp").exists()


@pytest.mark.parametrize("n", [8, 64, 72, 1000, 4096])
def test_spike_collection_lists_every_flagged_neuron_in_order(n):
    # collect_spikes skips 64 flags at a time while they are zero: flags in the first, the last and
    # a partial last cache line, all of them, none of them, against np.flatnonzero
    rng = np.random.default_rng(n)
    patterns = [rng.random(n) < 0.01, rng.random(n) < 0.5, np.ones(n, bool), np.zeros(n, bool)]
    edges = np.zeros(n, bool)
    edges[[0, n - 1, max(0, n - 9)]] = True
    for flags in [*patterns, edges]:
        spikes, nspk = np.full(n, -1, np.int32), np.zeros(1, np.int64)
        collect_spikes(flags, flags.view(np.uint64), spikes, nspk)
        np.testing.assert_array_equal(spikes[:nspk[0]], np.flatnonzero(flags))
