import numpy as np
import pytest

from neurosim.errors import ParameterError
from neurosim.learning.data import corrupt, random_patterns
from neurosim.learning.hopfield import Hopfield, async_recall, breakdown_load, capacity_curve, overlap
from neurosim.rng import generator


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


def test_asynchronous_updates_never_increase_the_energy_checked_every_update():
    net, X = network(200, 30, seed=1)  # load 0.15: many updates, some cues end in spurious states
    net.bias = generator(1, "build", "bias").normal(0, 0.05, 200)
    rng = generator(1, "run", "order")
    for cue in corrupt(X[:5], 0.3, generator(1, "build", "cues")):
        result = net.recall(cue, rng, record=True)
        s = cue.copy()
        previous = net.energy(s)
        flips = 0
        for unit, energy in zip(result.units, result.energy, strict=True):
            field = net.weights[unit] @ s + net.bias[unit]
            if field != 0:
                flips += s[unit] != np.sign(field)
                s[unit] = np.sign(field)
            direct = net.energy(s)
            assert direct <= previous + 1e-12
            assert energy == pytest.approx(direct, abs=1e-9)
            previous = direct
        assert flips > 0
        np.testing.assert_array_equal(s, result.state)
        assert result.converged


def test_compiled_kernel_matches_its_python_version():
    net, X = network(60, 6)
    cue = corrupt(X[0], 0.3, np.random.default_rng(0))
    outs = []
    for kernel in (async_recall, async_recall.py_func):
        s, e, u = cue.copy(), np.zeros(600), np.zeros(600, np.int64)
        outs.append((kernel(s, net.weights, net.bias, np.random.default_rng(5), 10, e, u), s, e, u))
    assert outs[0][0] == outs[1][0]
    for a, b in zip(outs[0][1:], outs[1][1:], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_stored_patterns_are_fixed_points_at_low_load():
    net, X = network(300, 6)
    assert np.all(X * (X @ net.weights) > 0)  # every unit aligned with its local field
    rng = generator(0, "run", "order")
    for x in X:
        result = net.recall(x, rng, record=True)
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
    states, converged = net.recall_many(cues, generator(0, "run", "order"))
    assert converged.all()
    np.testing.assert_array_equal(states, X)
    for k in range(3):  # the core-built synchronous and continuous versions as well
        np.testing.assert_array_equal(net.recall_sync(cues[k]).state, X[k])
        continuous = net.recall_continuous(cues[k])
        np.testing.assert_array_equal(continuous.state, X[k])
        assert np.all(np.diff(continuous.energy) <= 1e-6 * np.abs(continuous.energy).max())


def test_capacity_breakdown_between_0_12_and_0_16_at_n_1000():
    loads = np.round(np.arange(0.10, 0.175, 0.01), 2)
    loads, mean, _, exact = capacity_curve(1000, loads, generator(3, "run", "capacity"))
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
    (lambda: Hopfield(10).recall(np.ones(9), np.random.default_rng()), "cue shape"),
    (lambda: Hopfield(10).recall(np.ones(10), np.random.default_rng(), max_sweeps=0), "max_sweeps"),
    (lambda: Hopfield(10).recall_continuous(np.ones(10), tau=-1.0), "tau"),
    (lambda: Hopfield(0), "n"),
])
def test_bad_input_raises_parameter_error_naming_the_parameter(call, name):
    with pytest.raises(ParameterError) as info:
        call()
    assert info.value.name == name
