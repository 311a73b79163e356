"""Multi-layer perceptron classifier trained by backpropagation (digits baseline)."""
from __future__ import annotations

import itertools

import numpy as np

from . import autodiff as ad
from .classifier import Classifier, train_classifier
from .data import check_dataset
from .layers import Dense, Dropout, activation


class MLP(Classifier):
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


def train_mlp(X_train, y_train, rng: np.random.Generator, hidden=(100,), epochs: int = 60,
              learning_rate: float = 1e-3, batch_size: int = 32, weight_decay: float = 0.0,
              dropout: float = 0.0, X_test=None, y_test=None, progress=None, batch_loss=None):
    """Train an :class:`MLP` with Adam on cross-entropy (or ``batch_loss``); returns (model, curves).

    ``curves`` holds the mean training loss per epoch and, given test data, the test accuracy.
    """
    X_train = check_dataset("train_mlp", X_train, y_train)
    y_train = np.asarray(y_train)
    model = MLP([X_train.shape[1], *hidden, int(y_train.max()) + 1], rng, dropout=dropout)
    extra = {} if batch_loss is None else {"batch_loss": batch_loss}
    curves = train_classifier(model, X_train, y_train, rng, epochs, learning_rate, batch_size, weight_decay,
                              X_test=X_test, y_test=y_test, progress=progress, **extra)
    return model, curves
