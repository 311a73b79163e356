"""Recurrent models: gradient checks through time, the scan-based minGRU, a short BPTT run."""
import numpy as np
import pytest

from neurosim.baselines.losses import mse
from neurosim.baselines.recurrent import MinGRU, SequenceRegressor, adding_problem, train_adding
from neurosim.errors import ParameterError

from .gradcheck import gradient_error


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm", "mingru"])
def test_bptt_gradient(kind):
    rng = np.random.default_rng(0)
    model = SequenceRegressor(kind, 2, 3, rng)
    x, y = adding_problem(2, 5, rng)
    assert gradient_error(lambda *_: mse(model(x), y), *model.parameters()) < 1e-6


def test_adding_problem_targets_are_sums_of_marked_values():
    x, y = adding_problem(50, 12, np.random.default_rng(0))
    assert x.shape == (50, 12, 2)
    assert (x[:, :6, 1].sum(axis=1) == 1).all() and (x[:, 6:, 1].sum(axis=1) == 1).all()
    np.testing.assert_allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), y)


def test_mingru_scan_equals_step_by_step_recurrence():
    rng = np.random.default_rng(1)
    model = MinGRU(2, 4, rng, layers=1)
    x = rng.standard_normal((3, 9, 2))
    zh = x @ model.projections[0].weight.data + model.projections[0].bias.data
    z, candidate = 1 / (1 + np.exp(-zh[..., :4])), zh[..., 4:]
    h = np.zeros((3, 4))
    for t in range(9):
        h = (1 - z[:, t]) * h + z[:, t] * candidate[:, t]
    np.testing.assert_allclose(model(x).data, h, rtol=1e-10)


def test_gru_learns_short_adding_problem():
    _, losses, test_mse = train_adding("gru", 10, np.random.default_rng(0), steps=300)
    # predicting the mean gives 1/6; a trained GRU must beat it by a factor of 10
    assert test_mse < 1 / 60
    assert losses[-20:].mean() < 0.2 * losses[:20].mean()


def test_wrong_input_width_names_the_model():
    model = SequenceRegressor("lstm", 2, 4, np.random.default_rng(0))
    with pytest.raises(ParameterError, match=r"LSTM\(2->4\): input shape"):
        model(np.zeros((1, 5, 3)))


def test_unknown_model_kind():
    with pytest.raises(ParameterError, match="did you mean 'lstm'"):
        SequenceRegressor("lstn", 2, 4, np.random.default_rng(0))


def test_nonpositive_learning_rate_rejected():
    with pytest.raises(ParameterError, match="learning_rate"):
        train_adding("rnn", 5, np.random.default_rng(0), learning_rate=-1.0, steps=1)
