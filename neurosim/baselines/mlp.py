"""Multi-layer perceptron classifier trained by backpropagation (digits baseline)."""
from __future__ import annotations

import itertools

import numpy as np

from . import autodiff as ad
from .data import check_dataset, minibatches
from .layers import Dense, Dropout, Module, activation
from .losses import cross_entropy
from .optim import Adam


class MLP(Module):
    """Dense layers with an activation (and optional dropout) between them; outputs logits."""

    def __init__(self, sizes, rng: np.random.Generator, activation_name: str = "relu", dropout: float = 0.0):
        self.act = activation(activation_name)
        gain = np.sqrt(2.0) if activation_name == "relu" else 1.0
        self.layers = [Dense(a, b, rng, gain=gain if i < len(sizes) - 2 else 1.0)
                       for i, (a, b) in enumerate(itertools.pairwise(sizes))]
        self.dropout = Dropout(dropout, rng)

    def forward(self, x) -> ad.Tensor:
        for layer in self.layers[:-1]:
            x = self.dropout(self.act(layer(x)))
        return self.layers[-1](x)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (eval mode, no graph kept)."""
        was_training = self.training
        self.eval()
        probs = ad.softmax(self.forward(ad.Tensor(np.asarray(X, dtype=float))).data).data
        self.train(was_training)
        return probs

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict_proba(X).argmax(axis=1) == y).mean())


def train_mlp(X_train, y_train, rng: np.random.Generator, hidden=(100,), epochs: int = 60,
              learning_rate: float = 1e-3, batch_size: int = 32, weight_decay: float = 0.0,
              dropout: float = 0.0, X_test=None, y_test=None, progress=None):
    """Train an :class:`MLP` with Adam on cross-entropy; returns (model, curves).

    ``curves`` holds the mean training loss per epoch and, given test data, the test accuracy.
    """
    X_train = check_dataset("train_mlp", X_train, y_train)
    y_train = np.asarray(y_train)
    model = MLP([X_train.shape[1], *hidden, int(y_train.max()) + 1], rng, dropout=dropout)
    optimizer = Adam(model.parameters(), learning_rate, weight_decay=weight_decay)
    curves = {"train_loss": np.zeros(epochs), "test_accuracy": np.zeros(epochs)}
    for epoch in range(epochs):
        losses = []
        for batch in minibatches(len(X_train), batch_size, rng):
            optimizer.zero_grad()
            loss = cross_entropy(model(ad.Tensor(X_train[batch])), y_train[batch])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        curves["train_loss"][epoch] = np.mean(losses)
        if X_test is not None:
            curves["test_accuracy"][epoch] = model.accuracy(X_test, y_test)
        if progress:
            progress((epoch + 1) / epochs, f"epoch {epoch + 1}: loss {curves['train_loss'][epoch]:.4f}")
    if X_test is None:
        del curves["test_accuracy"]
    return model, curves
