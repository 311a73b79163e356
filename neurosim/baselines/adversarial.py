"""Adversarial attacks (FGSM, PGD) and defences (adversarial training, TRADES) for classifiers.

Pixels lie in [0, 1]; every attack stays in the L-infinity ball B(x, epsilon) intersected with
that range. The defences follow Goodfellow et al. (2015) and Zhang et al. (2019); where the course
notes' formulas differ from the paper (typos), the paper is followed (see :func:`trades_loss`).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from . import autodiff as ad
from .losses import cross_entropy


def _gradient_wrt_input(model, X: np.ndarray, loss) -> np.ndarray:
    """d(loss(model(x)))/dx in eval mode; ``loss`` maps logits to a scalar summed over the batch.

    The parameters' gradients are left as they were, so attacks can run inside a training step.
    """
    x = ad.parameter(np.asarray(X, dtype=float))
    parameters = model.parameters()
    saved = [p.grad for p in parameters]
    was_training = model.training
    model.eval()
    loss(model(x)).backward()
    model.train(was_training)
    for p, grad in zip(parameters, saved, strict=True):
        p.grad = grad
    return x.grad


def input_gradient(model, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d(cross-entropy)/d(input) for each sample (the loss summed, so each row is its own gradient)."""
    return _gradient_wrt_input(model, X, lambda logits: cross_entropy(logits, y) * len(X))


def _check_epsilon(name: str, epsilon: float) -> None:
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ParameterError(f"{name}: epsilon", epsilon, "a finite number >= 0")


def fgsm(model, X: np.ndarray, y: np.ndarray, epsilon: float, clip=(0.0, 1.0)) -> np.ndarray:
    """x + epsilon * sign(grad_x loss), clipped to the valid pixel range."""
    _check_epsilon("fgsm", epsilon)
    return np.clip(X + epsilon * np.sign(input_gradient(model, X, y)), *clip)


def _project(x_adv: np.ndarray, X: np.ndarray, epsilon: float, clip) -> np.ndarray:
    return np.clip(np.clip(x_adv, X - epsilon, X + epsilon), *clip)


def pgd(model, X: np.ndarray, y: np.ndarray, epsilon: float, steps: int = 10, step_size: float | None = None,
        rng: np.random.Generator | None = None, clip=(0.0, 1.0)) -> np.ndarray:
    """Projected gradient descent on the negative cross-entropy (Madry et al. 2018), L-infinity ball.

    ``steps`` signed-gradient steps of ``step_size`` (default 2.5 epsilon / steps), each followed by
    projection onto B(x, epsilon) and the pixel range; with ``rng`` the start is uniform in the ball.
    """
    _check_epsilon("pgd", epsilon)
    if int(steps) != steps or steps < 1:
        raise ParameterError("pgd: steps", steps, "a positive integer")
    step_size = 2.5 * epsilon / steps if step_size is None else step_size
    X = np.asarray(X, dtype=float)
    x_adv = X if rng is None else _project(X + rng.uniform(-epsilon, epsilon, X.shape), X, epsilon, clip)
    for _ in range(int(steps)):
        x_adv = _project(x_adv + step_size * np.sign(input_gradient(model, x_adv, y)), X, epsilon, clip)
    return x_adv


def accuracy_vs_epsilon(model, X: np.ndarray, y: np.ndarray, epsilons, attack=fgsm, **attack_options) -> np.ndarray:
    """Test accuracy on ``attack`` (FGSM by default) examples for each epsilon."""
    return np.array([model.accuracy(attack(model, X, y, eps, **attack_options), y) for eps in epsilons])


def kl_divergence(reference_logits, logits) -> ad.Tensor:
    """KL(p || q) per sample, p = softmax(reference_logits), q = softmax(logits), in nats (batch,)."""
    log_p = ad.log_softmax(reference_logits, axis=-1)
    return (ad.exp(log_p) * (log_p - ad.log_softmax(logits, axis=-1))).sum(axis=-1)


def trades_attack(model, X: np.ndarray, epsilon: float, steps: int, step_size: float,
                  rng: np.random.Generator, clip=(0.0, 1.0)) -> np.ndarray:
    """TRADES inner maximisation: x' maximising KL(f(x) || f(x')) over B(x, epsilon) (Zhang et al. 2019,
    Algorithm 1): start at x + 0.001 N(0, I), then ``steps`` projected signed-gradient ascent steps."""
    _check_epsilon("trades_attack", epsilon)
    X = np.asarray(X, dtype=float)
    was_training = model.training
    model.eval()
    clean_logits = model(ad.Tensor(X)).data
    model.train(was_training)
    x_adv = np.clip(X + 0.001 * rng.standard_normal(X.shape), *clip)
    for _ in range(steps):
        grad = _gradient_wrt_input(model, x_adv, lambda logits: kl_divergence(clean_logits, logits).sum())
        x_adv = _project(x_adv + step_size * np.sign(grad), X, epsilon, clip)
    return x_adv


def trades_loss(model, X: np.ndarray, y: np.ndarray, X_adv: np.ndarray, beta: float) -> ad.Tensor:
    """Zhang et al. (2019), eq. 5 for several classes: CE(f(x), y) + beta * KL(f(x) || f(x')), batch means.

    The course notes write the regulariser as g(f(X') f(X')) and the natural term inside the
    minimum over eta as [g(f(X, T))]T; the paper's terms are g(f(X) T) and, for the regulariser,
    g(f(X) f(X') / lambda) with beta = 1 / lambda, whose multi-class surrogate is this KL term.
    Gradients flow through both f(x) and f(x').
    """
    clean = model(ad.Tensor(X))
    return cross_entropy(clean, y) + beta * kl_divergence(clean, model(ad.Tensor(X_adv))).mean()


def trades_batch_loss(epsilon: float, beta: float, rng: np.random.Generator, steps: int = 10,
                      step_size: float | None = None):
    """``batch_loss`` for :func:`classifier.train_classifier`: the TRADES attack, then :func:`trades_loss`."""
    if beta < 0:
        raise ParameterError("trades: beta", beta, ">= 0")
    step_size = 2.5 * epsilon / steps if step_size is None else step_size

    def batch_loss(model, X, y):
        return trades_loss(model, X, y, trades_attack(model, X, epsilon, steps, step_size, rng), beta)

    return batch_loss


def adversarial_batch_loss(epsilon: float, rng: np.random.Generator, steps: int = 10, weight: float = 0.5):
    """``batch_loss`` for adversarial training: (1 - weight) CE(x) + weight CE(PGD(x)), the PGD examples
    made against the current model (Goodfellow et al. 2015's mixed objective with Madry et al. 2018's
    attack; weight 1 is Madry's pure min-max training)."""
    if not 0 <= weight <= 1:
        raise ParameterError("adversarial training: weight", weight, "in [0, 1]")

    def batch_loss(model, X, y):
        X_adv = pgd(model, X, y, epsilon, steps, rng=rng)
        adversarial = cross_entropy(model(ad.Tensor(X_adv)), y)
        if weight == 1:
            return adversarial
        return (1 - weight) * cross_entropy(model(ad.Tensor(X)), y) + weight * adversarial

    return batch_loss
