"""Predictive coding network (Whittington & Bogacz 2017) with value and error nodes in every layer.

Row-vector form, layer 0 = input ... layer L = output. Layer ``l`` predicts the next one,
``mu^l = f(x^{l-1}) W^l + b^l`` (the identity instead of ``f`` on the input layer, so pixels enter
linearly as in the backprop MLP; the output prediction is linear). Error nodes hold
``eps^l = pi^l (x^l - mu^l)`` with precision ``pi^l = 1`` in hidden layers and ``gamma`` at the
output. The course notes write ``mu^i = sigma(x^{i+1} M^i + beta^i)`` with the activation outside
and predictions flowing from the label towards the input; we follow the paper: activation applied
to the presynaptic value, predictions flowing from input to output (the direction in which the
equilibrium reproduces backprop). The notes' error-node equation has ``v_max``; it is the variance.

Value nodes descend the energy ``F = sum_l pi^l / 2 ||x^l - mu^l||^2``:
``dx^l/dt = -eps^l + f'(x^l) * (eps^{l+1} W^{l+1 T})``, integrated by forward Euler with step
``rate = dt / tau`` on a whole mini-batch at once (matrix products), until ``max |dx| < tol``. This
numpy loop is the reference of the same network on the simulation core (:mod:`.pc_engine`).
Weights then change by the local rule :func:`rules.predictive_coding` (presynaptic output times
postsynaptic error), scaled by ``learning_rate / gamma``: at small ``gamma`` the errors are
``gamma`` times backprop's deltas, so this step equals a backprop SGD step on
``1/2 ||y - output||^2`` with the same learning rate.

Modes: training (input and label clamped), inference (input clamped, output free: the
equilibrium is the feed-forward pass; class = argmax of the output values), generation (label
clamped; the input layer free under a Gaussian prior around the mean training image).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.activations import MAX_SLOPE, SLOPES, VALUES, check
from ..errors import ParameterError
from .data import check_count, check_rate, one_hot
from .rules import predictive_coding


@dataclass
class Relaxation:
    """Equilibrium values ``x[l]``, errors ``eps[l]``, iterations used and the energy per iteration."""

    x: list
    eps: list
    iterations: int
    energy: np.ndarray


class PredictiveCodingNetwork:
    """Layers ``sizes = [n_input, ..., n_output]``; weights Glorot-normal from ``rng``, biases 0."""

    def __init__(self, sizes, rng: np.random.Generator, activation: str = "logistic"):
        if len(sizes) < 2:
            raise ParameterError("sizes", sizes, "at least two layer sizes (input, output)")
        self.sizes = [check_count("sizes", n) for n in sizes]
        self.activation = check(activation)
        self.W = [rng.normal(0.0, np.sqrt(2.0 / (a + b)), (a, b))
                  for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True)]
        self.b = [np.zeros(n) for n in self.sizes[1:]]

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    def f(self, x, layer: int) -> np.ndarray:
        return x if layer == 0 else VALUES[self.activation](x)

    def _data(self, X, name: str, layer: int) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, float))
        if X.ndim != 2 or X.shape[1] != self.sizes[layer] or not np.all(np.isfinite(X)):
            raise ParameterError(f"{name} shape", X.shape, f"(samples, {self.sizes[layer]}) finite values")
        return X

    def predictions(self, x: list) -> list:
        """``mu^l`` for l = 1..L (index l-1) from the current values."""
        return [self.f(x[l - 1], l - 1) @ self.W[l - 1] + self.b[l - 1] for l in range(1, len(self.sizes))]

    def forward(self, X) -> list:
        """Feed-forward sweep: every value at its prediction (all errors zero)."""
        x = [self._data(X, "X", 0)]
        for l in range(1, len(self.sizes)):
            x.append(self.f(x[-1], l - 1) @ self.W[l - 1] + self.b[l - 1])
        return x

    def relax(self, x: list, clamped: set, gamma: float = 1.0, prior=None, rate: float = 0.1,
              tol: float = 1e-6, max_iterations: int = 2000) -> Relaxation:
        """Descend ``F`` in the free layers (those not in ``clamped``) from values ``x`` (modified in place).

        ``prior = (mean, precision)`` adds an error node ``precision (x^0 - mean)`` to a free input layer.
        ``rate`` is capped at ``1 / (1 + prior + max_l pi^{l+1} s_l^2 ||W^{l+1}||_2^2)`` (``s_l`` the largest
        slope of layer l's curve), a bound on the curvature of ``F`` that keeps each Euler step descending.
        """
        L, f, slope = self.n_layers, VALUES[self.activation], SLOPES[self.activation]
        precision = [1.0] * (L - 1) + [check_rate("gamma", gamma)]
        free = [l for l in range(L + 1) if l not in clamped]
        stiffness = max([precision[l] * (1.0 if l == 0 else MAX_SLOPE[self.activation]) ** 2
                         * np.linalg.norm(self.W[l], 2) ** 2 for l in free if l < L], default=0.0)
        rate = min(check_rate("rate", rate), 1.0 / (1.0 + (prior[1] if prior is not None else 0.0) + stiffness))
        energy = []
        for _ in range(check_count("max_iterations", max_iterations)):
            fx = [x[0]] + [f(v) for v in x[1:L]]
            eps = [prior[1] * (x[0] - prior[0]) if prior is not None else np.zeros_like(x[0])]
            eps += [precision[l - 1] * (x[l] - fx[l - 1] @ self.W[l - 1] - self.b[l - 1]) for l in range(1, L + 1)]
            energy.append(0.5 * sum(np.vdot(e, e) / p for e, p in zip(eps[1:], precision, strict=True)) / len(x[0]))
            step = 0.0
            for l in free:
                dx = -eps[l]
                if l < L:
                    back = eps[l + 1] @ self.W[l].T
                    dx = dx + (back if l == 0 else slope(x[l], fx[l]) * back)
                x[l] += rate * dx
                step = max(step, float(np.abs(dx).max()))
            if step < tol:
                break
        return Relaxation(x, eps, len(energy), np.array(energy))  # one energy per iteration

    def weight_updates(self, relaxation: Relaxation, gamma: float) -> tuple[list, list]:
        """Local updates ``(dW, db)`` per layer from an equilibrium: pre output times post error / gamma."""
        x, eps = relaxation.x, relaxation.eps
        dW = [predictive_coding(self.f(x[l - 1], l - 1), eps[l]) / gamma for l in range(1, self.n_layers + 1)]
        ones = np.ones((len(x[0]), 1))
        db = [predictive_coding(ones, eps[l])[0] / gamma for l in range(1, self.n_layers + 1)]
        return dW, db

    def train_step(self, X, Y, learning_rate: float, gamma: float = 0.1, rate: float = 0.1, tol: float = 1e-4,
                   max_iterations: int = 500) -> Relaxation:
        """Training mode on one mini-batch: clamp input and target, relax, apply the local updates."""
        X, Y = self._data(X, "X", 0), self._data(Y, "Y", self.n_layers)
        x = self.forward(X)
        x[-1] = Y.copy()
        relaxation = self.relax(x, {0, self.n_layers}, gamma, rate=rate, tol=tol, max_iterations=max_iterations)
        dW, db = self.weight_updates(relaxation, gamma)
        for l in range(self.n_layers):
            self.W[l] += learning_rate * dW[l]
            self.b[l] += learning_rate * db[l]
        return relaxation

    def infer(self, X, rate: float = 0.2, tol: float = 1e-6, max_iterations: int = 2000) -> Relaxation:
        """Inference mode: input clamped, every other value relaxed from zero."""
        X = self._data(X, "X", 0)
        x = [X] + [np.zeros((len(X), n)) for n in self.sizes[1:]]
        return self.relax(x, {0}, rate=rate, tol=tol, max_iterations=max_iterations)

    def predict(self, X, **kwargs) -> np.ndarray:
        return self.infer(X, **kwargs).x[-1].argmax(axis=1)

    def generate(self, labels, mean_input, prior_precision: float = 0.1, gamma: float = 1.0, tol: float = 1e-4,
                 max_iterations: int = 20000) -> Relaxation:
        """Generation mode: one-hot ``labels`` clamped at the output, the input layer (read out) and the
        hidden layers relaxed, the input under a prior ``N(mean_input, 1 / prior_precision)``."""
        Y = one_hot(labels, self.sizes[-1])
        mean_input = self._data(mean_input, "mean_input", 0)
        x = self.forward(np.repeat(mean_input, len(Y), axis=0))
        x[-1] = Y
        return self.relax(x, {self.n_layers}, gamma, prior=(mean_input, check_rate("prior_precision", prior_precision)),
                          rate=1.0, tol=tol, max_iterations=max_iterations)

def train(network: PredictiveCodingNetwork, X, y, rng: np.random.Generator, epochs: int = 20, batch_size: int = 20,
          learning_rate: float = 0.1, gamma: float = 0.1, X_test=None, y_test=None, progress=None, **relax):
    """Mini-batch training (order from ``rng``); returns per-epoch curves (train loss, test accuracy,
    mean relaxation iterations)."""
    epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
    learning_rate, gamma = check_rate("learning_rate", learning_rate), check_rate("gamma", gamma)
    X = network._data(X, "X", 0)
    Y = one_hot(y, network.sizes[-1])
    return train_epochs(lambda Xb, Yb: network.train_step(Xb, Yb, learning_rate, gamma, **relax), network,
                        network.predict, X, Y, rng, epochs, batch_size, X_test, y_test, progress)


def train_epochs(step, network: PredictiveCodingNetwork, predict, X, Y, rng: np.random.Generator, epochs: int,
                 batch_size: int, X_test, y_test, progress) -> dict[str, np.ndarray]:
    """The epoch loop of :func:`train` and of the engine's training: ``step(X_batch, Y_batch)`` trains on one
    mini-batch (order from ``rng``) and returns its :class:`Relaxation`; ``predict(X)`` gives labels."""
    curves = {"train_loss": np.zeros(epochs), "test_accuracy": np.zeros(epochs), "iterations": np.zeros(epochs)}
    for epoch in range(epochs):
        iterations = []
        for batch in np.array_split(rng.permutation(len(X)), max(1, len(X) // batch_size)):
            iterations.append(step(X[batch], Y[batch]).iterations)
        curves["train_loss"][epoch] = 0.5 * ((network.forward(X)[-1] - Y) ** 2).sum(axis=1).mean()
        curves["iterations"][epoch] = np.mean(iterations)
        if X_test is not None:
            curves["test_accuracy"][epoch] = np.mean(predict(X_test) == y_test)
        if progress:
            progress((epoch + 1) / epochs, f"epoch {epoch + 1}: loss {curves['train_loss'][epoch]:.4f}")
    return curves


def backprop_gradients(network: PredictiveCodingNetwork, X, Y) -> tuple[list, list]:
    """Gradients of ``1/2 ||Y - output||^2`` (mean over the batch) with respect to every ``W`` and ``b``
    of the same network, by the chain rule (the tests check them against reverse-mode autodiff)."""
    h = [network._data(X, "X", 0)]
    for l in range(network.n_layers):
        h.append(network.f(h[l], l) @ network.W[l] + network.b[l])
    delta = (h[-1] - network._data(Y, "Y", network.n_layers)) / len(h[0])
    gW, gb = [None] * network.n_layers, [None] * network.n_layers
    for l in reversed(range(network.n_layers)):
        gW[l], gb[l] = network.f(h[l], l).T @ delta, delta.sum(axis=0)
        if l > 0:
            delta = (delta @ network.W[l].T) * SLOPES[network.activation](h[l], network.f(h[l], l))
    return gW, gb


def train_backprop(network: PredictiveCodingNetwork, X, y, rng: np.random.Generator, epochs: int = 20,
                   batch_size: int = 20, learning_rate: float = 0.1, X_test=None, y_test=None, progress=None):
    """The backprop twin of :func:`train`: same network, loss, mini-batches and SGD steps, gradients
    from :func:`backprop_gradients`; returns the same curves."""
    epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
    learning_rate = check_rate("learning_rate", learning_rate)
    X = network._data(X, "X", 0)
    Y = one_hot(y, network.sizes[-1])
    curves = {"train_loss": np.zeros(epochs), "test_accuracy": np.zeros(epochs)}
    for epoch in range(epochs):
        for batch in np.array_split(rng.permutation(len(X)), max(1, len(X) // batch_size)):
            gW, gb = backprop_gradients(network, X[batch], Y[batch])
            for l in range(network.n_layers):
                network.W[l] -= learning_rate * gW[l]
                network.b[l] -= learning_rate * gb[l]
        curves["train_loss"][epoch] = 0.5 * ((network.forward(X)[-1] - Y) ** 2).sum(axis=1).mean()
        if X_test is not None:
            curves["test_accuracy"][epoch] = np.mean(network.forward(X_test)[-1].argmax(axis=1) == y_test)
        if progress:
            progress((epoch + 1) / epochs, f"epoch {epoch + 1}: loss {curves['train_loss'][epoch]:.4f}")
    return curves
