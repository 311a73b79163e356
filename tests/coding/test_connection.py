"""Factored weights (decoders x transform x encoders) against the full weight matrix."""
import numpy as np
import pytest

from neurosim.coding import Ensemble, Model
from neurosim.core.simulator import Simulator

pytestmark = pytest.mark.si_floats  # passes SI floats on purpose (opt-in: tests/conftest.py)

DT = 1e-3


def _model(n, weights_list, rotate=False, n_eval_points=None):
    model = Model(seed=2)
    stim = model.node("stim", lambda t: np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], 1))
    a = model.ensemble("a", n, 2, n_eval_points=n_eval_points)
    model.connect(stim, a)
    transform = np.array([[0.0, -1.0], [1.0, 0.0]]) if rotate else 1.0
    posts, template = [], Ensemble("b", n, 2, seed=5)  # identical post ensembles
    for weights in weights_list:
        post = model.ensemble(f"b_{weights}", n, 2, encoders=template.encoders, max_rates=template.max_rates,
                              intercepts=template.intercepts)
        model.connect(a, post, transform=transform, weights=weights)
        posts.append(post)
    return model, posts


def test_factored_equals_full_matrix():
    model, (factored, full) = _model(200, ["factored", "full"], rotate=True)
    conn = next(c for c in model.connections if c.post is factored)
    assert conn.pre_matrix.shape == (2, 200)
    assert conn.post_matrix.shape == (200, 2)
    net = model.build()
    for post in (factored, full):
        net.record_state(net.populations[post.name], "i_ext")
    results = Simulator(net, dt=DT).run(0.3)
    i_factored = results.states["b_factored"]["i_ext"].data
    i_full = results.states["b_full"]["i_ext"].data
    assert np.abs(i_factored).max() > 1.0
    np.testing.assert_allclose(i_factored, i_full, rtol=1e-9, atol=1e-9 * np.abs(i_full).max())
