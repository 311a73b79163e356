import numpy as np
import pytest

from neurosim.core.dense import DenseProjection
from neurosim.core.network import Network
from neurosim.core.neurons.binary import BinaryPopulation
from neurosim.core.simulator import Simulator
from neurosim.errors import ParameterError
from neurosim.learning.data import corrupt, random_patterns
from neurosim.learning.hopfield import Hopfield, breakdown_load, capacity_curve, overlap
from neurosim.rng import generator

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)


def network(n, m, seed=0):
    patterns = random_patterns(m, n, generator(seed, "build", "patterns"))
    return Hopfield(n).store(patterns), patterns


def test_hebbian_storage_is_the_normalised_outer_product_sum_with_zero_diagonal():
    net, X = network(50, 4)
    expected = sum(np.outer(x, x) for x in X) / 50
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(net.weights, expected, atol=1e-15)
    # the notes' (1/M) X^T X - I is the same matrix times N/M: identical sign dynamics
    notes = X.T @ X / len(X) - np.eye(50)
    np.testing.assert_allclose(notes, net.weights * 50 / len(X), atol=1e-12)


def reference_recall(W, b, s, rng, max_sweeps):
    """Asynchronous Hopfield recall written out in plain numpy (independent of the core): sweeps in
    the order of ``rng.permutation``, sign of the freshly computed field, unchanged at 0."""
    s = s.copy()
    for sweep in range(max_sweeps):
        changed = False
        for i in rng.permutation(len(s)):
            field = W[i] @ s + b[i]
            if field != 0 and np.sign(field) != s[i]:
                s[i], changed = np.sign(field), True
        if not changed:
            return s, sweep + 1
    return s, max_sweeps


def test_asynchronous_updates_never_increase_the_energy_checked_every_update():
    net, X = network(200, 30, seed=1)  # load 0.15: many updates, some cues end in spurious states
    net.bias = generator(1, "build", "bias").normal(0, 0.05, 200)
    for cue in corrupt(X[:5], 0.3, generator(1, "build", "cues")):
        result = net.recall(cue, seed=1, record=True)
        previous_state, previous = cue, net.energy(cue)
        flips = 0
        for s, energy in zip(result.states, result.energy, strict=True):
            changed = np.flatnonzero(s != previous_state)
            assert changed.size <= 1  # one unit at a time
            if changed.size:
                unit = changed[0]
                assert s[unit] == np.sign(net.weights[unit] @ previous_state + net.bias[unit])
                flips += 1
            assert energy == pytest.approx(net.energy(s), abs=1e-9)
            assert energy <= previous + 1e-12
            previous_state, previous = s, energy
        assert flips > 0
        assert result.converged
        assert len(result.states) == result.steps * 200
        np.testing.assert_array_equal(result.state, reference_recall(net.weights, net.bias, cue,
                                                                     generator(1, "run", "population:hopfield"), 50)[0])


def test_asynchronous_population_equals_a_plain_numpy_recall_with_the_same_order_stream():
    # the permutations come from the population's run Generator, i.e. from the network seed
    net, X = network(120, 15, seed=2)  # load 0.125: a few sweeps per cue
    cues = corrupt(X, 0.2, generator(2, "build", "cues"))
    states, converged = net.recall_many(cues, seed=7)
    rng = generator(7, "run", "population:hopfield")  # one stream, cue after cue
    for cue, state in zip(cues, states, strict=True):
        expected, _ = reference_recall(net.weights, net.bias, cue, rng, 50)
        np.testing.assert_array_equal(state, expected)
    assert converged.all()
    assert not np.array_equal(states, net.recall_many(cues, seed=8)[0])  # the order matters at this load


def test_a_recall_stops_in_the_loop_after_the_first_sweep_that_changes_nothing():
    net, X = network(150, 20, seed=6)  # load 0.13: cues take several sweeps
    cues = corrupt(X, 0.25, generator(6, "build", "cues"))
    counts = []
    for cue in cues[:6]:
        result = net.recall(cue, seed=9)  # each recall() starts the seed's order stream afresh
        expected, sweeps = reference_recall(net.weights, net.bias, cue, generator(9, "run", "population:hopfield"), 50)
        assert (result.steps, result.converged) == (sweeps, True)
        np.testing.assert_array_equal(result.state, expected)
        counts.append(sweeps)
    assert max(counts) > 2
    short = net.recall(cues[0], seed=9, max_sweeps=1)  # the bound: one sweep that changed units
    assert (short.steps, short.converged) == (1, False)
    simulator = net._asynchronous(cues[0], seed=9)
    simulator.run("50 ms")
    assert simulator.step == net.recall(cues[0], seed=9).steps  # the run ended early, at the fixed point
    with pytest.raises(ParameterError, match="stop_when_stable"):
        BinaryPopulation("h", 10, mode="sign", stop_when_stable=True)
    for bad in ({"cues": np.zeros((2, 10))}, {"cues": np.ones((2, 9))}, {"cues": np.ones((2, 10)), "max_sweeps": 0},
                {"cues": np.ones((2, 10)), "units_per_step": 3}):
        with pytest.raises(ParameterError, match=r"cues|max_sweeps"):
            BinaryPopulation("h", 10, mode="sign", update="asynchronous", **bad)


def test_a_queue_of_cues_in_one_run_equals_one_run_per_cue():
    # recall_many: every cue in one run (the population's cues); each until stable or max_sweeps,
    # drawing the sweeps' permutations from one stream in the order of a loop over the cues
    net, X = network(150, 20, seed=6)
    cues = corrupt(X, 0.25, generator(6, "build", "cues"))
    states, converged, sweeps = net._recall_rows(cues, seed=9, max_sweeps=3)
    simulator = net._asynchronous(cues[0], seed=9)
    pop = simulator.population("hopfield")
    for cue, state, done, count in zip(cues, states, converged, sweeps, strict=True):
        pop.state["rate"][:] = cue
        pop.field_valid[0] = 0
        start = simulator.step
        simulator.run("3 ms")
        np.testing.assert_array_equal(state, pop.state["rate"])
        assert (count, done) == (simulator.step - start, pop.stable[0] == 1)
    assert converged.any()
    assert not converged.all()  # the bound of 3 sweeps ends some recalls


def test_asymmetric_weights_are_read_by_column():
    # a change of unit i corrects the field of unit j by W[j, i]: for asymmetric W the loop reads a
    # transposed copy; the numpy reference reads W[i] @ s for the field of unit i
    net = Hopfield(80)
    net.weights = generator(3, "build", "asymmetric").normal(size=(80, 80)) / 80
    np.fill_diagonal(net.weights, 0.0)
    cues = random_patterns(5, 80, generator(3, "build", "cues"))
    states, _ = net.recall_many(cues, seed=4, max_sweeps=5)
    rng = generator(4, "run", "population:hopfield")
    for cue, state in zip(cues, states, strict=True):
        np.testing.assert_array_equal(state, reference_recall(net.weights, net.bias, cue, rng, 5)[0])


# 7 does not divide 60: permutations span steps; 1 unit per step (a third compiled loop) in the full suite.
@pytest.mark.parametrize("units", [7, pytest.param(1, marks=pytest.mark.slow)])
def test_units_per_step_splits_a_sweep_without_changing_the_result(units):
    net, X = network(60, 8, seed=4)
    cue = corrupt(X[0], 0.3, generator(4, "build", "cue"))
    finals = []
    for per_step in (60, units):  # 60 = one sweep per step
        sim = net._asynchronous(cue, seed=5, units_per_step=per_step)
        sim.run({60: 10, 7: 87, 1: 600}[per_step] * 1e-3)  # 10 sweeps (7 x 87 > 600)
        finals.append(sim.population("hopfield").state["rate"].copy())
    np.testing.assert_array_equal(finals[0], finals[1])


def test_asynchronous_update_needs_its_recurrent_projection():
    net = Network()
    net.add(BinaryPopulation("h", 10, mode="sign", update="asynchronous"))
    with pytest.raises(ParameterError, match="exactly one recurrent DenseProjection"):
        Simulator(net, dt=1e-3)
    with pytest.raises(ParameterError, match="asynchronous updates are implemented for sign units"):
        BinaryPopulation("h", 10, update="asynchronous")
    with pytest.raises(ParameterError, match="units_per_step"):
        BinaryPopulation("h", 10, mode="sign", update="asynchronous", units_per_step=11)
    factored = Network()
    pop = factored.add(BinaryPopulation("h", 4, mode="sign", update="asynchronous"))
    factored.add(DenseProjection(pop, pop, pre_matrix=np.ones((2, 4)), post_matrix=np.ones((4, 2))))
    with pytest.raises(ParameterError, match="full matrix with tau 0"):
        Simulator(factored, dt=1e-3)


def test_stored_patterns_are_fixed_points_at_low_load():
    net, X = network(300, 6)
    assert np.all(X * (X @ net.weights) > 0)  # every unit aligned with its local field
    for x in X:
        result = net.recall(x, seed=0, record=True)
        assert result.steps == 1
        assert result.converged
        np.testing.assert_array_equal(result.state, x)
        np.testing.assert_allclose(result.energy, net.energy(x), rtol=1e-12)
    sync = net.recall_sync(X[0])
    assert sync.steps == 1
    assert np.array_equal(sync.state, X[0])


def test_ten_percent_corrupted_cues_are_recalled_exactly_at_load_0_05():
    net, X = network(400, 20)
    cues = corrupt(X, 0.1, generator(0, "build", "cues"))
    assert np.allclose(overlap(X, cues), 0.8)
    states, converged = net.recall_many(cues, seed=0)
    assert converged.all()
    np.testing.assert_array_equal(states, X)
    for k in range(3):  # the core-built synchronous and continuous versions as well
        np.testing.assert_array_equal(net.recall_sync(cues[k]).state, X[k])
        continuous = net.recall_continuous(cues[k])
        np.testing.assert_array_equal(continuous.state, X[k])
        assert np.all(np.diff(continuous.energy) <= 1e-6 * np.abs(continuous.energy).max())


def test_capacity_breakdown_between_0_12_and_0_16_at_n_1000():
    loads = np.round(np.arange(0.10, 0.175, 0.01), 2)
    loads, mean, _, exact = capacity_curve(1000, loads, 3)
    # REFERENCE_FACTS (N = 1000): overlap 0.999 at 0.10, 0.94 at 0.138, 0.89 at 0.15
    assert mean[0] > 0.99
    assert mean[-1] < 0.9
    alpha = breakdown_load(loads, mean, 0.95)
    assert 0.12 <= alpha <= 0.16
    assert exact[0] > exact[-1]


def test_breakdown_interpolates_the_threshold_crossing():
    assert breakdown_load([0.1, 0.2, 0.3], [1.0, 0.9, 0.5], 0.95) == pytest.approx(0.15)
    assert np.isnan(breakdown_load([0.1, 0.2], [1.0, 0.99]))


@pytest.mark.parametrize(("call", "name"), [
    (lambda: Hopfield(10).store(np.full((2, 10), 0.5)), "patterns"),
    (lambda: Hopfield(10).store(np.ones((2, 11))), "patterns shape"),
    (lambda: Hopfield(10).recall(np.ones(9)), "cue shape"),
    (lambda: Hopfield(10).recall(np.ones(10), max_sweeps=0), "max_sweeps"),
    (lambda: Hopfield(10).recall_continuous(np.ones(10), tau=-1.0), "tau"),
    (lambda: Hopfield(0), "n"),
])
def test_bad_input_raises_parameter_error_naming_the_parameter(call, name):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.name == name
