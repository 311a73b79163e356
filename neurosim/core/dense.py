"""Dense and factored projections: ``post.i_ext += post_matrix @ lowpass(pre_matrix @ activity(pre))``.

``activity(pre)`` is the spike train of a spiking population as unit-area impulses (a spike in a
step contributes ``1/dt``) or the ``rate`` output of a rate or binary population, both from the
previous step (``source`` picks another variable of a rate or equation population, e.g. ``x``, or
its ``i_ext`` of the current step, summed by the projections and stimuli added before this one;
``target`` an input of an equation model other than its first, e.g. a value unit's feedback).
``diagonal`` (n weights, n_pre = n_post, non-spiking pre) connects unit ``i`` to unit ``i`` only.
``blas=True`` (a full ``matrix``, ``tau = 0``, non-spiking pre) computes a batched network's input
for all copies as one matrix-matrix product (BLAS ``gemm``): faster, but a copy's input then
differs from that of an unbatched run by rounding (~1e-16 relative), as BLAS sums a row of a
``B``-row product in another order; without it every copy repeats the unbatched arithmetic.
``pre_matrix`` (k x n_pre) and ``post_matrix`` (n_post x k) factor the weights:
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
                 tau: float = 0.0, name: str | None = None, source: str = "rate", target: str | None = None,
                 diagonal=None, blas: bool = False):
        self.pre, self.post = pre, post
        self.name = check_name(name or f"{pre.name}_to_{post.name}_dense", "projection")
        label = f"projection '{self.name}'"
        outputs = [*pre.state_spec, *(["rate"] if "rate" in getattr(getattr(pre, "system", None), "subexpressions", {})
                                      else []), "i_ext"]
        if source != "rate" and (pre.spiking or source not in outputs):
            raise ParameterError(f"{label}: source", source, f"'rate' or a state variable of the non-spiking "
                                 f"population '{pre.name}', one of {outputs}")
        inputs = list(getattr(post, "dense_inputs", {}))
        if target is not None and target not in inputs:
            raise ParameterError(f"{label}: target", target, f"None (the input i_ext) or an input of '{post.name}' "
                                 f"that no receptor feeds, one of {inputs}")
        self.source, self.target = source, target
        self.diagonal = None
        if diagonal is not None:
            diagonal = np.asarray(diagonal, float)
            if matrix is not None or pre_matrix is not None or post_matrix is not None or pre.spiking \
                    or pre.n != post.n or diagonal.shape != (pre.n,) or not np.all(np.isfinite(diagonal)):
                raise ParameterError(f"{label}: diagonal", f"shape {diagonal.shape}", f"{post.n} finite weights alone, "
                                     "between non-spiking populations of one size")
            self.diagonal, matrix = diagonal, np.diag(diagonal)
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
        if blas and (self.pre_matrix is not None or self.diagonal is not None or self.tau > 0 or pre.spiking):
            raise ParameterError(f"{label}: blas", blas,
                                 "False, or a full matrix from a non-spiking population with tau = 0")
        self.blas = bool(blas)

    @property
    def rank(self) -> int:
        return self.pre.n if self.pre_matrix is None else self.pre_matrix.shape[0]

    def full_matrix(self) -> np.ndarray:
        """The equivalent n_post x n_pre weight matrix."""
        return self.post_matrix if self.pre_matrix is None else self.post_matrix @ self.pre_matrix

    max_delay = 0
    batchable = True
    #: Arrays the step loop changes (one per copy in a batched network).
    run_arrays = ("signal",)
    #: Arrays the step loop only reads (checkpoints store their digest, not their contents).
    constant_arrays: tuple[str, ...] = ("encode", "decode")

    def build(self, dt: float, rng: np.random.Generator | None = None) -> None:
        """Allocate the filter state for step ``dt`` (no random draws; ``rng`` is unused)."""
        dtype = self.post.dtype
        self.filter_decay = float(np.exp(-dt / self.tau)) if self.tau > 0 else 0.0
        self.signal = np.zeros(self.rank, dtype)
        self.encode = np.ascontiguousarray(self.post_matrix if self.diagonal is None else self.diagonal, dtype)
        self.decode = np.ascontiguousarray(np.zeros((0, 0)) if self.pre_matrix is None else self.pre_matrix.T, dtype)
        self.empty = np.zeros(0, dtype)
        if self.pre is self.post and getattr(self.post, "update", "") == "asynchronous":
            if self.pre_matrix is not None or self.tau > 0:
                raise ParameterError(f"projection '{self.name}'", "factored or filtered",
                                     "a full matrix with tau 0 onto an asynchronously updated population")
            self.post.recurrent.append(self)  # type: ignore[attr-defined]  # a BinaryPopulation (checked above)  # its unit-by-unit updates correct their input with these weights

    def emit(self, w: CodeWriter) -> None:
        r = (lambda local: w.ref(self, local))
        pre = (lambda local: w.ref(self.pre, local))
        w.add_arguments({r("signal"): self.signal, r("encode"): self.encode, r("decode"): self.decode,
                       r("empty"): self.empty})
        if self in getattr(self.post, "recurrent", ()):
            return  # an asynchronously updated population keeps this projection's input itself
        w.add_import("from neurosim.core.dense import dense_input")
        if self.pre.multiplicity:
            counts = pre("counts")
        else:  # every listed spike counts once
            counts = r("no_counts")
            w.add_argument(counts, np.zeros(0, np.int32))
        if self.pre.spiking:
            activity = f"{pre('spikes')}, {counts}, {pre('nspk')}[0], {r('empty')}"
        else:
            activity = f"{pre('spikes')}, {counts}, -1, {pre(self.source)}"
        target = "i_ext" if self.target is None else f"i_{self.target}"
        if self.blas and w.batch is not None:  # all copies at once: (B, n_pre) @ (n_pre, n_post)
            from .codegen import AllCopies
            w.add_lines("input", self, AllCopies(f"{w.ref(self.post, target)}__copies += "
                                                 f"np.dot({pre(self.source)}__copies, {r('encode')}.T)"))
            return
        decay = w.constant(self, "filter_decay", self.filter_decay)
        if self.diagonal is not None:
            w.add_import("from neurosim.core.dense import diagonal_input")
            w.add_lines("input", self, f"diagonal_input({pre(self.source)}, {decay}, {r('signal')}, {r('encode')}, "
                                       f"{w.ref(self.post, target)})")
            return
        w.add_lines("input", self, f"dense_input({activity}, {r('decode')}, {decay}, {r('signal')}, "
                                   f"{r('encode')}, dt, {w.ref(self.post, target)})")


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
    # four rows at a time: four independent sums (each still in the order d = 0, 1, ..., so the
    # result is that of one row at a time) keep the floating-point units busy
    n = i_ext.shape[0]
    j = 0
    while j + 4 <= n:
        a0 = a1 = a2 = a3 = 0.0
        for d in range(k):
            s = signal[d]
            a0 += encode[j, d] * s
            a1 += encode[j + 1, d] * s
            a2 += encode[j + 2, d] * s
            a3 += encode[j + 3, d] * s
        i_ext[j] += a0
        i_ext[j + 1] += a1
        i_ext[j + 2] += a2
        i_ext[j + 3] += a3
        j += 4
    for r in range(j, n):
        acc = 0.0
        for d in range(k):
            acc += encode[r, d] * signal[d]
        i_ext[r] += acc


@numba.njit(cache=True, nogil=True)
def diagonal_input(rates, decay, signal, weights, i_ext):
    """One-to-one: filter ``rates`` into ``signal`` and add ``weights * signal`` to ``i_ext``."""
    gain = 1.0 - decay
    for i in range(i_ext.shape[0]):
        signal[i] = signal[i] * decay + gain * rates[i]
        i_ext[i] += weights[i] * signal[i]
