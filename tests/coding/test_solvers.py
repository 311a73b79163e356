"""Decoder solvers and functions."""
import numpy as np
import pytest

from neurosim.coding import Connection, Ensemble, LstsqL2, Node
from neurosim.coding.functions import NAMED, evaluate
from neurosim.errors import ParameterError


def test_lstsq_l2_is_nengos_normal_equations():
    rng = np.random.default_rng(0)
    A = rng.uniform(0, 300, (200, 40))
    Y = rng.normal(size=(200, 2))
    X, info = LstsqL2(reg=0.1)(A, Y)
    sigma = 0.1 * A.max()
    expected = np.linalg.solve(A.T @ A + 200 * sigma**2 * np.eye(40), A.T @ Y)  # lambda = M sigma^2
    np.testing.assert_allclose(X, expected, rtol=1e-9, atol=1e-14)
    assert info["method"] == "cholesky"
    assert info["sigma"] == sigma
    np.testing.assert_allclose(info["rmses"], np.sqrt(np.mean((A @ X - Y) ** 2, axis=0)))


def test_dual_form_when_fewer_points_than_neurons():
    rng = np.random.default_rng(1)
    A = rng.uniform(0, 300, (30, 80))
    Y = rng.normal(size=30)
    X, _ = LstsqL2(reg=0.05)(A, Y)
    lam = 30 * (0.05 * A.max()) ** 2
    np.testing.assert_allclose(X, np.linalg.solve(A.T @ A + lam * np.eye(80), A.T @ Y), rtol=1e-7, atol=1e-12)


def test_singular_system_falls_back_to_lstsq():
    rng = np.random.default_rng(2)
    A = np.hstack([rng.uniform(0, 100, (100, 5)), np.zeros((100, 3))])  # silent neurons, reg 0
    Y = A[:, :2] @ np.array([0.3, -0.2])
    X, info = LstsqL2(reg=0.0)(A, Y)
    assert info["method"] == "lstsq"
    assert np.all(np.isfinite(X))
    assert info["rmses"][0] < 1e-10


def test_function_decoders():
    ens = Ensemble("e", 200, dimensions=2, seed=3)
    square = Connection(ens, Node("o", None, 2), function="square")
    product = Connection(ens, Node("p", None, 1), function="product")
    custom = Connection(ens, Node("q", None, 1), function=lambda x: np.sin(x[0]))
    for connection in (square, product, custom):
        assert connection.rmse < 0.03
    assert set(NAMED) >= {"identity", "square", "product"}
    np.testing.assert_allclose(evaluate("product", np.array([[2.0, 3.0]])), [[6.0]])


def test_connection_errors():
    a, b = Ensemble("a", 20, dimensions=2), Ensemble("b", 20, dimensions=1)
    with pytest.raises(ParameterError, match="dimension"):
        Connection(a, b)  # identity gives 2 dimensions, b has 1
    with pytest.raises(ParameterError, match="transform"):
        Connection(a, b, transform=np.ones((2, 2)))
    with pytest.raises(ParameterError, match="function"):
        Connection(a, b, function="squareroot")
    with pytest.raises(ParameterError, match="product"):
        Connection(b, b, function="product")
    with pytest.raises(ParameterError, match="function"):
        Connection(Node("n", 1.0), b, function="square")
    with pytest.raises(ParameterError, match="reg"):
        LstsqL2(reg=-1)
    Connection(a, b, function="product")  # 1 output into 1 dimension: fine
