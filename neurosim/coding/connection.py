"""Connections between ensembles and nodes: decoders, transform and encoders as factored weights.

A connection from ensemble ``a`` (N neurons) to ensemble ``b`` (M neurons) computing ``f`` with
transform ``T`` (``b.dimensions`` x ``f``'s output dimensions) has the weights

    W = (gain_b[:, None] * E_b / radius_b) @ T @ D_f^T        (M x N)

with ``D_f`` the decoders of ``f`` (N x D_f) and ``E_b`` the encoders of ``b``. The course notes'
``W = D E`` (for row vectors) is the same product. It is applied as
``post_matrix @ lowpass(pre_matrix @ activity)``, in O(k (N + M)) per step with k the smaller of
D_f and ``b.dimensions`` (T is folded into whichever factor keeps k small), never forming the
M x N matrix; ``weights="full"`` forms it (O(N M) per step) for comparison. The synapse is a
unit-area lowpass of time constant ``synapse`` (s), discretised like Nengo's ``Lowpass``.

From a node, the pre factor is the identity (a node has no decoders; ``function`` must be None).
Into a node, the post factor is ``T`` itself (the node's units take the decoded value).
"""
from __future__ import annotations

import numpy as np

from ..core.dense import DenseProjection
from ..errors import ParameterError
from .ensemble import Ensemble
from .functions import evaluate
from .node import Node
from .solvers import LstsqL2

WEIGHT_FORMS = ("factored", "full")


def _transform(transform, rows: int, columns: int, label: str) -> np.ndarray:
    T = np.asarray(transform, float)
    if T.ndim == 0:
        if rows != columns:
            raise ParameterError(f"{label}: dimensions", f"function output of {columns} dimension(s)",
                                 f"the target's {rows} dimension(s), or a transform of shape ({rows}, {columns})")
        return float(T) * np.eye(rows)
    if T.ndim == 1 and columns == 1 and T.shape[0] == rows:
        T = T[:, None]
    if T.shape != (rows, columns) or not np.all(np.isfinite(T)):
        raise ParameterError(f"{label}: transform", f"shape {T.shape}",
                             "a finite scalar or matrix of shape (target dimensions, function output) = "
                             f"{(rows, columns)}")
    return T


class Connection:
    """``pre`` -> ``post`` (each an :class:`Ensemble` or :class:`Node`) computing ``function``.

    ``function``: a callable of one point, a name from :data:`neurosim.coding.functions.NAMED`, or
    None (identity). ``solver`` defaults to ``LstsqL2(reg=0.1)``; ``eval_points`` default to the pre
    ensemble's. After construction ``decoders`` (N x D_f) and ``solver_info`` (with ``rmses``, the
    static decoding error on the evaluation points) are available for ensemble sources.
    """

    def __init__(self, pre, post, function=None, transform=1.0, synapse: float = 0.005, solver=None,
                 eval_points=None, weights: str = "factored", name: str | None = None):
        for end, value in (("pre", pre), ("post", post)):
            if not isinstance(value, (Ensemble, Node)):
                raise ParameterError(f"connection {end}", value, "an Ensemble or a Node")
        self.pre, self.post = pre, post
        self.name = name or f"{pre.name}_to_{post.name}"
        label = f"connection '{self.name}'"
        if weights not in WEIGHT_FORMS:
            raise ParameterError(f"{label}: weights", weights, f"one of {WEIGHT_FORMS}")
        if (isinstance(synapse, bool) or not isinstance(synapse, (int, float)) or not np.isfinite(synapse)
                or synapse < 0):
            raise ParameterError(f"{label}: synapse", synapse, "a lowpass time constant >= 0 s")
        self.weights, self.synapse, self.function = weights, float(synapse), function
        self.decoders, self.solver_info = None, None
        if isinstance(pre, Node):
            if function is not None:
                raise ParameterError(f"{label}: function", function, "None (a node's output is already its value)")
            decoded = np.eye(pre.dimensions)  # pre_matrix: the node's units themselves
            size_out = pre.dimensions
        else:
            if eval_points is None:
                points = pre.eval_points
            else:
                points = np.asarray(eval_points, float).reshape(-1, pre.dimensions)
            targets = evaluate(function, points)
            self.decoders, self.solver_info = (solver or LstsqL2())(pre.rates(points), targets)
            decoded = self.decoders.T
            size_out = targets.shape[1]
        self.transform = _transform(transform, post.dimensions, size_out, label)
        encode = post.scaled_encoders if isinstance(post, Ensemble) else np.eye(post.dimensions)
        if post.dimensions < size_out:  # fold T into the pre factor: rank post.dimensions
            self.pre_matrix, self.post_matrix = self.transform @ decoded, encode
        else:
            self.pre_matrix, self.post_matrix = decoded, encode @ self.transform

    @property
    def rmse(self) -> float:
        """Static decoding RMSE on the evaluation points (all dimensions), for ensemble sources."""
        return float(np.sqrt(np.mean(self.solver_info["rmses"] ** 2))) if self.solver_info else 0.0

    def full_matrix(self) -> np.ndarray:
        """The n_post x n_pre weight matrix that the factors represent."""
        return self.post_matrix @ self.pre_matrix

    def projection(self, pre_population, post_population) -> DenseProjection:
        """The core projection that carries this connection."""
        if self.weights == "full":
            return DenseProjection(pre_population, post_population, matrix=self.full_matrix(), tau=self.synapse,
                                   name=self.name)
        return DenseProjection(pre_population, post_population, pre_matrix=self.pre_matrix,
                               post_matrix=self.post_matrix, tau=self.synapse, name=self.name)
