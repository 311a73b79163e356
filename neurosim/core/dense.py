"""Dense and factored projections: ``post.i_ext += post_matrix @ lowpass(pre_matrix @ activity(pre))``.

``activity(pre)`` is the spike train of a spiking population as unit-area impulses (a spike in a
step contributes ``1/dt``) or the ``rate`` output of a rate or binary population, both from the
previous step. ``pre_matrix`` (k x n_pre) and ``post_matrix`` (n_post x k) factor the weights:
the NEF's decoders and gain-scaled encoders, applied in O(k (n_pre + n_post)) per step without
forming the n_post x n_pre matrix; give ``matrix`` alone for a full weight matrix. ``tau`` is an
optional unit-area lowpass synapse on the k-dimensional signal, discretised by zero-order hold
like Nengo's ``Lowpass``: ``y <- a y + (1 - a) u`` with ``a = exp(-dt/tau)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np

from ..errors import ParameterError
from .population import Population, check_name

if TYPE_CHECKING:
    from .codegen import CodeWriter


class DenseProjection:
    """Weights as a full ``matrix`` (n_post x n_pre) or as ``post_matrix @ pre_matrix``."""

    def __init__(self, pre: Population, post: Population, matrix=None, pre_matrix=None, post_matrix=None,
                 tau: float = 0.0, name: str | None = None):
        self.pre, self.post = pre, post
        self.name = check_name(name or f"{pre.name}_to_{post.name}_dense", "projection")
        label = f"projection '{self.name}'"
        if (matrix is None) == (pre_matrix is None or post_matrix is None):
            raise ParameterError(f"{label}: weights", "matrix/pre_matrix/post_matrix",
                                 "either matrix, or both pre_matrix and post_matrix")
        if matrix is not None:
            matrix = np.asarray(matrix, float)
            if matrix.shape != (post.n, pre.n):
                raise ParameterError(f"{label}: matrix", f"shape {matrix.shape}",
                                     f"shape (n_post, n_pre) = {(post.n, pre.n)}")
            self.pre_matrix, self.post_matrix = None, matrix
        else:
            pre_matrix, post_matrix = np.asarray(pre_matrix, float), np.asarray(post_matrix, float)
            if pre_matrix.ndim != 2 or pre_matrix.shape[1] != pre.n:
                raise ParameterError(f"{label}: pre_matrix", f"shape {pre_matrix.shape}", f"shape (k, n_pre = {pre.n})")
            if post_matrix.shape != (post.n, pre_matrix.shape[0]):
                raise ParameterError(f"{label}: post_matrix", f"shape {post_matrix.shape}",
                                     f"shape (n_post, k) = {(post.n, pre_matrix.shape[0])}")
            self.pre_matrix, self.post_matrix = pre_matrix, post_matrix
        for key, value in (("matrix", matrix), ("pre_matrix", pre_matrix), ("post_matrix", post_matrix)):
            if value is not None and not np.all(np.isfinite(value)):
                raise ParameterError(f"{label}: {key}", "non-finite entries", "finite weights")
        if not np.isfinite(tau) or tau < 0:
            raise ParameterError(f"{label}: tau", tau, "a synaptic time constant >= 0 s")
        self.tau = float(tau)

    @property
    def rank(self) -> int:
        return self.pre.n if self.pre_matrix is None else self.pre_matrix.shape[0]

    def full_matrix(self) -> np.ndarray:
        """The equivalent n_post x n_pre weight matrix."""
        return self.post_matrix if self.pre_matrix is None else self.post_matrix @ self.pre_matrix

    max_delay = 0
    #: Arrays the step loop only reads (checkpoints store their digest, not their contents).
    constant_arrays = ("encode", "decode")

    def build(self, dt: float, rng: np.random.Generator | None = None) -> None:
        """Allocate the filter state for step ``dt`` (no random draws; ``rng`` is unused)."""
        dtype = self.post.dtype
        self.filter_decay = float(np.exp(-dt / self.tau)) if self.tau > 0 else 0.0
        self.signal = np.zeros(self.rank, dtype)
        self.encode = np.ascontiguousarray(self.post_matrix, dtype)
        self.decode = np.ascontiguousarray(np.zeros((0, 0)) if self.pre_matrix is None else self.pre_matrix.T, dtype)
        self.empty = np.zeros(0, dtype)

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        pre = (lambda local: w.ref(self.pre, local))
        w.args.update({r("signal"): self.signal, r("encode"): self.encode, r("decode"): self.decode,
                       r("empty"): self.empty})
        w.imports.add("from neurosim.core.dense import dense_input")
        if self.pre.multiplicity:
            counts = pre("counts")
        else:  # every listed spike counts once
            counts = r("no_counts")
            w.args[counts] = np.zeros(0, np.int32)
        if self.pre.spiking:
            activity = f"{pre('spikes')}, {counts}, {pre('nspk')}[0], {r('empty')}"
        else:
            activity = f"{pre('spikes')}, {counts}, -1, {pre('rate')}"
        w.lines["input"].append(f"dense_input({activity}, {r('decode')}, "
                                f"{w.constant(self, 'filter_decay', self.filter_decay)}, {r('signal')}, "
                                f"{r('encode')}, dt, {w.ref(self.post, 'i_ext')})")


@numba.njit(cache=True, nogil=True)
def dense_input(spikes, counts, n_spikes, rates, decode, decay, signal, encode, dt, i_ext):
    """Filter the (decoded) pre activity into ``signal`` and add ``encode @ signal`` to ``i_ext``.

    ``n_spikes >= 0`` means the pre activity is the listed spikes (each ``1/dt``, times
    ``counts[j]`` unless ``counts`` is empty); ``-1`` means ``rates``. An empty ``decode`` is the
    identity (full-matrix case); ``decode`` is n_pre x k.
    """
    k = signal.shape[0]
    keep = decay
    gain = 1.0 - decay
    for d in range(k):
        signal[d] *= keep
    if n_spikes >= 0:
        impulse = gain / dt
        weighted = counts.shape[0] > 0
        if decode.shape[0] == 0:
            for j in range(n_spikes):
                signal[spikes[j]] += impulse * counts[j] if weighted else impulse
        else:
            for j in range(n_spikes):
                row = decode[spikes[j]]
                scaled = impulse * counts[j] if weighted else impulse
                for d in range(k):
                    signal[d] += scaled * row[d]
    elif decode.shape[0] == 0:
        for d in range(k):
            signal[d] += gain * rates[d]
    else:
        for i in range(rates.shape[0]):
            scaled = gain * rates[i]
            if scaled != 0.0:
                row = decode[i]
                for d in range(k):
                    signal[d] += scaled * row[d]
    for j in range(i_ext.shape[0]):
        acc = 0.0
        for d in range(k):
            acc += encode[j, d] * signal[d]
        i_ext[j] += acc
