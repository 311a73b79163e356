"""Recurrent models: gradient checks through time, the scan-based minGRU, a short BPTT run."""
import numpy as np
import pytest

from neurosim.baselines.losses import mse
from neurosim.baselines.recurrent import GRU, MinGRU, SequenceRegressor, adding_problem, train_adding
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
    assert (x[:, :6, 1].sum(axis=1) == 1).all()
    assert (x[:, 6:, 1].sum(axis=1) == 1).all()
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


def _torch_gru_reference(x, weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, reset_after=True):
    """torch.nn.GRU (batch_first=True, one layer) from its documented equations, in numpy:

        r_t = logistic(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z_t = logistic(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

    with weight_ih_l0 = [W_ir; W_iz; W_in] (3H, I), weight_hh_l0 = [W_hr; W_hz; W_hn] (3H, H).
    ``reset_after=False`` replaces n_t by Cho et al. (2014)'s tanh(W_in x_t + b_in + W_hn (r_t * h_(t-1)) + b_hn).
    """
    W_ir, W_iz, W_in = np.split(weight_ih_l0, 3)
    W_hr, W_hz, W_hn = np.split(weight_hh_l0, 3)
    b_ir, b_iz, b_in = np.split(bias_ih_l0, 3)
    b_hr, b_hz, b_hn = np.split(bias_hh_l0, 3)
    def logistic(a):
        return 1 / (1 + np.exp(-a))

    h = np.zeros((x.shape[0], W_hr.shape[0]))
    out = []
    for t in range(x.shape[1]):
        xt = x[:, t]
        r = logistic(xt @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = logistic(xt @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        if reset_after:
            n = np.tanh(xt @ W_in.T + b_in + r * (h @ W_hn.T + b_hn))
        else:
            n = np.tanh(xt @ W_in.T + b_in + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        out.append(h)
    return np.stack(out, axis=1)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_torch_equations_with_mapped_weights(reset_after):
    rng = np.random.default_rng(3)
    inputs, hidden = 3, 5
    torch_weights = [rng.normal(0, 0.8, (3 * hidden, inputs)), rng.normal(0, 0.8, (3 * hidden, hidden)),
                     rng.normal(0, 0.8, 3 * hidden), rng.normal(0, 0.8, 3 * hidden)]
    model = GRU(inputs, hidden, rng, reset_after=reset_after)
    model.weight_ih.data, model.weight_hh.data = torch_weights[0].T.copy(), torch_weights[1].T.copy()
    model.bias_ih.data, model.bias_hh.data = torch_weights[2].copy(), torch_weights[3].copy()
    x = rng.standard_normal((4, 7, inputs))
    expected = _torch_gru_reference(x, *torch_weights, reset_after=reset_after)
    np.testing.assert_allclose(model.sequence(x).data, expected, rtol=1e-12, atol=1e-14)
    # the variants are not interchangeable: the same weights give visibly different states
    other = _torch_gru_reference(x, *torch_weights, reset_after=not reset_after)
    assert np.abs(other - expected).max() > 0.05


def test_gru_default_is_reset_after_and_both_variants_pass_gradient_checks():
    rng = np.random.default_rng(0)
    assert GRU(2, 3, rng).reset_after
    for kind in ("gru", "gru_reset_before"):
        model = SequenceRegressor(kind, 2, 3, rng)
        x, y = adding_problem(2, 5, rng)
        assert gradient_error(lambda *_, m=model, x=x, y=y: mse(m(x), y), *model.parameters()) < 1e-6
