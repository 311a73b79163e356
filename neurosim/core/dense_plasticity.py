"""Rate-based learning on dense projections: the weight matrix changes every step by a local rule
of the activities on its two sides (``rate`` of rate and binary populations, after their update).

``hebbian``: ``dW_ij = learning_rate * post_i * pre_j`` (Hebb). Presenting ``M`` patterns ``x`` on a
clamped population (``BinaryPopulation(update='clamped')``), one per step, with ``learning_rate =
1/N`` stores Hopfield's ``W = (1/N) sum_mu x^mu x^mu^T``.
``storkey`` (Storkey 1997): ``dW_ij = learning_rate * (x_i x_j - x_i h_ji - h_ij x_j)`` with the local
field ``h_ij = h_i - W_ij x_j`` of unit ``i`` without unit ``j``'s contribution, ``h_i`` the input
``i_ext`` of unit ``i`` in that step (so the projection must be the population's only input);
recurrent projections only.

A recurrent projection (pre is post) never learns its diagonal: a unit has no synapse onto itself
(Hopfield's zero diagonal; the Hebbian term ``x_i^2 = 1`` carries no information).
"""
from __future__ import annotations

import math

import numba

from ..errors import ParameterError
from .dense import DenseProjection

RULES = ("hebbian", "storkey")


@numba.njit(cache=True, nogil=True)
def hebbian_update(W, post, pre, rate, skip_diagonal):
    """``W += rate * outer(post, pre)``, the diagonal left unchanged if ``skip_diagonal``."""
    for i in range(W.shape[0]):
        a = rate * post[i]
        if a != 0.0:
            row = W[i]
            for j in range(W.shape[1]):
                if j != i or not skip_diagonal:
                    row[j] += a * pre[j]


@numba.njit(cache=True, nogil=True)
def storkey_update(W, x, h, rate):
    """Storkey's rule for a recurrent ``W`` (zero diagonal), state ``x`` and input ``h = W x``."""
    n = x.shape[0]
    old = W.copy()
    for i in range(n):
        for j in range(n):
            if i != j:
                W[i, j] += rate * (x[i] * x[j] - x[i] * (h[j] - old[j, i] * x[i]) - (h[i] - old[i, j] * x[j]) * x[j])


class LearningDenseProjection(DenseProjection):
    """A full-matrix :class:`DenseProjection` between non-spiking populations whose weights follow
    ``rule`` ('hebbian' or 'storkey') with ``learning_rate`` every step; read the learned weights
    from the built projection (``simulator.network.projections[k].encode``)."""

    constant_arrays = ("decode",)  # the weights change

    def __init__(self, pre, post, matrix, rule: str = "hebbian", learning_rate: float = 1.0, name: str | None = None):
        super().__init__(pre, post, matrix=matrix, name=name)
        label = f"projection '{self.name}'"
        if rule not in RULES:
            raise ParameterError(f"{label}: rule", rule, f"one of {RULES}")
        if rule == "storkey" and pre is not post:
            raise ParameterError(f"{label}: rule", rule, "'hebbian' (Storkey's rule needs a recurrent projection)")
        for pop in (pre, post):
            if pop.spiking:
                raise ParameterError(f"{label}: population", pop.name,
                                     "a rate or binary population (the rules read 'rate')")
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
                or not math.isfinite(learning_rate):
            raise ParameterError(f"{label}: learning_rate", learning_rate, "a finite number")
        self.rule, self.learning_rate = rule, float(learning_rate)

    def emit(self, w) -> None:
        super().emit(w)
        r = (lambda local: w.ref(self, local))
        rate = w.constant(self, "learning_rate", self.learning_rate)
        if self.rule == "hebbian":
            w.imports.add("from neurosim.core.dense_plasticity import hebbian_update")
            w.lines["propagate"].append(f"hebbian_update({r('encode')}, {w.ref(self.post, 'rate')}, "
                                        f"{w.ref(self.pre, 'rate')}, {rate}, {self.pre is self.post})")
        else:
            w.imports.add("from neurosim.core.dense_plasticity import storkey_update")
            w.lines["propagate"].append(f"storkey_update({r('encode')}, {w.ref(self.post, 'rate')}, "
                                        f"{w.ref(self.post, 'i_ext')}, {rate})")
