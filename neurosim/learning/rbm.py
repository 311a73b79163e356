"""Restricted Boltzmann machine with binary visible and hidden units, trained by CD-k or persistent CD.

Energy ``E(v, h) = -v W h^T - b v^T - c h^T`` (the notes' form, ``W`` of shape n_visible x n_hidden);
energy gaps ``dE(v_i) = E(v_i=1) - E(v_i=0) = -(W h)_i - b_i`` and ``dE(h_j) = -(v W)_j - c_j``, so
``P(v_i = 1 | h) = logistic(-dE(v_i))``. Learning is :func:`rules.contrastive_divergence` of the data
(positive) and model (negative) phase, with momentum and L2 weight decay on ``W``:
``velocity <- momentum velocity + lr (dW - decay W)``, ``W <- W + velocity``. The negative phase uses
sampled visible states and hidden probabilities (as scikit-learn's ``BernoulliRBM``); persistent CD
keeps one hidden chain per mini-batch row across updates (Tieleman 2008).
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

from ..errors import ParameterError
from .data import check_count, check_rate
from .rules import contrastive_divergence


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


class RBM:
    """``n_visible`` x ``n_hidden`` binary RBM; weights ~ N(0, ``scale``), biases 0 (as scikit-learn)."""

    def __init__(self, n_visible: int, n_hidden: int, rng: np.random.Generator, scale: float = 0.01):
        self.n_visible, self.n_hidden = check_count("n_visible", n_visible), check_count("n_hidden", n_hidden)
        self.W = rng.normal(0.0, scale, (self.n_visible, self.n_hidden))
        self.b = np.zeros(self.n_visible)
        self.c = np.zeros(self.n_hidden)

    def _visible(self, V, name="data") -> np.ndarray:
        V = np.atleast_2d(np.asarray(V, float))
        if V.ndim != 2 or V.shape[1] != self.n_visible:
            raise ParameterError(f"{name} shape", V.shape, f"(samples, {self.n_visible})")
        if np.any((V < 0) | (V > 1)) or not np.all(np.isfinite(V)):
            raise ParameterError(name, "values outside [0, 1]", "binary values (or probabilities in [0, 1])")
        return V

    # -- energies and conditionals -------------------------------------------------------------
    def energy(self, v, h) -> np.ndarray:
        v, h = np.atleast_2d(v), np.atleast_2d(h)
        return -np.einsum("bi,ij,bj->b", v, self.W, h) - v @ self.b - h @ self.c

    def energy_gap_visible(self, h) -> np.ndarray:
        """``E(v_i = 1) - E(v_i = 0)`` for each visible unit given hidden states ``h``."""
        return -(np.atleast_2d(h) @ self.W.T) - self.b

    def energy_gap_hidden(self, v) -> np.ndarray:
        """``E(h_j = 1) - E(h_j = 0)`` for each hidden unit given visible states ``v``."""
        return -(np.atleast_2d(v) @ self.W) - self.c

    def free_energy(self, v) -> np.ndarray:
        """``F(v) = -b v - sum_j softplus(c_j + (v W)_j)`` (``p(v)`` is proportional to ``exp(-F)``)."""
        v = np.atleast_2d(v)
        return -(v @ self.b) - _softplus(v @ self.W + self.c).sum(axis=1)

    def hidden_probabilities(self, v) -> np.ndarray:
        return expit(-self.energy_gap_hidden(v))

    def visible_probabilities(self, h) -> np.ndarray:
        return expit(-self.energy_gap_visible(h))

    @staticmethod
    def sample(probabilities, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(probabilities.shape) < probabilities).astype(float)

    def gibbs(self, v, steps: int, rng: np.random.Generator):
        """``steps`` rounds of block Gibbs sampling v -> h -> v; returns (v sample, p(v | last h))."""
        v = np.atleast_2d(np.asarray(v, float))
        p_v = v
        for _ in range(check_count("steps", steps)):
            h = self.sample(self.hidden_probabilities(v), rng)
            p_v = self.visible_probabilities(h)
            v = self.sample(p_v, rng)
        return v, p_v

    def transform(self, V) -> np.ndarray:
        """Hidden-unit probabilities as features."""
        return self.hidden_probabilities(self._visible(V))

    # -- quality measures ----------------------------------------------------------------------
    def reconstruction_error(self, V) -> float:
        """Mean over images of the summed squared error of the mean-field reconstruction
        ``p(v | p(h | v))`` (deterministic)."""
        V = self._visible(V)
        return float(((V - self.visible_probabilities(self.hidden_probabilities(V))) ** 2).sum(axis=1).mean())

    def pseudo_log_likelihood(self, V) -> float:
        """Mean over images of ``sum_i log P(v_i | v_-i) = sum_i log logistic(F(v with i flipped) - F(v))``.

        Exact sum over all units (scikit-learn's ``score_samples`` estimates it as ``n`` times one
        random unit's term, which has the same expectation).
        """
        V = self._visible(V)
        act = V @ self.W + self.c
        F = -(V @ self.b) - _softplus(act).sum(axis=1)
        total = np.zeros(len(V))
        for i in range(self.n_visible):
            sign = 1.0 - 2.0 * V[:, i]
            F_flip = -(V @ self.b) - sign * self.b[i] - _softplus(act + sign[:, None] * self.W[i]).sum(axis=1)
            total += log_expit(F_flip - F)
        return float(total.mean())

    # -- learning ------------------------------------------------------------------------------
    def fit(self, V, rng: np.random.Generator, epochs: int = 10, learning_rate: float = 0.06, batch_size: int = 10,
            k: int = 1, persistent: bool = False, momentum: float = 0.5, weight_decay: float = 1e-4,
            V_valid=None, progress=None) -> dict[str, np.ndarray]:
        """Train on binary rows of ``V``; returns per-epoch curves (on ``V_valid`` when given, else ``V``)."""
        V = self._visible(V)
        V_eval = V if V_valid is None else self._visible(V_valid, "V_valid")
        epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
        k = check_count("k", k)
        learning_rate = check_rate("learning_rate", learning_rate)
        if not 0 <= momentum < 1:
            raise ParameterError("momentum", momentum, "a number in [0, 1)")
        if not np.isfinite(weight_decay) or weight_decay < 0:
            raise ParameterError("weight_decay", weight_decay, "a number >= 0")
        velocity = [np.zeros_like(self.W), np.zeros_like(self.b), np.zeros_like(self.c)]
        chain = np.zeros((batch_size, self.n_hidden))
        curves = {"reconstruction_error": np.zeros(epochs + 1), "pseudo_log_likelihood": np.zeros(epochs + 1)}
        curves["reconstruction_error"][0] = self.reconstruction_error(V_eval)
        curves["pseudo_log_likelihood"][0] = self.pseudo_log_likelihood(V_eval)
        for epoch in range(epochs):
            for batch in np.array_split(rng.permutation(len(V)), max(1, len(V) // batch_size)):
                v0 = V[batch]
                h0 = self.hidden_probabilities(v0)
                h = chain[:len(v0)] if persistent else self.sample(h0, rng)
                for _step in range(k):
                    vk = self.sample(self.visible_probabilities(h), rng)
                    hk = self.hidden_probabilities(vk)
                    h = self.sample(hk, rng)
                if persistent:
                    chain[:len(v0)] = h
                ones_data, ones_model = np.ones((len(v0), 1)), np.ones((len(vk), 1))
                grads = (contrastive_divergence(v0, h0, vk, hk) - weight_decay * self.W,
                         contrastive_divergence(ones_data, v0, ones_model, vk)[0],
                         contrastive_divergence(ones_data, h0, ones_model, hk)[0])
                for param, vel, grad in zip((self.W, self.b, self.c), velocity, grads, strict=True):
                    vel *= momentum
                    vel += learning_rate * grad
                    param += vel
            curves["reconstruction_error"][epoch + 1] = self.reconstruction_error(V_eval)
            curves["pseudo_log_likelihood"][epoch + 1] = self.pseudo_log_likelihood(V_eval)
            if progress:
                progress((epoch + 1) / epochs,
                         f"epoch {epoch + 1}: PLL {curves['pseudo_log_likelihood'][epoch + 1]:.2f}")
        return curves
