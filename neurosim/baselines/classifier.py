"""Classifiers on flat inputs: prediction helpers and one mini-batch training loop shared by the
MLP, the CNN and the adversarially trained models (which pass their own batch loss)."""
from __future__ import annotations

import numpy as np

from . import autodiff as ad
from .data import check_dataset, minibatches
from .layers import Module
from .losses import cross_entropy
from .optim import Adam


class Classifier(Module):
    """A module mapping (batch, features) inputs to class logits."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (eval mode, no graph kept)."""
        was_training = self.training
        self.eval()
        probs = ad.softmax(self.forward(ad.Tensor(np.asarray(X, dtype=float))).data).data
        self.train(was_training)
        return probs

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict_proba(X).argmax(axis=1) == y).mean())


def cross_entropy_loss(model, X: np.ndarray, y: np.ndarray) -> ad.Tensor:
    return cross_entropy(model(ad.Tensor(X)), y)


def train_classifier(model: Classifier, X_train, y_train, rng: np.random.Generator, epochs: int = 60,
                     learning_rate: float = 1e-3, batch_size: int = 32, weight_decay: float = 0.0,
                     batch_loss=cross_entropy_loss, X_test=None, y_test=None, progress=None) -> dict:
    """Adam on ``batch_loss(model, X_batch, y_batch)`` over seeded mini-batches; returns the curves:
    mean training loss per epoch and, given test data, the test accuracy after each epoch."""
    X_train = check_dataset("train_classifier", X_train, y_train)
    y_train = np.asarray(y_train)
    optimizer = Adam(model.parameters(), learning_rate, weight_decay=weight_decay)
    curves = {"train_loss": np.zeros(epochs), "test_accuracy": np.zeros(epochs)}
    for epoch in range(epochs):
        losses = []
        for batch in minibatches(len(X_train), batch_size, rng):
            optimizer.zero_grad()
            loss = batch_loss(model, X_train[batch], y_train[batch])
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
    return curves
