"""Finite-difference gradient checks for every autodiff operation, plus graph mechanics."""
import numpy as np
import pytest

from neurosim.baselines import autodiff as ad

from .gradcheck import gradient_error, params

TOLERANCE = 1e-6

# name -> (function of the inputs, input shapes, inputs strictly positive)
OPERATIONS = {
    "add_broadcast": (lambda a, b: a + b, [(3, 4), (1, 4)], False),
    "sub_broadcast": (lambda a, b: a - b, [(2, 3, 4), (4,)], False),
    "mul_broadcast": (lambda a, b: a * b, [(3, 1), (1, 5)], False),
    "div_broadcast": (lambda a, b: a / b, [(3, 4), (4,)], True),
    "neg": (lambda a: -a, [(3, 2)], False),
    "power": (lambda a: a ** 1.5, [(3, 2)], True),
    "matmul": (lambda a, b: a @ b, [(3, 4), (4, 2)], False),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (2, 4, 5)], False),
    "matmul_batch_times_matrix": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)], False),
    "matmul_matrix_times_batch": (lambda a, b: a @ b, [(3, 4), (2, 4, 5)], False),
    "exp": (ad.exp, [(3, 4)], False),
    "log": (ad.log, [(3, 4)], True),
    "tanh": (ad.tanh, [(3, 4)], False),
    "logistic": (ad.logistic, [(3, 4)], False),
    "relu": (ad.relu, [(3, 4)], False),
    "softplus": (ad.softplus, [(3, 4)], False),
    "sum_all": (lambda a: a.sum(), [(3, 4)], False),
    "sum_axis": (lambda a: a.sum(axis=1), [(3, 4, 2)], False),
    "sum_keepdims": (lambda a: a.sum(axis=0, keepdims=True), [(3, 4)], False),
    "mean_axes": (lambda a: a.mean(axis=(0, 2)), [(3, 4, 2)], False),
    "reshape": (lambda a: a.reshape(4, 3) * np.arange(12.0).reshape(4, 3), [(3, 4)], False),
    "transpose": (lambda a: ad.transpose(a, (2, 0, 1)), [(2, 3, 4)], False),
    "getitem_slice": (lambda a: a[1:, ::2], [(3, 4)], False),
    "getitem_repeated_indices": (lambda a: a[np.array([0, 2, 0, 0])], [(3, 4)], False),
    "pad": (lambda a: ad.pad(a, ((1, 0), (2, 1))), [(2, 3)], False),
    "concat": (lambda a, b: ad.concat([a, b], axis=1), [(2, 3), (2, 2)], False),
    "stack": (lambda a, b: ad.stack([a, b], axis=1), [(2, 3), (2, 3)], False),
    "log_softmax": (ad.log_softmax, [(3, 5)], False),
    "softmax_axis0": (lambda a: ad.softmax(a, axis=0), [(3, 5)], False),
    "linear_recurrence": (lambda a, b, h0: ad.linear_recurrence(ad.logistic(a), b, h0), [(2, 9, 3), (2, 9, 3), (3,)],
                          False),
    "branches_meet": (lambda a: ad.tanh(a) * a + ad.exp(a) * a, [(2, 3)], False),
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_gradient(name):
    function, shapes, positive = OPERATIONS[name]
    inputs = params(np.random.default_rng(1), *shapes, positive=positive)
    assert gradient_error(function, *inputs) < TOLERANCE


def test_branch_gradients_accumulate():
    x = ad.parameter(np.array([2.0, -1.0]))
    (x * x + 3 * x).sum().backward()  # d/dx = 2x + 3
    np.testing.assert_allclose(x.grad, [7.0, 1.0])


def test_backward_twice_accumulates_and_zero_grad_clears():
    x = ad.parameter(np.array([1.5]))
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])
    x.zero_grad()
    assert x.grad is None


def test_constants_get_no_gradient_and_no_graph():
    c = ad.Tensor(np.ones(3))
    y = ad.exp(c) * 2
    assert not y.requires_grad
    assert y._parents == ()


def test_scan_matches_sequential_loop():
    rng = np.random.default_rng(0)
    a, b, h0 = rng.random((2, 37, 3)), rng.standard_normal((2, 37, 3)), rng.standard_normal(3)
    h, expected = h0, []
    for t in range(37):
        h = a[:, t] * h + b[:, t]
        expected.append(h)
    np.testing.assert_allclose(ad.linear_recurrence(a, b, h0).data, np.stack(expected, axis=1), rtol=1e-12)


def test_stable_log_softmax_and_softplus_for_large_inputs():
    z = np.array([[1000.0, 0.0, -1000.0]])
    assert np.isfinite(ad.log_softmax(z).data).all()
    np.testing.assert_allclose(ad.softplus(z).data, [[1000.0, np.log(2), 0.0]], atol=1e-12)


def test_backward_needs_scalar_or_gradient():
    x = ad.parameter(np.ones(3))
    with pytest.raises(ValueError, match="scalar"):
        (x * 2).backward()


def test_matmul_rejects_vectors():
    with pytest.raises(ValueError, match="at least 2"):
        ad.matmul(np.ones(3), np.ones((3, 2)))
