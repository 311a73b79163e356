"""Registered experiments: one full training run per baseline, with metrics, curves and figures."""
from __future__ import annotations

import time

import numpy as np
from matplotlib.figure import Figure

from ..experiment import ExperimentOutput, register_experiment
from .adversarial import accuracy_vs_epsilon, fgsm
from .data import load_digits_split
from .mlp import train_mlp


def _axes(columns: int = 1, width: float = 4.5, height: float = 3.5):
    figure = Figure(figsize=(width * columns, height), layout="constrained")
    return figure, figure.subplots(1, columns, squeeze=False)[0]


def _mosaic(images: np.ndarray, columns: int, side: int = 8, gap: int = 1) -> np.ndarray:
    """Tile (n, side*side) images into one array with ``gap`` pixels of background between them."""
    rows = -(-len(images) // columns)
    canvas = np.full((rows * (side + gap) - gap, columns * (side + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        canvas[r * (side + gap):r * (side + gap) + side, c * (side + gap):c * (side + gap) + side] = \
            image.reshape(side, side)
    return canvas


def _show_digits(ax, images: np.ndarray, title: str, columns: int = 10) -> None:
    ax.imshow(_mosaic(images, columns), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def _loss_figure(curves: dict[str, np.ndarray], xlabel: str, ylabel: str, title: str, log: bool = False):
    figure, (ax,) = _axes()
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if log:
        ax.set_yscale("log")
    ax.legend()
    return figure


@register_experiment("baseline_mlp_digits")
def mlp_digits(hidden=(100,), epochs: int = 60, learning_rate: float = 1e-3, batch_size: int = 32,
               weight_decay: float = 0.0, dropout: float = 0.0, repeats: int = 5, *, seed, progress):
    """MLP on digits (80/20 stratified split): test accuracy over ``repeats`` seeds seed, seed+1, ..."""
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load_digits_split()
    accuracies, curves = [], {}
    for r in range(repeats):
        model, run_curves = train_mlp(X_train, y_train, np.random.default_rng(seed + r), hidden=tuple(hidden),
                                      epochs=epochs, learning_rate=learning_rate, batch_size=batch_size,
                                      weight_decay=weight_decay, dropout=dropout, X_test=X_test, y_test=y_test)
        accuracies.append(model.accuracy(X_test, y_test))
        if r == 0:
            curves = run_curves
        progress((r + 1) / repeats, f"run {r + 1}: test accuracy {accuracies[-1]:.4f}")
    figure, (loss_ax, acc_ax) = _axes(2)
    epochs_axis = np.arange(1, epochs + 1)
    loss_ax.plot(epochs_axis, curves["train_loss"])
    loss_ax.set(xlabel="epoch", ylabel="training cross-entropy (nats)", yscale="log", title="MLP training loss")
    acc_ax.plot(epochs_axis, curves["test_accuracy"])
    acc_ax.axhline(0.977, color="gray", ls="--", label="scikit-learn MLPClassifier((100,))")
    acc_ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.9, 1.0), title="held-out digits (20 %)")
    acc_ax.legend(loc="lower right")
    return ExperimentOutput(
        metrics={"test_accuracy_mean": float(np.mean(accuracies)), "test_accuracy_min": float(np.min(accuracies)),
                 "test_accuracy_max": float(np.max(accuracies)), "wall_time_s": time.perf_counter() - start},
        curves={**curves, "test_accuracy_per_seed": np.array(accuracies)},
        figures={"mlp_training": figure})


@register_experiment("baseline_fgsm")
def fgsm_digits(hidden=(100,), epochs: int = 60, learning_rate: float = 1e-3,
                epsilons=(0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3), *, seed, progress):
    """FGSM against the digits MLP: test accuracy versus epsilon, beside random-sign noise of equal size."""
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load_digits_split()
    rng = np.random.default_rng(seed)
    model, _ = train_mlp(X_train, y_train, rng, hidden=tuple(hidden), epochs=epochs, learning_rate=learning_rate)
    progress(0.8, "attacking")
    epsilons = np.asarray(epsilons, dtype=float)
    adversarial = accuracy_vs_epsilon(model, X_test, y_test, epsilons)
    noise = np.array([model.accuracy(np.clip(X_test + e * rng.choice([-1.0, 1.0], X_test.shape), 0, 1), y_test)
                      for e in epsilons])
    examples = np.concatenate([fgsm(model, X_test[:10], y_test[:10], e) for e in (0.0, 0.1, 0.2)])
    figure, (ax, ex_ax) = _axes(2)
    ax.plot(epsilons, adversarial, "o-", label="FGSM")
    ax.plot(epsilons, noise, "s--", label="random sign noise")
    ax.set(xlabel="epsilon (pixel range 0-1)", ylabel="test accuracy", title="MLP under FGSM", ylim=(0, 1.02))
    ax.legend()
    _show_digits(ex_ax, examples, "FGSM examples, rows: eps 0, 0.1, 0.2")
    metrics = {f"accuracy_eps_{e:g}": float(a) for e, a in zip(epsilons, adversarial)}
    metrics["wall_time_s"] = time.perf_counter() - start
    return ExperimentOutput(metrics=metrics,
                            curves={"epsilon": epsilons, "fgsm_accuracy": adversarial, "noise_accuracy": noise},
                            arrays={"examples": examples}, figures={"fgsm_accuracy": figure})
