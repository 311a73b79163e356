"""Convolutional classifier for the 8x8 digits: conv 3x3 + ReLU, 2x2 max pooling, conv 3x3 + ReLU, dense layers.

Inputs are flat (batch, side * side) images, as for the MLP, so the same training loop and the
same attacks apply to both.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .classifier import Classifier, train_classifier
from .data import check_dataset
from .layers import Conv2d, Dense, Dropout, MaxPool2d


class CNN(Classifier):
    """conv(3x3, ``channels[0]``, padding 1) - ReLU - max-pool 2x2 - conv(3x3, ``channels[1]``, padding 1) -
    ReLU - dense(``hidden``) - ReLU - dropout - dense(classes); outputs logits."""

    def __init__(self, classes: int, rng: np.random.Generator, side: int = 8, channels=(16, 32),
                 hidden: int = 128, dropout: float = 0.0):
        if len(channels) != 2:
            raise ParameterError("CNN: channels", channels, "two channel counts (one per convolution)")
        if side % 2:
            raise ParameterError("CNN: side", side, "an even image side (2x2 pooling)")
        self.side = int(side)
        self.conv1 = Conv2d(1, channels[0], 3, rng, padding=1)
        self.conv2 = Conv2d(channels[0], channels[1], 3, rng, padding=1)
        self.pool = MaxPool2d(2)
        self.dense = Dense(channels[1] * (side // 2) ** 2, hidden, rng, gain=np.sqrt(2.0))
        self.out = Dense(hidden, classes, rng)
        self.dropout = Dropout(dropout, rng)

    def forward(self, x) -> ad.Tensor:
        x = ad.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.side**2:
            raise ParameterError("CNN: input shape", x.shape, f"(batch, {self.side**2}) flat images")
        h = x.reshape(x.shape[0], 1, self.side, self.side)
        h = ad.relu(self.conv2(self.pool(ad.relu(self.conv1(h)))))
        h = self.dropout(ad.relu(self.dense(h.reshape(x.shape[0], -1))))
        return self.out(h)


def train_cnn(X_train, y_train, rng: np.random.Generator, channels=(16, 32), hidden: int = 128,
              dropout: float = 0.0, epochs: int = 60, learning_rate: float = 1e-3, batch_size: int = 32,
              weight_decay: float = 0.0, X_test=None, y_test=None, progress=None, batch_loss=None):
    """Train a :class:`CNN` on flat square images with Adam; returns (model, curves) as ``train_mlp``."""
    X_train = check_dataset("train_cnn", X_train, y_train)
    y_train = np.asarray(y_train)
    side = round(np.sqrt(X_train.shape[1]))
    if side * side != X_train.shape[1]:
        raise ParameterError("train_cnn: features", X_train.shape[1], "a square number of pixels")
    model = CNN(int(y_train.max()) + 1, rng, side, channels, hidden, dropout)
    extra = {} if batch_loss is None else {"batch_loss": batch_loss}
    curves = train_classifier(model, X_train, y_train, rng, epochs, learning_rate, batch_size, weight_decay,
                              X_test=X_test, y_test=y_test, progress=progress, **extra)
    return model, curves
