"""Optimisers (SGD with momentum, Adam) with weight decay, and gradient-norm clipping."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError


class Optimizer:
    """Holds the parameters; ``zero_grad`` clears their gradients, ``step`` updates them."""

    def __init__(self, params, learning_rate: float, weight_decay: float):
        name = type(self).__name__
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ParameterError(f"{name}: learning_rate", learning_rate, "a finite number > 0")
        if weight_decay < 0:
            raise ParameterError(f"{name}: weight_decay", weight_decay, ">= 0")
        self.params = list(params)
        if not self.params:
            raise ParameterError(f"{name}: params", self.params, "at least one parameter")
        self.learning_rate, self.weight_decay = float(learning_rate), float(weight_decay)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self._update(i, p)


class SGD(Optimizer):
    """v <- momentum v + (g + weight_decay w);  w <- w - learning_rate v."""

    def __init__(self, params, learning_rate: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay)
        if not 0 <= momentum < 1:
            raise ParameterError("SGD: momentum", momentum, "in [0, 1)")
        self.momentum = momentum
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def _update(self, i, p) -> None:
        g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
        self.velocity[i] = self.momentum * self.velocity[i] + g
        p.data -= self.learning_rate * self.velocity[i]


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; weight decay is decoupled as in AdamW."""

    def __init__(self, params, learning_rate: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, learning_rate, weight_decay)
        if not all(0 <= b < 1 for b in betas):
            raise ParameterError("Adam: betas", betas, "two numbers in [0, 1)")
        self.betas, self.eps, self.t = betas, eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        self.t += 1
        super().step()

    def _update(self, i, p) -> None:
        b1, b2 = self.betas
        self.m[i] = b1 * self.m[i] + (1 - b1) * p.grad
        self.v[i] = b2 * self.v[i] + (1 - b2) * p.grad**2
        m_hat = self.m[i] / (1 - b1**self.t)
        v_hat = self.v[i] / (1 - b2**self.t)
        if self.weight_decay:
            p.data -= self.learning_rate * self.weight_decay * p.data
        p.data -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale all gradients so their joint L2 norm is at most ``max_norm``; returns the norm before."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(np.sqrt(sum(float((g * g).sum()) for g in grads)))
    if norm > max_norm:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * (max_norm / norm)
    return norm
